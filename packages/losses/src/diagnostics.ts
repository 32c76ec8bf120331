/**
 * The paper's training diagnostics of the discriminator's conditioning head, as pure tensor functions:
 *
 * - {@link classifierGradientDiagnostics}: for an AC (softmax cross-entropy) head, the three quantities
 *   StudioGAN's `misc.compute_gradient(fx, logits, label, num_classes)` computes (src/utils/misc.py, present
 *   unchanged at v0.3.0 and master; its logging call in `train_discriminator` — mean and std of each, every
 *   `print_every` steps, on the real batch of the last D update — was added in 7bbe223 / affe361 and removed
 *   in 5883d8e, before v0.3.0): ‖h_i‖, p(y_i | x_i), and per class c the norm of the cross-entropy's
 *   gradient with respect to the classifier weight w_c. This is the paper's gradient-exploding argument:
 *   ∂L_CE/∂w_c = −(1/N) Σ_i (onehot(y_i) − p_i)_c h_i grows with the unnormalised feature norm ‖h_i‖.
 * - {@link d2dceDiagnostics}: for a D2D-CE head, the mean positive similarity s⁺, the mean similarity over the
 *   negative pairs, and the share of positives and negatives the margins leave active (those still giving a
 *   gradient).
 * - {@link meanAndStd}: the mean and unbiased standard deviation (torch's `Tensor.std()`) used to summarise
 *   them per logging step, as StudioGAN did.
 *
 * Every function returns new tensors (dispose them), validates its arguments like the losses and leaves
 * nothing else behind. No gradient flows through them (they are read, not trained on).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkContrastiveInputs, CONTRASTIVE_INPUTS, type ContrastiveInputs } from './d2dce.js';
import { l2NormalizeRows } from './similarity.js';
import { checkFloatTensor, checkInputsObject, checkLabels, checkNumber, checkOptions, fail, labelTensor, type LabelsLike } from './validate.js';

/** Inputs of {@link classifierGradientDiagnostics}. */
export interface ClassifierGradientInputs {
  /** float32 [N, F]: the features the classifier reads (D's pooled `h`; StudioGAN's `fx`). Rank checked at run time. */
  features: tf.Tensor;
  /** float32 [N, C]: the classifier's logits (`clsOutput`). */
  logits: tf.Tensor;
  /** int32 [N] (or an integer array) in [0, C): the labels of the batch. */
  labels: LabelsLike;
}

/** Per-sample and per-class quantities of {@link classifierGradientDiagnostics}. */
export interface ClassifierGradientDiagnostics {
  /** float32 [N]: ‖h_i‖₂ (StudioGAN `feat_norms`). */
  featureNorm: tf.Tensor1D;
  /** float32 [N]: p(y_i | x_i) = softmax(logits_i)[y_i], in [0, 1] (StudioGAN `probs`). */
  targetProbability: tf.Tensor1D;
  /**
   * float32 [C]: ‖(1/N) Σ_i (onehot(y_i) − p_i)_c · h_i‖₂, the norm of ∂L_CE/∂w_c for the batch-mean
   * cross-entropy and logits z_ic = w_c·h_i (StudioGAN `w_grads`).
   */
  weightGradientNorm: tf.Tensor1D;
}

/**
 * The classifier-gradient diagnostics of an AC head (StudioGAN `misc.compute_gradient`): per sample the
 * feature norm ‖h_i‖ and the probability of the true class, per class c the gradient norm
 * ‖∂L_CE/∂w_c‖ = ‖(1/N) Σ_i (onehot(y_i) − p_i)_c h_i‖ of the mean cross-entropy with respect to the
 * classifier's weight vector w_c (the logits being z_ic = w_c·h_i, as StudioGAN's bias-free `linear2`).
 * With spectral norm on the head, w_c is the normalised weight the logits are computed with.
 *
 * Summarise with {@link meanAndStd} (StudioGAN logged mean and std of each: `mean_feat_norms`,
 * `std_feat_norms`, `mean_probs`, `std_probs`, `mean_w_grads`, `std_w_grads`).
 *
 * @param inputs `{ features: float32 [N, F], logits: float32 [N, C], labels: int32 [N] in [0, C) }`.
 * @returns `{ featureNorm [N], targetProbability [N], weightGradientNorm [C] }`, float32, new tensors.
 * @throws Error naming the argument for wrong dtypes, ranks or shapes, N = 0, or labels outside [0, C).
 */
