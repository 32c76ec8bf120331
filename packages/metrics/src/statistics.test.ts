import * as tf from '@tensorflow/tfjs-core';
import { loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { MetricInputError } from './errors.js';
import { MetricRng } from './rng.js';
import { featuresToStatistics, StatisticsAccumulator, validateStatistics } from './statistics.js';

interface Golden {
  fid: { name: string; x1: number[][]; mu1: number[]; sigma1: number[] }[];
}
const golden = loadFixture<Golden>(import.meta.url, '__fixtures__/metric-golden.json');

/** Two-pass float64 oracle (numpy's np.cov(rowvar=False)). */
function twoPass(x: Float64Array, n: number, d: number): { mu: Float64Array; sigma: Float64Array } {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += x[i * d + j] / n;
  const sigma = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) sigma[a * d + b] += ((x[i * d + a] - mu[a]) * (x[i * d + b] - mu[b])) / (n - 1);
  return { mu, sigma };
}

describe('featuresToStatistics', () => {
  it('equals numpy mean / cov(rowvar=False) (golden from scripts/make_metric_golden.py)', () => {
    for (const c of golden.fid) {
      const s = featuresToStatistics(c.x1);
      expect(s.count).toBe(c.x1.length);
      expect(s.dim).toBe(c.mu1.length);
      expect(s.mu).toBeAllclose(c.mu1, { rtol: 1e-12, atol: 1e-9 });
      expect(s.sigma).toBeAllclose(c.sigma1, { rtol: 1e-10, atol: 1e-9 });
    }
  });

  it('accepts a tf.Tensor2D, number[][], { data, shape } and { features, dim } alike', () => {
    const rows = [
      [1, 2, 3],
      [2, 0, 1],
      [5, 1, -1],
      [0, 0, 2],
    ];
    const ref = featuresToStatistics(rows);
    const t = tf.tensor2d(rows);
    expect(featuresToStatistics(t).sigma).toEqual(ref.sigma);
    t.dispose();
    expect(featuresToStatistics({ data: Float32Array.from(rows.flat()), shape: [4, 3] }).sigma).toEqual(ref.sigma);
    expect(featuresToStatistics({ features: Float32Array.from(rows.flat()), dim: 3 }).mu).toEqual(ref.mu);
    expect(ref.mu).toBeAllclose([2, 0.75, 1.25], { atol: 1e-15 });
    expect(ref.sigma[0]).toBeCloseTo(14 / 3, 14);
  });

  it('is exact where E[xxᵀ] − μμᵀ would cancel (mean 1e6, spread 1)', () => {
    const n = 50;
    const x = Float64Array.from({ length: n * 2 }, (_, i) => 1e6 + Math.sin(i * 1.3));
    const s = featuresToStatistics({ data: x, shape: [n, 2] });
    const ref = twoPass(x, n, 2);
    expect(s.sigma).toBeAllclose(ref.sigma, { rtol: 1e-9, atol: 1e-12 });
  });

  it('throws clear errors: n < 2, ragged rows, non-finite values (naming batch, row, column), wrong rank', () => {
    expect(() => featuresToStatistics([[1, 2]])).toThrow(/at least 2 samples.*received 1/);
    expect(() => featuresToStatistics([])).toThrow(/at least 2 samples.*received 0/);
    expect(() => featuresToStatistics([[1, 2], [3]])).toThrow(/row 1 has length 1, expected 2/);
    expect(() => featuresToStatistics([[1, 2], [3, NaN]])).toThrow(/batch 0.*non-finite.*NaN at row 1, column 1/);
    const t = tf.zeros([2, 2, 2]);
    expect(() => featuresToStatistics(t as unknown as tf.Tensor2D)).toThrow(MetricInputError);
    t.dispose();
    expect(() => featuresToStatistics({ data: [1, 2, 3], shape: [2, 2] })).toThrow(/length 3.*needs 4/);
  });
});

