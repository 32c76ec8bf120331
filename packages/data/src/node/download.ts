import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DatasetError, badArgument } from '../errors.js';
import { extractOnce } from './archive.js';
import { defaultCacheDir } from './files.js';

export { defaultCacheDir } from './files.js';

/** A downloadable archive: official address, its MD5 (as published with the dataset), file name. */
export interface DatasetSource {
  url: string;
  md5: string;
  file: string;
  /** 'zip': unpacked into the cache after verification (Tiny-ImageNet); 'none': loaders read the archive itself (CIFAR .tar.gz). */
  extract: 'zip' | 'none';
  /** Folder the archive unpacks to (for 'zip'). */
  folder?: string;
}

/** Official archives and checksums (CIFAR: Krizhevsky's page; Tiny-ImageNet: Stanford CS231n). */
export const DATASET_SOURCES = Object.freeze({
  cifar10: { url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530', file: 'cifar-10-binary.tar.gz', extract: 'none' },
  'cifar10-python': { url: 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz', md5: 'c58f30108f718f92721af3b95e74349a', file: 'cifar-10-python.tar.gz', extract: 'none' },
  cifar100: { url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8', file: 'cifar-100-binary.tar.gz', extract: 'none' },
  'cifar100-python': { url: 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz', md5: 'eb9058c3a382ffc7106e4002c42a8d85', file: 'cifar-100-python.tar.gz', extract: 'none' },
  'tiny-imagenet': { url: 'http://cs231n.stanford.edu/tiny-imagenet-200.zip', md5: '90528d7ca1a48142e341f4ef8d21d0de', file: 'tiny-imagenet-200.zip', extract: 'zip', folder: 'tiny-imagenet-200' },
} satisfies Record<string, DatasetSource>);

export type DownloadableDataset = keyof typeof DATASET_SOURCES;


export interface DownloadOptions {
  /** Cache directory (see `defaultCacheDir`). */
  cacheDir?: string;
  /** Override the address (a mirror; tests use a local server). */
  url?: string;
  /** Override the expected MD5 (hex), required with a `url` whose file differs from the official one. */
  md5?: string;
  /** Re-download even if a verified copy is cached. */
  force?: boolean;
  /** Abort when no data arrives for this long (ms, default 60,000). */
  timeoutMs?: number;
  /** Progress callback: bytes received and the total (null when the server does not say). */
  onProgress?: (received: number, total: number | null) => void;
}

async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Downloads a dataset archive into the cache, verifying its MD5 before it is used:
 * the body is streamed to `<file>.part-<pid>` while hashed, a mismatch deletes it and throws
 * CHECKSUM_MISMATCH (expected and received digests), a match renames it into place (atomic).
 * Zip archives (Tiny-ImageNet) are then unpacked into the cache (entries escaping the target
 * folder are refused). A verified copy already in the cache is reused (re-hashed once per call).
 *
 * @returns the path loaders take as `root`: the archive for CIFAR, the unpacked folder for Tiny-ImageNet.
 * @throws DatasetError DOWNLOAD_FAILED (HTTP status, network error, timeout) or CHECKSUM_MISMATCH.
 */
export async function downloadDataset(name: DownloadableDataset, options: DownloadOptions = {}): Promise<string> {
  const source: DatasetSource | undefined = (DATASET_SOURCES as Record<string, DatasetSource>)[name];
  if (!source) throw badArgument('downloadDataset(name)', `one of ${Object.keys(DATASET_SOURCES).join(', ')}`, name);
  const url = options.url ?? source.url;
  const md5 = (options.md5 ?? source.md5).toLowerCase();
  const dir = defaultCacheDir(options.cacheDir);
  await fs.promises.mkdir(dir, { recursive: true });
  const target = path.join(dir, source.file);
  const extracted = source.extract === 'zip' ? path.join(dir, source.folder!) : null;

  let haveArchive = false;
  if (!options.force && fs.existsSync(target)) {
    const digest = await md5OfFile(target);
    if (digest === md5) haveArchive = true;
    else await fs.promises.rm(target, { force: true });
  }
  if (!haveArchive) {
    const part = `${target}.part-${process.pid}`;
    try {
      const digest = await fetchToFile(url, part, options);
      if (digest !== md5) {
        throw new DatasetError('CHECKSUM_MISMATCH', `download of ${url}: MD5 ${digest} does not match the expected ${md5}; the file was deleted (corrupt or changed download)`, { problems: [{ file: source.file, problem: `md5 ${digest}, expected ${md5}` }] });
      }
      await fs.promises.rename(part, target);
    } finally {
      await fs.promises.rm(part, { force: true });
    }
  }
  if (!extracted) return target;
  return extractOnce(target, extracted, md5, { inner: source.folder, force: options.force });
}

async function fetchToFile(url: string, file: string, options: DownloadOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
  };
  arm();
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw new DatasetError('DOWNLOAD_FAILED', `download of ${url} failed: ${(error as Error).message}${(error as Error).cause ? ` (${String((error as { cause: unknown }).cause)})` : ''}`, { cause: error });
    }
    if (!response.ok || !response.body) {
      throw new DatasetError('DOWNLOAD_FAILED', `download of ${url} failed: HTTP ${response.status} ${response.statusText}`);
    }
    const totalHeader = response.headers.get('content-length');
    const total = totalHeader ? Number(totalHeader) : null;
    const hash = createHash('md5');
    const out = fs.createWriteStream(file);
    let received = 0;
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        hash.update(value);
        received += value.length;
        if (!out.write(value)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        options.onProgress?.(received, total);
      }
    } catch (error) {
      out.destroy();
      throw new DatasetError('DOWNLOAD_FAILED', `download of ${url} failed after ${received} bytes: ${(error as Error).message}`, { cause: error });
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (total !== null && received !== total) throw new DatasetError('DOWNLOAD_FAILED', `download of ${url}: received ${received} bytes, the server announced ${total}`);
    return hash.digest('hex');
  } finally {
    clearTimeout(timer);
  }
}

