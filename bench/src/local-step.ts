/**
 * A bench-local ReACGAN training step built from @reacgan/models + @reacgan/losses, written to do
 * exactly what the trainer (packages/reacgan/src/train/trainer.ts) does per step (with reacgan's Adam), with
 * per-phase timings (bench/src/phases.ts). `--step trainer` measures the real trainer instead.
 */
import * as losses from '@reacgan/losses';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from 'reacgan';
import { EMA_DECAY, LOSS, OPTIM, type BenchPreset } from './presets.js';
import { SyntheticBatches, type StepRunner } from './step-runner.js';

export class LocalStep implements StepRunner {
  readonly generator: models.Generator;
  readonly discriminator: models.Discriminator;
  private readonly ema: models.GeneratorEma;
  private readonly optG: Adam;
  private readonly optD: Adam;
  private readonly gParams: Map<string, tf.Variable>;
  private readonly dParams: Map<string, tf.Variable>;
  private readonly batches: SyntheticBatches;

  constructor(
    private readonly preset: BenchPreset,
    private readonly batchSize: number,
    seed = 0,
  ) {
    const data = { ...preset.data, seed };
    this.generator = models.createGenerator(preset.model, data);
    this.discriminator = models.createDiscriminator(preset.model, data);
    // EMA with the decay active from the first update (a long run spends almost every step past g_ema_start).
    this.ema = new models.GeneratorEma(this.generator, { decay: EMA_DECAY, startStep: 0 });
    this.gParams = this.generator.namedParameters();
    this.dParams = this.discriminator.namedParameters();
    // reacgan's Adam, as the trainer uses it (flat moment buffers, StudioGAN's ε).
    this.optG = new Adam(this.gParams, OPTIM);
    this.optD = new Adam(this.dParams, OPTIM);
    this.batches = new SyntheticBatches(preset, batchSize, seed);
  }

  get parameterCounts(): { G: number; D: number } {
    return { G: this.generator.numParameters(), D: this.discriminator.numParameters() };
  }

  private d2dce(out: models.DiscriminatorOutput, labels: Int32Array): tf.Scalar {
    return losses.data2DataCrossEntropyLoss(
      { embed: out.embed!, proxy: out.proxy!, labels },
      { temperature: LOSS.temperature, positiveMargin: LOSS.mP, negativeMargin: 1 - LOSS.mP, variant: 'studiogan' },
    );
  }

  async step(): Promise<number[]> {
    const batch = (await this.batches.next()).value as { images: Float32Array; labels: Int32Array; shape: [number, number, number, number] };
    const fakeD = this.batches.sampleFake(this.generator.zDim);
    const dGrads = this.discriminatorGrads(batch, fakeD);
    this.optD.applyGradients(dGrads);
    tf.dispose(Object.values(dGrads));
    const gGrads = this.generatorGrads(this.batches.sampleFake(this.generator.zDim));
    this.optG.applyGradients(gGrads);
    tf.dispose(Object.values(gGrads));
    this.ema.update(0);
    return [];
  }

  /** D update gradients: x_fake = G(z) (no tape, BN statistics frozen), hinge + λ·D2D-CE on reals. */
  private discriminatorGrads(batch: { images: Float32Array; labels: Int32Array; shape: [number, number, number, number] }, fake: { z: Float32Array; y: Int32Array }, xFakeIn?: tf.Tensor4D): Record<string, tf.Tensor> {
    const zDim = this.generator.zDim;
    return tf.tidy(() => {
      const xReal = tf.tensor4d(batch.images, batch.shape);
      const yReal = tf.tensor1d(batch.labels, 'int32');
      const yFake = tf.tensor1d(fake.y, 'int32');
      const xFake = xFakeIn ?? this.generator.apply(tf.tensor2d(fake.z, [fake.y.length, zDim]), yFake, { training: true, updateStatistics: false });
      const { value, grads } = tf.variableGrads(() => {
        const real = this.discriminator.apply(xReal, yReal, { training: true });
        const fk = this.discriminator.apply(xFake, yFake, { training: true });
        const adv = losses.discriminatorHingeLoss(real.advOutput, fk.advOutput);
        return tf.add(adv, tf.mul(this.d2dce(real, batch.labels), LOSS.condLambda)) as tf.Scalar;
      }, [...this.dParams.values()]);
      this.pending.push(tf.keep(value));
      const byName: Record<string, tf.Tensor> = {};
      for (const [name, variable] of this.dParams) if (grads[variable.name]) byName[name] = grads[variable.name];
      return byName;
    });
  }

