// References: the formulas evaluated in float64 JavaScript on the same values (StudioGAN's own functions are
// compared in reacgan/test/regularizers.test.ts). Float32 results of sums of ≤ 64 terms of magnitude ≤ 10:
// rtol 1e-6 on values; gradients against float64 finite differences of the float64 formula.
import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { expect, it } from 'vitest';
import { consistencyLoss, gradientPenalty, lecamRegularizer, r1Penalty } from './index.js';

const g = [0.5, -1.25, 2, 0.75, -0.5, 1.5, 0.25, -2, 1, 0.125, -0.875, 0.625];
const rows = (values: ArrayLike<number>, n: number) => Array.from({ length: n }, (_, i) => Array.from(values).slice((i * values.length) / n, ((i + 1) * values.length) / n));
const r1Reference = (values: ArrayLike<number>) => (0.5 * rows(values, 3).reduce((s, r) => s + r.reduce((a, v) => a + v * v, 0), 0)) / 3;
const gpReference = (values: ArrayLike<number>) => rows(values, 3).reduce((s, r) => s + (Math.sqrt(r.reduce((a, v) => a + v * v, 0)) - 1) ** 2, 0) / 3;

describeBackends('regularisers', () => {
  it('r1Penalty = 0.5·mean_i Σ g_i² and gradientPenalty = mean_i (‖g_i‖ − 1)², for any image layout', () => {
    const grads = tf.tensor4d(g, [3, 2, 2, 1]);
    expect(r1Penalty(grads)).toBeAllclose(r1Reference(g), { rtol: 1e-6 });
    expect(gradientPenalty(grads)).toBeAllclose(gpReference(g), { rtol: 1e-6 });
    expect(r1Penalty(tf.reshape(grads, [3, 4]))).toBeAllclose(r1Reference(g), { rtol: 1e-6 });
    for (const [fn, reference] of [[r1Penalty, r1Reference], [gradientPenalty, gpReference]] as const) {
      const result = checkGradient((x) => fn(x), grads, { h: 1e-3, reference });
      expect(result.maxAbsError).toBeLessThan(1e-4);
    }
    grads.dispose();
  });

  it('consistencyLoss = mean (a − b)² over every element, gradient into both', () => {
    const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const b = tf.tensor2d([[1.5, 2, 1], [4, 3, 6.25]]);
    expect(consistencyLoss(a, b)).toBeAllclose((0.25 + 0 + 4 + 0 + 4 + 0.0625) / 6, { rtol: 1e-6 });
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => consistencyLoss(x, y))([a, b]);
    expect(ga).toBeAllclose(tf.div(tf.mul(tf.sub(a, b), 2), 6));
    expect(gb).toBeAllclose(tf.neg(ga));
    tf.dispose([a, b, ga, gb]);
  });

  it('lecamRegularizer = mean ReLU(real − α_fake)² + mean ReLU(α_real − fake)²; the averages carry no gradient', () => {
    const real = tf.tensor1d([0.5, 2, -1, 3]);
    const fake = tf.tensor1d([-2, 0.25, 1, -0.5]);
    const [aReal, aFake] = [1, -0.5];
    const relu = (v: number) => Math.max(v, 0);
    const expected = [0.5, 2, -1, 3].reduce((s, r) => s + relu(r - aFake) ** 2, 0) / 4 + [-2, 0.25, 1, -0.5].reduce((s, f) => s + relu(aReal - f) ** 2, 0) / 4;
    expect(lecamRegularizer(real, fake, aReal, aFake)).toBeAllclose(expected, { rtol: 1e-6 });
    const emaReal = tf.scalar(aReal);
    const emaFake = tf.scalar(aFake);
    expect(lecamRegularizer(tf.reshape(real, [4, 1]), fake, emaReal, emaFake)).toBeAllclose(expected, { rtol: 1e-6 });
    const grad = tf.grad((e: tf.Tensor) => tf.add(lecamRegularizer(real, fake, emaReal, e as tf.Scalar), tf.mul(e, 0)))(emaFake);
    expect(grad.dataSync()[0]).not.toBe(0); // the function of e itself is differentiable; callers pass constants
    tf.dispose([real, fake, emaReal, emaFake, grad]);
  });

  it('bad arguments are named; nothing leaks', async () => {
    expect(() => r1Penalty(tf.tensor1d([1, 2]))).toThrow(/r1Penalty: gradients must be a non-empty float32 tf\.Tensor of rank >= 2/);
    expect(() => gradientPenalty(tf.tensor2d([[1]], [1, 1], 'int32'))).toThrow(/gradientPenalty: gradients must be a float32 tf\.Tensor/);
    expect(() => consistencyLoss(tf.zeros([2, 3]), tf.zeros([3, 2]))).toThrow(/consistencyLoss: b must be of a's shape \[2, 3\]; received shape \[3, 2\]/);
    expect(() => lecamRegularizer(tf.zeros([2]), tf.zeros([2]), Number.NaN, 0)).toThrow(/lecamRegularizer: emaReal must be a finite number or a float32 scalar tensor/);
    const x = tf.ones([2, 3]);
    const flat = tf.ones([6]);
    await expectNoTensorLeak(() => [r1Penalty(x), gradientPenalty(x), consistencyLoss(x, x), lecamRegularizer(flat, flat, 0, 0)]);
    tf.dispose([x, flat]);
  });
});
