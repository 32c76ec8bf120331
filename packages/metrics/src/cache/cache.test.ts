import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFixture } from '@reacgan/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStatisticsCache, readStatisticsNpz, writeStatisticsNpz } from '../node/index.js';
import { featuresToStatistics } from '../statistics.js';
import { getOrComputeStatistics, MemoryStatisticsCache, type StatisticsCache } from './cache.js';
import { canonicalCacheKey, type StatisticsCacheKey, statisticsCacheKey } from './key.js';
import { decodeStatisticsNpz, encodeStatisticsNpz } from './npz.js';

const stats = featuresToStatistics([
  [1, 2, 3],
  [2, 0, 1],
  [5, 1, -1],
]);
const key: StatisticsCacheKey = statisticsCacheKey(
  { extractor: 'inception-v3-fid', weightsHash: '6726825d-test', resize: 'bilinear', quantize: 'none', grayscaleToRgb: true, inputSize: [299, 299] },
  { dataset: 'cifar10', split: 'train', imageSize: 32, count: 3 },
);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reacgan-metrics-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every field that must separate two entries. */
const variants: [string, StatisticsCacheKey][] = [
  ['dataset', { ...key, dataset: 'cifar100' }],
  ['split', { ...key, split: 'test' }],
  ['imageSize', { ...key, imageSize: [64, 64] }],
  ['resize', { ...key, resize: 'none' }],
  ['quantize', { ...key, quantize: 'uint8' }],
  ['extractor', { ...key, extractor: 'other' }],
  ['weightsHash', { ...key, weightsHash: 'abc' }],
  ['count', { ...key, count: 4 }],
  ['extra', { ...key, extra: { ...key.extra, preResizer: 'lanczos' } }],
];

function conformance(name: string, make: () => StatisticsCache): void {
  describe(`${name} (statistics cache conformance)`, () => {
    it('returns what was stored, as a copy', async () => {
      const cache = make();
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, stats);
      const hit = (await cache.get(key))!;
      expect(hit.mu).toEqual(stats.mu);
      expect(hit.sigma).toEqual(stats.sigma);
      expect(hit.count).toBe(3);
      hit.mu[0] = 99;
      expect((await cache.get(key))!.mu[0]).toBe(stats.mu[0]);
    });

    it.each(variants)('never reuses an entry whose %s differs', async (_field, other) => {
      const cache = make();
      await cache.set(key, stats);
      expect(await cache.get(other)).toBeUndefined();
    });

    it('refuses statistics whose count differs from the key, and deletes', async () => {
      const cache = make();
      await expect(cache.set({ ...key, count: 10 }, stats)).rejects.toThrow(/key says 10 samples but the statistics have 3/);
      await cache.set(key, stats);
      expect(await cache.delete(key)).toBe(true);
      expect(await cache.get(key)).toBeUndefined();
    });

    it('getOrComputeStatistics computes once and then reuses', async () => {
      const cache = make();
      let calls = 0;
      const compute = () => {
        calls++;
        return stats;
      };
      expect((await getOrComputeStatistics(cache, key, compute)).cached).toBe(false);
      expect((await getOrComputeStatistics(cache, key, compute)).cached).toBe(true);
      expect(calls).toBe(1);
    });
  });
}

conformance('MemoryStatisticsCache', () => new MemoryStatisticsCache());
let dirs = 0;
conformance('FileStatisticsCache', () => new FileStatisticsCache(path.join(tmp, `c${dirs++}`)));

describe('cache keys', () => {
  it('are canonical (field order of extra does not matter) and validated', () => {
    const a = canonicalCacheKey({ ...key, extra: { b: 1, a: 2 } });
    const b = canonicalCacheKey({ ...key, extra: { a: 2, b: 1 } });
    expect(a).toBe(b);
    expect(() => canonicalCacheKey({ ...key, dataset: '' })).toThrow(/'dataset' must be a non-empty string/);
    expect(() => canonicalCacheKey({ ...key, count: 1 })).toThrow(/count must be an integer ≥ 2/);
    expect(key.imageSize).toEqual([32, 32]);
  });

  it('FileStatisticsCache ignores a file whose stored key was tampered with', async () => {
    const cache = new FileStatisticsCache(path.join(tmp, 'tamper'));
    await cache.set(key, stats);
    const file = cache.fileFor(key);
    fs.writeFileSync(file, encodeStatisticsNpz(stats, { ...JSON.parse(canonicalCacheKey(key)), split: 'test' }));
    expect(await cache.get(key)).toBeUndefined();
    // ...and survives across instances (reused across runs).
    await cache.set(key, stats);
    expect(await new FileStatisticsCache(path.join(tmp, 'tamper')).get(key)).toBeDefined();
  });
});

describe('npz statistics', () => {
  it('reads the moments file numpy wrote (np.savez(mu=float32, sigma=float64))', () => {
    const g = loadFixture<{ npz: { mu: number[]; sigma: number[] } }>(import.meta.url, '../__fixtures__/metric-golden.json');
    const s = readStatisticsNpz(new URL('../__fixtures__/moments-numpy.npz', import.meta.url).pathname);
    expect(s.dim).toBe(4);
    expect(s.mu).toEqual(Float64Array.from(g.npz.mu));
    expect(s.sigma).toEqual(Float64Array.from(g.npz.sigma));
    expect(Number.isNaN(s.count)).toBe(true);
  });

  it('round-trips our own files', () => {
    const file = path.join(tmp, 'x.npz');
    writeStatisticsNpz(file, stats);
    const s = readStatisticsNpz(file);
    expect(s).toEqual(stats);
    expect(() => decodeStatisticsNpz(new Uint8Array([1, 2, 3]))).toThrow(/not a zip archive/);
  });
});
