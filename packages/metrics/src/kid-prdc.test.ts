import { loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { frechetInceptionDistance } from './fid.js';
import { ClassConditionalStatisticsAccumulator, intraClassFid } from './intra-class-fid.js';
import { kernelInceptionDistance } from './kid.js';
import { precisionRecallDensityCoverage } from './prdc.js';
import { MetricRng } from './rng.js';
import { featuresToStatistics } from './statistics.js';

interface Golden {
  prdc: { real: number[][]; fake: number[][]; k: number; precision: number; recall: number; density: number; coverage: number };
  kid: { x: number[][]; y: number[][]; mmd: number };
}
const golden = loadFixture<Golden>(import.meta.url, '__fixtures__/metric-golden.json');
const quiet = { onWarning: () => {} };

describe('kernelInceptionDistance', () => {
  it('equals torch-fidelity’s unbiased MMD² (cubic kernel) when one subset is the whole set (golden)', () => {
    const r = kernelInceptionDistance(golden.kid.x, golden.kid.y, { subsets: 1, subsetSize: 40 });
    expect(r.mean).toBeAllclose(golden.kid.mmd, { rtol: 1e-12, atol: 1e-14 });
    expect(r.std).toBe(0);
    expect(r).toMatchObject({ subsets: 1, subsetSize: 40, degree: 3, coef0: 1, seed: 2020 });
    expect(r.gamma).toBeCloseTo(1 / 6, 15);
  });

  it('is ≈ 0 for two samples of one distribution and large for shifted ones; seeded and reproducible', () => {
    const rng = new MetricRng(1);
    const draw = (n: number, shift: number) => Array.from({ length: n }, () => Array.from({ length: 8 }, () => rng.next() + shift));
    const a = draw(300, 0);
    const b = draw(300, 0);
    const c = draw(300, 1);
    const same = kernelInceptionDistance(a, b, { subsets: 20, subsetSize: 100 });
    const shifted = kernelInceptionDistance(a, c, { subsets: 20, subsetSize: 100 });
    expect(Math.abs(same.mean)).toBeLessThan(5 * same.std + 1e-3);
    expect(shifted.mean).toBeGreaterThan(100 * Math.abs(same.mean));
    expect(kernelInceptionDistance(a, c, { subsets: 20, subsetSize: 100 }).mean).toBe(shifted.mean);
    expect(kernelInceptionDistance(a, c, { subsets: 20, subsetSize: 100, seed: 1 }).mean).not.toBe(shifted.mean);
  });

  it('throws for a subset larger than a set, and for a dimension mismatch', () => {
    expect(() => kernelInceptionDistance(golden.kid.x, golden.kid.y)).toThrow(/subsetSize 1000 is larger than the number of samples \(features1: 40, features2: 40\)/);
    expect(() => kernelInceptionDistance([[1, 2], [3, 4]], [[1], [2]], { subsetSize: 2 })).toThrow(/dimension mismatch/);
  });
});

describe('precisionRecallDensityCoverage', () => {
  it('matches the clovaai-prdc definitions on constructed clusters (golden, k = 3)', () => {
    const g = golden.prdc;
    const r = precisionRecallDensityCoverage(g.real, g.fake, { nearestK: g.k });
    expect(r.precision).toBeCloseTo(g.precision, 12);
    expect(r.recall).toBeCloseTo(g.recall, 12);
    expect(r.density).toBeCloseTo(g.density, 12);
    expect(r.coverage).toBeCloseTo(g.coverage, 12);
  });

  it('fakes identical to the reals give precision = recall = coverage = 1; far fakes give all 0', () => {
    const grid = Array.from({ length: 36 }, (_, i) => [i % 6, Math.floor(i / 6)]);
    const same = precisionRecallDensityCoverage(grid, grid);
    expect(same).toMatchObject({ precision: 1, recall: 1, coverage: 1, nearestK: 5, realCount: 36, fakeCount: 36 });
    expect(same.density).toBeGreaterThanOrEqual(1 / 5); // each fake lies at least in its own real's ball
    const far = precisionRecallDensityCoverage(grid, grid.map(([x, y]) => [x + 100, y]));
    expect(far).toMatchObject({ precision: 0, recall: 0, density: 0, coverage: 0 });
  });

  it('hand-computed 1-D case: reals 0..9, k = 2, one fake at 4.5', () => {
    // Real radii (2nd nearest other real): 2 at the ends, 1 inside. The fake at 4.5 lies in the balls of
    // reals 4 and 5 (distance 0.5 < 1) only → density = 2 / 2 = 1; precision 1. Coverage: reals 4, 5.
    const reals = Array.from({ length: 10 }, (_, i) => [i]);
    const fakes = [[4.5], [40], [41], [42]];
    const r = precisionRecallDensityCoverage(reals, fakes, { nearestK: 2 });
    expect(r.precision).toBeCloseTo(1 / 4, 15);
    expect(r.density).toBeCloseTo(2 / (2 * 4), 15);
    expect(r.coverage).toBeCloseTo(2 / 10, 15);
    // Fake radii: 4.5 → 2nd nearest fake is 41 (36.5): every real is inside that ball.
    expect(r.recall).toBe(1);
  });

  it('throws for too few samples and dimension mismatches', () => {
    expect(() => precisionRecallDensityCoverage([[0], [1]], [[0], [1]])).toThrow(/more than nearestK = 5 samples/);
    expect(() => precisionRecallDensityCoverage([[0, 1]], [[0]], { nearestK: 1 })).toThrow(/dimension mismatch/);
  });
});

describe('intraClassFid', () => {
  const rng = new MetricRng(4);
  const n = 90;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const real = Array.from({ length: n }, (_, i) => Array.from({ length: 4 }, () => rng.next() + labels[i]));
  const fake = Array.from({ length: n }, (_, i) => Array.from({ length: 4 }, () => rng.next() * 1.2 + labels[i] + 0.1));

  it('averages the per-class FIDs, each equal to the FID of that class’s subsets', () => {
    const r = intraClassFid({ features: real, labels }, { features: fake, labels }, quiet);
    expect(r.perClass).toHaveLength(3);
    for (const c of [0, 1, 2]) {
      const rs = featuresToStatistics(real.filter((_, i) => labels[i] === c));
      const fs = featuresToStatistics(fake.filter((_, i) => labels[i] === c));
      expect(r.perClass[c].fid).toBeAllclose(frechetInceptionDistance(rs, fs, quiet), { rtol: 1e-10 });
      expect(r.perClass[c]).toMatchObject({ classIndex: c, realCount: 30, fakeCount: 30 });
    }
    expect(r.mean).toBeCloseTo(r.perClass.reduce((a, p) => a + p.fid, 0) / 3, 12);
    expect(intraClassFid({ features: real, labels }, { features: real, labels }, quiet).mean).toBeLessThan(1e-10);
  });

  it('accepts per-class statistics from a streaming ClassConditionalStatisticsAccumulator', () => {
    const acc = new ClassConditionalStatisticsAccumulator(3);
    acc.add(real.slice(0, 45), labels.subarray(0, 45)).add(real.slice(45), labels.subarray(45));
    expect(acc.counts()).toEqual([30, 30, 30]);
    const byFeatures = intraClassFid({ features: real, labels }, { features: fake, labels }, quiet);
    const byStats = intraClassFid(acc.statistics(), { features: fake, labels }, quiet);
    expect(byStats.mean).toBeAllclose(byFeatures.mean, { rtol: 1e-10 });
  });

  it('throws for a class with fewer than 2 samples, bad labels and mismatched class counts', () => {
    expect(() => intraClassFid({ features: real, labels }, { features: fake.slice(0, 4), labels: [0, 1, 2, 2] }, quiet)).toThrow(/class 0.*at least 2 samples.*received 1/);
    expect(() => new ClassConditionalStatisticsAccumulator(2).add([[1], [2]], [0, 2])).toThrow(/label 2 at row 1 is not an integer in \[0, 2\)/);
    expect(() => intraClassFid({ features: real, labels }, { features: fake, labels }, { ...quiet, numClasses: 2 })).toThrow(/label 2/);
  });
});