export function classifierGradientDiagnostics(inputs: ClassifierGradientInputs): ClassifierGradientDiagnostics {
  const fn = 'classifierGradientDiagnostics';
  const { features, logits, labels } = checkInputsObject(fn, inputs, ['features', 'logits', 'labels']) as Partial<ClassifierGradientInputs>;
  const h = checkFloatTensor(fn, 'features', features, 2, '[N, F]') as tf.Tensor2D;
  const z = checkFloatTensor(fn, 'logits', logits, 2, '[N, C]') as tf.Tensor2D;
  const [n, c] = z.shape;
  if (n === 0) fail(fn, 'logits', 'non-empty (N >= 1)', `shape [${z.shape.join(', ')}]`, true);
  if (h.shape[0] !== n) fail(fn, 'features', `of shape [${n}, F] (one row per logits row)`, `shape [${h.shape.join(', ')}]`, true);
  if (labels === undefined) fail(fn, 'labels', 'an int32 tf.Tensor1D or an array of integers', labels);
  const y = checkLabels(fn, 'labels', labels, n, { count: c, what: 'class', readValues: true });
  return tf.tidy(() => {
    const probabilities = tf.softmax(z, 1);
    const target = tf.oneHot(labelTensor(y), c);
    // (onehot − p)ᵀ h / N: row c = (1/N) Σ_i (onehot(y_i) − p_i)_c h_i, [C, F]
    const gradient = tf.div(tf.matMul(tf.sub(target, probabilities), h, true, false), n);
    return {
      featureNorm: tf.norm(h, 'euclidean', 1) as tf.Tensor1D,
      targetProbability: tf.sum(tf.mul(probabilities, target), 1) as tf.Tensor1D,
      weightGradientNorm: tf.norm(gradient, 'euclidean', 1) as tf.Tensor1D,
    };
  });
}

/** Options of {@link d2dceDiagnostics}: the margins (and mask) of the D2D-CE loss being diagnosed. */
export interface D2DCEDiagnosticsOptions {
  /** m_p ∈ [−1, 1] (default 0.98). A positive is active while s⁺ < m_p. */
  positiveMargin?: number;
  /** m_n ∈ [−1, 1] (default 1 − m_p). A negative pair is active while s_ij > m_n. */
  negativeMargin?: number;
  /**
   * Which pairs are negatives: true (default, ReACGAN) = different-class pairs; false = every other sample
   * (same-class "false negatives" kept), as `data2DataCrossEntropyLoss` with `falseNegativeMask: false`.
   */
  falseNegativeMask?: boolean;
}

/** Scalars of {@link d2dceDiagnostics}. */
export interface D2DCEDiagnostics {
  /** Mean over samples of s_i⁺ = cos(f_i, v_{y_i}), in [−1, 1]. */
  positiveSimilarity: tf.Scalar;
  /** Mean of s_ij = cos(f_i, f_j) over all negative pairs (i, j) of the batch, in [−1, 1]; 0 without negatives. */
  negativeSimilarity: tf.Scalar;
  /** Mean of s_ij over same-class pairs i ≠ j (the false negatives), in [−1, 1]; 0 when there are none. */
  sameClassSimilarity: tf.Scalar;
  /** Share of samples whose positive term is active (s_i⁺ < m_p), in [0, 1]. */
  activePositiveShare: tf.Scalar;
  /** Share of negative pairs that are active (s_ij > m_n), in [0, 1]; 0 without negatives. */
  activeNegativeShare: tf.Scalar;
  /** Share of all terms (N positives + the negative pairs) that are active, in [0, 1]. */
  activePairShare: tf.Scalar;
}

