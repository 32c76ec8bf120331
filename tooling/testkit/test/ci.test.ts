// CI (.ci/run) is the README's contract: its install-and-test line, then `pnpm check`. These tests read the
// README, .ci/run and scripts/check.mjs, so none of them can drift from the others.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../src/native-status.js';

const read = (file: string) => fs.readFileSync(path.join(repositoryRoot, file), 'utf8');
const readme = read('README.md');
const rootScripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** The commands .ci/run runs through its `step NAME COMMAND...` helper, in order. */
function ciSteps(): string[] {
  return read('.ci/run')
    .split('\n')
    .filter((line) => line.startsWith('step '))
    .map((line) => line.split(/\s+/).slice(2).join(' '));
}

/** The shell line of the README's fenced block that follows `intro`. */
function readmeCommand(intro: string): string {
  const at = readme.indexOf(intro);
  expect(at, `README has no "${intro}"`).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([^\n]+)\n```/.exec(readme.slice(at));
  expect(block, `no sh block after "${intro}"`).not.toBeNull();
  return block![1].trim();
}

describe('.ci/run', () => {
  it("runs the README's install-and-test line and then pnpm check, timing each part", () => {
    const testLine = readmeCommand('run every test');
    expect(testLine).toMatch(/&& pnpm test$/);
    expect(ciSteps().join(' && ')).toBe(`${testLine} && pnpm check`);
    expect(read('.ci/run')).toMatch(/took \$\(\( SECONDS - start \)\) s/);
  });

  it('pnpm check runs typecheck, lint, build and publint (each a root script), and the README says CI runs it', () => {
    expect(rootScripts.check).toBe('node scripts/check.mjs');
    const parts = execFileSync(process.execPath, [path.join(repositoryRoot, 'scripts', 'check.mjs'), '--list'], { encoding: 'utf8' }).trim().split('\n');
    expect(parts).toEqual(['typecheck', 'lint', 'build', 'publint']);
    expect(rootScripts.publint).toMatch(/publint --strict "\$dir"/);
    for (const part of parts) expect(rootScripts[part], `root script ${part}`).toBeDefined();
    expect(readme).toMatch(/`\.ci\/run`[^.]*`pnpm check`/);
    const row = readme.split('\n').find((line) => line.startsWith('| `pnpm check`'));
    expect(row, 'the Development table has a `pnpm check` row').toBeDefined();
    for (const part of parts) expect(row).toContain(part);
  });

  it('pnpm test does not run the long checks (they belong to pnpm check)', () => {
    expect(rootScripts.test).not.toMatch(/\b(typecheck|lint|build)\b/);
  });
});
