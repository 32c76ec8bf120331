import { loadFixture } from '@reacgan/testkit';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { frechetDistance, frechetDistanceWithDetails, frechetInceptionDistance, traceSqrtProduct } from './fid.js';
import { gemmNT } from './linalg/dense.js';
import { MetricRng } from './rng.js';
import { type FeatureStatistics, featuresToStatistics } from './statistics.js';

interface Golden {
  fid: { name: string; x1: number[][]; x2: number[][]; fid: number }[];
}
const golden = loadFixture<Golden>(import.meta.url, '__fixtures__/metric-golden.json');
const quiet = { onWarning: () => {} };

/** C07's features: X[i][d] = sin(0.37·(i+1)·(d+1)), i < 10 (rank-9 covariance). */
function c07(D: number, f: (v: number) => number = (v) => v): number[][] {
  return Array.from({ length: 10 }, (_, i) => Array.from({ length: D }, (_, d) => f(Math.sin(0.37 * (i + 1) * (d + 1)))));
}

function stats(mu: number[], sigma: number[], count = 1000): FeatureStatistics {
  return { mu: Float64Array.from(mu), sigma: Float64Array.from(sigma), count, dim: mu.length };
}

describe('frechetInceptionDistance', () => {
  it('matches pytorch-fid (scipy sqrtm) on the golden feature sets', () => {
    for (const c of golden.fid) {
      const fid = frechetInceptionDistance(featuresToStatistics(c.x1), featuresToStatistics(c.x2), quiet);
      expect(fid, c.name).toBeAllclose(c.fid, { rtol: 1e-9, atol: 1e-9 });
    }
  });

  it('C07, D = 64: FID(X, X) = 0, FID(X, X + 0.5) = 16, FID(X, 2X) = 35.869447 with N = 10 < D', () => {
    const x = featuresToStatistics(c07(64));
    expect(frechetInceptionDistance(x, x, quiet)).toBeLessThanOrEqual(1e-4);
    expect(frechetInceptionDistance(x, featuresToStatistics(c07(64, (v) => v + 0.5)), quiet)).toBeAllclose(16, { atol: 1e-4, rtol: 0 });
    expect(frechetInceptionDistance(x, featuresToStatistics(c07(64, (v) => 2 * v)), quiet)).toBeAllclose(1.830622 + 34.038825, { atol: 1e-4, rtol: 0 });
  });

  it('C07, D = 2048: 0, 512 and 1126.995443 (rank 9), no NaN, and a rank-deficiency warning', () => {
    const warnings: string[] = [];
    const x = featuresToStatistics(c07(2048));
    const details = frechetDistanceWithDetails(x, x, { onWarning: (m) => warnings.push(m) });
    expect(details.fid).toBeLessThanOrEqual(1e-2);
    expect(details.fid).toBeGreaterThanOrEqual(0);
    expect(details.rankSigma1).toBe(9);
    expect(warnings[0]).toMatch(/stats1 has 10 samples for 2048-dimensional features: the covariance is rank-deficient and FID is biased; use ≥ 2049 samples/);
    expect(frechetInceptionDistance(x, featuresToStatistics(c07(2048, (v) => v + 0.5)), quiet)).toBeAllclose(512, { atol: 1e-2, rtol: 0 });
    expect(frechetInceptionDistance(x, featuresToStatistics(c07(2048, (v) => 2 * v)), quiet)).toBeAllclose(99.419894 + 1027.575549, { atol: 1e-2, rtol: 0 });
  });

  it('analytic: diagonal Gaussians give ‖Δμ‖² + Σ(√a − √b)²; scaling X by c gives ‖μ − cμ‖² + (1 − c)² tr Σ', () => {
    const a = [1, 4, 9, 0.25];
    const b = [4, 1, 16, 0];
    const diag = (v: number[]) => v.flatMap((x, i) => v.map((_, j) => (i === j ? x : 0)));
    const fid = frechetInceptionDistance(stats([0, 1, 2, 3], diag(a)), stats([1, 1, 0, 3], diag(b)), quiet);
    const expected = 1 + 4 + a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i])) ** 2, 0);
    expect(fid).toBeAllclose(expected, { rtol: 1e-12, atol: 1e-12 });
    const rng = new MetricRng(5);
    const x = Array.from({ length: 300 }, () => Array.from({ length: 12 }, () => rng.next() + 0.5));
    const sx = featuresToStatistics(x);
    const c = 1.7;
    const s2 = featuresToStatistics(x.map((r) => r.map((v) => c * v)));
    let mu2 = 0;
    let tr = 0;
    for (let i = 0; i < 12; i++) {
      mu2 += (sx.mu[i] * (1 - c)) ** 2;
      tr += sx.sigma[i * 12 + i];
    }
    expect(frechetInceptionDistance(sx, s2, quiet)).toBeAllclose(mu2 + (1 - c) ** 2 * tr, { rtol: 1e-10, atol: 1e-12 });
  });

  it('tr √(Σ1Σ2) of a non-symmetric product equals Σ √λ(Σ1Σ2) from a general eigensolver (ml-matrix)', () => {
    const rng = new MetricRng(9);
    for (const [d, r1, r2] of [
      [10, 30, 30],
      [16, 5, 40],
      [12, 40, 3],
    ]) {
      const x1 = Float64Array.from({ length: d * r1 }, () => rng.next() - 0.5);
      const x2 = Float64Array.from({ length: d * r2 }, () => rng.next() - 0.3);
      const s1 = gemmNT(x1, d, x1, d, r1, { symmetric: true });
      const s2 = gemmNT(x2, d, x2, d, r2, { symmetric: true });
      const prod = new Matrix(Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => s1[i * d + j]))).mmul(
        new Matrix(Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => s2[i * d + j]))),
      );
      const e = new EigenvalueDecomposition(prod);
      // Zero eigenvalues come out of the general solver as ±1e-15-ish noise; their square roots
      // (~3e-8 each) would be the oracle's error, so values below 1e-10 · max count as 0.
      const top = Math.max(...e.realEigenvalues);
      const ref = e.realEigenvalues.reduce((s, v) => s + (v > 1e-10 * top ? Math.sqrt(v) : 0), 0);
      expect(Math.max(...e.imaginaryEigenvalues.map(Math.abs))).toBeLessThan(1e-8);
      const ours = traceSqrtProduct(s1, s2, d);
      expect(ours.value).toBeAllclose(ref, { rtol: 1e-8, atol: 1e-8 });
      expect(ours.rank).toBe(Math.min(d, r1));
    }
  });

  it('is symmetric in its arguments, never negative, never NaN', () => {
    const rng = new MetricRng(2);
    const x = Array.from({ length: 40 }, () => Array.from({ length: 8 }, () => rng.next()));
    const y = Array.from({ length: 30 }, () => Array.from({ length: 8 }, () => rng.next() * 0.5));
    const a = featuresToStatistics(x);
    const b = featuresToStatistics(y);
    expect(frechetInceptionDistance(a, b)).toBeAllclose(frechetInceptionDistance(b, a), { rtol: 1e-10 });
    const self = frechetInceptionDistance(a, a);
    expect(Number.isNaN(self)).toBe(false);
    expect(self).toBeGreaterThanOrEqual(0);
    expect(self).toBeLessThan(1e-12);
    expect(frechetDistance).toBe(frechetInceptionDistance);
  });

  it('reports a negative result due to rounding as 0 and throws for a substantially negative one', () => {
    // Indefinite "covariances" (eigenvalues 3 and −1) give −3.2: not a valid input.
    const bad = stats([0, 0], [1, 2, 2, 1]);
    expect(() => frechetInceptionDistance(bad, bad, quiet)).toThrow(/substantially negative/);
    // Identical PSD statistics: any negative rounding is clamped to exactly 0.
    const s = featuresToStatistics(c07(200));
    expect(Object.is(frechetInceptionDistance(s, s, quiet), -0)).toBe(false);
  });

  it('throws for mismatched dimensions and malformed statistics, naming the argument', () => {
    const a = featuresToStatistics([
      [1, 2],
      [2, 1],
      [0, 0],
    ]);
    const b = featuresToStatistics([
      [1, 2, 3],
      [2, 1, 0],
    ]);
    expect(() => frechetInceptionDistance(a, b, quiet)).toThrow(/dimension mismatch: stats1 has dim 2, stats2 has dim 3/);
    expect(() => frechetInceptionDistance(a, { ...a, sigma: Float64Array.from([1, 0, 0, Infinity]) }, quiet)).toThrow(/stats2: sigma\[1, 1\] is Infinity/);
  });

  it('retries with εI (pytorch-fid convention) and warns when tr √(Σ1Σ2) is not finite; throws if it stays so', () => {
    // Entries near the float64 range overflow in Lᵀ Σ2 L: the first attempt is not finite.
    const huge = stats([0, 0], [1e200, 0, 0, 1]);
    const warnings: string[] = [];
    expect(() => frechetDistanceWithDetails(huge, huge, { onWarning: (m) => warnings.push(m) })).toThrow(/not finite even with the εI offset/);
    expect(warnings).toEqual(['fid calculation produced a non-finite result; adding 0.000001 to the diagonal of the covariance estimates (pytorch-fid convention)']);
  });

  it('throws instead of returning Infinity/NaN when the terms overflow float64', () => {
    const a = stats([1e200, 0], [1, 0, 0, 1]);
    const b = stats([-1e200, 0], [1, 0, 0, 1]);
    expect(() => frechetInceptionDistance(a, b, quiet)).toThrow(/overflow float64/);
  });

  it('warns for each set with fewer than d + 1 samples, once per set', () => {
    const warnings: string[] = [];
    const small = featuresToStatistics(c07(16));
    frechetDistanceWithDetails(small, small, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/^stats2 has 10 samples/);
  });
});
