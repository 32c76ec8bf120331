/**
 * One network update of StudioGAN v0.3.0's training step (`src/worker.py`, `train_discriminator` and
 * `train_generator`), as a pipeline:
 *
 *   (input transforms) → (networks) → (loss terms, Σ weight · value) → (gradient accumulation) → (Adam)
 *
 * D update, per micro-batch: x_fake = G(z, y_f) in training mode with G's BN statistics frozen and no
 * gradient into G; reals and fakes go through the input transforms, then D (two passes, or one on
 * [real; fake] with `optimization.fuseRealFake`); then the D terms. G update, per micro-batch: G(z, y) with
 * gradient, transformed, scored by D (whose parameters are not updated), then the G terms. Gradients are
 * accumulated over `optimization.acmlSteps` micro-batches, then one Adam step per network.
 */
import * as losses from '@reacgan/losses';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../../config/resolve.js';
import type { Adam } from '../adam.js';
import { accumulateGradients, type MicroBatchLoss } from './accumulate.js';
import type { ConditioningMethod } from './methods.js';
import type { StepRandom } from './random.js';
import type { BatchTensors, DiscriminateOptions, DiscriminatorContext, DiscriminatorTerm, GeneratorContext, GeneratorTerm, LossTerm, ScoredBatch, TermNeeds } from './terms.js';

/** A batch of real images as the data pipeline delivers it (NHWC float32 in [−1, 1]). */
export interface RealBatch {
  images: Float32Array;
  labels: Int32Array;
  shape: [number, number, number, number];
}

/** What the updates work on. */
export interface UpdateEnvironment {
  config: ReacganConfig;
  method: ConditioningMethod;
  generator: models.Generator;
  discriminator: models.Discriminator;
  random: StepRandom;
  /** The composed input transforms (the identity when none is on). */
  transform: (images: tf.Tensor4D) => tf.Tensor4D;
}

function union(terms: readonly LossTerm[]): TermNeeds {
  const needs: TermNeeds = {};
  for (const term of terms) {
    for (const [key, on] of Object.entries(term.needs ?? {}) as [keyof TermNeeds, boolean][]) if (on) needs[key] = true;
  }
  return needs;
}

/** Splits a D output on [real; fake] (first n rows real) into the two halves. */
function splitOutput(out: models.DiscriminatorOutput, n: number): [models.DiscriminatorOutput, models.DiscriminatorOutput] {
  const a: Record<string, tf.Tensor> = {};
  const b: Record<string, tf.Tensor> = {};
  for (const [key, t] of Object.entries(out) as [string, tf.Tensor | undefined][]) {
    if (!t) continue;
    a[key] = tf.slice(t, 0, n);
    b[key] = tf.slice(t, n, t.shape[0] - n);
  }
  return [a as unknown as models.DiscriminatorOutput, b as unknown as models.DiscriminatorOutput];
}

/**
 * Σ weight · value over the terms that apply, in order (StudioGAN's `loss += λ · term`); records each unweighted
 * value as `<prefix>/<name>` in `values`. A weight of 1 adds the value itself.
 */
export function weightedTotal<C>(terms: readonly { name: string; weight: number; value(ctx: C): tf.Scalar | null }[], ctx: C, prefix: string, values: Record<string, tf.Scalar>): tf.Scalar {
  let total: tf.Scalar | null = null;
  for (const term of terms) {
    const value = term.value(ctx);
    if (!value) continue;
    values[`${prefix}/${term.name}`] = value;
    const weighted = term.weight === 1 ? value : (tf.mul(value, term.weight) as tf.Scalar);
    total = total ? (tf.add(total, weighted) as tf.Scalar) : weighted;
  }
  return total ?? tf.scalar(0);
}

/**
 * The paper's diagnostics of D's conditioning head on one (real) D output, as `diag/head/<name>`: the mean and
 * std of ‖h_i‖ for every method, plus the method's own (AC: StudioGAN's `compute_gradient` summaries; D2D-CE:
 * similarities and active shares). Read, not trained on: no gradient flows through them.
 */
export function headDiagnostics(method: ConditioningMethod, out: models.DiscriminatorOutput, labels: losses.LabelsLike, config: ReacganConfig): Record<string, tf.Scalar> {
  return tf.tidy(() => {
    const stopped: models.DiscriminatorOutput = { ...out };
    for (const [key, t] of Object.entries(out)) if (t) stopped[key] = losses.stopGradient(t) as never;
    const norm = losses.meanAndStd(tf.norm(stopped.h, 'euclidean', 1) as tf.Tensor1D);
    const named: Record<string, tf.Scalar> = { featureNormMean: norm.mean, featureNormStd: norm.std, ...method.diagnostics?.(stopped, labels, config.loss) };
    return Object.fromEntries(Object.entries(named).map(([name, v]) => [`diag/head/${name}`, v]));
  });
}

function l2Norm(tensors: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar);
}

/**
 * The discriminator and generator updates of one configuration: their terms, variables and optimizers.
 * Each update returns the scalars it recorded (on the device; the caller disposes them).
 */
