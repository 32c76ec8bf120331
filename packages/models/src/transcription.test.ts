// The PyTorch transcription of StudioGAN (scripts/studiogan_reference.py) is what the benchmark times
// (bench/python/torch_step.py); this pins it to StudioGAN's own code: scripts/check_transcription.py runs it on
// every fixture of scripts/studiogan_fixtures.py (weights, inputs, eval / sampling / train-mode outputs, SN
// vectors and BN statistics) with the tolerance of the TypeScript parity tests.
// Needs the Python reference environment (`pnpm test` creates it; REACGAN_SKIP_PYTHON_PARITY=1 skips).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { repositoryRoot } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';

const python = process.env.REACGAN_PYTHON_REFERENCE ?? path.join(repositoryRoot, '.venv-reference', 'bin', 'python');
const skip = process.env.REACGAN_SKIP_PYTHON_PARITY === '1';

describe.skipIf(skip)('PyTorch transcription (the benchmark) against StudioGAN fixtures', () => {
  it('every fixture: outputs and state within the parity tolerance', () => {
    const script = path.join(repositoryRoot, 'packages', 'models', 'scripts', 'check_transcription.py');
    let stdout = '';
    try {
      stdout = execFileSync(python, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, OMP_NUM_THREADS: '2' } });
    } catch (error) {
      stdout = String((error as { stdout?: string }).stdout ?? '');
    }
    const results = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { fixture: string; worst: number; failures: string[] });
    expect(results.length).toBe(14);
    for (const r of results) expect(r.failures, r.fixture).toEqual([]);
  }, 600_000);
});
