import * as tf from '@tensorflow/tfjs-core';
import { l2NormalizeRows, maskedRowLogSumExp, stopGradient } from './similarity.js';
import {
  checkChoice,
  checkFloatTensor,
  checkInputsObject,
  checkLabels,
  checkNumber,
  checkOptions,
  fail,
  labelTensor,
  type CheckedLabels,
  type LabelsLike,
} from './validate.js';

/** Inputs of the proxy-based contrastive losses (D2D-CE and 2C). */
export interface ContrastiveInputs {
  /**
   * float32 [N, d]: sample embeddings f_i (any norm; cosine similarity is taken inside). Typed `tf.Tensor`
   * (what `tf.grad`, `tf.randomNormal` and most ops return) and rank-checked at run time, so no cast is needed.
   */
  embed: tf.Tensor;
  /** float32 [N, d]: the proxy v_{y_i} of each sample's class (rows of the class table gathered by label). */
  proxy: tf.Tensor;
  /** int32 [N] (or an array of integers): the class label y_i of each sample. Only equality is used. */
  labels: LabelsLike;
}

/**
 * `'studiogan'`: StudioGAN v0.3.0's `Data2DataCrossEntropyLoss`, including its detached row-maximum shift
 * on the negative terms (changes the value). `'paper'`: the formula of the paper (no shift).
 */
export type D2DCEVariant = 'studiogan' | 'paper';

/** Reduction over the batch: `'mean'` (default) gives a scalar; `'none'` the per-sample losses [N]. */
export type Reduction = 'mean' | 'none';

export interface D2DCEOptions {
  /** τ > 0 (StudioGAN `LOSS.temperature`). Default 0.5 (the CIFAR-10 ReACGAN config). */
  temperature?: number;
  /** m_p ∈ [−1, 1], the positive margin (StudioGAN `LOSS.m_p`). Default 0.98. */
  positiveMargin?: number;
  /** m_n ∈ [−1, 1], the negative margin. Not a StudioGAN config key: fixed there to 1 − m_p (the default). */
  negativeMargin?: number;
  /** Default `'studiogan'`. */
  variant?: D2DCEVariant;
  /**
   * true (default, ReACGAN): the negatives ν_i are the different-class samples — same-class samples, the
   * false negatives, are removed from the denominator. false: every other sample j ≠ i is a negative (the
   * paper's "without false-negative mask" ablation). Not a StudioGAN config key (StudioGAN always masks).
   */
  falseNegativeMask?: boolean;
  /** Default `'mean'`. */
  reduction?: Reduction;
}

export const D2DCE_VARIANTS: readonly D2DCEVariant[] = ['studiogan', 'paper'];
const REDUCTIONS: readonly Reduction[] = ['mean', 'none'];

/** The names of {@link ContrastiveInputs}. */
export const CONTRASTIVE_INPUTS = ['embed', 'proxy', 'labels'] as const;

/** Checked embed / proxy / labels of a contrastive loss; `labels` is an int32 [N] tensor. */
export function checkContrastiveInputs(fn: string, inputs: unknown): { embed: tf.Tensor2D; proxy: tf.Tensor2D; labels: CheckedLabels; n: number } {
  const { embed, proxy, labels } = checkInputsObject(fn, inputs, CONTRASTIVE_INPUTS) as Partial<ContrastiveInputs>;
  const e = checkFloatTensor(fn, 'embed', embed, 2, '[N, d]') as tf.Tensor2D;
  const p = checkFloatTensor(fn, 'proxy', proxy, 2, '[N, d]') as tf.Tensor2D;
  if (p.shape[0] !== e.shape[0] || p.shape[1] !== e.shape[1]) {
    fail(fn, 'proxy', `of the same shape as embed ([${e.shape.join(', ')}]): one gathered proxy row per sample`, `shape [${p.shape.join(', ')}]`, true);
  }
  if (e.shape[0] === 0) fail(fn, 'embed', 'non-empty (N >= 1)', `shape [${e.shape.join(', ')}]`, true);
  if (e.shape[1] === 0) fail(fn, 'embed', 'of feature size d >= 1', `shape [${e.shape.join(', ')}]`, true);
  if (labels === undefined) fail(fn, 'labels', 'an int32 tf.Tensor1D or an array of integers', labels);
  return { embed: e, proxy: p, labels: checkLabels(fn, 'labels', labels, e.shape[0]), n: e.shape[0] };
}

