import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { crossEntropyReference, randomNormals, rows } from '../test/reference64.js';
import { crammerSingerLoss, crossEntropyLoss, multiHingeDiscriminatorLoss, multiHingeGeneratorLoss } from './index.js';

describeBackends('crossEntropyLoss (ACGAN classifier)', () => {
  it('C05: 10 classes, zero logits, labels [0, 5, 9] → ln 10 per sample', () => {
    const logits = tf.zeros([3, 10]) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 5, 9], 'int32');
    expect(crossEntropyLoss(logits, labels, { reduction: 'none' })).toBeAllclose([Math.LN10, Math.LN10, Math.LN10], { rtol: 1e-6 });
    expect(crossEntropyLoss(logits, labels)).toBeAllclose(2.302585, { rtol: 1e-6 });
    tf.dispose([logits, labels]);
  });

  it('C05: labels [0, 9, 10] or [-1] with 10 classes throw, naming the bad label and the range', () => {
    const logits3 = tf.zeros([3, 10]) as tf.Tensor2D;
    const logits1 = tf.zeros([1, 10]) as tf.Tensor2D;
    expect(() => crossEntropyLoss(logits3, tf.tensor1d([0, 9, 10], 'int32'))).toThrow(
      'crossEntropyLoss: labels[2] = 10 is out of range; class labels must lie in [0, 10).',
    );
    expect(() => crossEntropyLoss(logits1, [-1])).toThrow('crossEntropyLoss: labels[0] = -1 is out of range; class labels must lie in [0, 10).');
    expect(() => crossEntropyLoss(logits3, [0, 2.5, 1])).toThrow('crossEntropyLoss: labels[1] must be an integer; received 2.5.');
    tf.dispose([logits3, logits1]);
  });

  it('validateLabels: false skips the read-back (and then cannot see out-of-range labels)', () => {
    const logits = tf.zeros([2, 4]) as tf.Tensor2D;
    const loss = crossEntropyLoss(logits, [1, 7], { validateLabels: false });
    // tf.oneHot gives a zero row for 7: the sample silently contributes 0 — why validation is the default.
    expect(loss).toBeAllclose(Math.log(4) / 2, { rtol: 1e-6 });
    tf.dispose([logits, loss]);
  });

  it('is exact and finite at extreme logits (log-softmax), with finite gradients', () => {
    const logits = tf.tensor2d([[1e4, -1e4, 0], [-300, 300, 0], [88, 89, 90]]);
    const labels = [1, 0, 0];
    const loss = crossEntropyLoss(logits, labels, { reduction: 'none' });
    expect(loss).toBeAllclose([2e4, 600, crossEntropyReference([[88, 89, 90]], [0])], { rtol: 1e-6 });
    const g = tf.grad((x: tf.Tensor) => crossEntropyLoss(x as tf.Tensor2D, labels))(logits);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([logits, loss, g]);
  });

  it('gradient matches finite differences of the float64 reference', () => {
    const logits = tf.tensor2d(randomNormals(60, 5 * 6), [5, 6]);
    const labels = [5, 0, 3, 3, 1];
    const r = checkGradient((x) => crossEntropyLoss(x as tf.Tensor2D, labels), logits, {
      h: 1e-5,
      reference: (v) => crossEntropyReference(rows(v, 5, 6), labels),
    });
    expect(r.maxRelError, `max abs err ${r.maxAbsError}`).toBeLessThan(1e-4);
    logits.dispose();
  });

  it('leaves no tensors behind', async () => {
    const logits = tf.tensor2d(randomNormals(61, 12), [3, 4]);
    await expectNoTensorLeak(() => crossEntropyLoss(logits, [0, 3, 2]));
    await expectNoTensorLeak(() => tf.grad((x: tf.Tensor) => crossEntropyLoss(x as tf.Tensor2D, [0, 3, 2]))(logits));
    await expectNoTensorLeak(() => {
      expect(() => crossEntropyLoss(logits, [0, 4, 2])).toThrow(/labels\[1\] = 4/);
    });
    logits.dispose();
  });
});

