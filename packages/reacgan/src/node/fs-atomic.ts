import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

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
  try {
    await io.writeFile(tmp, data);
    await io.sync(tmp);
    await io.rename(tmp, path);
  } catch (error) {
    await io.rm(tmp).catch(() => undefined);
    throw error;
  }
  await io.sync(dirname(path));
}
