/**
 * The GAN trainer: StudioGAN v0.3.0's training step (`src/worker.py`, `train_discriminator` and
 * `train_generator`) for every conditioning method of the configuration (D2DCE = ReACGAN, AC = ACGAN-Mod,
 * 2C = ContraGAN, PD = projection, MD, MH = multi-hinge, W/O), on TensorFlow.js.
 *
 * One step = `optimization.dUpdatesPerStep` discriminator updates, then `gUpdatesPerStep` generator updates
 * (StudioGAN's `d_first`), each update accumulating gradients over `acmlSteps` micro-batches of `batchSize`:
 *
 *   D: x_fake = G(z, y_f) (training mode, G's BN statistics frozen);
 *      L_D = adv_D(D(x_real), D(x_fake)) + λ·cond(D(x_real), y_real)          (no conditioning loss on fakes)
 *   G: L_G = adv_G(D(G(z, y))) + λ·cond(D(G(z, y)), y)      z ~ prior, y ~ U{0..C−1}
 *   after each G update: EMA(G) with decay 0 before `model.gEmaStart`.
 *
 * One Adam per network (their variable sets never mix). All math of an update runs inside tf.tidy; the
 * scalars a step produces (loss terms, diagnostics) stay on the device until {@link Trainer.flush}, which
 * reads a whole logging interval at once and stops on the first non-finite loss term.
 */
import * as data from '@reacgan/data';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../config/resolve.js';
import { unsupportedFeatures } from '../config/resolve.js';
import { Adam } from './adam.js';
import { discriminatorLoss, generatorLoss } from './conditioning.js';
import { installFastGradients } from './fast-gradients.js';
import { datasetTransforms } from './pipeline.js';

/** A source of real batches (a @reacgan/data BatchIterator, or anything with the same contract). */
export interface BatchSource {
  next(): Promise<IteratorResult<{ images: Float32Array; labels: Int32Array; shape: [number, number, number, number] }, unknown>>;
  getState(): unknown;
  setState(state: never): void;
}

/** One step's numbers, read from the device by {@link Trainer.flush}. */
export interface StepRecord {
  /** 1-based index of the completed step. */
  step: number;
  /** Loss terms and diagnostics by name (`d/loss`, `d/adv`, `d/cond`, `g/loss`, `g/adv`, `g/cond`, `diag/…`). */
  values: Record<string, number>;
  /** Wall-clock milliseconds the step took on the host (ops run eagerly on the cpu and native backends). */
  ms: number;
  gLr: number;
  dLr: number;
}

/** Thrown by {@link Trainer.flush} when a loss term is NaN or ±Infinity. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly term: string,
    readonly value: number,
    /** The records of the same flush before the bad step (all finite). */
    readonly records: StepRecord[] = [],
  ) {
    const [net, part] = term.split('/');
    const network = net === 'd' ? 'discriminator' : net === 'g' ? 'generator' : net;
    super(`step ${step}: ${network} loss term '${part}' is ${Number.isNaN(value) ? 'NaN' : value > 0 ? '+Infinity' : '-Infinity'}`);
    this.name = 'NonFiniteLossError';
  }
}

/** Serialisable training state (a checkpoint's content). */
export interface TrainingState {
  /** Tensors by name: `G.*`, `D.*`, `G_ema.*` (state dicts), `optG.m.*`, `optG.v.*`, `optD.m.*`, `optD.v.*`. */
  tensors: Map<string, tf.Tensor>;
  /** Everything else, JSON-serialisable. */
  meta: TrainingStateMeta;
}

export interface TrainingStateMeta {
  format: 'reacgan-training-state';
  version: 1;
  /** Completed steps. */
  step: number;
  samplerRng: data.RngState;
  batches: unknown;
  fmBatches: unknown | null;
  optimizerSteps: { G: Record<string, number>; D: Record<string, number> };
  config: ReacganConfig;
}

export interface TrainerOptions {
  /** The training set (uint8 HWC images); batches are drawn with a seeded, resumable iterator. */
  dataset?: data.Dataset;
  /** Or a ready batch source (tests); `fmBatches` for feature matching. */
  batches?: BatchSource;
  fmBatches?: BatchSource;
  /** Skip random initialisation of the networks (when a state will be loaded right away). */
  initialize?: boolean;
}

