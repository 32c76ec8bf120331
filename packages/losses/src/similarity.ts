// Building blocks shared by the contrastive losses: cosine similarities, label masks and a masked
// log-sum-exp. Everything here is vectorised (no host-side loops over classes) and free of
// infinities and additive "-1e9" masking constants, so it behaves the same on every backend.
import * as tf from '@tensorflow/tfjs-core';
import { checkFloatTensor, checkLabels, fail, labelTensor, type LabelsLike } from './validate.js';

/** Norm floor of torch.nn.CosineSimilarity (eps = 1e-8), which StudioGAN uses. */
export const COSINE_EPS = 1e-8;

/**
 * Rows of `x` divided by max(‖row‖₂, 1e-8) — torch's CosineSimilarity convention, so a zero row
 * maps to zero (similarity 0) instead of NaN. Differentiable everywhere (also at a zero row).
 */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const squared = tf.sum(tf.square(x), 1, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(squared, COSINE_EPS * COSINE_EPS))) as tf.Tensor2D;
  });
}

/**
 * Row-wise cosine similarity cos(a_i, b_i) of two float32 [N, d] tensors → float32 [N].
 * Same as `torch.nn.CosineSimilarity(dim=-1, eps=1e-8)(a, b)`.
 * @throws if a or b is not float32 rank 2, or their shapes differ.
 */
export function cosineSimilarity(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  const fn = 'cosineSimilarity';
  const a2 = checkFloatTensor(fn, 'a', a, 2, '[N, d]') as tf.Tensor2D;
  const b2 = checkFloatTensor(fn, 'b', b, 2, '[N, d]') as tf.Tensor2D;
  if (a2.shape[0] !== b2.shape[0] || a2.shape[1] !== b2.shape[1]) {
    fail(fn, 'b', `of the same shape as a ([${a2.shape.join(', ')}])`, `shape [${b2.shape.join(', ')}]`, true);
  }
  return tf.tidy(() => tf.sum(tf.mul(l2NormalizeRows(a2), l2NormalizeRows(b2)), 1) as tf.Tensor1D);
}

/**
 * All pairwise cosine similarities: out[i, j] = cos(a_i, b_j) for a float32 [N, d] and b float32 [M, d]
 * → float32 [N, M]. (StudioGAN: `CosineSimilarity(a.unsqueeze(1), b.unsqueeze(0))`.)
 * @throws if a or b is not float32 rank 2, or the feature sizes differ.
 */
export function cosineSimilarityMatrix(a: tf.Tensor, b: tf.Tensor = a): tf.Tensor2D {
  const fn = 'cosineSimilarityMatrix';
  const a2 = checkFloatTensor(fn, 'a', a, 2, '[N, d]') as tf.Tensor2D;
  const b2 = checkFloatTensor(fn, 'b', b, 2, '[M, d]') as tf.Tensor2D;
  if (a2.shape[1] !== b2.shape[1]) fail(fn, 'b', `of shape [M, ${a2.shape[1]}] (same d as a)`, `shape [${b2.shape.join(', ')}]`, true);
  return tf.tidy(() => {
    const an = l2NormalizeRows(a2);
    const bn = b2 === a2 ? an : l2NormalizeRows(b2);
    return tf.matMul(an, bn, false, true);
  });
}

function labelEquality(fn: string, labels: LabelsLike): { same: tf.Tensor2D; offDiagonal: tf.Tensor2D } {
  const y = labelTensor(checkLabels(fn, 'labels', labels, undefined));
  const n = y.shape[0];
  const same = tf.equal(tf.reshape(y, [n, 1]), tf.reshape(y, [1, n])) as tf.Tensor2D;
  const offDiagonal = tf.logicalNot(tf.cast(tf.eye(n), 'bool')) as tf.Tensor2D;
  return { same, offDiagonal };
}

/**
 * Same-class pairs without self-pairs: out[i, j] = (y_i == y_j) && i != j, bool [N, N].
 * These are the pairs 2C pulls together (its numerator). Built by a broadcast label comparison.
 */
export function positivePairMask(labels: LabelsLike): tf.Tensor2D {
  return tf.tidy(() => {
    const { same, offDiagonal } = labelEquality('positivePairMask', labels);
    return tf.logicalAnd(same, offDiagonal) as tf.Tensor2D;
  });
}

/**
 * Different-class pairs: out[i, j] = (y_i != y_j), bool [N, N] (the diagonal is false by construction).
 * These are D2D-CE's negatives ν_i; same-class pairs are the removed false negatives.
 */
export function negativePairMask(labels: LabelsLike): tf.Tensor2D {
  return tf.tidy(() => tf.logicalNot(labelEquality('negativePairMask', labels).same) as tf.Tensor2D);
}

export interface MaskedRowLse {
  /** log Σ_j∈row exp(x_ij) over the selected entries; an arbitrary finite value for empty rows. */
  lse: tf.Tensor1D;
  /** Whether the row selects at least one entry. */
  nonEmpty: tf.Tensor1D;
}

