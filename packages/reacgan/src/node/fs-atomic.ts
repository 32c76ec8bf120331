import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, rmSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname, basename, join, resolve } from 'node:path';

/** The file operations an atomic write uses (injectable, so tests can interrupt a write). */
export interface AtomicWriteIo {
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string): Promise<void>;
  /** fsync of the file (and of its directory after the rename), best effort. */
  sync(path: string): Promise<void>;
}

export const nodeIo: AtomicWriteIo = {
  writeFile: (path, data) => fsp.writeFile(path, data),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path) => fsp.rm(path, { force: true }),
  async sync(path) {
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(path, 'r');
      await handle.sync();
    } catch {
      // Directories cannot be fsynced on every platform; the rename is still atomic.
    } finally {
      await handle?.close();
    }
  },
};

/**
 * Writes `data` to `path` atomically: the bytes go to a temporary file in the same directory, which is
 * fsynced and then renamed over `path` (rename is atomic on POSIX file systems). If anything fails or the
 * process dies before the rename, `path` keeps its previous content; the temporary file is removed when
 * possible.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, io: AtomicWriteIo = nodeIo): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  pending.add(tmp);
  try {
    await io.writeFile(tmp, data);
    await io.sync(tmp);
    await io.rename(tmp, path);
  } catch (error) {
    await io.rm(tmp).catch(() => undefined);
    throw error;
  } finally {
    pending.delete(tmp);
  }
  await io.sync(dirname(path));
}

/** Temporary files of {@link writeFileAtomic} calls in flight in this process. */
const pending = new Set<string>();

/**
 * Removes the temporary files of the atomic writes still in flight, synchronously, for a process that exits at once
 * (a second Ctrl-C): their targets keep their previous content and no `.tmp-` file is left behind.
 * @returns the paths removed
 */
export function removePendingTempFiles(): string[] {
  const removed = [...pending];
  for (const tmp of removed) {
    rmSync(tmp, { force: true });
    pending.delete(tmp);
  }
  return removed;
}

/**
 * Refuses an output folder that already holds something, before anything is written (so files of an earlier
 * output never mix with the new ones). A missing folder is fine (the caller creates it).
 * @param path the folder (`--out`)
 * @param flag the option named in the error, e.g. '--out'
 * @returns true when the folder exists (empty), false when it does not exist
 * @throws Error naming `flag`, what was expected (a new or empty folder) and what `path` holds (or that it is a file)
 */
export async function assertNewOrEmptyFolder(path: string, flag: string): Promise<boolean> {
  const existing = await fsp.readdir(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    if (error.code === 'ENOTDIR') throw new Error(`${flag}: expected a new or empty folder, received ${path}, which is a file`);
    return Promise.reject(error);
  });
  if (existing && existing.length) {
    const shown = existing.sort().slice(0, 3).join(', ');
    throw new Error(`${flag}: expected a new or empty folder, received ${path}, which holds ${existing.length} entr${existing.length === 1 ? 'y' : 'ies'} (${shown}${existing.length > 3 ? ', …' : ''}); choose another ${flag} or empty it`);
  }
  return existing !== null;
}

/**
 * Refuses a path that cannot become a folder: it, or the nearest of its ancestors that exists, is not a folder, or
 * that ancestor is not writable (when the path does not exist yet).
 * @throws Error naming the flag, the path and what is in the way.
 */
export function assertCanBeFolder(path: string, flag: string): void {
  let at = resolve(path);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const stats = statSync(at);
  if (!stats.isDirectory()) {
    throw new Error(`${flag}: expected a folder (new or existing), received ${path}${at === resolve(path) ? ', which is a file' : `, but ${at} is a file`}`);
  }
  if (at !== resolve(path)) {
    try {
      accessSync(at, constants.W_OK);
    } catch {
      throw new Error(`${flag}: expected a folder that can be created, received ${path}, but ${at} is not writable`);
    }
  }
}
