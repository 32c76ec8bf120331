import * as tf from '@tensorflow/tfjs-core';
import type { Reduction } from './d2dce.js';
import { stopGradient } from './similarity.js';
import { checkChoice, checkFloatTensor, checkLabels, checkOptions, fail, labelTensor, type LabelsLike } from './validate.js';

export interface ClassificationLossOptions {
  /**
   * Check that every label lies in range (default true). For tensor labels this reads them back: a
   * synchronous download of N int32 values (negligible on cpu / tensorflow; a GPU sync on webgl).
   * With `false` the range check is skipped (array labels are still checked to be integers), and an
   * out-of-range label is NOT detected: tf.oneHot silently yields a zero row for it.
   */
  validateLabels?: boolean;
  /** Default `'mean'`. */
  reduction?: Reduction;
}

function checkLogitsAndLabels(
  fn: string,
  logits: unknown,
  labels: unknown,
  labelsName: string,
  what: string,
  options: unknown,
  minColumns: number,
): { logits: tf.Tensor2D; labels: ReturnType<typeof checkLabels>; reduction: Reduction; columns: number } {
  const o = checkOptions(fn, options, ['validateLabels', 'reduction'], `${fn}(logits, ${labelsName}, options)`);
  const validate = o.validateLabels ?? true;
  if (typeof validate !== 'boolean') fail(fn, 'options.validateLabels', 'a boolean', validate);
  const reduction = checkChoice(fn, 'options.reduction', o.reduction ?? 'mean', ['mean', 'none'] as const);
  const l = checkFloatTensor(fn, 'logits', logits, 2, '[N, C]') as tf.Tensor2D;
  const [n, columns] = l.shape;
  if (n === 0) fail(fn, 'logits', 'non-empty (N >= 1)', `shape [${l.shape.join(', ')}]`, true);
  if (columns < minColumns) fail(fn, 'logits', `of shape [N, C] with C >= ${minColumns}`, `shape [${l.shape.join(', ')}]`, true);
  const checked = checkLabels(fn, labelsName, labels, n, { count: columns, what, readValues: validate });
  return { logits: l, labels: checked, reduction, columns };
}

/**
 * Softmax cross-entropy of a classifier head: mean_i −log softmax(logits_i)[y_i] — the ACGAN /
 * ACGAN-Mod / ReACGAN-AC conditioning loss (StudioGAN `CrossEntropyLoss`, i.e. torch
 * `nn.CrossEntropyLoss` with mean reduction). Stable for any logit magnitude (log-softmax).
 *
 * Labels are validated: an integer outside [0, C) throws (naming the index, the value and the range)
 * instead of silently contributing 0 through tf.oneHot (test-cases C05).
 *
 * @param logits float32 [N, C] classifier logits (`clsOutput`).
 * @param labels int32 [N] (or an integer array) class labels in [0, C).
 * @param options validateLabels (default true), reduction (default 'mean').
 * @returns float32 scalar (or [N] with reduction 'none').
 * @throws Error on a wrong dtype/rank/shape, a length mismatch, a non-integer or out-of-range label.
 */
export function crossEntropyLoss(logits: tf.Tensor, labels: LabelsLike, options?: ClassificationLossOptions & { reduction?: 'mean' }): tf.Scalar;
export function crossEntropyLoss(logits: tf.Tensor, labels: LabelsLike, options: ClassificationLossOptions & { reduction: 'none' }): tf.Tensor1D;
export function crossEntropyLoss(logits: tf.Tensor, labels: LabelsLike, options?: ClassificationLossOptions): tf.Scalar | tf.Tensor1D;
export function crossEntropyLoss(logits: tf.Tensor, labels: LabelsLike, options: ClassificationLossOptions = {}): tf.Scalar | tf.Tensor1D {
  const fn = 'crossEntropyLoss';
  const c = checkLogitsAndLabels(fn, logits, labels, 'labels', 'class', options, 1);
  return tf.tidy(() => {
    const y = labelTensor(c.labels);
    const logProbabilities = tf.logSoftmax(c.logits, 1);
    const perSample = tf.neg(tf.sum(tf.mul(tf.oneHot(y, c.columns), logProbabilities), 1)) as tf.Tensor1D;
    return c.reduction === 'none' ? perSample : (tf.mean(perSample) as tf.Scalar);
  });
}