describeBackends('crammerSingerLoss / multi-hinge', () => {
  it('ReLU(1 + max_{k≠t} o_k − o_t), batch mean', () => {
    const logits = tf.tensor2d([[3, 1, 0.5], [0, 0.2, 0.1], [-1, 4, 4.5]]);
    // row 0, t=0: 1 + 1 − 3 = −1 → 0; row 1, t=2: 1 + 0.2 − 0.1 = 1.1; row 2, t=1: 1 + 4.5 − 4 = 1.5
    expect(crammerSingerLoss(logits, [0, 2, 1], { reduction: 'none' })).toBeAllclose([0, 1.1, 1.5], { rtol: 1e-6 });
    expect(crammerSingerLoss(logits, [0, 2, 1])).toBeAllclose(2.6 / 3, { rtol: 1e-6 });
    logits.dispose();
  });

  it('MH discriminator = CS(real, y) + CS(fake, C); generator = CS(fake, y_fake)', () => {
    const real = tf.tensor2d(randomNormals(70, 4 * 4), [4, 4]); // C = 3 classes + the fake column
    const fake = tf.tensor2d(randomNormals(71, 5 * 4), [5, 4]);
    const d = multiHingeDiscriminatorLoss(real, [0, 2, 1, 2], fake);
    const expected = tf.tidy(() => tf.add(crammerSingerLoss(real, [0, 2, 1, 2]), crammerSingerLoss(fake, [3, 3, 3, 3, 3])));
    expect(d).toBeAllclose(expected.dataSync()[0], { rtol: 1e-6 });
    const g = multiHingeGeneratorLoss(fake, [1, 1, 0, 2, 0]);
    expect(g).toBeAllclose(crammerSingerLoss(fake, [1, 1, 0, 2, 0]).dataSync()[0], { rtol: 1e-6 });
    expect(() => multiHingeDiscriminatorLoss(real, [0, 3, 1, 2], fake)).toThrow(
      'multiHingeDiscriminatorLoss: realLabels[1] = 3 is out of range; real-class labels must lie in [0, 3).',
    );
    expect(() => multiHingeGeneratorLoss(fake, [1, 1, 0, 3, 0])).toThrow(/fakeLabels\[3\] = 3 is out of range/);
    expect(() => multiHingeDiscriminatorLoss(real, [0, 1, 1, 2], tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(
      /fakeLogits must be of shape \[M, 4\] \(as realLogits\); received shape \[2, 3\]/,
    );
    tf.dispose([real, fake, d, expected, g]);
  });

  it('validates targets and shapes', () => {
    const logits = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => crammerSingerLoss(logits, [0, 3])).toThrow('crammerSingerLoss: targets[1] = 3 is out of range; target labels must lie in [0, 3).');
    expect(() => crammerSingerLoss(tf.zeros([2, 1]) as tf.Tensor2D, [0, 0])).toThrow(/logits must be of shape \[N, C\] with C >= 2/);
    expect(() => crammerSingerLoss(logits, [0])).toThrow(/targets must be of length N = 2/);
    logits.dispose();
  });

  it('leaves no tensors behind', async () => {
    const real = tf.tensor2d(randomNormals(72, 8), [2, 4]);
    await expectNoTensorLeak(() => multiHingeDiscriminatorLoss(real, [0, 1], real));
    await expectNoTensorLeak(() => tf.grad((x: tf.Tensor) => multiHingeGeneratorLoss(x as tf.Tensor2D, [2, 0]))(real));
    real.dispose();
  });
});

describe('crossEntropyLoss input validation', () => {
  it('names the argument, the expectation and the received value', () => {
    const ints = tf.zeros([2, 3], 'int32');
    expect(() => crossEntropyLoss(ints as tf.Tensor2D, [0, 1])).toThrow(/crossEntropyLoss: logits must be a float32 tf.Tensor of shape \[N, C\]; received dtype int32/);
    expect(() => crossEntropyLoss(tf.zeros([3]) as never, [0, 1, 2])).toThrow(/logits must be a float32 tf.Tensor of rank 2, shape \[N, C\]; received rank 1/);
    expect(() => crossEntropyLoss(tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([0, 1]))).toThrow(/labels must be an int32 .*received dtype float32/);
    expect(() => crossEntropyLoss(tf.zeros([2, 3]) as tf.Tensor2D, 'abc' as never)).toThrow(/labels must be an int32 tf.Tensor1D or an array of integers; received "abc"/);
    expect(() => crossEntropyLoss(tf.zeros([2, 3]) as tf.Tensor2D, [0, 1], { validateLabels: 'yes' } as never)).toThrow(/options.validateLabels must be a boolean/);
    ints.dispose();
  });

  it('a tf.Tensor where the options object goes names `options` and shows the right call (never "unknown option")', async () => {
    const logits = tf.zeros([2, 4]) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 2], 'int32');
    const call = (f: unknown, ...args: unknown[]) => () => (f as (...a: unknown[]) => tf.Tensor)(...args);
    await expectNoTensorLeak(() => {
      expect(call(crossEntropyLoss, logits, labels, labels)).toThrow(
        'crossEntropyLoss: options: expected an options object { validateLabels, reduction } or nothing, received a tf.Tensor of dtype int32, shape [2] (the tensors go in the earlier arguments; call it as crossEntropyLoss(logits, labels, options)).',
      );
      expect(call(crammerSingerLoss, logits, labels, logits)).toThrow(
        'crammerSingerLoss: options: expected an options object { validateLabels, reduction } or nothing, received a tf.Tensor of dtype float32, shape [2, 4] (the tensors go in the earlier arguments; call it as crammerSingerLoss(logits, targets, options)).',
      );
      // fake labels passed to the MH discriminator loss (its fake targets are the fake column C)
      expect(call(multiHingeDiscriminatorLoss, logits, labels, logits, labels)).toThrow(
        "multiHingeDiscriminatorLoss: options: expected an options object { validateLabels } or nothing, received a tf.Tensor of dtype int32, shape [2] (the tensors go in the earlier arguments; call it as multiHingeDiscriminatorLoss(realLogits, realLabels, fakeLogits, options); the fakes' target is the fake column C, so fake labels are not passed).",
      );
      expect(call(multiHingeGeneratorLoss, logits, labels, logits)).toThrow(
        /^multiHingeGeneratorLoss: options: expected an options object \{ validateLabels \} or nothing, received a tf.Tensor of dtype float32, shape \[2, 4\] .*multiHingeGeneratorLoss\(fakeLogits, fakeLabels, options\)/,
      );
      for (const f of [crossEntropyLoss, crammerSingerLoss, multiHingeGeneratorLoss]) expect(call(f, logits, labels, logits)).not.toThrow(/unknown option/);
    });
    tf.dispose([logits, labels]);
  });
});
