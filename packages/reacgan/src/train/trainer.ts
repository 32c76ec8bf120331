/**
 * The GAN trainer: StudioGAN v0.3.0's training loop (`src/loader.py`, `src/worker.py`) on TensorFlow.js. It
 * orchestrates; the math of an update is in `step/` (input transforms → networks → loss terms → gradient
 * accumulation → Adam, see `step/update.ts`).
 *
 * One step = `optimization.dUpdatesPerStep` discriminator updates, then `gUpdatesPerStep` generator updates
 * (StudioGAN's `d_first`), each over `acmlSteps` micro-batches of `batchSize`; after each G update the EMA of
 * G (`models.GeneratorEma`, decay 0 before `model.gEmaStart`). The trainer owns the data, the random streams,
 * the EMA, the checkpoint state (networks, Adam, every loss term's state) and the step records, whose scalars
 * stay on the device until {@link Trainer.flush} reads a whole logging interval and checks every term that ran.
 */
import * as data from '@reacgan/data';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { assertTrainable, type ReacganConfig } from '../config/resolve.js';
import { Adam } from './adam.js';
import { assertGradientsRegistered, installFastGradients } from './fast-gradients.js';
import { type GenerateOptions, generateImages } from './generate.js';
import { datasetTransforms } from './pipeline.js';
import { type StepRecord, StepRecorder } from './records.js';
import { conditioningMethod } from './step/methods.js';
import { SeededStepRandom, type StepRandom } from './step/random.js';
import { createLossTerms } from './step/registry.js';
import type { LossTerm } from './step/terms.js';
import { composeInputTransforms } from './step/transforms.js';
import { type RealBatch, StepUpdates } from './step/update.js';
import type { BatchSource, TrainerOptions, TrainingState, TrainingStateMeta } from './state.js';

const DATA_KEY = 0x44415441n; // "DATA"
const FM_KEY = 0x464d4d4dn; // "FMMM"
const EVAL_KEY = 0x4556414cn; // "EVAL"

/**
 * A trainer bound to one configuration, generator, discriminator (and EMA generator), their optimizers, the
 * loss terms and the random streams. Create with {@link Trainer.create}; call {@link trainStep} repeatedly and
 * {@link flush} every logging interval.
 */
export class Trainer {
  readonly generator: models.Generator;
  readonly discriminator: models.Discriminator;
  /** The EMA of G (`models.GeneratorEma`), null when `model.applyGEma` is false. */
  readonly ema: models.GeneratorEma | null;
  readonly optimizerG: Adam;
  readonly optimizerD: Adam;
  /** The loss terms of both updates, in order. */
  readonly terms: readonly LossTerm[];
  readonly updates: StepUpdates;
  /** Completed steps. */
  step = 0;
  private readonly random: StepRandom;
  private readonly records = new StepRecorder();
  private disposed = false;

  private constructor(
    readonly config: ReacganConfig,
    private readonly batches: BatchSource,
    private readonly fmBatches: BatchSource | null,
    random: StepRandom | undefined,
    initialize: boolean,
  ) {
    const method = conditioningMethod(config.model.dCondMtd);
    const dataOptions = { imgSize: config.data.imgSize, imgChannels: config.data.imgChannels, numClasses: config.data.numClasses, seed: config.run.seed, initialize };
    this.generator = models.createGenerator(config.model, dataOptions);
    this.discriminator = models.createDiscriminator(config.model, dataOptions);
    if (config.optimization.fuseRealFake && [...this.discriminator.namedBuffers().keys()].some((k) => k.endsWith('running_mean'))) {
      this.generator.dispose();
      this.discriminator.dispose();
      throw new Error('optimization.fuseRealFake: expected a discriminator without batch norm (real and fake would share batch statistics), received one with batch norm (applyDSn false)');
    }
    const { model: m, optimization: o } = config;
    this.ema = m.applyGEma ? new models.GeneratorEma(this.generator, { decay: m.gEmaDecay as number, startStep: m.gEmaStart as number }) : null;
    const adam = (lr: number, weightDecay: number) => ({ learningRate: lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay });
    this.optimizerG = new Adam(this.generator.namedParameters(), adam(o.gLr, o.gWeightDecay));
    this.optimizerD = new Adam(this.discriminator.namedParameters(), adam(o.dLr, o.dWeightDecay));
    this.random = random ?? new SeededStepRandom(config.run.seed, m.zDim, config.data.numClasses, m.zPrior);
    this.terms = createLossTerms(config, method);
    const env = { config, method, generator: this.generator, discriminator: this.discriminator, random: this.random, transform: composeInputTransforms(config, this.random) };
    this.updates = new StepUpdates(env, this.terms, this.optimizerD, this.optimizerG);
  }