/**
 * Crammer–Singer multi-class hinge loss, the multi-hinge (MH) loss of MHGAN as used by StudioGAN
 * (`crammer_singer_loss`): mean_i ReLU(1 + max_{k≠t_i} o_ik − o_i,t_i).
 *
 * With an MH discriminator the adversarial head has C + 1 outputs: classes 0..C−1 and the "fake"
 * class C. StudioGAN trains D with CS(o_real, y_real) + CS(o_fake, C) and G with
 * mh_lambda · CS(o_fake, y_fake) — see {@link multiHingeDiscriminatorLoss} / {@link multiHingeGeneratorLoss}.
 *
 * @param logits float32 [N, K] (K = C + 1 for MH), K >= 2.
 * @param targets int32 [N] (or an integer array) target column in [0, K).
 * @param options validateLabels (default true), reduction (default 'mean').
 * @returns float32 scalar (or [N] with reduction 'none').
 * @throws Error on a wrong dtype/rank/shape, K < 2, a non-integer or out-of-range target.
 */
export function crammerSingerLoss(logits: tf.Tensor, targets: LabelsLike, options?: ClassificationLossOptions & { reduction?: 'mean' }): tf.Scalar;
export function crammerSingerLoss(logits: tf.Tensor, targets: LabelsLike, options: ClassificationLossOptions & { reduction: 'none' }): tf.Tensor1D;
export function crammerSingerLoss(logits: tf.Tensor, targets: LabelsLike, options?: ClassificationLossOptions): tf.Scalar | tf.Tensor1D;
export function crammerSingerLoss(logits: tf.Tensor, targets: LabelsLike, options: ClassificationLossOptions = {}): tf.Scalar | tf.Tensor1D {
  const fn = 'crammerSingerLoss';
  const c = checkLogitsAndLabels(fn, logits, targets, 'targets', 'target', options, 2);
  return tf.tidy(() => crammerSinger(c.logits, labelTensor(c.labels), c.columns, c.reduction));
}

function crammerSinger(logits: tf.Tensor2D, targets: tf.Tensor1D, columns: number, reduction: Reduction): tf.Scalar | tf.Tensor1D {
  const isTarget = tf.cast(tf.oneHot(targets, columns), 'bool');
  const targetLogit = tf.sum(tf.mul(tf.cast(isTarget, 'float32'), logits), 1);
  // max over the wrong columns: the target column is replaced by a value strictly below the row minimum
  // (no infinities needed), and the maximum is picked with argMax (first index on ties), so exactly
  // one wrong column receives the gradient, like torch's max(dim).
  const rowMin = stopGradient(tf.min(logits, 1, true));
  const below = tf.sub(rowMin, tf.add(tf.abs(rowMin), 1));
  const worst = tf.argMax(tf.where(isTarget, below, logits), 1);
  const maxWrong = tf.sum(tf.mul(tf.oneHot(worst, columns), logits), 1);
  const perSample = tf.relu(tf.add(1, tf.sub(maxWrong, targetLogit))) as tf.Tensor1D;
  return reduction === 'none' ? perSample : (tf.mean(perSample) as tf.Scalar);
}

/**
 * Multi-hinge discriminator loss (MHGAN, StudioGAN `adv_loss: MH`):
 * CS(realLogits, realLabels) + CS(fakeLogits, C), where C = K − 1 is the "fake" column.
 * @param realLogits float32 [N, C + 1]; @param realLabels int32 [N] in [0, C);
 * @param fakeLogits float32 [M, C + 1] (same K).
 * @returns float32 scalar.
 */
