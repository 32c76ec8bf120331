import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { expect, it } from 'vitest';
import { installFastGradients, tileGradient } from '../src/train/fast-gradients.js';

/** tfjs-core 4.22's Tile gradient (one slice + add per repetition), as the reference. */
function sliceGradient(dy: tf.Tensor, xShape: number[], reps: number[]): tf.Tensor {
  let out = tf.zeros(xShape);
  const index = new Array(xShape.length).fill(0);
  const total = reps.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    let r = k;
    for (let d = xShape.length - 1; d >= 0; d--) {
      index[d] = (r % reps[d]) * xShape[d];
      r = Math.floor(r / reps[d]);
    }
    out = tf.add(out, tf.slice(dy, index, xShape));
  }
  return out;
}

describeBackends('fast Tile gradient', () => {
  for (const [xShape, reps] of [
    [[4, 1], [1, 6]],
    [[2, 3], [3, 2]],
    [[2, 1, 3], [1, 4, 1]],
    [[1, 2, 1, 2, 1], [2, 1, 3, 1, 2]],
  ] as [number[], number[]][]) {
    it(`x ${JSON.stringify(xShape)} tiled ${JSON.stringify(reps)}: equals the sum over repetitions`, () => {
      const outShape = xShape.map((s, i) => s * reps[i]);
      const dy = tf.randomNormal(outShape, 0, 1, 'float32', 3);
      const fast = tileGradient(dy, xShape, reps);
      expect(fast.shape).toEqual(xShape);
      if (xShape.length <= 4) expect(fast).toBeAllclose(tf.tidy(() => sliceGradient(dy, xShape, reps)), { rtol: 1e-6, atol: 1e-6 });
      tf.dispose([dy, fast]);
    });
  }

  it('installed: tf.grad through tf.broadcastTo and tf.where with a [N, 1] operand equals the reference; no leaks', async () => {
    expect(typeof installFastGradients()).toBe('boolean');
    expect(installFastGradients()).toBe(false);
    const x = tf.randomNormal([6, 1], 0, 1, 'float32', 4);
    const mask = tf.tidy(() => tf.greater(tf.randomNormal([6, 5], 0, 1, 'float32', 5), 0));
    const other = tf.randomNormal([6, 5], 0, 1, 'float32', 6);
    const weights = tf.randomNormal([6, 5], 0, 1, 'float32', 7);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.where(mask, other, tf.broadcastTo(t, [6, 5])), weights)))(x);
    const expected = tf.tidy(() => tf.sum(tf.where(mask, tf.zerosLike(weights), weights), 1, true));
    expect(g).toBeAllclose(expected, { rtol: 1e-6, atol: 1e-6 });
    await expectNoTensorLeak(() => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.broadcastTo(t, [6, 5]))))(x));
    tf.dispose([x, mask, other, weights, g, expected]);
  });
});