  /**
   * Builds the networks (seeded with `run.seed`), optimizers, loss terms and batch iterators.
   * @throws Error, before creating anything, for configurations switching on features that are not implemented
   *   (listed), or a dataset whose classes, size or channels do not fit the configuration.
   */
  static create(config: ReacganConfig, options: TrainerOptions): Trainer {
    assertTrainable(config);
    assertGradientsRegistered('Trainer.create');
    let batches = options.batches;
    let fmBatches = options.fmBatches ?? null;
    if (!batches) {
      const dataset = options.dataset;
      if (!dataset) throw new Error('Trainer.create: expected options.dataset or options.batches, received neither');
      if (dataset.numClasses !== config.data.numClasses) {
        throw new Error(`data.numClasses: expected ${dataset.numClasses} (classes of ${dataset.name}), received ${config.data.numClasses}`);
      }
      const transforms = datasetTransforms(config, dataset, 'train');
      const iteratorOptions = { batchSize: config.optimization.batchSize, shuffle: true, dropLast: true, infinite: true, transforms, prefetch: 2 };
      batches = data.createBatchIterator(dataset, { ...iteratorOptions, seed: data.deriveSeed(config.run.seed, DATA_KEY) }) as unknown as BatchSource;
      if (config.loss.applyFm) fmBatches = data.createBatchIterator(dataset, { ...iteratorOptions, seed: data.deriveSeed(config.run.seed, FM_KEY) }) as unknown as BatchSource;
    }
    if (config.loss.applyFm && !fmBatches) throw new Error('Trainer.create: loss.applyFm needs options.fmBatches with options.batches');
    installFastGradients();
    return new Trainer(config, batches, fmBatches, options.random, options.initialize ?? true);
  }

  /** The EMA copy of G (null when `model.applyGEma` is false). */
  get generatorEma(): models.Generator | null {
    return this.ema?.generator ?? null;
  }

  private async nextBatches(source: BatchSource, count: number): Promise<RealBatch[]> {
    const out: RealBatch[] = [];
    for (let k = 0; k < count; k++) {
      const result = await source.next();
      if (result.done) throw new Error('trainer: the batch source ended (use an infinite iterator)');
      out.push(result.value);
    }
    return out;
  }

  /**
   * One training step (D updates then G update(s), each followed by the EMA). Returns nothing: the step's
   * scalars stay on the device until {@link flush}.
   */
  async trainStep(): Promise<void> {
    if (this.disposed) throw new Error('Trainer.trainStep: the trainer has been disposed');
    const t0 = performance.now();
    const o = this.config.optimization;
    // StudioGAN logged its head diagnostics when (step + 1) % print_every == 0, on the last D update's reals.
    const diagnose = this.config.run.headDiagnostics && (this.step + 1) % this.config.run.printEvery === 0;
    let d: Record<string, tf.Scalar> = {};
    for (let update = 0; update < o.dUpdatesPerStep; update++) {
      const micro = await this.nextBatches(this.batches, o.acmlSteps);
      tf.dispose(Object.values(d));
      d = this.updates.discriminator(micro, this.step, { headDiagnostics: diagnose && update === o.dUpdatesPerStep - 1 });
    }
    let g: Record<string, tf.Scalar> = {};
    for (let update = 0; update < o.gUpdatesPerStep; update++) {
      const reals = this.updates.generatorNeedsReals ? await this.nextBatches(this.fmBatches!, o.acmlSteps) : [];
      tf.dispose(Object.values(g));
      g = this.updates.generator(reals, this.step);
      this.ema?.update(this.step);
    }
    this.step += 1;
    this.records.push(this.step, { ...d, ...g }, performance.now() - t0);
  }

  /** Steps completed but not yet read by {@link flush}. */
  get pendingSteps(): number {
    return this.records.size;
  }

  /**
   * Reads the scalars of every pending step from the device at once, checks that every term that ran is
   * finite and returns one record per step.
   * @throws NonFiniteLossError naming the first step and term that is NaN or infinite (diagnostics are not checked).
   */
  flush(): Promise<StepRecord[]> {
    return this.records.flush({ gLr: this.config.optimization.gLr, dLr: this.config.optimization.dLr });
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

  /** Term-state tensors by checkpoint name (`terms.<D|G>.<term>.<key>`). */
  private termState(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const term of this.terms) for (const [key, v] of term.state ?? []) out.set(`terms.${term.network}.${term.name}.${key}`, v);
    return out;
  }

