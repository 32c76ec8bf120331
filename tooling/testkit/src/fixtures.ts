import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from './native-status.js';

/**
 * Reads a JSON fixture next to the calling test: loadFixture(import.meta.url, '__fixtures__/x.json').
 * Fixtures carry their provenance (the script and reference that produced them) in a
 * `provenance` field; see each package's scripts/ folder.
 */
export function loadFixture<T = unknown>(callerUrl: string, relativePath: string): T {
  const file = path.resolve(path.dirname(fileURLToPath(callerUrl)), relativePath);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/**
 * The read-only real datasets some tests use (MNIST and Fashion-MNIST test sets, CIFAR-10 …), which are
 * never committed: `$REACGAN_TEST_DATA_DIR` when set (and then only that — a nonexistent path means
 * "missing", never a fallback), else `<repo>/../shared/data` (this project's machines). A fresh clone
 * usually has neither, so tests that need these files must be skipped through `sharedDataset()`.
 */
export const SHARED_DATA_DIR: string = (() => {
  const fromEnv = process.env.REACGAN_TEST_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.resolve(repositoryRoot, '..', 'shared', 'data');
})();

const warned = new Set<string>();

/**
 * Whether `SHARED_DATA_DIR/<name>` (a folder) exists, for `describe.skipIf(!ds.available)(\`title${ds.skipNote}\`)`.
 * When it is missing, prints one console.warn line per dataset and test file saying what is skipped and
 * how to enable it, and `skipNote` says the same in the test's title.
 */
export function sharedDataset(name: string): { path: string; available: boolean; skipNote: string } {
  const dir = path.join(SHARED_DATA_DIR, name);
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
    console.warn(`tests: skipping the tests that read the real ${name} files: ${dir} (from ${source}) is not a directory; set REACGAN_TEST_DATA_DIR to the folder that holds ${name}/ to run them`);
  }
  return { path: dir, available, skipNote };
}
