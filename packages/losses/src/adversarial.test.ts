import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import {
  ADVERSARIAL_LOSS_NAMES,
  adversarialLoss,
  discriminatorHingeLoss,
  discriminatorLeastSquaresLoss,
  discriminatorLogisticLoss,
  discriminatorWassersteinLoss,
  generatorHingeLoss,
  generatorLeastSquaresLoss,
  generatorLogisticLoss,
  generatorWassersteinLoss,
  type AdversarialLossName,
} from './index.js';

const scalar = (t: tf.Tensor): number => t.dataSync()[0];
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

function gradOf(f: (x: tf.Tensor) => tf.Scalar, values: number[]): number[] {
  const x = tf.tensor1d(values);
  const g = tf.grad(f)(x);
  const out = Array.from(g.dataSync());
  tf.dispose([x, g]);
  return out;
}

function withLogits<T>(real: number[], fake: number[], body: (r: tf.Tensor1D, f: tf.Tensor1D) => T): T {
  const r = tf.tensor1d(real);
  const f = tf.tensor1d(fake);
  try {
    return body(r, f);
  } finally {
    tf.dispose([r, f]);
  }
}

describeBackends('adversarial losses', () => {
  describe('C01: logistic (non-saturating) — exact, never eps-capped', () => {
    it('1. r = 0, f = 0 → D = 2 ln 2 = 1.386294, G = ln 2 = 0.693147', () => {
      withLogits([0], [0], (r, f) => {
        expect(discriminatorLogisticLoss(r, f)).toBeAllclose(2 * Math.LN2, { rtol: 1e-6 });
        expect(generatorLogisticLoss(f)).toBeAllclose(Math.LN2, { rtol: 1e-6 });
      });
    });

    it('2. r = 0, f = 50 → fake term 50 (not 13.815511) and d/df = σ(50) ≈ 1', () => {
      withLogits([0], [50], (r, f) => {
        expect(scalar(discriminatorLogisticLoss(r, f)) - Math.LN2).toBeAllclose(50, { rtol: 1e-6 });
        const [, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => discriminatorLogisticLoss(a, b))([r, f]);
        expect(df).toBeAllclose([1], { rtol: 1e-6 });
      });
    });

    it('3. r = −300 → real term 300 (not inf), gradient −1 w.r.t. r', () => {
      withLogits([-300], [0], (r, f) => {
        expect(scalar(discriminatorLogisticLoss(r, f)) - Math.LN2).toBeAllclose(300, { rtol: 1e-6 });
        expect(gradOf((x) => discriminatorLogisticLoss(x, f), [-300])).toEqual([-1]);
      });
    });

    it('4. G loss at f = −100 → 100 (not inf), gradient −1', () => {
      withLogits([0], [-100], (_r, f) => {
        expect(generatorLogisticLoss(f)).toBeAllclose(100, { rtol: 1e-6 });
        expect(gradOf((x) => generatorLogisticLoss(x), [-100])).toEqual([-1]);
      });
    });

    it('5. regression guard: the fake term at f = 0 is ln 2 = 0.693147, not softplus(−1) = 0.313262', () => {
      withLogits([1e4], [0], (r, f) => {
        const fakeTerm = scalar(discriminatorLogisticLoss(r, f)); // real term softplus(−1e4) = 0
        expect(fakeTerm).toBeAllclose(0.693147, { rtol: 1e-6 });
        expect(Math.abs(fakeTerm - 0.313262)).toBeGreaterThan(0.3);
      });
    });

    it('no NaN / inf for |logit| ≤ 1e4; gradients finite and saturated correctly', () => {
      const values = [1e4, -1e4, 300, -300, 88.8, -88.8, 0];
      withLogits(values, values, (r, f) => {
        const d = scalar(discriminatorLogisticLoss(r, f));
        const expected = values.reduce((s, v) => s + softplus(-v), 0) / 7 + values.reduce((s, v) => s + softplus(v), 0) / 7;
        expect(d).toBeAllclose(expected, { rtol: 1e-6 });
        expect(scalar(generatorLogisticLoss(f))).toBeAllclose(values.reduce((s, v) => s + softplus(-v), 0) / 7, { rtol: 1e-6 });
        const [dr, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => discriminatorLogisticLoss(a, b))([r, f]);
        const sig = (x: number): number => 1 / (1 + Math.exp(-x));
        expect(dr).toBeAllclose(values.map((v) => -sig(-v) / 7), { rtol: 1e-5, atol: 1e-9 });
        expect(df).toBeAllclose(values.map((v) => sig(v) / 7), { rtol: 1e-5, atol: 1e-9 });
      });
    });

    it('gradient matches finite differences at moderate and extreme logits', () => {
      for (const values of [[0.3, -1.2, 2.5], [300, -300, 50], [-1e4, 1e4, -50]]) {
        withLogits(values, values, (r, f) => {
          const ref = (real: ArrayLike<number>, fake: ArrayLike<number>): number =>
            Array.from(real).reduce((s, v) => s + softplus(-v), 0) / real.length + Array.from(fake).reduce((s, v) => s + softplus(v), 0) / fake.length;
          const gr = checkGradient((x) => discriminatorLogisticLoss(x, f), r, { h: 1e-4, reference: (v) => ref(v, values) });
          const gf = checkGradient((x) => discriminatorLogisticLoss(r, x), f, { h: 1e-4, reference: (v) => ref(values, v) });
          const gg = checkGradient((x) => generatorLogisticLoss(x), f, {
            h: 1e-4,
            reference: (v) => Array.from(v).reduce((s, x) => s + softplus(-x), 0) / v.length,
          });
          expect(Math.max(gr.maxAbsError, gf.maxAbsError, gg.maxAbsError), `logits ${values}`).toBeLessThan(1e-6);
        });
      }
    });
  });

  describe('C01-6: hinge', () => {
    it('D = mean(relu(1 − r)) + mean(relu(1 + f)): 1.0 at (0.5, −0.5); 0 at (2, −2) with zero gradients; G = −mean(f)', () => {
      withLogits([0.5], [-0.5], (r, f) => expect(discriminatorHingeLoss(r, f)).toBeAllclose(1.0, { rtol: 1e-6 }));
      withLogits([2], [-2], (r, f) => {
        expect(scalar(discriminatorHingeLoss(r, f))).toBe(0);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => discriminatorHingeLoss(a, b))([r, f]);
        expect(g.map((t) => Math.abs(t.dataSync()[0]))).toEqual([0, 0]);
      });
      withLogits([0], [1, -3, 300], (_r, f) => {
        expect(generatorHingeLoss(f)).toBeAllclose(-298 / 3, { rtol: 1e-6 });
        expect(gradOf((x) => generatorHingeLoss(x), [1, -3, 300])).toBeAllclose([-1 / 3, -1 / 3, -1 / 3], { rtol: 1e-6 });
      });
    });
  });

  describe('least squares and wasserstein', () => {
    it('least squares: D = mean(½(r − 1)²) + mean(½f²), G = mean(½(f − 1)²), finite at ±1e4', () => {
      withLogits([1, 3, -1e4], [0, 2, 1e4], (r, f) => {
        expect(discriminatorLeastSquaresLoss(r, f)).toBeAllclose((0 + 2 + 0.5 * 10001 ** 2) / 3 + (0 + 2 + 0.5 * 1e8) / 3, { rtol: 1e-6 });
        expect(generatorLeastSquaresLoss(f)).toBeAllclose((0.5 + 0.5 + 0.5 * 9999 ** 2) / 3, { rtol: 1e-6 });
      });
      expect(gradOf((x) => generatorLeastSquaresLoss(x), [0, 2])).toBeAllclose([-0.5, 0.5], { rtol: 1e-6 });
    });

    it('wasserstein: D = mean(f) − mean(r), G = −mean(f); real and fake batches may differ in size', () => {
      withLogits([1, 2, 3], [0.5, -0.5], (r, f) => {
        expect(discriminatorWassersteinLoss(r, f)).toBeAllclose(0 - 2, { rtol: 1e-6 });
        expect(generatorWassersteinLoss(f)).toBeAllclose(0, { atol: 1e-7 });
      });
    });

    it('accepts [N, 1] logits (a dense head) like [N]', () => {
      const a = tf.tensor2d([[0.2], [-1.5]]);
      const b = tf.tensor1d([0.2, -1.5]);
      for (const name of ['hinge', 'logistic', 'least_squares', 'wasserstein'] as const) {
        const { discriminator, generator } = adversarialLoss(name);
        expect(scalar(discriminator(a, a))).toBeCloseTo(scalar(discriminator(b, b)), 6);
        expect(scalar(generator(a))).toBeCloseTo(scalar(generator(b)), 6);
      }
      tf.dispose([a, b]);
    });
  });

  it('leave no tensors behind', async () => {
    const r = tf.tensor1d([0.1, -2]);
    const f = tf.tensor2d([[3], [0]]);
    for (const name of ADVERSARIAL_LOSS_NAMES) {
      const { discriminator, generator } = adversarialLoss(name);
      await expectNoTensorLeak(() => discriminator(r, f), `${name} D`);
      await expectNoTensorLeak(() => generator(f), `${name} G`);
      await expectNoTensorLeak(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => discriminator(a, b))([r, f]), `${name} D grad`);
    }
    tf.dispose([r, f]);
  });
});