/** Generation settings for {@link Trainer.generate}. */
export interface GenerateOptions {
  /** Use the EMA generator when there is one (default true). */
  ema?: boolean;
  /**
   * Generate with this generator instead of G / G_ema — e.g. a copy with standing statistics from
   * `standingStatisticsCopy(trainer.evaluationGenerator(), …)` (pass batchNormStatistics 'running' with it).
   */
  generator?: models.Generator;
  /** BN statistics: 'running' (eval mode), 'batch' (StudioGAN -batch_stat); default from run.batchStatistics. */
  batchNormStatistics?: 'running' | 'batch';
  /** Truncation threshold for z (−1 or null: none); default run.truncationFactor. */
  truncation?: number | null;
  /** Random stream for z (default: a fresh stream derived from the run seed and `seedKey`). */
  rng?: data.Rng;
  seedKey?: number;
  /** Images per forward pass (default 100). */
  batchSize?: number;
}

const SAMPLER_KEY = 0x53414d50n; // "SAMP"
const DATA_KEY = 0x44415441n; // "DATA"
const FM_KEY = 0x464d4d4dn; // "FMMM"
const EVAL_KEY = 0x4556414cn; // "EVAL"

/** Splits a D output on [real; fake] (first n rows real) into the two halves. */
function splitOutput(out: models.DiscriminatorOutput, n: number): [models.DiscriminatorOutput, models.DiscriminatorOutput] {
  const a: Record<string, tf.Tensor> = {};
  const b: Record<string, tf.Tensor> = {};
  for (const [key, t] of Object.entries(out) as [string, tf.Tensor | undefined][]) {
    if (!t) continue;
    const m = t.shape[0];
    a[key] = tf.slice(t, 0, n);
    b[key] = tf.slice(t, n, m - n);
  }
  return [a as unknown as models.DiscriminatorOutput, b as unknown as models.DiscriminatorOutput];
}

/**
 * Throws unless tfjs-core's gradient functions are registered (the @tensorflow/tfjs umbrella and
 * tfjs-node register them; tfjs-core alone does not). `initBackend()` takes care of it.
 */
export function assertGradientsRegistered(caller: string): void {
  if (tf.getGradient('Conv2D') == null || tf.getGradient('BatchMatMul') == null) {
    throw new Error(`${caller}: no gradient functions are registered in @tensorflow/tfjs-core: call initBackend() from 'reacgan', or import '@tensorflow/tfjs' (or '@tensorflow/tfjs-node'), before training`);
  }
}

function l2Norm(tensors: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar);
}

/**
 * A trainer bound to one configuration, generator, discriminator (and EMA generator), their optimizers and
 * the random streams. Create with {@link Trainer.create}; call {@link trainStep} repeatedly and
 * {@link flush} every logging interval.
 */
export class Trainer {
  readonly generator: models.Generator;
  readonly discriminator: models.Discriminator;
  /** The EMA copy of G (null when `model.applyGEma` is false). */
  readonly generatorEma: models.Generator | null;
  readonly optimizerG: Adam;
  readonly optimizerD: Adam;
  /** Completed steps. */
  step = 0;
  private readonly samplerRng: data.Rng;
  private readonly pending: { step: number; names: string[]; scalars: tf.Scalar[]; ms: number }[] = [];
  private readonly gParams: Map<string, tf.Variable>;
  private readonly dParams: Map<string, tf.Variable>;
  private readonly headNames: string[];
  private readonly adversarialOnly: boolean;
  private disposed = false;

