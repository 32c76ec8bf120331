/**
 * Loss terms: the parts of the discriminator's and the generator's losses, each a small function of one
 * micro-batch's tensors with its own weight. An update's loss is Σ weight · value over the terms that are on,
 * in registration order (StudioGAN's order of `dis_acml_loss += …` / `gen_acml_loss += …`, which fixes the
 * order of D's extra forward passes and so of its spectral-norm power iterations).
 *
 * A term is defined once ({@link LossTermDefinition}): which configuration switch turns it on, which keys it
 * needs, and the terms it contributes to D's and/or G's update. Adding a regulariser is one file with its
 * definition, one line in `terms/index.ts` and its keys in `config/schema.ts` (README: "Adding a loss term").
 */
import type * as losses from '@reacgan/losses';
import type * as models from '@reacgan/models';
import type * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../../config/resolve.js';
import type { ConditioningMethod } from './methods.js';
import type { StepRandom } from './random.js';

/** A batch as a term sees it. Images are NHWC float32 in [−1, 1]. */
export interface BatchTensors {
  /** The images before the input transforms: reals from the data, fakes from G. */
  images: tf.Tensor4D;
  /** The images D saw: `images` after the input transforms (DiffAugment), or `images` when there are none. */
  transformed: tf.Tensor4D;
  /** The batch's labels (host copy) and the same as an int32 tensor. */
  labels: Int32Array;
  labelTensor: tf.Tensor1D;
}

/** A batch together with D's outputs on its transformed images (training mode). */
export interface ScoredBatch extends BatchTensors {
  output: models.DiscriminatorOutput;
  /** The labels D's heads used: `labels`, or with ADC D's `label` output (2y for reals, 2y + 1 for ADC fakes). */
  headLabels: losses.LabelsLike;
}

export interface DiscriminateOptions {
  adcFake?: boolean;
  differentiatedTwice?: boolean;
}

/** What every term sees. */
export interface StepContextBase {
  readonly config: ReacganConfig;
  readonly method: ConditioningMethod;
  /** 0-based index of the training step (StudioGAN's `current_step`). */
  readonly step: number;
  readonly random: StepRandom;
  /**
   * A further training-mode pass of D. Each pass advances D's spectral-norm power iterations, as in StudioGAN,
   * so terms call it in StudioGAN's order. `adcFake` maps the labels to 2y + 1 under ADC. `differentiatedTwice`
   * marks a pass whose input gradient is itself differentiated (WGAN-GP): with batch norm in D it then runs on
   * the portable kernels (the native batch norm has no second-order gradient).
   */
  discriminate(images: tf.Tensor4D, labels: tf.Tensor1D, options?: DiscriminateOptions): models.DiscriminatorOutput;
  /** The input transforms (DiffAugment), with fresh random draws; the identity when there are none. */
  transform(images: tf.Tensor4D): tf.Tensor4D;
}

/** A discriminator update's micro-batch. The fakes carry no gradient into G. */
export interface DiscriminatorContext extends StepContextBase {
  readonly network: 'D';
  readonly real: ScoredBatch & {
    /** ∂ Σ advOutput(real) / ∂ images (the untransformed reals), when a term asked for it (R1). */
    inputGradient: tf.Tensor4D | null;
  };
  readonly fake: ScoredBatch & {
    /** z [N, zDim] of the fakes. */
    latents: tf.Tensor2D;
    /** G(z + ε) when a term asked for it (zCR), else null. */
    perturbed: tf.Tensor4D | null;
  };
}

/** A generator update's micro-batch: the fakes carry G's gradient. */
export interface GeneratorContext extends StepContextBase {
  readonly network: 'G';
  readonly fake: ScoredBatch & { latents: tf.Tensor2D; perturbed: tf.Tensor4D | null };
  /** A real batch, when a term asked for one (feature matching); not yet scored by D. */
  readonly real: BatchTensors | null;
}

/** What a term needs the update to prepare. */
export interface TermNeeds {
  /** D: the gradient of Σ advOutput(real) w.r.t. the untransformed reals (R1); implies `secondOrder`. */
  realInputGradient?: boolean;
  /** The term differentiates a gradient through D (R1, WGAN-GP): second-order gradients must be available. */
  secondOrder?: boolean;
  /** D and G: the fakes G(z + ε) with ε from the latent noise (zCR). */
  perturbedFakes?: boolean;
  /** G: a real batch per micro-batch (feature matching). */
  realBatch?: boolean;
}

interface TermCommon {
  /** Short name; recorded as `d/<name>` or `g/<name>` in metrics.jsonl. Unique per network. */
  readonly name: string;
  /** Factor in the network's loss (may be negative: ADC's and TAC's generator terms). */
  readonly weight: number;
  readonly needs?: TermNeeds;
  /**
   * State the term carries across steps (e.g. LeCam's moving averages), saved in checkpoints as
   * `terms.<D|G>.<name>.<key>` and restored bit-exactly.
   */
  readonly state?: Map<string, tf.Variable>;
}

export interface DiscriminatorTerm extends TermCommon {
  readonly network: 'D';
  /** The unweighted value on one micro-batch (float32 scalar), or null when the term does not apply at this step. */
  value(ctx: DiscriminatorContext): tf.Scalar | null;
}

export interface GeneratorTerm extends TermCommon {
  readonly network: 'G';
  value(ctx: GeneratorContext): tf.Scalar | null;
}

export type LossTerm = DiscriminatorTerm | GeneratorTerm;

/** One regulariser or loss, as registered in `terms/index.ts`. */
export interface LossTermDefinition {
  /** Name in documentation and messages. */
  readonly name: string;
  /**
   * The configuration switches this definition implements (paths such as 'loss.applyLecam'); a switch that is
   * on and that no definition claims is refused by the trainer (`unsupportedFeatures`).
   */
  readonly switches?: readonly string[];
  /** Problems with the keys it needs, one line each (`<key>: expected …, received …`); `resolveConfig` reports them. */
  check?(config: ReacganConfig): string[];
  /** Options of a switched-on term that are not implemented (the trainer refuses them, naming each). */
  unsupported?(config: ReacganConfig): string[];
  /** The terms it contributes for this configuration (none when switched off). */
  create(config: ReacganConfig, method: ConditioningMethod): LossTerm[];
}
