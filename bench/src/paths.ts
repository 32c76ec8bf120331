import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ (this file lives in bench/dist or bench/src). */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(BENCH_DIR, '..');
export const DIST_DIR = join(BENCH_DIR, 'dist');

/** The Python with torch 2.13 (REACGAN_PYTHON, else the repository's .venv-reference). */
export function referencePython(): string {
  const explicit = process.env.REACGAN_BENCH_PYTHON ?? process.env.REACGAN_PYTHON;
  if (explicit) return explicit;
  const venv = join(REPO_DIR, '.venv-reference', 'bin', 'python');
  if (!existsSync(venv)) {
    throw new Error(`the PyTorch side needs ${venv}: create it with 'bash scripts/setup-python-reference.sh' (or set REACGAN_BENCH_PYTHON)`);
  }
  return venv;
}
