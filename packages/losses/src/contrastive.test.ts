import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { contrastiveReference, randomNormals, rows } from '../test/reference64.js';
import { conditionalContrastiveLoss } from './index.js';

// test-cases.md C02 inputs
const C02_EMBED = [[1, 0], [0.6, 0.8], [0, 1], [-0.6, 0.8]];
const C02_PROXY = [[1, 0], [1, 0], [0, 1], [0, 1]];
const C02_LABELS = [0, 0, 1, 1];

describeBackends('conditionalContrastiveLoss (2C)', () => {
  describe('C02: low temperature', () => {
    it('tau = 0.5: per-sample [0.114670, 0.697915, 0.393619, 0.188248], mean 0.348613', () => {
      const embed = tf.tensor2d(C02_EMBED);
      const proxy = tf.tensor2d(C02_PROXY);
      const per = conditionalContrastiveLoss({ embed, proxy, labels: C02_LABELS }, { temperature: 0.5, reduction: 'none' });
      expect(per).toBeAllclose([0.11467, 0.697915, 0.393619, 0.188248], { rtol: 1e-5, atol: 1e-6 });
      const mean = conditionalContrastiveLoss({ embed, proxy, labels: C02_LABELS }, { temperature: 0.5 });
      expect(mean).toBeAllclose(0.348613, { rtol: 1e-5 });
      tf.dispose([embed, proxy, per, mean]);
    });

    it('tau = 0.01: per-sample [0, 19.306853, 2.06e-9, 0], mean 4.826713 — no NaN, finite gradients', () => {
      const embed = tf.tensor2d(C02_EMBED);
      const proxy = tf.tensor2d(C02_PROXY);
      const per = conditionalContrastiveLoss({ embed, proxy, labels: C02_LABELS }, { temperature: 0.01, reduction: 'none' });
      const v = per.dataSync();
      // samples 0 and 3 are e^{-100} ≈ 3.7e-44 (a float32 denormal; the native backend flushes it to 0)
      // and ≈ 1.3e-23 exactly; the doc rounds both to 0
      expect(v[0]).toBeAllclose(0, { atol: 1e-40 });
      expect(v[1]).toBeCloseTo(19.306853, 4);
      expect(v[2]).toBeAllclose(2.0611536e-9, { rtol: 1e-3, atol: 0 }); // e^{-20}: tiny but resolved
      expect(v[3]).toBeAllclose(0, { atol: 1e-20 });
      const mean = conditionalContrastiveLoss({ embed, proxy, labels: C02_LABELS }, { temperature: 0.01 });
      expect(mean).toBeAllclose(4.826713, { rtol: 1e-5 });
      const g = tf.grads((e: tf.Tensor, p: tf.Tensor) =>
        conditionalContrastiveLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels: C02_LABELS }, { temperature: 0.01 }),
      )([embed, proxy]);
      for (const grad of g) expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([embed, proxy, per, mean, ...g]);
    });

    it('all embeddings and proxies (1,0), labels [0,0,1,1], tau = 0.01: ln 2 for every sample', () => {
      const embed = tf.tensor2d([[1, 0], [1, 0], [1, 0], [1, 0]]);
      const per = conditionalContrastiveLoss({ embed, proxy: embed, labels: C02_LABELS }, { temperature: 0.01, reduction: 'none' });
      expect(per).toBeAllclose([Math.LN2, Math.LN2, Math.LN2, Math.LN2], { rtol: 1e-5 });
      tf.dispose([embed, per]);
    });

    it('stays finite for tau = 1e-3 and 1e-4 on a random batch', () => {
      const embed = tf.tensor2d(randomNormals(31, 40), [8, 5]);
      const proxy = tf.tensor2d(randomNormals(32, 40), [8, 5]);
      for (const temperature of [1e-3, 1e-4]) {
        const per = conditionalContrastiveLoss({ embed, proxy, labels: [0, 1, 2, 3, 0, 1, 2, 3] }, { temperature, reduction: 'none' });
        expect(Array.from(per.dataSync()).every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
        per.dispose();
      }
      tf.dispose([embed, proxy]);
    });
  });

  describe('C04: masks and degenerate batches', () => {
    it('N = 1 → 0; an all-same-label batch → 0 (no negatives), both without NaN', () => {
      const one = tf.tensor2d([[0.3, -2, 1]]);
      const loss1 = conditionalContrastiveLoss({ embed: one, proxy: one, labels: [5] }, { temperature: 0.01 });
      expect(loss1.dataSync()[0]).toBe(0);
      const embed = tf.tensor2d(randomNormals(33, 15), [5, 3]);
      const same = conditionalContrastiveLoss({ embed, proxy: embed, labels: [2, 2, 2, 2, 2] });
      expect(same.dataSync()[0]).toBe(0);
      tf.dispose([one, loss1, embed, same]);
    });

    it('self-pairs are excluded: duplicating a sample under another class changes only through the pair', () => {
      // If the diagonal were counted, a lone sample's own cos = 1 term would sit in its numerator.
      const embed = tf.tensor2d([[1, 0], [0, 1]]);
      const proxy = tf.tensor2d([[0, 1], [1, 0]]);
      const per = conditionalContrastiveLoss({ embed, proxy, labels: [0, 1] }, { temperature: 1, reduction: 'none' });
      // l_0 = −log(e^{cos(f0,v0)} / (e^{cos(f0,v0)} + e^{cos(f0,f1)})) = −log(1/2) = ln 2 (cos = 0 both)
      expect(per).toBeAllclose([Math.LN2, Math.LN2], { rtol: 1e-6 });
      tf.dispose([embed, proxy, per]);
    });
  });

  describe('StudioGAN definition and gradients', () => {
    const n = 7;
    const d = 4;
    const labels = [0, 1, 0, 2, 2, 1, 0];
    for (const temperature of [1.0, 0.5, 0.1]) {
      it(`tau = ${temperature}: value matches the float64 reference and gradients match finite differences`, () => {
        const embed = tf.tensor2d(randomNormals(40, n * d), [n, d]);
        const proxy = tf.tensor2d(randomNormals(41, n * d), [n, d]);
        const e64 = rows(embed.dataSync(), n, d);
        const p64 = rows(proxy.dataSync(), n, d);
        const loss = conditionalContrastiveLoss({ embed, proxy, labels }, { temperature });
        expect(loss).toBeAllclose(contrastiveReference(e64, p64, labels, temperature), { rtol: 1e-5, atol: 1e-6 });
        const gEmbed = checkGradient(
          (e) => conditionalContrastiveLoss({ embed: e as tf.Tensor2D, proxy, labels }, { temperature }),
          embed,
          { h: 1e-5, reference: (v) => contrastiveReference(rows(v, n, d), p64, labels, temperature) },
        );
        const gProxy = checkGradient(
          (p) => conditionalContrastiveLoss({ embed, proxy: p as tf.Tensor2D, labels }, { temperature }),
          proxy,
          { h: 1e-5, reference: (v) => contrastiveReference(e64, rows(v, n, d), labels, temperature) },
        );
        expect(gEmbed.maxRelError, `embed max abs err ${gEmbed.maxAbsError}`).toBeLessThan(1e-4);
        expect(gProxy.maxRelError, `proxy max abs err ${gProxy.maxAbsError}`).toBeLessThan(1e-4);
        tf.dispose([embed, proxy, loss]);
      });
    }

    it('default temperature is 1.0', () => {
      const embed = tf.tensor2d(randomNormals(42, 12), [4, 3]);
      const proxy = tf.tensor2d(randomNormals(43, 12), [4, 3]);
      const a = conditionalContrastiveLoss({ embed, proxy, labels: [0, 1, 0, 1] });
      const b = conditionalContrastiveLoss({ embed, proxy, labels: [0, 1, 0, 1] }, { temperature: 1 });
      expect(a.dataSync()[0]).toBe(b.dataSync()[0]);
      tf.dispose([embed, proxy, a, b]);
    });

    it('leaves no tensors behind (value and gradient)', async () => {
      const embed = tf.tensor2d(randomNormals(44, 12), [4, 3]);
      const proxy = tf.tensor2d(randomNormals(45, 12), [4, 3]);
      const labels = tf.tensor1d([0, 1, 0, 1], 'int32');
      await expectNoTensorLeak(() => conditionalContrastiveLoss({ embed, proxy, labels }), 'value');
      await expectNoTensorLeak(() => conditionalContrastiveLoss({ embed, proxy, labels: [0, 1, 0, 1] }), 'array labels');
      await expectNoTensorLeak(
        () => tf.grads((e: tf.Tensor, p: tf.Tensor) => conditionalContrastiveLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels }))([embed, proxy]),
        'gradient',
      );
      tf.dispose([embed, proxy, labels]);
    });
  });
});