  /** The full training state (copies; dispose `tensors` when done). */
  getState(): TrainingState {
    if (this.records.size) throw new Error('Trainer.getState: flush() pending steps first (their losses must be checked before a checkpoint)');
    const tensors = new Map<string, tf.Tensor>();
    const put = (prefix: string, map: Map<string, tf.Tensor>) => {
      for (const [name, t] of map) tensors.set(`${prefix}${name}`, tf.clone(t));
    };
    put('G.', this.generator.stateDict());
    put('D.', this.discriminator.stateDict());
    if (this.generatorEma) put('G_ema.', this.generatorEma.stateDict());
    put('', this.termState());
    const sg = this.optimizerG.getState();
    const sd = this.optimizerD.getState();
    for (const [prefix, map] of [['optG.m.', sg.m], ['optG.v.', sg.v], ['optD.m.', sd.m], ['optD.v.', sd.v]] as const) {
      for (const [name, t] of map) tensors.set(`${prefix}${name}`, t);
    }
    const random = this.random.getState();
    return {
      tensors,
      meta: {
        format: 'reacgan-training-state',
        version: 1,
        step: this.step,
        samplerRng: random?.sampler as data.RngState,
        auxiliaryRng: random?.auxiliary,
        batches: this.batches.getState(),
        fmBatches: this.fmBatches ? this.fmBatches.getState() : null,
        optimizerSteps: { G: sg.steps, D: sd.steps },
        config: this.config,
      },
    };
  }

  /**
   * Restores a state from {@link getState} (or a checkpoint): weights, EMA weights, SN vectors, BN
   * statistics, Adam moments and step counts, the loss terms' state, the random streams and the data
   * iterators' positions (when the state has them: null, e.g. in a run imported from StudioGAN, keeps the
   * fresh streams of `run.seed`).
   * @throws Error naming missing, unexpected or mis-shaped tensors.
   */
  loadState(state: { tensors: Map<string, tf.Tensor | models.TensorData>; meta: TrainingStateMeta }): void {
    if (state.meta?.format !== 'reacgan-training-state') throw new Error(`Trainer.loadState: expected a reacgan training state, received format ${String(state.meta?.format)}`);
    const created: tf.Tensor[] = [];
    const pick = (prefix: string) => {
      const out = new Map<string, tf.Tensor>();
      for (const [name, t] of state.tensors) {
        if (!name.startsWith(prefix)) continue;
        const tensor = t instanceof tf.Tensor ? t : tf.tensor(t.data as Float32Array, t.shape as number[], t.dtype as tf.DataType);
        if (tensor !== t) created.push(tensor);
        out.set(name.slice(prefix.length), tensor);
      }
      return out;
    };
    try {
      this.generator.loadStateDict(pick('G.'), { strict: true });
      this.discriminator.loadStateDict(pick('D.'), { strict: true });
      if (this.generatorEma) {
        const ema = pick('G_ema.');
        this.generatorEma.loadStateDict(ema.size ? ema : pick('G.'), { strict: true });
      }
      const saved = pick('terms.');
      const missing = [...this.termState().keys()].filter((name) => !saved.has(name.slice('terms.'.length)));
      if (missing.length) throw new Error(`Trainer.loadState: the state has no ${missing.join(', ')} (saved without these loss terms)`);
      for (const [name, v] of this.termState()) v.assign(saved.get(name.slice('terms.'.length))!);
      for (const [optimizer, key] of [[this.optimizerG, 'G'], [this.optimizerD, 'D']] as const) {
        optimizer.setState({ steps: state.meta.optimizerSteps[key], m: pick(`opt${key}.m.`), v: pick(`opt${key}.v.`) });
      }
    } finally {
      tf.dispose(created);
    }
    const auxiliary = state.meta.auxiliaryRng ?? this.random.getState()?.auxiliary;
    this.random.setState(state.meta.samplerRng && auxiliary ? { sampler: state.meta.samplerRng, auxiliary } : null);
    if (state.meta.batches) this.batches.setState(state.meta.batches as never);
    if (this.fmBatches && state.meta.fmBatches) this.fmBatches.setState(state.meta.fmBatches as never);
    this.step = state.meta.step;
  }

  /** Frees the networks, optimizer slots, term state and pending scalars. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.records.dispose();
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    for (const term of this.terms) for (const v of term.state?.values() ?? []) v.dispose();
    this.generator.dispose();
    this.discriminator.dispose();
    this.ema?.dispose();
    void (this.batches as { return?: () => unknown }).return?.();
    void (this.fmBatches as { return?: () => unknown } | null)?.return?.();
  }
}
