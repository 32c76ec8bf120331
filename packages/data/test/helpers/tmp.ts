import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = 'reacgan-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function write(file: string, data: Uint8Array | string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

/**
 * The read-only real datasets used by some tests (MNIST and Fashion-MNIST test sets, UCI digits):
 * `$REACGAN_TEST_DATA_DIR` when set (and then only that — a nonexistent path means "missing", never
 * a fallback), else `<repo>/../shared/data`. A fresh clone usually has neither, so tests that need
 * these files must be skipped through `sharedDataset()`.
 */
export const SHARED_DATA_DIR: string = (() => {
  const fromEnv = process.env.REACGAN_TEST_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.resolve(fileURLToPath(new URL('../../../..', import.meta.url)), '..', 'shared', 'data');
})();

/** A path inside the shared data directory (see SHARED_DATA_DIR). */
export function sharedData(...parts: string[]): string {
  return path.join(SHARED_DATA_DIR, ...parts);
}

const warned = new Set<string>();

/**
 * Whether `SHARED_DATA_DIR/<name>` exists, for `describe.skipIf(!ds.available)(\`title${ds.skipNote}\`)`.
 * When it is missing, prints one console.warn line per dataset and test file saying what is skipped and
 * how to enable it.
 */
export function sharedDataset(name: string): { path: string; available: boolean; skipNote: string } {
  const dir = sharedData(name);
  let available = false;
  try {
    available = fs.statSync(dir).isDirectory();
  } catch {
    available = false;
  }
  const source = process.env.REACGAN_TEST_DATA_DIR ? `REACGAN_TEST_DATA_DIR=${process.env.REACGAN_TEST_DATA_DIR}` : '<repo>/../shared/data';
  const skipNote = available ? '' : ` [skipped: ${dir} not found; set REACGAN_TEST_DATA_DIR to a folder holding ${name}/]`;
  if (!available && !warned.has(name)) {
    warned.add(name);
    console.warn(`@reacgan/data tests: skipping the tests that read the real ${name} files: ${dir} (from ${source}) is not a directory; set REACGAN_TEST_DATA_DIR to the folder that holds ${name}/ to run them`);
  }
  return { path: dir, available, skipNote };
}