/**
 * Data-to-Data Cross-Entropy loss (D2D-CE) of ReACGAN (Kang et al., "Rebooting ACGAN", NeurIPS 2021),
 * the discriminator's conditioning loss.
 *
 * With s_i⁺ = cos(f_i, v_{y_i}), s_ij = cos(f_i, f_j), ν_i = { j ≠ i : y_j ≠ y_i }:
 *
 *   paper:      ℓ_i = −log( e^{[s_i⁺−m_p]₋/τ} / ( e^{[s_i⁺−m_p]₋/τ} + Σ_{j∈ν_i} e^{[s_ij−m_n]₊/τ} ) )
 *   studiogan:  ℓ_i = −log( e^{[s_i⁺−m_p]₋/τ} / ( e^{[s_i⁺−m_p]₋/τ} + e^{−M_i} Σ_{j∈ν_i} e^{[s_ij−m_n]₊/τ} ) ),
 *               M_i = max_{j≠i} (s_ij − m_n)/τ  (before the ReLU, same-class pairs included, detached)
 *
 * `'studiogan'` reproduces `Data2DataCrossEntropyLoss` of StudioGAN (src/utils/losses.py, identical at
 * v0.3.0 and master): its "numerical-stability" max subtraction is applied to the negative terms only,
 * so it is not a log-sum-exp no-op — it rescales the negative sum by e^{−M_i} (usually down-weighting
 * negatives). The paper's numbers were produced with that code. `'paper'` is the formula of §3 of the paper.
 *
 * Both are evaluated as ℓ_i = softplus(a_i + log Σ_{j∈ν_i} e^{x_ij}) with a_i = [m_p − s_i⁺]₊/τ and
 * x_ij = [s_ij − m_n]₊/τ (− M_i), the log-sum-exp masked by selection: exact, finite for τ down to 0.01
 * and beyond, and exactly 0 for rows without negatives (all-same-label batches, N = 1). Same-class pairs
 * and self-pairs contribute nothing (masked after the exponential). Gradients reach embed and proxy
 * only through the similarities (M_i is detached).
 *
 * @param inputs `{ embed: float32 [N, d], proxy: float32 [N, d], labels: int32 [N] }`.
 * @param options temperature τ (default 0.5, > 0), positiveMargin m_p (default 0.98, in [−1, 1]),
 *   negativeMargin m_n (default 1 − m_p, in [−1, 1]), variant (default 'studiogan'), falseNegativeMask
 *   (default true; false keeps same-class samples among the negatives), reduction (default 'mean').
 * @returns a float32 scalar (batch mean), or float32 [N] with `reduction: 'none'`.
 * @throws Error naming the argument when `inputs` is not an object `{ embed, proxy, labels }` (e.g. the
 *   tensors passed positionally) or `options` is not an options object (e.g. a tf.Tensor), a tensor has
 *   the wrong dtype/rank/shape, labels are not integers or have the wrong length, an option is out of
 *   range or unknown.
 */