export class StepUpdates {
  private readonly dTerms: DiscriminatorTerm[];
  private readonly gTerms: GeneratorTerm[];
  private readonly dNeeds: TermNeeds;
  private readonly gNeeds: TermNeeds;
  private readonly dParams: Map<string, tf.Variable>;
  private readonly gParams: Map<string, tf.Variable>;
  private readonly headNames: string[];
  /** D has batch norm (no spectral norm): passes differentiated twice run on the portable kernels. */
  private readonly portableSecondOrder: boolean;

  constructor(
    private readonly env: UpdateEnvironment,
    terms: readonly LossTerm[],
    private readonly optimizerD: Adam,
    private readonly optimizerG: Adam,
  ) {
    this.dTerms = terms.filter((t): t is DiscriminatorTerm => t.network === 'D');
    this.gTerms = terms.filter((t): t is GeneratorTerm => t.network === 'G');
    this.dNeeds = union(this.dTerms);
    this.gNeeds = union(this.gTerms);
    this.dParams = env.discriminator.namedParameters();
    this.gParams = env.generator.namedParameters();
    const head = new Set(env.discriminator.conditioningHeadVariables());
    this.headNames = [...this.dParams].filter(([, v]) => head.has(v)).map(([name]) => name);
    this.portableSecondOrder = [...env.discriminator.namedBuffers().keys()].some((k) => k.endsWith('running_mean'));
    // R1 and WGAN-GP differentiate gradients through D: register the second-order gradients tfjs-core lacks.
    if (this.dNeeds.secondOrder || this.dNeeds.realInputGradient) models.installHigherOrderGradients();
  }

  /** Whether the G update needs a real batch per micro-batch (feature matching). */
  get generatorNeedsReals(): boolean {
    return !!this.gNeeds.realBatch;
  }

  private discriminate = (images: tf.Tensor4D, labels: tf.Tensor1D, options: DiscriminateOptions = {}): models.DiscriminatorOutput => {
    const pass = () => this.env.discriminator.apply(images, labels, { training: true, adcFake: options.adcFake });
    return options.differentiatedTwice && this.portableSecondOrder ? models.withoutNativeKernels(pass) : pass();
  };

  /** Fakes and, when a term needs them, fakes from perturbed latents (StudioGAN `sample_zy`: z + radius·ε). */
  private fakes(n: number, withGradient: boolean, needs: TermNeeds) {
    const { config, generator, random } = this.env;
    const { z, y } = random.latents(n);
    const noise = needs.perturbedFakes ? random.latentNoise(n) : null;
    return () => {
      const latents = tf.tensor2d(z, [n, config.model.zDim]);
      const labelTensor = tf.tensor1d(y, 'int32');
      const options = withGradient ? { training: true } : { training: true, updateStatistics: false };
      const images = generator.apply(latents, labelTensor, options);
      const perturbed = noise ? generator.apply(tf.add(latents, tf.mul(tf.tensor2d(noise, [n, config.model.zDim]), config.loss.radius!)) as tf.Tensor2D, labelTensor, options) : null;
      return { latents, labels: y, labelTensor, images, perturbed };
    };
  }

  /**
   * One D update over the micro-batches (`acmlSteps` real batches); returns the recorded scalars. With
   * `headDiagnostics` it also records the paper's diagnostics of the conditioning head on the real batch
   * (`diag/head/<name>`, averaged over the micro-batches).
   */
  discriminator(micro: RealBatch[], step: number, options: { headDiagnostics?: boolean } = {}): Record<string, tf.Scalar> {
    const { config, method } = this.env;
    const { grads, values } = this.discriminatorGradients(micro, step, options);
    // Diagnostics: ‖∇ L_D‖ of the conditioning head (AC classifier weights, D2D-CE/2C embedding layer).
    const headGrads = this.headNames.map((name) => grads.get(name)).filter((g): g is tf.Tensor => !!g);
    if (headGrads.length && method.loss) values['diag/condHeadGradNorm'] = l2Norm(headGrads);
    this.optimizerD.applyGradients(grads);
    tf.dispose([...grads.values()]);
    if (config.loss.applyWc) {
      const bound = config.loss.wcBound!;
      tf.tidy(() => {
        for (const v of this.dParams.values()) v.assign(tf.clipByValue(v, -bound, bound));
      });
    }
    return values;
  }