  /** G update gradients: hinge_G + λ·D2D-CE on fakes, D frozen. */
  private generatorGrads(fake: { z: Float32Array; y: Int32Array }): Record<string, tf.Tensor> {
    const zDim = this.generator.zDim;
    return tf.tidy(() => {
      const zT = tf.tensor2d(fake.z, [fake.y.length, zDim]);
      const yFake = tf.tensor1d(fake.y, 'int32');
      const { value, grads } = tf.variableGrads(() => {
        const xFake = this.generator.apply(zT, yFake, { training: true });
        const out = this.discriminator.apply(xFake, yFake, { training: true });
        const adv = losses.generatorHingeLoss(out.advOutput);
        return tf.add(adv, tf.mul(this.d2dce(out, fake.y), LOSS.condLambda)) as tf.Scalar;
      }, [...this.gParams.values()]);
      this.pending.push(tf.keep(value));
      const byName: Record<string, tf.Tensor> = {};
      for (const [name, variable] of this.gParams) if (grads[variable.name]) byName[name] = grads[variable.name];
      return byName;
    });
  }

  /** Wall ms per phase over `reps` steps (diagnostic). */
  async phaseTimes(reps: number): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = { 'G forward (for D)': [], 'D update grads': [], 'Adam D': [], 'G update grads': [], 'Adam G': [], EMA: [], 'whole step': [] };
    const zDim = this.generator.zDim;
    const time = <T>(name: string, f: () => T): T => {
      const t0 = performance.now();
      const r = f();
      out[name].push(performance.now() - t0);
      return r;
    };
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const batch = (await this.batches.next()).value as { images: Float32Array; labels: Int32Array; shape: [number, number, number, number] };
      const fake = this.batches.sampleFake(zDim);
      const xFake = time('G forward (for D)', () =>
        tf.tidy(() => this.generator.apply(tf.tensor2d(fake.z, [fake.y.length, zDim]), tf.tensor1d(fake.y, 'int32'), { training: true, updateStatistics: false })),
      );
      const dGrads = time('D update grads', () => this.discriminatorGrads(batch, fake, xFake));
      xFake.dispose();
      time('Adam D', () => this.optD.applyGradients(dGrads));
      tf.dispose(Object.values(dGrads));
      const gGrads = time('G update grads', () => this.generatorGrads(this.batches.sampleFake(zDim)));
      time('Adam G', () => this.optG.applyGradients(gGrads));
      tf.dispose(Object.values(gGrads));
      time('EMA', () => this.ema.update(0));
      out['whole step'].push(performance.now() - t0);
      await this.flush();
    }
    return out;
  }

  private pending: tf.Scalar[] = [];

  async flush(): Promise<number[][]> {
    const scalars = this.pending.splice(0);
    let values: number[] = [];
    if (scalars.length) {
      const stacked = tf.stack(scalars);
      values = Array.from(await stacked.data());
      stacked.dispose();
    }
    tf.dispose(scalars);
    const out: number[][] = [];
    for (let i = 0; i < values.length; i += 2) out.push([values[i], values[i + 1]]);
    return out;
  }

  dispose(): void {
    tf.dispose(this.pending);
    this.optG.dispose();
    this.optD.dispose();
    this.generator.dispose();
    this.discriminator.dispose();
    this.ema.dispose();
  }
}