export function data2DataCrossEntropyLoss(inputs: ContrastiveInputs, options?: D2DCEOptions & { reduction?: 'mean' }): tf.Scalar;
export function data2DataCrossEntropyLoss(inputs: ContrastiveInputs, options: D2DCEOptions & { reduction: 'none' }): tf.Tensor1D;
export function data2DataCrossEntropyLoss(inputs: ContrastiveInputs, options?: D2DCEOptions): tf.Scalar | tf.Tensor1D;
export function data2DataCrossEntropyLoss(inputs: ContrastiveInputs, options: D2DCEOptions = {}): tf.Scalar | tf.Tensor1D {
  const fn = 'data2DataCrossEntropyLoss';
  checkInputsObject(fn, inputs, CONTRASTIVE_INPUTS); // first: tensors passed positionally would otherwise be read as options
  const o = checkOptions(fn, options, ['temperature', 'positiveMargin', 'negativeMargin', 'variant', 'falseNegativeMask', 'reduction'], `${fn}({ embed, proxy, labels }, options)`);
  const temperature = checkNumber(fn, 'options.temperature', o.temperature ?? 0.5, { min: 0, max: Infinity, exclusiveMin: true });
  const positiveMargin = checkNumber(fn, 'options.positiveMargin', o.positiveMargin ?? 0.98, { min: -1, max: 1 });
  if (o.negativeMargin === undefined && positiveMargin < 0) {
    throw new Error(
      `${fn}: the default options.negativeMargin = 1 − positiveMargin = ${1 - positiveMargin} is outside [-1, 1]; pass negativeMargin explicitly.`,
    );
  }
  const negativeMargin = checkNumber(fn, 'options.negativeMargin', o.negativeMargin ?? 1 - positiveMargin, { min: -1, max: 1 });
  const variant = checkChoice(fn, 'options.variant', o.variant ?? 'studiogan', D2DCE_VARIANTS);
  const reduction = checkChoice(fn, 'options.reduction', o.reduction ?? 'mean', REDUCTIONS);
  const falseNegativeMask = o.falseNegativeMask ?? true;
  if (typeof falseNegativeMask !== 'boolean') fail(fn, 'options.falseNegativeMask', 'a boolean', falseNegativeMask);
  const { embed, proxy, labels, n } = checkContrastiveInputs(fn, inputs);

  return tf.tidy(() => {
    const y = labelTensor(labels);
    const f = l2NormalizeRows(embed);
    const v = l2NormalizeRows(proxy);
    const sampleSimilarity = tf.matMul(f, f, false, true); // s_ij, [N, N]
    const proxySimilarity = tf.sum(tf.mul(f, v), 1); // s_i⁺, [N]
    // a_i = ReLU((m_p − s_i⁺)/τ) = −[s_i⁺ − m_p]₋/τ ≥ 0
    const positive = tf.relu(tf.div(tf.sub(positiveMargin, proxySimilarity), temperature));
    // A_ij = (s_ij − m_n)/τ; the negatives use ReLU(A_ij)
    const scaled = tf.div(tf.sub(sampleSimilarity, negativeMargin), temperature) as tf.Tensor2D;
    let logits = tf.relu(scaled) as tf.Tensor2D;
    if (variant === 'studiogan') {
      // M_i = max_{j≠i} A_ij (pre-ReLU, same-class pairs included), detached. For N = 1 there is no
      // off-diagonal entry; the placeholder (A_ii) is never used since the row has no negatives.
      const offDiagonal = tf.logicalNot(tf.cast(tf.eye(n), 'bool'));
      const rowMin = tf.min(scaled, 1, true);
      const shift = stopGradient(tf.max(tf.where(offDiagonal, scaled, rowMin), 1, true));
      logits = tf.sub(logits, shift);
    }
    // ν_i: different-class pairs (this excludes the diagonal and same-class false negatives), or with
    // falseNegativeMask false every j ≠ i
    const negatives = (
      falseNegativeMask ? tf.notEqual(tf.reshape(y, [n, 1]), tf.reshape(y, [1, n])) : tf.logicalNot(tf.cast(tf.eye(n), 'bool'))
    ) as tf.Tensor2D;
    const { lse, nonEmpty } = maskedRowLogSumExp(logits, negatives);
    // ℓ_i = a_i + log(e^{−a_i} + Σ e^{x_ij}) = softplus(a_i + LSE_j x_ij); 0 without negatives
    const perSample = tf.where(nonEmpty, tf.softplus(tf.add(positive, lse)), tf.zerosLike(lse)) as tf.Tensor1D;
    return reduction === 'none' ? perSample : (tf.mean(perSample) as tf.Scalar);
  });
}