/**
 * The D2D-CE diagnostics of a batch: mean s⁺ = cos(f_i, v_{y_i}), the mean similarity over negative pairs
 * (and over same-class pairs), and the share of terms the margins leave active — positives with s⁺ < m_p
 * and negative pairs with s_ij > m_n, the only terms that still give a gradient (for m_p < 1 and a row with
 * negatives). Similarities are cosines (torch CosineSimilarity, eps 1e-8), as in the loss.
 *
 * @param inputs `{ embed: float32 [N, d], proxy: float32 [N, d], labels: int32 [N] }` (as the loss).
 * @param options positiveMargin (default 0.98), negativeMargin (default 1 − m_p), falseNegativeMask (default true).
 * @returns six float32 scalars (new tensors).
 * @throws Error naming the argument for malformed inputs or options.
 */
export function d2dceDiagnostics(inputs: ContrastiveInputs, options: D2DCEDiagnosticsOptions = {}): D2DCEDiagnostics {
  const fn = 'd2dceDiagnostics';
  checkInputsObject(fn, inputs, CONTRASTIVE_INPUTS);
  const o = checkOptions(fn, options, ['positiveMargin', 'negativeMargin', 'falseNegativeMask'], `${fn}({ embed, proxy, labels }, options)`);
  const positiveMargin = checkNumber(fn, 'options.positiveMargin', o.positiveMargin ?? 0.98, { min: -1, max: 1 });
  const negativeMargin = checkNumber(fn, 'options.negativeMargin', o.negativeMargin ?? Math.min(1, Math.max(-1, 1 - positiveMargin)), { min: -1, max: 1 });
  const mask = o.falseNegativeMask ?? true;
  if (typeof mask !== 'boolean') fail(fn, 'options.falseNegativeMask', 'a boolean', mask);
  const { embed, proxy, labels, n } = checkContrastiveInputs(fn, inputs);
  return tf.tidy(() => {
    const y = labelTensor(labels);
    const f = l2NormalizeRows(embed);
    const positive = tf.sum(tf.mul(f, l2NormalizeRows(proxy)), 1);
    const similarity = tf.matMul(f, f, false, true);
    const same = tf.equal(tf.reshape(y, [n, 1]), tf.reshape(y, [1, n]));
    const offDiagonal = tf.logicalNot(tf.cast(tf.eye(n), 'bool'));
    const sameClass = tf.logicalAnd(same, offDiagonal);
    const negatives = mask ? tf.logicalNot(same) : offDiagonal;
    const maskedMean = (values: tf.Tensor, where: tf.Tensor): tf.Scalar => {
      const w = tf.cast(where, 'float32');
      return tf.div(tf.sum(tf.mul(values, w)), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
    };
    const activePositive = tf.cast(tf.less(positive, positiveMargin), 'float32');
    const activeNegative = tf.logicalAnd(negatives, tf.greater(similarity, negativeMargin));
    const negativeCount = tf.sum(tf.cast(negatives, 'float32'));
    const activeCount = tf.add(tf.sum(activePositive), tf.sum(tf.cast(activeNegative, 'float32')));
    return {
      positiveSimilarity: tf.mean(positive) as tf.Scalar,
      negativeSimilarity: maskedMean(similarity, negatives),
      sameClassSimilarity: maskedMean(similarity, sameClass),
      activePositiveShare: tf.mean(activePositive) as tf.Scalar,
      activeNegativeShare: tf.div(tf.sum(tf.cast(activeNegative, 'float32')), tf.maximum(negativeCount, 1)) as tf.Scalar,
      activePairShare: tf.div(activeCount, tf.add(negativeCount, n)) as tf.Scalar,
    };
  });
}

/**
 * Mean and standard deviation of a float32 vector [K], the std unbiased (divisor K − 1), as torch's
 * `Tensor.mean()` / `Tensor.std()` with which StudioGAN summarised its diagnostics. The std of one value is
 * NaN in torch; here it is 0.
 * @throws Error unless `x` is a non-empty float32 rank-1 tensor.
 */
export function meanAndStd(x: tf.Tensor): { mean: tf.Scalar; std: tf.Scalar } {
  const fn = 'meanAndStd';
  const v = checkFloatTensor(fn, 'x', x, 1, '[K]');
  const k = v.shape[0];
  if (k === 0) fail(fn, 'x', 'non-empty (K >= 1)', 'shape [0]', true);
  return tf.tidy(() => {
    const mean = tf.mean(v) as tf.Scalar;
    const std = k < 2 ? tf.scalar(0) : (tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(v, mean))), k - 1)) as tf.Scalar);
    return { mean, std };
  });
}