  private constructor(
    readonly config: ReacganConfig,
    private readonly batches: BatchSource,
    private readonly fmBatches: BatchSource | null,
    initialize: boolean,
  ) {
    const problems = unsupportedFeatures(config);
    if (problems.length) throw new Error(`trainer: not implemented yet: ${problems.join(', ')} (switch them off in the configuration)`);
    const dataOptions = { imgSize: config.data.imgSize, imgChannels: config.data.imgChannels, numClasses: config.data.numClasses, seed: config.run.seed, initialize };
    this.generator = models.createGenerator(config.model, dataOptions);
    this.discriminator = models.createDiscriminator(config.model, dataOptions);
    this.generatorEma = config.model.applyGEma ? models.createGenerator(config.model, { ...dataOptions, initialize: false }) : null;
    if (this.generatorEma) this.copyInto(this.generator, this.generatorEma);
    this.gParams = this.generator.namedParameters();
    this.dParams = this.discriminator.namedParameters();
    const o = config.optimization;
    this.optimizerG = new Adam(this.gParams, { learningRate: o.gLr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.gWeightDecay });
    this.optimizerD = new Adam(this.dParams, { learningRate: o.dLr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.dWeightDecay });
    const head = new Set(this.discriminator.conditioningHeadVariables());
    this.headNames = [...this.dParams].filter(([, v]) => head.has(v)).map(([name]) => name);
    this.samplerRng = data.Rng.derive(config.run.seed, SAMPLER_KEY);
    this.adversarialOnly = !['AC', '2C', 'D2DCE'].includes(config.model.dCondMtd);
    if (config.optimization.fuseRealFake && [...this.discriminator.namedBuffers().keys()].some((k) => k.endsWith('running_mean'))) {
      throw new Error('optimization.fuseRealFake: expected a discriminator without batch norm (real and fake would share batch statistics), received one with batch norm (applyDSn false)');
    }
  }

  /**
   * Builds the networks (seeded with `run.seed`), optimizers and batch iterators.
   * @throws Error for configurations using features not implemented (listed), or a dataset whose classes,
   *   size or channels do not fit the configuration.
   */
  static create(config: ReacganConfig, options: TrainerOptions): Trainer {
    assertGradientsRegistered('Trainer.create');
    installFastGradients();
    let batches = options.batches;
    let fmBatches = options.fmBatches ?? null;
    if (!batches) {
      const dataset = options.dataset;
      if (!dataset) throw new Error('Trainer.create: expected options.dataset or options.batches, received neither');
      if (dataset.numClasses !== config.data.numClasses) {
        throw new Error(`data.numClasses: expected ${dataset.numClasses} (classes of ${dataset.name}), received ${config.data.numClasses}`);
      }
      const transforms = datasetTransforms(config, dataset.imageShape, 'train');
      const iteratorOptions = { batchSize: config.optimization.batchSize, shuffle: true, dropLast: true, infinite: true, transforms, prefetch: 2 };
      batches = data.createBatchIterator(dataset, { ...iteratorOptions, seed: data.deriveSeed(config.run.seed, DATA_KEY) }) as unknown as BatchSource;
      if (config.loss.applyFm) fmBatches = data.createBatchIterator(dataset, { ...iteratorOptions, seed: data.deriveSeed(config.run.seed, FM_KEY) }) as unknown as BatchSource;
    }
    if (config.loss.applyFm && !fmBatches) throw new Error('Trainer.create: loss.applyFm needs options.fmBatches with options.batches');
    return new Trainer(config, batches, fmBatches, options.initialize ?? true);
  }

  private copyInto(source: models.Generator, target: models.Generator): void {
    target.loadStateDict(source.stateDict(), { strict: true });
  }

  private async nextBatch(source: BatchSource): Promise<{ images: Float32Array; labels: Int32Array; shape: [number, number, number, number] }> {
    const result = await source.next();
    if (result.done) throw new Error('trainer: the batch source ended (use an infinite iterator)');
    return result.value;
  }

  private sampleFake(): { z: Float32Array; y: Int32Array } {
    const { batchSize } = this.config.optimization;
    const z = data.sampleLatents(this.samplerRng, batchSize, this.config.model.zDim, { prior: this.config.model.zPrior });
    const y = data.sampleClassLabels(this.samplerRng, batchSize, this.config.data.numClasses);
    return { z, y };
  }

