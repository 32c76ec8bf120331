// claims.mjs's command line: a usage text for --help, and bad option values refused with one clean line naming the
// option, what it expects and what it received (no stack trace), before the library is loaded or anything written.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../claims.mjs', import.meta.url));
const claims = (...args) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, REACGAN_BACKEND: '' }, timeout: 60_000 });

describe('examples/paper-claims: claims.mjs options', () => {
  it('--help prints the usage with every option and exits 0', () => {
    const r = claims('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: claims\.mjs \[options\]/);
    for (const flag of ['--mode', '--out', '--seeds', '--settings', '--arms', '--cifar10', '--backend', '--keep-checkpoints', '--report-only']) expect(r.stdout).toContain(flag);
  });

  it.each([
    [['--mode', 'fast'], /^error: option '--mode <mode>' argument 'fast' is invalid\. Allowed choices are quick, full\./],
    [['--seeds', 'a,1'], /^error: option '--seeds <list>' argument 'a,1' is invalid\. expected comma-separated non-negative integers \(e\.g\. 0,1\), received 'a,1'/],
    [['--settings', 'cifar100'], /^error: option '--settings <list>' argument 'cifar100' is invalid\. expected a comma-separated list of cifar10, mnist-lr5x, cifar10-20pc, received 'cifar100' \(unknown: cifar100\)/],
    [['--arms', 'reacgan,wgan'], /^error: option '--arms <list>' argument 'reacgan,wgan' is invalid\. .*\(unknown: wgan\)/],
    [['--settings', 'cifar10-20pc'], /^error: option '--settings <list>': cifar10-20pc runs in full mode only \(no budget in quick mode\); pass --mode full/],
    [['--settings', 'mnist-lr5x', '--arms', 'reacgan-nomask'], /^error: option '--arms <list>': none of reacgan-nomask runs in mnist-lr5x \(mnist-lr5x: acgan, acgan-norm, reacgan\)/],
    [['--sedes', '1'], /^error: unknown option '--sedes'/],
    [['--report-only', '--out', '/tmp/claims-cli-no-runs-here'], /^error: option '--report-only': \/tmp\/claims-cli-no-runs-here holds no finished run of .*train them first/],
  ])('%j is refused in one line, no stack trace', (args, message) => {
    const r = claims(...args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});
