import * as tf from '@tensorflow/tfjs-core';
import { CONTRASTIVE_INPUTS, checkContrastiveInputs, type ContrastiveInputs, type Reduction } from './d2dce.js';
import { l2NormalizeRows, maskedRowLogSumExp } from './similarity.js';
import { checkChoice, checkInputsObject, checkNumber, checkOptions, labelTensor } from './validate.js';

export interface ConditionalContrastiveOptions {
  /** τ > 0 (StudioGAN `LOSS.temperature`). Default 1.0 (the ContraGAN configs). */
  temperature?: number;
  /** Default `'mean'`. */
  reduction?: Reduction;
}

/**
 * Conditional contrastive loss (2C) of ContraGAN (Kang & Park, NeurIPS 2020), exact to StudioGAN's
 * `ConditionalContrastiveLoss` (src/utils/losses.py):
 *
 *   ℓ_i = −log( ( e^{s_i⁺/τ} + Σ_{j≠i, y_j=y_i} e^{s_ij/τ} ) / ( e^{s_i⁺/τ} + Σ_{j≠i} e^{s_ij/τ} ) )
 *
 * with s_i⁺ = cos(f_i, v_{y_i}) and s_ij = cos(f_i, f_j). Same-class samples are pulled (numerator),
 * every other sample sits in the denominator; no margins, no shift.
 *
 * StudioGAN divides sums of raw exponentials, which overflows float32 for τ ≲ 0.011 (e^{1/τ}) and gives
 * NaN. Here ℓ_i = softplus(LSE_{y_j≠y_i} s_ij/τ − LSE(s_i⁺/τ, s_ij/τ for same-class j≠i)) — the same
 * value, log-sum-exp safe, accurate for tiny losses, exactly 0 when a sample has no other-class sample
 * (an all-same-label batch or N = 1).
 *
 * @param inputs `{ embed: float32 [N, d], proxy: float32 [N, d], labels: int32 [N] }`.
 * @param options temperature τ (default 1.0, > 0), reduction (default 'mean').
 * @returns a float32 scalar (batch mean), or float32 [N] with `reduction: 'none'`.
 * @throws Error naming the argument when `inputs` is not an object `{ embed, proxy, labels }` (e.g. the
 *   tensors passed positionally) or `options` is not an options object, on a wrong dtype/rank/shape,
 *   non-integer labels or a bad option.
 */
export function conditionalContrastiveLoss(inputs: ContrastiveInputs, options?: ConditionalContrastiveOptions & { reduction?: 'mean' }): tf.Scalar;
export function conditionalContrastiveLoss(inputs: ContrastiveInputs, options: ConditionalContrastiveOptions & { reduction: 'none' }): tf.Tensor1D;
export function conditionalContrastiveLoss(inputs: ContrastiveInputs, options?: ConditionalContrastiveOptions): tf.Scalar | tf.Tensor1D;
export function conditionalContrastiveLoss(inputs: ContrastiveInputs, options: ConditionalContrastiveOptions = {}): tf.Scalar | tf.Tensor1D {
  const fn = 'conditionalContrastiveLoss';
  checkInputsObject(fn, inputs, CONTRASTIVE_INPUTS); // first: tensors passed positionally would otherwise be read as options
  const o = checkOptions(fn, options, ['temperature', 'reduction'], `${fn}({ embed, proxy, labels }, options)`);
  const temperature = checkNumber(fn, 'options.temperature', o.temperature ?? 1.0, { min: 0, max: Infinity, exclusiveMin: true });
  const reduction = checkChoice(fn, 'options.reduction', o.reduction ?? 'mean', ['mean', 'none'] as const);
  const { embed, proxy, labels, n } = checkContrastiveInputs(fn, inputs);

  return tf.tidy(() => {
    const y = labelTensor(labels);
    const f = l2NormalizeRows(embed);
    const v = l2NormalizeRows(proxy);
    const sampleLogits = tf.div(tf.matMul(f, f, false, true), temperature) as tf.Tensor2D; // s_ij/τ
    const proxyLogits = tf.reshape(tf.div(tf.sum(tf.mul(f, v), 1), temperature), [n, 1]); // s_i⁺/τ
    const same = tf.equal(tf.reshape(y, [n, 1]), tf.reshape(y, [1, n]));
    const offDiagonal = tf.logicalNot(tf.cast(tf.eye(n), 'bool'));
    const positives = tf.logicalAnd(same, offDiagonal);
    const negatives = tf.logicalNot(same);
    // numerator terms: [s_i⁺/τ | s_ij/τ for same-class j ≠ i] (the proxy term is always present)
    const numerator = maskedRowLogSumExp(
      tf.concat([proxyLogits, sampleLogits], 1) as tf.Tensor2D,
      tf.concat([tf.ones([n, 1], 'bool'), positives], 1) as tf.Tensor2D,
    );
    const negative = maskedRowLogSumExp(sampleLogits, negatives as tf.Tensor2D);
    // ℓ_i = log(1 + Σ_neg / Σ_num) = softplus(LSE_neg − LSE_num)
    const perSample = tf.where(
      negative.nonEmpty,
      tf.softplus(tf.sub(negative.lse, numerator.lse)),
      tf.zerosLike(numerator.lse),
    ) as tf.Tensor1D;
    return reduction === 'none' ? perSample : (tf.mean(perSample) as tf.Scalar);
  });
}