  /**
   * One training step (D updates then G update(s), then EMA). Returns nothing: the step's scalars stay on
   * the device until {@link flush}.
   */
  async trainStep(): Promise<void> {
    if (this.disposed) throw new Error('Trainer.trainStep: the trainer has been disposed');
    const t0 = performance.now();
    const o = this.config.optimization;
    const names: string[] = [];
    const scalars: tf.Scalar[] = [];
    const record = (name: string, value: tf.Scalar) => {
      names.push(name);
      scalars.push(value);
    };

    // ---- discriminator updates
    let lastD: Record<string, tf.Scalar> = {};
    for (let update = 0; update < o.dUpdatesPerStep; update++) {
      const micro: { images: Float32Array; labels: Int32Array; shape: [number, number, number, number] }[] = [];
      for (let k = 0; k < o.acmlSteps; k++) micro.push(await this.nextBatch(this.batches));
      tf.dispose(Object.values(lastD));
      lastD = this.discriminatorUpdate(micro);
    }
    for (const [name, value] of Object.entries(lastD)) record(name, value);

    // ---- generator updates
    let lastG: Record<string, tf.Scalar> = {};
    for (let update = 0; update < o.gUpdatesPerStep; update++) {
      const fm: tf.Tensor2D[] = [];
      if (this.fmBatches) {
        for (let k = 0; k < o.acmlSteps; k++) {
          const b = await this.nextBatch(this.fmBatches);
          fm.push(
            tf.tidy(() => {
              const out = this.discriminator.apply(tf.tensor4d(b.images, b.shape), tf.tensor1d(b.labels, 'int32'), { training: true });
              return out.h;
            }),
          );
        }
      }
      tf.dispose(Object.values(lastG));
      lastG = this.generatorUpdate(fm);
      tf.dispose(fm);
      if (this.generatorEma) this.updateEma(this.step);
    }
    for (const [name, value] of Object.entries(lastG)) record(name, value);
    this.step += 1;
    this.pending.push({ step: this.step, names, scalars, ms: performance.now() - t0 });
  }

  /** One D update over the micro-batches; returns the kept scalars of the update (summed over micro-batches). */
  private discriminatorUpdate(micro: { images: Float32Array; labels: Int32Array; shape: [number, number, number, number] }[]): Record<string, tf.Scalar> {
    const acml = micro.length;
    const { dCondMtd } = this.config.model;
    let gradSum: Map<string, tf.Tensor> | null = null;
    const sums: Record<string, tf.Scalar> = {};
    const addTo = (name: string, value: tf.Scalar) => {
      const scaled = tf.tidy(() => tf.div(value, acml) as tf.Scalar);
      if (sums[name]) {
        const next = tf.add(sums[name], scaled) as tf.Scalar;
        sums[name].dispose();
        scaled.dispose();
        sums[name] = next;
      } else sums[name] = scaled;
    };
    for (const batch of micro) {
      const { z, y } = this.sampleFake();
      const kept: Record<string, tf.Scalar> = {};
      const grads = tf.tidy(() => {
        const xReal = tf.tensor4d(batch.images, batch.shape);
        const yReal = tf.tensor1d(batch.labels, 'int32');
        const zT = tf.tensor2d(z, [y.length, this.config.model.zDim]);
        const yFake = tf.tensor1d(y, 'int32');
        // StudioGAN: G in train mode with BN statistics untracked, no gradient into G.
        const xFake = this.generator.apply(zT, yFake, { training: true, updateStatistics: false });
        const varList = [...this.dParams.values()];
        const { value, grads } = tf.variableGrads(() => {
          let real: models.DiscriminatorOutput;
          let fake: models.DiscriminatorOutput;
          if (this.config.optimization.fuseRealFake) {
            const n = batch.labels.length;
            const both = this.discriminator.apply(tf.concat([xReal, xFake]), tf.concat([yReal, yFake]), { training: true });
            [real, fake] = splitOutput(both, n);
          } else {
            real = this.discriminator.apply(xReal, yReal, { training: true });
            fake = this.discriminator.apply(xFake, yFake, { training: true });
          }
          const terms = discriminatorLoss(this.config, real, batch.labels, fake);
          kept['d/adv'] = tf.keep(tf.clone(terms.parts.adv));
          if (terms.parts.cond) kept['d/cond'] = tf.keep(tf.clone(terms.parts.cond));
          kept['diag/dFeatureNormReal'] = tf.keep(tf.mean(tf.norm(real.h, 'euclidean', 1)) as tf.Scalar);
          kept['diag/dFeatureNormFake'] = tf.keep(tf.mean(tf.norm(fake.h, 'euclidean', 1)) as tf.Scalar);
          kept['diag/dRealLogit'] = tf.keep(tf.mean(dCondMtd === 'MH' ? tf.max(real.advOutput, 1) : real.advOutput) as tf.Scalar);
          kept['diag/dFakeLogit'] = tf.keep(tf.mean(dCondMtd === 'MH' ? tf.max(fake.advOutput, 1) : fake.advOutput) as tf.Scalar);
          return tf.div(terms.total, acml) as tf.Scalar;
        }, varList);
        kept['d/loss'] = tf.keep(tf.mul(value, acml) as tf.Scalar);
        // A plain object: tf.tidy keeps tensors found in objects and arrays (not in Maps).
        const byName: Record<string, tf.Tensor> = {};
        for (const [name, variable] of this.dParams) {
          const g = grads[variable.name];
          if (g) byName[name] = g;
        }
        return byName;
      });
      for (const [name, value] of Object.entries(kept)) {
        addTo(name, value);
        value.dispose();
      }
      if (!gradSum) gradSum = new Map(Object.entries(grads));
      else {
        for (const [name, g] of Object.entries(grads)) {
          const prev = gradSum.get(name);
          if (prev) {
            gradSum.set(name, tf.add(prev, g));
            prev.dispose();
            g.dispose();
          } else gradSum.set(name, g);
        }
      }
    }
    // Diagnostics: ‖∇ L_D‖ of the conditioning head (AC classifier weights, D2D-CE/2C embedding layer).
    const headGrads = this.headNames.map((n) => gradSum!.get(n)).filter((g): g is tf.Tensor => !!g);
    if (headGrads.length && !this.adversarialOnly) sums['diag/condHeadGradNorm'] = l2Norm(headGrads);
    this.optimizerD.applyGradients(gradSum!);
    tf.dispose([...gradSum!.values()]);
    if (this.config.loss.applyWc) {
      const bound = this.config.loss.wcBound!;
      tf.tidy(() => {
        for (const v of this.dParams.values()) v.assign(tf.clipByValue(v, -bound, bound));
      });
    }
    return sums;
  }

