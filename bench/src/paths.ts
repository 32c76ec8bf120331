import { existsSync, readFileSync } from 'node:fs';
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

/** The folder holding StudioGAN checkouts by short commit (`<dir>/6650d2f`, `<dir>/947b35e`): --studiogan, else REACGAN_STUDIOGAN, else bench/.cache/studiogan. */
export function studioganRoot(explicit?: string): string {
  return resolve(explicit ?? process.env.REACGAN_STUDIOGAN ?? join(BENCH_DIR, '.cache', 'studiogan'));
}

/**
 * The checkout of StudioGAN at `commit` (full hash `fullHash`) under `root`, checked: `src/config.py` exists and
 * the file STUDIOGAN_COMMIT (written by bench/scripts/fetch-studiogan.sh) names that commit.
 * @throws Error saying how to get the checkout when it is missing or another commit.
 */
export function studioganCheckout(root: string, commit: string, fullHash: string): string {
  const dir = join(root, commit);
  const marker = join(dir, 'STUDIOGAN_COMMIT');
  const hint = `run 'bash bench/scripts/fetch-studiogan.sh' (clones https://github.com/POSTECH-CVLab/PyTorch-StudioGAN, or STUDIOGAN_REPO=<a clone or mirror>) or point --studiogan / REACGAN_STUDIOGAN at a folder with <commit>/ checkouts`;
  if (!existsSync(join(dir, 'src', 'config.py'))) throw new Error(`StudioGAN checkout: expected ${dir}/src/config.py (StudioGAN at ${commit}), found none: ${hint}`);
  const found = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '(no STUDIOGAN_COMMIT file)';
  if (found !== fullHash) throw new Error(`StudioGAN checkout ${dir}: expected commit ${fullHash}, found ${found}: ${hint}`);
  return dir;
}