describe('adversarialLoss lookup', () => {
  it("accepts StudioGAN's names ('vanilla', 'least_square') and the canonical ones", () => {
    const expected: Record<AdversarialLossName, [string, unknown, unknown]> = {
      hinge: ['hinge', discriminatorHingeLoss, generatorHingeLoss],
      logistic: ['logistic', discriminatorLogisticLoss, generatorLogisticLoss],
      vanilla: ['logistic', discriminatorLogisticLoss, generatorLogisticLoss],
      least_squares: ['least_squares', discriminatorLeastSquaresLoss, generatorLeastSquaresLoss],
      least_square: ['least_squares', discriminatorLeastSquaresLoss, generatorLeastSquaresLoss],
      wasserstein: ['wasserstein', discriminatorWassersteinLoss, generatorWassersteinLoss],
    };
    expect([...ADVERSARIAL_LOSS_NAMES].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [canonical, d, g]] of Object.entries(expected)) {
      const loss = adversarialLoss(name as AdversarialLossName);
      expect(loss.name).toBe(canonical);
      expect(loss.discriminator).toBe(d);
      expect(loss.generator).toBe(g);
    }
  });

  it('rejects unknown names, listing the accepted ones; MH points to the multi-hinge functions', () => {
    expect(() => adversarialLoss('ls' as never)).toThrow(
      `adversarialLoss: name must be one of 'hinge', 'logistic', 'vanilla', 'least_squares', 'least_square', 'wasserstein'; received "ls".`,
    );
    expect(() => adversarialLoss('toString' as never)).toThrow(/name must be one of/);
    expect(() => adversarialLoss('MH' as never)).toThrow(/multiHingeDiscriminatorLoss/);
  });

  it('validates logits: dtype, rank, emptiness, naming the argument', () => {
    const ok = tf.tensor1d([0.5]);
    const ints = tf.tensor1d([1], 'int32');
    const wide = tf.zeros([2, 3]);
    const empty = tf.tensor1d([]);
    expect(() => discriminatorHingeLoss(ints, ok)).toThrow(/discriminatorHingeLoss: realLogits must be a float32 tf.Tensor of shape \[N\] or \[N, 1\]; received dtype int32/);
    expect(() => discriminatorLogisticLoss(ok, wide)).toThrow(/discriminatorLogisticLoss: fakeLogits .*received shape \[2, 3\]/);
    expect(() => generatorHingeLoss(empty)).toThrow(/generatorHingeLoss: fakeLogits must be non-empty/);
    expect(() => generatorLogisticLoss([1, 2] as never)).toThrow(/fakeLogits must be a float32 tf.Tensor .*received an array of length 2/);
    tf.dispose([ok, ints, wide, empty]);
  });
});