  /** One G update (gradient accumulation over acmlSteps micro-batches of fakes). */
  private generatorUpdate(fmFeatures: tf.Tensor2D[]): Record<string, tf.Scalar> {
    const acml = this.config.optimization.acmlSteps;
    let gradSum: Map<string, tf.Tensor> | null = null;
    const sums: Record<string, tf.Scalar> = {};
    for (let k = 0; k < acml; k++) {
      const { z, y } = this.sampleFake();
      const kept: Record<string, tf.Scalar> = {};
      const grads = tf.tidy(() => {
        const zT = tf.tensor2d(z, [y.length, this.config.model.zDim]);
        const yFake = tf.tensor1d(y, 'int32');
        const varList = [...this.gParams.values()];
        const { value, grads } = tf.variableGrads(() => {
          const xFake = this.generator.apply(zT, yFake, { training: true });
          const fake = this.discriminator.apply(xFake, yFake, { training: true });
          const terms = generatorLoss(this.config, fake, y, fmFeatures[k]);
          for (const [part, v] of Object.entries(terms.parts)) kept[`g/${part}`] = tf.keep(tf.clone(v));
          return tf.div(terms.total, acml) as tf.Scalar;
        }, varList);
        kept['g/loss'] = tf.keep(tf.mul(value, acml) as tf.Scalar);
        const byName: Record<string, tf.Tensor> = {};
        for (const [name, variable] of this.gParams) {
          const g = grads[variable.name];
          if (g) byName[name] = g;
        }
        return byName;
      });
      for (const [name, value] of Object.entries(kept)) {
        const scaled = tf.tidy(() => tf.div(value, acml) as tf.Scalar);
        value.dispose();
        if (sums[name]) {
          const next = tf.add(sums[name], scaled) as tf.Scalar;
          sums[name].dispose();
          scaled.dispose();
          sums[name] = next;
        } else sums[name] = scaled;
      }
      if (!gradSum) gradSum = new Map(Object.entries(grads));
      else {
        for (const [name, g] of Object.entries(grads)) {
          const prev = gradSum.get(name);
          if (prev) {
            gradSum.set(name, tf.add(prev, g));
            prev.dispose();
            g.dispose();
          } else gradSum.set(name, g);
        }
      }
    }
    this.optimizerG.applyGradients(gradSum!);
    tf.dispose([...gradSum!.values()]);
    return sums;
  }

