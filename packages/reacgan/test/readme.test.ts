// The README's claims that code can check: every CLI command (and subcommand) has a row in the command table, and
// the list of conditioning methods equals the registry (classifier-based ones named as such).
import fs from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { CONDITIONING_METHODS, isClassifierBased } from '../src/train/step/methods.js';

const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** `reacgan train`, `reacgan dataset info`, …: the leaf commands of the program. */
function commandPaths(command: Command, prefix: string): string[] {
  if (command.commands.length === 0) return [prefix];
  return command.commands.flatMap((sub) => commandPaths(sub, `${prefix} ${sub.name()}`));
}

describe('reacgan README', () => {
  it('has a command-table row for every CLI command', () => {
    const paths = commandPaths(buildProgram(), 'reacgan');
    expect(paths).toContain('reacgan export');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `reacgan '));
    for (const command of paths) expect(rows.some((row) => row.startsWith(`| \`${command} `) || row.startsWith(`| \`${command}\``)), command).toBe(true);
  });

  it('lists exactly the registered conditioning methods, classifier-based ones apart', () => {
    const bullet = readme.split('\n- ').find((b) => b.startsWith('`methods.ts`'));
    expect(bullet).toBeDefined();
    const [classifier, rest] = bullet!.split(' with a classifier-based loss;');
    const adversarial = rest.split(' through the adversarial output')[0];
    const names = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((n) => n !== 'methods.ts' && n !== 'MODEL.d_cond_mtd');
    const registered = Object.keys(CONDITIONING_METHODS);
    expect([...names(classifier), ...names(adversarial)].sort()).toEqual([...registered].sort());
    expect(names(classifier).sort()).toEqual(registered.filter(isClassifierBased).sort());
  });
});