describe('StatisticsAccumulator', () => {
  const n = 600;
  const d = 24;
  const rng = new MetricRng(3);
  const x = Float64Array.from({ length: n * d }, (_, i) => rng.next() * 3 + (i % d) * 0.1 + 5);
  const oneShot = twoPass(x, n, d);

  it.each([1, 7, 100, 600])('is batch-size independent (batches of %i) to 1e-12 relative', (batch) => {
    const acc = new StatisticsAccumulator();
    for (let s = 0; s < n; s += batch) acc.add({ data: x.subarray(s * d, Math.min(n, s + batch) * d), shape: [Math.min(batch, n - s), d] });
    const st = acc.statistics();
    expect(st.count).toBe(n);
    expect(acc.batches).toBe(Math.ceil(n / batch));
    expect(st.mu).toBeAllclose(oneShot.mu, { rtol: 1e-12, atol: 0 });
    expect(st.sigma).toBeAllclose(oneShot.sigma, { rtol: 1e-11, atol: 1e-13 });
  });

  it('C11: streamed float64 sums do not drift (0.1 added a million times; float32 would give 100958.34)', () => {
    const acc = new StatisticsAccumulator({ dim: 1 });
    const batch = new Float32Array(10_000).fill(0.1);
    for (let i = 0; i < 100; i++) acc.add({ data: batch, shape: [10_000, 1] });
    const st = acc.statistics();
    expect(st.count).toBe(1_000_000);
    expect(st.mu[0] * st.count).toBeCloseTo(Math.fround(0.1) * 1e6, 6);
    expect(st.sigma[0]).toBeLessThan(1e-20);
  });

  it('C11 (scaled): 5,000 × 128 streamed in batches of 500 equals the one-shot float64 result to 1e-9 relative', () => {
    const big = 5000;
    const dim = 128;
    const r = new MetricRng(11);
    const xs = Float32Array.from({ length: big * dim }, () => r.next() * 2 + 0.5);
    const streamed = new StatisticsAccumulator();
    for (let s = 0; s < big; s += 500) streamed.add({ data: xs.subarray(s * dim, (s + 500) * dim), shape: [500, dim] });
    const once = featuresToStatistics({ data: xs, shape: [big, dim] });
    const st = streamed.statistics();
    expect(st.mu).toBeAllclose(once.mu, { rtol: 1e-9, atol: 0 });
    expect(st.sigma).toBeAllclose(once.sigma, { rtol: 1e-9, atol: 1e-12 });
  });

  it('rejects a batch of another dimension or with Inf without changing its state, and names the batch', () => {
    const acc = new StatisticsAccumulator({ name: 'fake features' });
    acc.add([
      [1, 2],
      [3, 4],
    ]);
    expect(() => acc.add([[1, 2, 3]])).toThrow(/fake features \(batch 1\): feature dimension mismatch: expected 2 columns, received 3/);
    expect(() => acc.add([[1, Infinity]])).toThrow(/fake features \(batch 1\): non-finite feature value Infinity at row 0, column 1/);
    expect(acc.count).toBe(2);
    expect(acc.statistics().mu).toEqual(Float64Array.from([2, 3]));
    expect(() => new StatisticsAccumulator({ dim: 0 })).toThrow(/positive integer/);
  });

  it('validateStatistics rejects malformed statistics', () => {
    const good = featuresToStatistics([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(validateStatistics(good)).toBe(good);
    expect(() => validateStatistics({ ...good, sigma: new Float64Array(3) }, 'ref')).toThrow(/ref: sigma must have length dim² = 4/);
    expect(() => validateStatistics({ ...good, mu: Float64Array.from([NaN, 0]) }, 'ref')).toThrow(/ref: mu\[0\] is NaN/);
    expect(() => validateStatistics({ ...good, sigma: Float64Array.from([1, 0.5, 0.1, 1]) }, 'ref')).toThrow(/not symmetric/);
  });
});
