import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import {
  cosineSimilarity,
  cosineSimilarityMatrix,
  maskedLogSumExp,
  maskedSoftmax,
  negativePairMask,
  positivePairMask,
  stopGradient,
} from './index.js';

const toBools = (t: tf.Tensor): boolean[][] => (t.arraySync() as number[][]).map((r) => r.map(Boolean));

describeBackends('similarity helpers', () => {
  describe('C04-1: masks from a vectorised label comparison', () => {
    it('labels [0,0,1,1]: positive (same class, no diagonal) and negative (different class) masks', () => {
      const labels = tf.tensor1d([0, 0, 1, 1], 'int32');
      const positive = positivePairMask(labels);
      const negative = negativePairMask(labels);
      expect(positive.dtype).toBe('bool');
      expect(toBools(positive)).toEqual([
        [false, true, false, false],
        [true, false, false, false],
        [false, false, false, true],
        [false, false, true, false],
      ]);
      expect(toBools(negative)).toEqual([
        [false, false, true, true],
        [false, false, true, true],
        [true, true, false, false],
        [true, true, false, false],
      ]);
      tf.dispose([labels, positive, negative]);
    });

    it('labels [0,1,1,3]: singleton rows have no positives', () => {
      const positive = positivePairMask([0, 1, 1, 3]);
      expect(toBools(positive).map((row) => row.some(Boolean))).toEqual([false, true, true, false]);
      positive.dispose();
    });
  });

  describe('C04-3: masked log-sum-exp and softmax (selection, no additive -1e9)', () => {
    it('row [−0.03, masked, masked, masked] → −0.03; softmax [1, 0, 0, 0]', () => {
      const x = tf.tensor1d([-0.03, 1e30, -5, 88]);
      const mask = tf.tensor1d([1, 0, 0, 0], 'bool');
      const lse = maskedLogSumExp(x, mask);
      expect(lse.shape).toEqual([]);
      expect(lse).toBeAllclose(-0.03, { rtol: 1e-7 });
      expect(maskedSoftmax(x, mask)).toBeAllclose([1, 0, 0, 0], { rtol: 0, atol: 0 });
      tf.dispose([x, mask, lse]);
    });

    it('rows: matches log Σ exp over the selected entries, large magnitudes, an empty row gives -Infinity', () => {
      const x = tf.tensor2d([
        [1, 2, 3],
        [1000, -1000, 999],
        [-500, -501, 7],
        [4, 5, 6],
      ]);
      const mask = tf.tensor2d(
        [
          [1, 1, 1],
          [1, 0, 1],
          [1, 1, 0],
          [0, 0, 0],
        ],
        undefined,
        'bool',
      );
      const expected = [
        Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)),
        1000 + Math.log1p(Math.exp(-1)),
        -500 + Math.log1p(Math.exp(-1)),
        -Infinity,
      ];
      expect(maskedLogSumExp(x, mask)).toBeAllclose(expected, { rtol: 1e-6 });
      const soft = maskedSoftmax(x, mask).arraySync() as number[][];
      expect(soft[1][1]).toBe(0);
      expect(soft[1][0] + soft[1][2]).toBeCloseTo(1, 6);
      expect(soft[3]).toEqual([0, 0, 0]);
      // gradient: softmax weights on selected entries, exactly 0 elsewhere, finite everywhere
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.slice(maskedLogSumExp(t, mask), [0], [3])))(x);
      const gv = g.arraySync() as number[][];
      expect(gv[1][1]).toBe(0);
      expect(gv[3]).toEqual([0, 0, 0]);
      expect(gv.flat().every(Number.isFinite)).toBe(true);
      expect(gv[0]).toBeAllclose(soft[0], { rtol: 1e-6 });
      tf.dispose([x, mask, g]);
    });
  });

  describe('cosine similarity (torch CosineSimilarity, eps 1e-8)', () => {
    it('row-wise and pairwise; a zero row gives similarity 0 and finite gradients', () => {
      const a = tf.tensor2d([[3, 4], [0, 0], [1, 1]]);
      const b = tf.tensor2d([[4, 3], [1, 0], [-2, -2]]);
      expect(cosineSimilarity(a, b)).toBeAllclose([24 / 25, 0, -1], { rtol: 1e-6, atol: 1e-7 });
      const m = cosineSimilarityMatrix(a);
      expect(m.shape).toEqual([3, 3]);
      expect(m).toBeAllclose([1, 0, 7 / (5 * Math.SQRT2), 0, 0, 0, 7 / (5 * Math.SQRT2), 0, 1], { rtol: 1e-6, atol: 1e-7 });
      const g = tf.grad((x: tf.Tensor) => tf.sum(cosineSimilarity(x as tf.Tensor2D, b)))(a);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([a, b, m, g]);
    });
  });

  describe('stopGradient', () => {
    it('is the identity forward and blocks the gradient', () => {
      const x = tf.tensor1d([1, 2, 3]);
      const y = stopGradient(x);
      expect(y).toBeAllclose([1, 2, 3]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(t), t), 0)))(x);
      expect(g).toBeAllclose([1, 2, 3]); // d/dt (sg(t) * t) = sg(t)
      tf.dispose([x, y, g]);
    });
  });

  it('helpers leave no tensors behind', async () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const mask = tf.tensor2d([[1, 0], [0, 0]], undefined, 'bool');
    await expectNoTensorLeak(() => maskedLogSumExp(x, mask));
    await expectNoTensorLeak(() => maskedSoftmax(x, mask));
    await expectNoTensorLeak(() => positivePairMask([0, 1]));
    const labels = tf.tensor1d([0, 1], 'int32');
    await expectNoTensorLeak(() => negativePairMask(labels));
    await expectNoTensorLeak(() => tf.grad((t: tf.Tensor) => tf.sum(maskedSoftmax(t, mask)))(x));
    labels.dispose();
    await expectNoTensorLeak(() => cosineSimilarityMatrix(x, x));
    tf.dispose([x, mask]);
  });
});

describe('similarity helper validation', () => {
  it('names the argument and the received value', () => {
    const x = tf.tensor2d([[1, 2]]);
    expect(() => maskedLogSumExp(x, tf.tensor2d([[1, 0]]))).toThrow(/maskedLogSumExp: mask must be a bool tf.Tensor; received a float32 tensor/);
    expect(() => maskedSoftmax(x, tf.tensor1d([1, 0], 'bool'))).toThrow(/mask must be of the same shape as x \(\[1, 2\]\); received shape \[2\]/);
    expect(() => cosineSimilarityMatrix(x, tf.tensor2d([[1, 2, 3]]))).toThrow(/cosineSimilarityMatrix: b must be of shape \[M, 2\]/);
    expect(() => cosineSimilarity(x, tf.tensor2d([[1, 2], [3, 4]]))).toThrow(/cosineSimilarity: b must be of the same shape as a/);
    expect(() => positivePairMask([0, 0.5])).toThrow(/positivePairMask: labels\[1\] must be an integer/);
    x.dispose();
  });
});
