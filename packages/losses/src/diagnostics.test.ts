// The paper's diagnostics: by hand on tiny batches, against StudioGAN's own `misc.compute_gradient` (run by
// scripts/make_diagnostics_golden.py at v.0.3.0 in float64), and the gradient norm against finite
// differences of the float64 cross-entropy.
import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak, loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { crossEntropyReference } from '../test/reference64.js';
import { classifierGradientDiagnostics, d2dceDiagnostics, meanAndStd } from './index.js';

interface GoldenRow {
  case: string;
  features: number[][];
  weight: number[][];
  logits: number[][];
  labels: number[];
  numClasses: number;
  featureNorm: number[];
  targetProbability: number[];
  weightGradientNorm: number[];
  summary: Record<'mean_feat_norms' | 'std_feat_norms' | 'mean_probs' | 'std_probs' | 'mean_w_grads' | 'std_w_grads', number>;
  autogradWeightGradientNorm: number[];
}
const golden = loadFixture<{ provenance: Record<string, unknown>; classifierGradient: GoldenRow[] }>(import.meta.url, '__fixtures__/diagnostics-golden.json');

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const scalar = (t: tf.Tensor): number => t.dataSync()[0];
/** float32 unit roundoff. */
const U = 2 ** -24;

describeBackends('classifierGradientDiagnostics', () => {
  it('by hand: two samples, two classes', () => {
    // h_0 = (3, 4), ‖h_0‖ = 5, logits (0, 0) → p_0 = (1/2, 1/2), y_0 = 0 → p(y_0|x_0) = 1/2
    // h_1 = (0, 2), ‖h_1‖ = 2, logits (ln 3, 0) → p_1 = (3/4, 1/4), y_1 = 1 → p(y_1|x_1) = 1/4
    // onehot − p: row 0 (1/2, −1/2), row 1 (−3/4, 3/4)
    // class 0: (1/2)(1/2·(3, 4) − 3/4·(0, 2)) = (3/4, 1/4) → √(10/16); class 1 is its negative.
    const features = tf.tensor2d([[3, 4], [0, 2]]);
    const logits = tf.tensor2d([[0, 0], [Math.log(3), 0]]);
    const out = classifierGradientDiagnostics({ features, logits, labels: [0, 1] });
    expect(out.featureNorm).toBeAllclose([5, 2], { rtol: 1e-6 });
    expect(out.targetProbability).toBeAllclose([0.5, 0.25], { rtol: 1e-6 });
    expect(out.weightGradientNorm).toBeAllclose([Math.sqrt(10 / 16), Math.sqrt(10 / 16)], { rtol: 1e-6 });
    tf.dispose([features, logits, out.featureNorm, out.targetProbability, out.weightGradientNorm]);
  });

  it('the gradient norm grows linearly with the feature norm at fixed probabilities (the paper\'s argument)', () => {
    const features = tf.tensor2d([[1, 2, 0.5], [0.3, 0.1, 2], [1, 1, 1]]);
    const logits = tf.tensor2d([[0.2, -0.1], [1, 0.5], [-0.3, 0.3]]);
    const base = classifierGradientDiagnostics({ features, logits, labels: [0, 1, 1] });
    const scaled = tf.mul(features, 50) as tf.Tensor2D;
    const big = classifierGradientDiagnostics({ features: scaled, logits, labels: [0, 1, 1] });
    expect(big.weightGradientNorm).toBeAllclose(values(base.weightGradientNorm).map((v) => 50 * v), { rtol: 1e-5 });
    expect(big.featureNorm).toBeAllclose(values(base.featureNorm).map((v) => 50 * v), { rtol: 1e-5 });
    tf.dispose([features, logits, scaled, ...Object.values(base), ...Object.values(big)]);
  });

  describe("StudioGAN's misc.compute_gradient (v.0.3.0, float64)", () => {
    it('provenance: the fixture was produced by the StudioGAN function, checked against torch autograd', () => {
      expect(String(golden.provenance.studiogan)).toMatch(/6650d2f.*compute_gradient/);
      expect(golden.provenance.maxAbsDiffAutograd as number).toBeLessThan(1e-12);
    });
    for (const row of golden.classifierGradient) {
      it(`case '${row.case}': ‖h‖, p(y|x), ‖∂L/∂w_c‖ and their mean / std`, () => {
        const n = row.labels.length;
        const features = tf.tensor2d(row.features);
        const logits = tf.tensor2d(row.logits);
        const out = classifierGradientDiagnostics({ features, logits, labels: row.labels });
        // Error model: the only error is float32 (inputs rounded, then float32 arithmetic). A norm of F terms
        // is off by ≲ (F + 2)·u relatively; a softmax probability by ≲ 4·u·(1 + max|z|) (exp's relative error
        // is the absolute error of its argument); the gradient rows sum N terms of both: (N + F + 4)·u·(1 + max|z|)
        // relative to the largest term (‖h‖·max, the atol).
        const zMax = Math.max(...row.logits.flat().map(Math.abs));
        const f = row.features[0].length;
        const hMax = Math.max(...row.featureNorm);
        expect(out.featureNorm).toBeAllclose(row.featureNorm, { rtol: 4 * (f + 2) * U, atol: 0 });
        expect(out.targetProbability).toBeAllclose(row.targetProbability, { rtol: 0, atol: 4 * 4 * U * (1 + zMax) });
        const gradientTol = 4 * (n + f + 4) * U * (1 + zMax) * hMax;
        expect(out.weightGradientNorm).toBeAllclose(row.weightGradientNorm, { rtol: 0, atol: gradientTol });
        expect(out.weightGradientNorm).toBeAllclose(row.autogradWeightGradientNorm, { rtol: 0, atol: gradientTol });
        const s = {
          feat: meanAndStd(out.featureNorm),
          probs: meanAndStd(out.targetProbability),
          grads: meanAndStd(out.weightGradientNorm),
        };
        expect(s.feat.mean).toBeAllclose(row.summary.mean_feat_norms, { rtol: 4 * (f + n + 2) * U });
        expect(s.feat.std).toBeAllclose(row.summary.std_feat_norms, { rtol: 1e-4, atol: 4 * (f + n + 2) * U * hMax });
        expect(s.probs.mean).toBeAllclose(row.summary.mean_probs, { atol: 4 * (4 + n) * U * (1 + zMax) });
        expect(s.probs.std).toBeAllclose(row.summary.std_probs, { rtol: 1e-4, atol: 8 * (4 + n) * U * (1 + zMax) });
        expect(s.grads.mean).toBeAllclose(row.summary.mean_w_grads, { atol: 2 * gradientTol });
        expect(s.grads.std).toBeAllclose(row.summary.std_w_grads, { atol: 4 * gradientTol });
        tf.dispose([features, logits, ...Object.values(out), s.feat.mean, s.feat.std, s.probs.mean, s.probs.std, s.grads.mean, s.grads.std]);
      });
    }
  });

  it('the gradient norm equals the norm of finite differences of the float64 mean cross-entropy with respect to w_c', () => {
    // logits = h W (W [F, C], bias-free like StudioGAN's AC linear2); L(W) = mean_i CE(h_i W, y_i).
    const row = golden.classifierGradient.find((r) => r.case === 'tiny')!;
    const h = row.features;
    const w = row.weight;
    const [fDim, c] = [w.length, w[0].length];
    const loss = (weight: number[][]): number =>
      crossEntropyReference(
        h.map((hi) => Array.from({ length: c }, (_, k) => hi.reduce((s, x, j) => s + x * weight[j][k], 0))),
        row.labels,
      );
    const step = 1e-6;
    const numericNorms: number[] = [];
    for (let k = 0; k < c; k++) {
      let squared = 0;
      for (let j = 0; j < fDim; j++) {
        const plus = w.map((r) => [...r]);
        const minus = w.map((r) => [...r]);
        plus[j][k] += step;
        minus[j][k] -= step;
        squared += ((loss(plus) - loss(minus)) / (2 * step)) ** 2;
      }
      numericNorms.push(Math.sqrt(squared));
    }
    const features = tf.tensor2d(h);
    const weight = tf.tensor2d(w);
    const logits = tf.matMul(features, weight) as tf.Tensor2D;
    const out = classifierGradientDiagnostics({ features, logits, labels: row.labels });
    expect(Math.min(...numericNorms)).toBeGreaterThan(1e-3);
    expect(out.weightGradientNorm).toBeAllclose(numericNorms, { rtol: 1e-5, atol: 1e-7 });
    tf.dispose([features, weight, logits, ...Object.values(out)]);
  });

  it('leaves no tensors behind beyond its outputs, also when it throws', async () => {
    const features = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const logits = tf.tensor2d([[0.1, 0.2, 0.3], [0, 1, 0], [2, 0, 1]]);
    await expectNoTensorLeak(() => {
      const out = classifierGradientDiagnostics({ features, logits, labels: [0, 2, 1] });
      tf.dispose(Object.values(out));
    });
    await expectNoTensorLeak(() => {
      expect(() => classifierGradientDiagnostics({ features, logits, labels: [0, 3, 1] })).toThrow();
    });
    tf.dispose([features, logits]);
  });
});

