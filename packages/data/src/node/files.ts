import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DatasetError } from '../errors.js';

const gunzip = promisify(zlib.gunzip);

/** True for an existing regular file or directory. */
export async function pathExists(p: string): Promise<boolean> {
  return (await fs.promises.stat(p).catch(() => null)) !== null;
}

export async function isDirectory(p: string): Promise<boolean> {
  return (await fs.promises.stat(p).catch(() => null))?.isDirectory() ?? false;
}

export async function isFile(p: string): Promise<boolean> {
  return (await fs.promises.stat(p).catch(() => null))?.isFile() ?? false;
}

/**
 * Reads a file, gunzipping it when it starts with the gzip magic (1f 8b) — whatever its name.
 * @param label name used in errors.
 * @throws DatasetError MISSING_FILE, BAD_SIZE (corrupt/truncated gzip stream).
 */
export async function readMaybeGzip(file: string, label = file): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (error) {
    throw new DatasetError('MISSING_FILE', `${label}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { problems: [{ file: label, problem: 'missing' }], cause: error });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = await gunzip(bytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      throw new DatasetError('BAD_SIZE', `${label}: corrupt or truncated gzip data (${(error as Error).message})`, { problems: [{ file: label, problem: 'bad gzip stream' }], cause: error });
    }
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The dataset cache: `cacheDir` if given, else `$REACGAN_DATA_DIR`, else
 * `$REACGAN_CACHE_DIR/datasets`, else `~/.cache/reacgan/datasets`.
 */
export function defaultCacheDir(cacheDir?: string): string {
  if (cacheDir) return path.resolve(cacheDir);
  if (process.env.REACGAN_DATA_DIR) return path.resolve(process.env.REACGAN_DATA_DIR);
  if (process.env.REACGAN_CACHE_DIR) return path.resolve(process.env.REACGAN_CACHE_DIR, 'datasets');
  return path.join(os.homedir(), '.cache', 'reacgan', 'datasets');
}