describe('conditionalContrastiveLoss input validation', () => {
  it('names the argument, the expectation and the received value', () => {
    const embed = tf.tensor2d(randomNormals(50, 12), [4, 3]);
    const proxy = tf.tensor2d(randomNormals(51, 9), [3, 3]);
    expect(() => conditionalContrastiveLoss({ embed, proxy, labels: [0, 1, 0, 1] })).toThrow(
      /conditionalContrastiveLoss: proxy must be of the same shape as embed \(\[4, 3\]\).*received shape \[3, 3\]/,
    );
    expect(() => conditionalContrastiveLoss({ embed, proxy: embed, labels: [0, 1, 0, 1] }, { temperature: 0 })).toThrow(
      /options.temperature must be a finite number in \(0, Infinity\); received 0/,
    );
    expect(() => conditionalContrastiveLoss({ embed, proxy: embed, labels: [0, 1] })).toThrow(/labels must be of length N = 4/);
    expect(() => conditionalContrastiveLoss({ embed, proxy: embed, labels: [0, 1, 0, 1] }, { positiveMargin: 0.9 } as never)).toThrow(
      /unknown option 'positiveMargin'/,
    );
    tf.dispose([embed, proxy]);
  });

  it('tensors passed positionally: names `inputs` (or `options`) and shows the right call', async () => {
    const embed = tf.tensor2d(randomNormals(52, 8), [4, 2]);
    const labels = tf.tensor1d([0, 1, 0, 1], 'int32');
    const positionalCall = conditionalContrastiveLoss as unknown as (...args: unknown[]) => tf.Tensor;
    const positional = 'conditionalContrastiveLoss: inputs: expected an object { embed, proxy, labels }, received a tf.Tensor of dtype float32, shape [4, 2] (pass the tensors by name: conditionalContrastiveLoss({ embed, proxy, labels }, options)).';
    await expectNoTensorLeak(() => {
      expect(() => positionalCall(embed, embed, labels)).toThrow(positional);
      expect(() => positionalCall(embed)).toThrow(positional);
      expect(() => positionalCall([embed, embed, labels])).toThrow(/inputs: expected an object \{ embed, proxy, labels \}, received an array of length 3/);
      expect(() => positionalCall({ embed, proxy: embed, labels }, labels)).toThrow(
        'conditionalContrastiveLoss: options: expected an options object { temperature, reduction } or nothing, received a tf.Tensor of dtype int32, shape [4] (the tensors go in the earlier arguments; call it as conditionalContrastiveLoss({ embed, proxy, labels }, options)).',
      );
    });
    expect(() => positionalCall(embed, embed, labels)).not.toThrow(/unknown option/);
    tf.dispose([embed, labels]);
  });
});
