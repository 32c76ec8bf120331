import { vi } from 'vitest';
import { buildProgram } from '../src/cli/program.js';

/** Runs the CLI in this process (`reacgan <args>`); returns what it printed: stdout lines, and stderr + warnings. */
export async function runCli(args: string[]): Promise<{ out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const w = vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'reacgan', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
    w.mockRestore();
  }
  return { out: out.join('\n'), err: err.join('\n') };
}