export function multiHingeDiscriminatorLoss(
  realLogits: tf.Tensor,
  realLabels: LabelsLike,
  fakeLogits: tf.Tensor,
  options: Pick<ClassificationLossOptions, 'validateLabels'> = {},
): tf.Scalar {
  const fn = 'multiHingeDiscriminatorLoss';
  const o = checkOptions(
    fn,
    options,
    ['validateLabels'],
    `${fn}(realLogits, realLabels, fakeLogits, options); the fakes' target is the fake column C, so fake labels are not passed`,
  );
  const r = checkFloatTensor(fn, 'realLogits', realLogits, 2, '[N, C + 1]') as tf.Tensor2D;
  const f = checkFloatTensor(fn, 'fakeLogits', fakeLogits, 2, '[M, C + 1]') as tf.Tensor2D;
  const columns = r.shape[1];
  if (columns < 2) fail(fn, 'realLogits', 'of shape [N, C + 1] with C >= 1', `shape [${r.shape.join(', ')}]`, true);
  if (f.shape[1] !== columns) fail(fn, 'fakeLogits', `of shape [M, ${columns}] (as realLogits)`, `shape [${f.shape.join(', ')}]`, true);
  if (r.shape[0] === 0) fail(fn, 'realLogits', 'non-empty (N >= 1)', `shape [${r.shape.join(', ')}]`, true);
  if (f.shape[0] === 0) fail(fn, 'fakeLogits', 'non-empty (M >= 1)', `shape [${f.shape.join(', ')}]`, true);
  const validate = o.validateLabels ?? true;
  if (typeof validate !== 'boolean') fail(fn, 'options.validateLabels', 'a boolean', validate);
  const labels = checkLabels(fn, 'realLabels', realLabels, r.shape[0], { count: columns - 1, what: 'real-class', readValues: validate });
  return tf.tidy(() => {
    const fakeTargets = tf.fill([f.shape[0]], columns - 1, 'int32') as tf.Tensor1D;
    return tf.add(
      crammerSinger(r, labelTensor(labels), columns, 'mean'),
      crammerSinger(f, fakeTargets, columns, 'mean'),
    ) as tf.Scalar;
  });
}

/**
 * Multi-hinge generator loss: CS(fakeLogits, fakeLabels) (StudioGAN multiplies it by
 * `LOSS.mh_lambda`; apply that weight yourself).
 * @param fakeLogits float32 [N, C + 1]; @param fakeLabels int32 [N] in [0, C) (never the fake column).
 */
export function multiHingeGeneratorLoss(
  fakeLogits: tf.Tensor,
  fakeLabels: LabelsLike,
  options: Pick<ClassificationLossOptions, 'validateLabels'> = {},
): tf.Scalar {
  const fn = 'multiHingeGeneratorLoss';
  const o = checkOptions(fn, options, ['validateLabels'], `${fn}(fakeLogits, fakeLabels, options)`);
  const f = checkFloatTensor(fn, 'fakeLogits', fakeLogits, 2, '[N, C + 1]') as tf.Tensor2D;
  if (f.shape[1] < 2) fail(fn, 'fakeLogits', 'of shape [N, C + 1] with C >= 1', `shape [${f.shape.join(', ')}]`, true);
  if (f.shape[0] === 0) fail(fn, 'fakeLogits', 'non-empty (N >= 1)', `shape [${f.shape.join(', ')}]`, true);
  const validate = o.validateLabels ?? true;
  if (typeof validate !== 'boolean') fail(fn, 'options.validateLabels', 'a boolean', validate);
  const labels = checkLabels(fn, 'fakeLabels', fakeLabels, f.shape[0], { count: f.shape[1] - 1, what: 'real-class', readValues: validate });
  return tf.tidy(() => crammerSinger(f, labelTensor(labels), f.shape[1], 'mean') as tf.Scalar);
}