  /**
   * EMA of G after a G update at (0-based) step `step`: p_ema ← decay·p_ema + (1 − decay)·p for parameters
   * and buffers (BN running statistics), decay = 0 before `model.gEmaStart`; `num_batches_tracked` is copied
   * (StudioGAN `src/utils/ema.py`).
   */
  private updateEma(step: number): void {
    const { gEmaDecay, gEmaStart } = this.config.model;
    const decay = step < (gEmaStart as number) ? 0 : (gEmaDecay as number);
    const source = this.generator.stateDict();
    const target = this.generatorEma!.stateDict();
    tf.tidy(() => {
      for (const [name, t] of target) {
        const s = source.get(name)!;
        if (decay === 0 || name.endsWith('num_batches_tracked') || t.dtype !== 'float32') t.assign(s);
        else t.assign(tf.add(tf.mul(t, decay), tf.mul(s, 1 - decay)));
      }
    });
  }

  /** Steps completed but not yet read by {@link flush}. */
  get pendingSteps(): number {
    return this.pending.length;
  }

  /**
   * Reads the scalars of every pending step from the device at once, checks that every term is finite
   * and returns one record per step.
   * @throws NonFiniteLossError naming the first step and term that is NaN or infinite (diagnostics are not checked).
   */
  async flush(): Promise<StepRecord[]> {
    if (!this.pending.length) return [];
    const pending = this.pending.splice(0, this.pending.length);
    const all = tf.tidy(() => tf.stack(pending.flatMap((p) => p.scalars)));
    const values = await all.data();
    all.dispose();
    for (const p of pending) tf.dispose(p.scalars);
    const records: StepRecord[] = [];
    let offset = 0;
    for (const p of pending) {
      const out: Record<string, number> = {};
      p.names.forEach((name, i) => (out[name] = values[offset + i]));
      offset += p.names.length;
      records.push({ step: p.step, values: out, ms: p.ms, gLr: this.config.optimization.gLr, dLr: this.config.optimization.dLr });
    }
    for (const r of records) {
      // Parts before totals, so the message names the term that went bad first.
      for (const name of ['d/adv', 'd/cond', 'd/loss', 'g/adv', 'g/cond', 'g/fm', 'g/loss']) {
        const v = r.values[name];
        if (v !== undefined && !Number.isFinite(v)) {
          const term = name === 'd/loss' || name === 'g/loss' ? `${name.split('/')[0]}/total` : name;
          throw new NonFiniteLossError(r.step, term, v, records.filter((x) => x.step < r.step));
        }
      }
    }
    return records;
  }

  /**
   * Generates images for `labels` (NHWC float32 in [−1, 1], on the device; dispose them). Uses the EMA
   * generator by default; changes no state.
   */
  generate(labels: Int32Array, options: GenerateOptions = {}): tf.Tensor4D {
    const g = options.generator ?? this.evaluationGenerator(options.ema);
    return generateImages(g, this.config, labels, { ...options, rng: options.rng ?? data.Rng.derive(this.config.run.seed, EVAL_KEY, options.seedKey ?? 0) });
  }

  /** The generator evaluation uses: G_ema when the run keeps one (unless `ema` is false), else G. */
  evaluationGenerator(ema = true): models.Generator {
    return ema === false || !this.generatorEma ? this.generator : this.generatorEma;
  }

  /** The full training state (copies; dispose `tensors` when done). */
  getState(): TrainingState {
    if (this.pending.length) throw new Error('Trainer.getState: flush() pending steps first (their losses must be checked before a checkpoint)');
    const tensors = new Map<string, tf.Tensor>();
    const put = (prefix: string, map: Map<string, tf.Tensor>) => {
      for (const [name, t] of map) tensors.set(`${prefix}${name}`, tf.clone(t));
    };
    put('G.', this.generator.stateDict());
    put('D.', this.discriminator.stateDict());
    if (this.generatorEma) put('G_ema.', this.generatorEma.stateDict());
    const sg = this.optimizerG.getState();
    const sd = this.optimizerD.getState();
    for (const [prefix, map] of [['optG.m.', sg.m], ['optG.v.', sg.v], ['optD.m.', sd.m], ['optD.v.', sd.v]] as const) {
      for (const [name, t] of map) tensors.set(`${prefix}${name}`, t);
    }
    return {
      tensors,
      meta: {
        format: 'reacgan-training-state',
        version: 1,
        step: this.step,
        samplerRng: this.samplerRng.getState(),
        batches: this.batches.getState(),
        fmBatches: this.fmBatches ? this.fmBatches.getState() : null,
        optimizerSteps: { G: sg.steps, D: sd.steps },
        config: this.config,
      },
    };
  }

