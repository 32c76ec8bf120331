import type { FeatureStatistics } from '../statistics.js';
import { canonicalCacheKey, type StatisticsCacheKey } from './key.js';

/** Storage for reference statistics; implementations must compare the full key, never a hash alone. */
export interface StatisticsCache {
  get(key: StatisticsCacheKey): Promise<FeatureStatistics | undefined>;
  set(key: StatisticsCacheKey, statistics: FeatureStatistics): Promise<void>;
  delete(key: StatisticsCacheKey): Promise<boolean>;
}

/** In-memory cache (the browser default; per process in Node). */
export class MemoryStatisticsCache implements StatisticsCache {
  private readonly entries = new Map<string, FeatureStatistics>();

  async get(key: StatisticsCacheKey): Promise<FeatureStatistics | undefined> {
    const s = this.entries.get(canonicalCacheKey(key));
    return s ? copyStatistics(s) : undefined;
  }

  async set(key: StatisticsCacheKey, statistics: FeatureStatistics): Promise<void> {
    checkCount(key, statistics);
    this.entries.set(canonicalCacheKey(key), copyStatistics(statistics));
  }

  async delete(key: StatisticsCacheKey): Promise<boolean> {
    return this.entries.delete(canonicalCacheKey(key));
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Returns the cached statistics for `key`, or computes, stores and returns them.
 * `compute` must produce statistics of exactly `key.count` samples (checked).
 */
export async function getOrComputeStatistics(
  cache: StatisticsCache,
  key: StatisticsCacheKey,
  compute: () => Promise<FeatureStatistics> | FeatureStatistics,
): Promise<{ statistics: FeatureStatistics; cached: boolean }> {
  const hit = await cache.get(key);
  if (hit) return { statistics: hit, cached: true };
  const statistics = await compute();
  await cache.set(key, statistics);
  return { statistics, cached: false };
}

export function checkCount(key: StatisticsCacheKey, statistics: FeatureStatistics): void {
  if (statistics.count !== key.count) {
    throw new Error(`statistics cache: the key says ${key.count} samples but the statistics have ${statistics.count}; refusing to store a mislabelled entry`);
  }
}

function copyStatistics(s: FeatureStatistics): FeatureStatistics {
  return { mu: Float64Array.from(s.mu), sigma: Float64Array.from(s.sigma), count: s.count, dim: s.dim };
}