describe('classifierGradientDiagnostics input validation', () => {
  const features = tf.tensor2d([[1, 2], [3, 4]]);
  const logits = tf.tensor2d([[0.1, 0.2, 0.3], [0, 1, 0]]);
  it('names the argument, the expectation and what it received', () => {
    expect(() => classifierGradientDiagnostics(features as never)).toThrow(/inputs: expected an object \{ features, logits, labels \}/);
    expect(() => classifierGradientDiagnostics({ features, logits, labels: [0, 3] })).toThrow(/labels\[1\] = 3 is out of range; class labels must lie in \[0, 3\)/);
    expect(() => classifierGradientDiagnostics({ features: tf.tensor2d([[1, 2]]), logits, labels: [0, 1] })).toThrow(/features must be of shape \[2, F\].*received shape \[1, 2\]/);
    expect(() => classifierGradientDiagnostics({ features, logits: tf.tensor1d([1, 2]) as never, labels: [0, 1] })).toThrow(/logits must be a float32 tf.Tensor of rank 2/);
    expect(() => classifierGradientDiagnostics({ features, logits, labels: [0] })).toThrow(/labels must be of length N = 2/);
  });
});

describeBackends('d2dceDiagnostics', () => {
  // The reference document's D2D-CE test batch (reacgan-reference.md §1.3):
  // f = (1,0,0), (0.8,0.6,0), (0,1,0), (0,0.6,0.8) (unit rows), y = 0, 0, 1, 1,
  // proxies: class 0 = (1, 0.2, 0), class 1 = (0, 1, 0.3) (normalised inside).
  const embed = () => tf.tensor2d([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0.6, 0.8]]);
  const proxy = () => tf.tensor2d([[1, 0.2, 0], [1, 0.2, 0], [0, 1, 0.3], [0, 1, 0.3]]);
  const labels = [0, 0, 1, 1];
  // By hand: s⁺ = 1/√1.04, 0.92/√1.04, 1/√1.09, 0.84/√1.09 = 0.98058, 0.90213, 0.95783, 0.80458.
  const sPlus = [1 / Math.sqrt(1.04), 0.92 / Math.sqrt(1.04), 1 / Math.sqrt(1.09), 0.84 / Math.sqrt(1.09)];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('by hand, with the false-negative mask (m_p 0.98, m_n 0.02)', () => {
    const e = embed();
    const p = proxy();
    const d = d2dceDiagnostics({ embed: e, proxy: p, labels }, { positiveMargin: 0.98 });
    // different-class pairs (both orders): s_02 = 0, s_03 = 0, s_12 = 0.6, s_13 = 0.36 → mean 0.96·2/8 = 0.24
    // same-class pairs: s_01 = 0.8, s_23 = 0.6 → mean 0.7
    // active positives s⁺ < 0.98: samples 1, 2, 3 → 3/4 (sample 0 has 0.98058 ≥ 0.98)
    // active negatives s > 0.02: (1,2), (1,3) in both orders → 4/8; all terms: (3 + 4)/(4 + 8)
    expect(d.positiveSimilarity).toBeAllclose(mean(sPlus), { rtol: 1e-6 });
    expect(d.negativeSimilarity).toBeAllclose(0.24, { rtol: 1e-6 });
    expect(d.sameClassSimilarity).toBeAllclose(0.7, { rtol: 1e-6 });
    expect(scalar(d.activePositiveShare)).toBe(0.75);
    expect(scalar(d.activeNegativeShare)).toBe(0.5);
    expect(d.activePairShare).toBeAllclose(7 / 12, { rtol: 1e-7 });
    tf.dispose([e, p, ...Object.values(d)]);
  });

  it('by hand, without the mask and without margins (m_p 1, m_n 0)', () => {
    const e = embed();
    const p = proxy();
    const d = d2dceDiagnostics({ embed: e, proxy: p, labels }, { positiveMargin: 1, negativeMargin: 0, falseNegativeMask: false });
    // negatives = all 12 ordered pairs i ≠ j: (0.24·8 + 0.7·4)/12 = 4.72/12; active s > 0: 8 of 12;
    // every positive is active (s⁺ < 1): 4/4; all terms (4 + 8)/(4 + 12)
    expect(d.negativeSimilarity).toBeAllclose(4.72 / 12, { rtol: 1e-6 });
    expect(scalar(d.activePositiveShare)).toBe(1);
    expect(d.activeNegativeShare).toBeAllclose(8 / 12, { rtol: 1e-7 });
    expect(d.activePairShare).toBeAllclose(12 / 16, { rtol: 1e-7 });
    tf.dispose([e, p, ...Object.values(d)]);
  });

  it('defaults m_n = 1 − m_p, scale invariance, no negatives → 0 shares without NaN; no leaks', async () => {
    const e = embed();
    const p = proxy();
    const scaledE = tf.mul(e, 7) as tf.Tensor2D;
    const a = d2dceDiagnostics({ embed: e, proxy: p, labels }, { positiveMargin: 0.9 });
    const b = d2dceDiagnostics({ embed: scaledE, proxy: p, labels }, { positiveMargin: 0.9, negativeMargin: 0.1 });
    for (const key of Object.keys(a) as (keyof typeof a)[]) expect(a[key]).toBeAllclose(scalar(b[key]), { rtol: 1e-6, atol: 1e-7 });
    const same = d2dceDiagnostics({ embed: e, proxy: p, labels: [2, 2, 2, 2] });
    expect(scalar(same.negativeSimilarity)).toBe(0);
    expect(scalar(same.activeNegativeShare)).toBe(0);
    expect(Number.isFinite(scalar(same.activePairShare))).toBe(true);
    await expectNoTensorLeak(() => tf.dispose(Object.values(d2dceDiagnostics({ embed: e, proxy: p, labels }))));
    expect(() => d2dceDiagnostics({ embed: e, proxy: p, labels }, { falseNegativeMask: 1 as never })).toThrow(/options.falseNegativeMask must be a boolean/);
    expect(() => d2dceDiagnostics({ embed: e, proxy: p, labels }, { margin: 1 } as never)).toThrow(/unknown option 'margin'/);
    tf.dispose([e, p, scaledE, ...Object.values(a), ...Object.values(b), ...Object.values(same)]);
  });
});

describe('meanAndStd', () => {
  it('unbiased std as torch.std; one value gives std 0; validates', () => {
    const x = tf.tensor1d([1, 2, 3, 4]);
    const { mean, std } = meanAndStd(x);
    expect(scalar(mean)).toBe(2.5);
    expect(std).toBeAllclose(Math.sqrt(5 / 3), { rtol: 1e-6 });
    const one = meanAndStd(tf.tensor1d([7]));
    expect(scalar(one.std)).toBe(0);
    expect(() => meanAndStd(tf.tensor2d([[1]]) as never)).toThrow(/x must be a float32 tf.Tensor of rank 1/);
    tf.dispose([x, mean, std, one.mean, one.std]);
  });
});
