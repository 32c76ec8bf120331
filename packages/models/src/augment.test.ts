// Golden values: StudioGAN's own apply_diffaug / apply_cr_aug run with injected draws (scripts/make_augment_golden.py),
// float64 references. Error model: translation, cutout and flip move or zero values (exact: compared for equality
// up to the float32 rounding of the reference, 0 here); the colour ops are ≤ 8 float32 operations per value on
// magnitudes ≤ 4, i.e. |error| ≤ 8 · 2^-24 · 4 ≈ 2e-6, and StudioGAN's own float32 run stays within 1.1e-6 of the
// float64 reference (`gap*` in the fixture). Tolerance: atol 4e-6 for outputs and input gradients.
import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, describeBackends, expectNoTensorLeak, loadFixture } from '@reacgan/testkit';
import { expect, it } from 'vitest';
import { crAugment, diffAugment, sampleCrAugmentDraws, sampleDiffAugmentDraws, type CrAugmentDraws, type DiffAugmentDraws } from './augment.js';

interface Case {
  name: string;
  op: 'diffaug' | 'cr';
  policy: string | null;
  shape: [number, number, number, number];
  x: number[];
  weights: number[];
  draws: Record<string, number[]>;
  output: number[];
  gradX: number[];
  gapOutput: number;
  gapGrad: number;
}

const golden = loadFixture<{ provenance: Record<string, string>; cases: Case[] }>(import.meta.url, '__fixtures__/augment-golden.json');
const ATOL = 4e-6;

function typedDraws(c: Case): DiffAugmentDraws & CrAugmentDraws {
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const [key, values] of Object.entries(c.draws)) out[key] = ['brightness', 'saturation', 'contrast', 'flip'].includes(key) ? Float32Array.from(values) : Int32Array.from(values);
  return out as unknown as DiffAugmentDraws & CrAugmentDraws;
}

function apply(c: Case, x: tf.Tensor4D): tf.Tensor4D {
  return c.op === 'diffaug' ? diffAugment(x, typedDraws(c), c.policy!) : crAugment(x, typedDraws(c));
}

describeBackends('augmentations equal StudioGAN (diffaug.py, cr.py) with the same draws', () => {
  it(`the fixture comes from StudioGAN's own functions (${golden.provenance.studiogan})`, () => {
    expect(golden.provenance.reference).toMatch(/apply_diffaug.*apply_cr_aug/);
    expect(Math.max(...golden.cases.map((c) => Math.max(c.gapOutput, c.gapGrad)))).toBeLessThan(ATOL);
  });

  for (const c of golden.cases) {
    it(`${c.name}: output and ∂(Σ w·out)/∂x`, () => {
      const x = tf.tensor4d(c.x, c.shape);
      const w = tf.tensor4d(c.weights, c.shape);
      const out = apply(c, x);
      expect(out.shape).toEqual(c.shape);
      expect(out).toBeAllclose(c.output, { atol: ATOL, rtol: 0 });
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(apply(c, t as tf.Tensor4D), w)))(x);
      expect(grad).toBeAllclose(c.gradX, { atol: ATOL, rtol: 0 });
      tf.dispose([x, w, out, grad]);
    });
  }

  it('second-order: the gradient of a function of ∂/∂x through DiffAugment matches finite differences', () => {
    const c = golden.cases.find((k) => k.op === 'diffaug' && k.policy === 'color,translation,cutout')!;
    const base = tf.tensor4d(c.x, c.shape);
    const w = tf.tensor4d(c.weights, c.shape);
    // f(v) = Σ (∂/∂x Σ w·aug(x + v·1)²)² as a function of a scalar shift v: the augmentation differentiated twice.
    const f = (v: tf.Tensor) =>
      tf.tidy(() => {
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(w, tf.square(apply(c, t as tf.Tensor4D)))))(tf.add(base, v));
        return tf.sum(tf.square(g)) as tf.Scalar;
      });
    const result = checkGradient(f, tf.scalar(0.1), { h: 1e-2 });
    expect(result.maxRelError).toBeLessThan(2e-2);
    tf.dispose([base, w]);
  });

  it("samplers draw in StudioGAN order and range; bad draws and inputs are refused by name; no leaks", async () => {
    let k = 0;
    const calls: string[] = [];
    const random = {
      uniform: (n: number) => {
        calls.push(`u${n}`);
        return Float32Array.from({ length: n }, () => (k++ % 10) / 10);
      },
      integers: (n: number, low: number, high: number) => {
        calls.push(`i${n}[${low},${high})`);
        return Int32Array.from({ length: n }, (_, i) => low + (i % (high - low)));
      },
    };
    const d = sampleDiffAugmentDraws(random, 2, 32, 32);
    expect(calls).toEqual(['u2', 'u2', 'u2', 'i2[-4,5)', 'i2[-4,5)', 'i2[0,33)', 'i2[0,33)']);
    calls.length = 0;
    sampleCrAugmentDraws(random, 2, 32, 32);
    expect(calls).toEqual(['u2', 'i2[-4,5)', 'i2[-4,5)']);
    const x = tf.zeros([2, 32, 32, 3]) as tf.Tensor4D;
    expect(() => diffAugment(x, { ...d, translationX: Int32Array.from([9, 0]) })).toThrow(/diffAugment: draws\.translationX\[0\] = 9: expected an integer in \[-4, 4\]/);
    expect(() => diffAugment(x, { ...d, brightness: new Float32Array(3) })).toThrow(/draws\.brightness: expected 2 values/);
    expect(() => diffAugment(x, d, 'colour')).toThrow(/policy: expected .* received 'colour'/);
    expect(() => diffAugment(tf.zeros([2, 32, 32]) as unknown as tf.Tensor4D, d)).toThrow(/diffAugment: images must be a float32 NHWC/);
    await expectNoTensorLeak(() => {
      diffAugment(x, d).dispose();
      crAugment(x, sampleCrAugmentDraws(random, 2, 32, 32)).dispose();
    });
    x.dispose();
  });
});