  /**
   * Restores a state from {@link getState} (or a checkpoint): weights, EMA weights, SN vectors, BN
   * statistics, Adam moments and step counts, the z/y sampler and the data iterators' positions.
   * @throws Error naming missing, unexpected or mis-shaped tensors.
   */
  loadState(state: { tensors: Map<string, tf.Tensor | models.TensorData>; meta: TrainingStateMeta }): void {
    if (state.meta?.format !== 'reacgan-training-state') throw new Error(`Trainer.loadState: expected a reacgan training state, received format ${String(state.meta?.format)}`);
    const pick = (prefix: string) => {
      const out = new Map<string, tf.Tensor | models.TensorData>();
      for (const [name, t] of state.tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t);
      return out;
    };
    this.generator.loadStateDict(pick('G.'), { strict: true });
    this.discriminator.loadStateDict(pick('D.'), { strict: true });
    if (this.generatorEma) {
      const ema = pick('G_ema.');
      this.generatorEma.loadStateDict(ema.size ? ema : pick('G.'), { strict: true });
    }
    for (const [optimizer, key] of [[this.optimizerG, 'G'], [this.optimizerD, 'D']] as const) {
      const created: tf.Tensor[] = [];
      const asTensors = (m: Map<string, tf.Tensor | models.TensorData>) =>
        new Map(
          [...m].map(([k, v]) => {
            if (v instanceof tf.Tensor) return [k, v] as [string, tf.Tensor];
            const t = tf.tensor(v.data as Float32Array, v.shape as number[], v.dtype as tf.DataType);
            created.push(t);
            return [k, t] as [string, tf.Tensor];
          }),
        );
      try {
        optimizer.setState({ steps: state.meta.optimizerSteps[key], m: asTensors(pick(`opt${key}.m.`)), v: asTensors(pick(`opt${key}.v.`)) });
      } finally {
        tf.dispose(created);
      }
    }
    this.samplerRng.setState(state.meta.samplerRng);
    this.batches.setState(state.meta.batches as never);
    if (this.fmBatches && state.meta.fmBatches) this.fmBatches.setState(state.meta.fmBatches as never);
    this.step = state.meta.step;
  }

  /** Frees the networks, optimizer slots and pending scalars. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.pending) tf.dispose(p.scalars);
    this.pending.length = 0;
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    this.generator.dispose();
    this.discriminator.dispose();
    this.generatorEma?.dispose();
    void (this.batches as { return?: () => unknown }).return?.();
    void (this.fmBatches as { return?: () => unknown } | null)?.return?.();
  }
}

/**
 * Generates images with a generator for `labels` in batches (evaluation mode: running BN statistics, or
 * batch statistics without changing any state).
 * @returns NHWC float32 in [−1, 1], [labels.length, S, S, C].
 */
export function generateImages(generator: models.Generator, config: ReacganConfig, labels: Int32Array, options: GenerateOptions & { rng: data.Rng }): tf.Tensor4D {
  const batchSize = options.batchSize ?? 100;
  const stats = options.batchNormStatistics ?? (config.run.batchStatistics ? 'batch' : 'running');
  const truncation = options.truncation ?? config.run.truncationFactor;
  const parts: tf.Tensor4D[] = [];
  for (let start = 0; start < labels.length; start += batchSize) {
    const y = labels.subarray(start, Math.min(labels.length, start + batchSize));
    const z = data.sampleLatents(options.rng, y.length, config.model.zDim, { prior: config.model.zPrior, truncation: truncation === -1 ? null : truncation });
    parts.push(
      tf.tidy(() => generator.apply(tf.tensor2d(z, [y.length, config.model.zDim]), tf.tensor1d(y, 'int32'), { training: false, batchNormStatistics: stats })),
    );
  }
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}
