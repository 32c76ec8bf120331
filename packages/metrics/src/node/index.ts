/**
 * Node-only helpers of @reacgan/metrics: weight files on disk and downloaded once into a cache
 * directory, an on-disk reference-statistics cache (.npz files numpy can read), and `.pth` files read entry
 * by entry (`readTorchCheckpointFile`).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalCacheKey, type StatisticsCacheKey } from '../cache/key.js';
import { checkCount, type StatisticsCache } from '../cache/cache.js';
import { decodeStatisticsNpz, encodeStatisticsNpz } from '../cache/npz.js';
import { MetricInputError } from '../errors.js';
import {
  createInceptionV3FidExtractor,
  FID_INCEPTION_WEIGHTS_FILENAME,
  FID_INCEPTION_WEIGHTS_SHA256_PREFIX,
  FID_INCEPTION_WEIGHTS_URL,
  type InceptionV3FidOptions,
} from '../extractors/inception-v3-fid.js';
import type { FeatureExtractor } from '../extractors/types.js';
import type { FeatureStatistics } from '../statistics.js';

export { readTorchCheckpointFile } from '../torch/read-checkpoint-file.js';

/**
 * The cache directory: `REACGAN_METRICS_CACHE_DIR`, else `$REACGAN_CACHE_DIR/metrics`, else
 * `~/.cache/reacgan/metrics`.
 */
export function defaultCacheDir(): string {
  if (process.env.REACGAN_METRICS_CACHE_DIR) return process.env.REACGAN_METRICS_CACHE_DIR;
  return path.join(process.env.REACGAN_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'reacgan'), 'metrics');
}

export interface LoadFidInceptionWeightsOptions {
  /** A local copy of pt_inception-2015-12-05-6726825d.pth; when given, nothing is downloaded. */
  path?: string;
  /** Where the downloaded file is kept. Default {@link defaultCacheDir}(). */
  cacheDir?: string;
  /** Download into the cache when it is not there. Default true. */
  download?: boolean;
  /** Download address. Default pytorch-fid's release URL ({@link FID_INCEPTION_WEIGHTS_URL}). */
  url?: string;
  /** fetch implementation. Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Check the SHA-256 prefix 6726825d. Default true. */
  verifyHash?: boolean;
}

/**
 * Bytes of pytorch-fid's FID Inception weights: from `options.path`, else from the cache directory,
 * else downloaded once from pytorch-fid's release (needs internet) and stored atomically in the cache.
 * The SHA-256 is checked against the 6726825d prefix in the file name.
 * @throws MetricInputError when the file is missing and downloading is off or fails, or the hash is wrong.
 */
export async function loadFidInceptionWeights(options: LoadFidInceptionWeightsOptions = {}): Promise<Uint8Array> {
  const { verifyHash = true } = options;
  const check = (bytes: Uint8Array, where: string): Uint8Array => {
    if (!verifyHash) return bytes;
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (!hash.startsWith(FID_INCEPTION_WEIGHTS_SHA256_PREFIX)) {
      throw new MetricInputError(`${where}: SHA-256 ${hash} does not start with ${FID_INCEPTION_WEIGHTS_SHA256_PREFIX}; this is not ${FID_INCEPTION_WEIGHTS_FILENAME}`);
    }
    return bytes;
  };
  if (options.path !== undefined) {
    if (!fs.existsSync(options.path)) throw new MetricInputError(`loadFidInceptionWeights: no file at ${options.path}`);
    return check(new Uint8Array(fs.readFileSync(options.path)), options.path);
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const file = path.join(cacheDir, FID_INCEPTION_WEIGHTS_FILENAME);
  if (fs.existsSync(file)) return check(new Uint8Array(fs.readFileSync(file)), file);
  if (options.download === false) {
    throw new MetricInputError(
      `loadFidInceptionWeights: ${file} does not exist and download is off; download ${FID_INCEPTION_WEIGHTS_URL} there or pass { path }`,
    );
  }
  const url = options.url ?? FID_INCEPTION_WEIGHTS_URL;
  const doFetch = options.fetch ?? globalThis.fetch;
  let bytes: Uint8Array;
  try {
    const response = await doFetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new MetricInputError(
      `loadFidInceptionWeights: could not download ${url} (${(error as Error).message}); without internet, copy ${FID_INCEPTION_WEIGHTS_FILENAME} to ${file} or pass { path }`,
    );
  }
  check(bytes, url);
  writeFileAtomic(file, bytes);
  return bytes;
}

/**
 * The `inception-v3-fid` extractor with its weights loaded as {@link loadFidInceptionWeights} does
 * (path, cache or one-time download). Other options as in createInceptionV3FidExtractor.
 */
export async function createFidInceptionExtractor(
  options: LoadFidInceptionWeightsOptions & Omit<InceptionV3FidOptions, 'weights'> = {},
): Promise<FeatureExtractor> {
  const weights = await loadFidInceptionWeights(options);
  return createInceptionV3FidExtractor({ ...options, weights, verifyHash: options.verifyHash ?? true });
}

/** Writes via a temporary file in the same directory and a rename, so readers never see half a file. */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } finally {
    if (fs.existsSync(tmp)) fs.rmSync(tmp, { force: true });
  }
}

/** Reads statistics from an .npz with arrays `mu` and `sigma` (StudioGAN / pytorch-fid / TTUR moments files). */
export function readStatisticsNpz(file: string): FeatureStatistics {
  return decodeStatisticsNpz(new Uint8Array(fs.readFileSync(file))).statistics;
}

/** Writes statistics as an .npz (`mu`, `sigma`, `count`), loadable with `np.load`. */
export function writeStatisticsNpz(file: string, statistics: FeatureStatistics): void {
  writeFileAtomic(file, encodeStatisticsNpz(statistics));
}

/**
 * Reference statistics on disk: one `<hash of the key>.npz` per key in `dir` (default
 * `<cacheDir>/statistics`), holding mu, sigma, count and the full key. An entry is reused only if
 * its stored key equals the requested one field by field; anything else is a miss.
 */
export class FileStatisticsCache implements StatisticsCache {
  readonly dir: string;

  constructor(dir: string = path.join(defaultCacheDir(), 'statistics')) {
    this.dir = dir;
  }

  /** File that holds `key`. */
  fileFor(key: StatisticsCacheKey): string {
    const canonical = canonicalCacheKey(key);
    const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 24);
    const slug = `${key.dataset}-${key.split}-${key.imageSize[0]}x${key.imageSize[1]}-${key.extractor}-${key.count}`.replace(/[^A-Za-z0-9._-]+/g, '_');
    return path.join(this.dir, `${slug}-${hash}.npz`);
  }

  async get(key: StatisticsCacheKey): Promise<FeatureStatistics | undefined> {
    const file = this.fileFor(key);
    if (!fs.existsSync(file)) return undefined;
    try {
      const { statistics, json } = decodeStatisticsNpz(new Uint8Array(fs.readFileSync(file)));
      if (JSON.stringify(json) !== JSON.stringify(JSON.parse(canonicalCacheKey(key))) || statistics.count !== key.count) return undefined;
      return statistics;
    } catch {
      return undefined;
    }
  }

  async set(key: StatisticsCacheKey, statistics: FeatureStatistics): Promise<void> {
    checkCount(key, statistics);
    writeFileAtomic(this.fileFor(key), encodeStatisticsNpz(statistics, JSON.parse(canonicalCacheKey(key))));
  }

  async delete(key: StatisticsCacheKey): Promise<boolean> {
    const file = this.fileFor(key);
    if (!fs.existsSync(file)) return false;
    fs.rmSync(file);
    return true;
  }
}