/**
 * Row-wise log-sum-exp of x [R, K] over the entries where mask [R, K] is true, with no infinities
 * anywhere in the forward or backward pass: unselected entries are replaced by the row minimum before
 * the (detached) row maximum is taken, so they never win the maximum and never overflow; their
 * exponentials are then selected away. Empty rows get a finite placeholder (flagged in `nonEmpty`)
 * and zero gradient. Gradients of selected entries are the usual softmax weights.
 */
export function maskedRowLogSumExp(x: tf.Tensor2D, mask: tf.Tensor2D): MaskedRowLse {
  const rowMin = stopGradient(tf.min(x, 1, true));
  const filled = tf.where(mask, x, rowMin);
  const rowMax = stopGradient(tf.max(filled, 1, true));
  const exps = tf.where(mask, tf.exp(tf.sub(filled, rowMax)), tf.zerosLike(x));
  const sums = tf.sum(exps, 1);
  const nonEmpty = tf.any(mask, 1) as tf.Tensor1D;
  const safeSums = tf.where(nonEmpty, sums, tf.onesLike(sums));
  const lse = tf.add(tf.reshape(rowMax, [-1]), tf.log(safeSums)) as tf.Tensor1D;
  return { lse, nonEmpty };
}

/**
 * Masked log-sum-exp along the last axis: log Σ_{j: mask_j} exp(x_j). Rows with no selected entry
 * give -Infinity (the log of an empty sum). Stable for any magnitude; masking is by selection, never
 * by adding a large negative constant (C04: e.g. [−0.03, masked, masked, masked] → −0.03 exactly).
 * @param x float32 tensor of rank 1 or 2.
 * @param mask bool tensor of the same shape.
 * @returns float32 of shape x.shape without the last axis (a scalar for rank 1).
 */
export function maskedLogSumExp(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const fn = 'maskedLogSumExp';
  checkMasked(fn, x, mask);
  return tf.tidy(() => {
    const x2 = (x.rank === 1 ? tf.reshape(x, [1, -1]) : x) as tf.Tensor2D;
    const m2 = (mask.rank === 1 ? tf.reshape(mask, [1, -1]) : mask) as tf.Tensor2D;
    const { lse, nonEmpty } = maskedRowLogSumExp(x2, m2);
    const out = tf.where(nonEmpty, lse, tf.fill(lse.shape, -Infinity));
    return x.rank === 1 ? tf.reshape(out, []) : out;
  });
}

/**
 * Softmax along the last axis over the selected entries only; unselected entries get exactly 0.
 * Rows with no selected entry are all zeros. (C04: softmax of [−0.03, masked, masked, masked] = [1, 0, 0, 0].)
 * @param x float32 tensor of rank 1 or 2; @param mask bool tensor of the same shape.
 */
export function maskedSoftmax(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const fn = 'maskedSoftmax';
  checkMasked(fn, x, mask);
  return tf.tidy(() => {
    const x2 = (x.rank === 1 ? tf.reshape(x, [1, -1]) : x) as tf.Tensor2D;
    const m2 = (mask.rank === 1 ? tf.reshape(mask, [1, -1]) : mask) as tf.Tensor2D;
    const rowMin = stopGradient(tf.min(x2, 1, true));
    const filled = tf.where(m2, x2, rowMin);
    const rowMax = stopGradient(tf.max(filled, 1, true));
    const exps = tf.where(m2, tf.exp(tf.sub(filled, rowMax)), tf.zerosLike(x2));
    // A non-empty row sums to >= 1 (its maximum contributes exp(0) = 1); an empty row to 0 (→ zeros).
    const out = tf.div(exps, tf.maximum(tf.sum(exps, 1, true), 1));
    return x.rank === 1 ? tf.reshape(out, [-1]) : out;
  });
}

function checkMasked(fn: string, x: tf.Tensor, mask: tf.Tensor): void {
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32' || (x.rank !== 1 && x.rank !== 2)) {
    fail(fn, 'x', 'a float32 tf.Tensor of rank 1 or 2', x);
  }
  if (!(mask instanceof tf.Tensor) || mask.dtype !== 'bool') fail(fn, 'mask', 'a bool tf.Tensor', mask);
  if (mask.shape.length !== x.shape.length || mask.shape.some((s, i) => s !== x.shape[i])) {
    fail(fn, 'mask', `of the same shape as x ([${x.shape.join(', ')}])`, `shape [${mask.shape.join(', ')}]`, true);
  }
}

/**
 * Identity in the forward pass, zero gradient in the backward pass (torch's `.detach()`), as a
 * custom-gradient op so that it works inside tf.grad / tf.variableGrads on every backend.
 */
export const stopGradient: <T extends tf.Tensor>(x: T) => T = ((): (<T extends tf.Tensor>(x: T) => T) => {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return <T extends tf.Tensor>(x: T): T => op(x) as T;
})();