  /**
   * The D update's accumulated gradients (by parameter name) and recorded scalars, without applying them (the
   * caller disposes both). The passes advance D's spectral-norm vectors and use the step's random draws.
   */
  discriminatorGradients(micro: RealBatch[], step: number, options: { headDiagnostics?: boolean } = {}): { grads: Map<string, tf.Tensor>; values: Record<string, tf.Scalar> } {
    const { config, method, transform } = this.env;
    const n = config.optimization.batchSize;
    const fuse = config.optimization.fuseRealFake;
    const adc = config.model.auxClsType === 'ADC';
    return accumulateGradients(
      this.dParams,
      micro.length,
      (k) => {
        const batch = micro[k];
        // StudioGAN: G in train mode with BN statistics untracked, no gradient into G.
        const fake = this.fakes(n, false, this.dNeeds)();
        const kept: tf.Tensor[] = [];
        return {
          real: { images: tf.tensor4d(batch.images, batch.shape), labels: batch.labels, labelTensor: tf.tensor1d(batch.labels, 'int32') },
          fake,
          kept,
          release: () => tf.dispose(kept),
        };
      },
      (inputs): MicroBatchLoss => {
        const { real, fake } = inputs;
        let realT!: tf.Tensor4D, fakeT!: tf.Tensor4D, realOut!: models.DiscriminatorOutput, fakeOut!: models.DiscriminatorOutput;
        const score = () => {
          realT = transform(real.images);
          fakeT = transform(fake.images);
          if (fuse) {
            const both = this.discriminate(tf.concat([realT, fakeT]), tf.concat([real.labelTensor, fake.labelTensor]));
            [realOut, fakeOut] = splitOutput(both, real.labels.length);
          } else {
            realOut = this.discriminate(realT, real.labelTensor);
            fakeOut = this.discriminate(fakeT, fake.labelTensor, { adcFake: adc });
          }
        };
        let inputGradient: tf.Tensor4D | null = null;
        if (this.dNeeds.realInputGradient) {
          // The real pass inside a gradient w.r.t. the untransformed reals (R1), on the outer tape: its
          // outputs are kept past the inner tidy and freed after the update.
          const { grads } = tf.engine().gradients(() => {
            if (this.portableSecondOrder) models.withoutNativeKernels(score);
            else score();
            inputs.kept.push(...[realT, fakeT, ...Object.values(realOut), ...Object.values(fakeOut)].filter((t): t is tf.Tensor => !!t).map((t) => tf.keep(t)));
            return tf.sum(realOut.advOutput) as tf.Scalar;
          }, [real.images]);
          inputGradient = grads[0] as tf.Tensor4D;
        } else {
          score();
        }
        const ctx: DiscriminatorContext = {
          network: 'D',
          config,
          method,
          step,
          random: this.env.random,
          discriminate: this.discriminate,
          transform,
          real: { ...real, transformed: realT, output: realOut, headLabels: realOut.label ?? real.labels, inputGradient },
          fake: { ...fake, transformed: fakeT, output: fakeOut, headLabels: fakeOut.label ?? fake.labels },
        };
        const values: Record<string, tf.Scalar> = {};
        const total = weightedTotal(this.dTerms, ctx, 'd', values);
        values['diag/dFeatureNormReal'] = tf.mean(tf.norm(realOut.h, 'euclidean', 1)) as tf.Scalar;
        values['diag/dFeatureNormFake'] = tf.mean(tf.norm(fakeOut.h, 'euclidean', 1)) as tf.Scalar;
        values['diag/dRealLogit'] = tf.mean(method.logit(realOut)) as tf.Scalar;
        values['diag/dFakeLogit'] = tf.mean(method.logit(fakeOut)) as tf.Scalar;
        if (options.headDiagnostics) Object.assign(values, headDiagnostics(method, realOut, ctx.real.headLabels, config));
        return { total, values };
      },
      'd/loss',
    );
  }

  /**
   * One G update over `acmlSteps` micro-batches of fakes; `reals` holds one real batch per micro-batch when
   * {@link generatorNeedsReals} (else it is empty). Returns the recorded scalars.
   */
  generator(reals: RealBatch[], step: number): Record<string, tf.Scalar> {
    const { grads, values } = this.generatorGradients(reals, step);
    this.optimizerG.applyGradients(grads);
    tf.dispose([...grads.values()]);
    return values;
  }

  /** The G update's accumulated gradients and recorded scalars, without applying them (the caller disposes both). */
  generatorGradients(reals: RealBatch[], step: number): { grads: Map<string, tf.Tensor>; values: Record<string, tf.Scalar> } {
    const { config, method, transform } = this.env;
    const n = config.optimization.batchSize;
    return accumulateGradients(
      this.gParams,
      config.optimization.acmlSteps,
      (k) => {
        const makeFakes = this.fakes(n, true, this.gNeeds);
        const batch = reals[k];
        const real: BatchTensors | null = batch
          ? (() => {
              const images = tf.tensor4d(batch.images, batch.shape);
              return { images, transformed: images, labels: batch.labels, labelTensor: tf.tensor1d(batch.labels, 'int32') };
            })()
          : null;
        return { makeFakes, real };
      },
      ({ makeFakes, real }): MicroBatchLoss => {
        const fake = makeFakes();
        const transformed = transform(fake.images);
        const output = this.discriminate(transformed, fake.labelTensor);
        const scored: ScoredBatch & { latents: tf.Tensor2D; perturbed: tf.Tensor4D | null } = { ...fake, transformed, output, headLabels: output.label ?? fake.labels };
        const ctx: GeneratorContext = { network: 'G', config, method, step, random: this.env.random, discriminate: this.discriminate, transform, fake: scored, real };
        const values: Record<string, tf.Scalar> = {};
        return { total: weightedTotal(this.gTerms, ctx, 'g', values), values };
      },
      'g/loss',
    );
  }
}
