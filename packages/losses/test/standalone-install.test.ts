// Stand-alone install, as another project would do it: pack @reacgan/losses, install the tarball into an
// empty temporary npm project together with @tensorflow/tfjs only, and compute D2D-CE there.
// Needs the npm registry (npm's cache makes repeats fast). Set REACGAN_SKIP_STANDALONE_INSTALL=1 to skip
// it explicitly (e.g. on an offline machine); it is never skipped silently.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFixture } from '@reacgan/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const skip = process.env.REACGAN_SKIP_STANDALONE_INSTALL === '1';
const TFJS_VERSION = '4.22.0';

interface GoldenRow {
  case: string;
  variant?: string;
  temperature: number;
  positiveMargin?: number;
  value: number;
}
const golden = loadFixture<{ d2dce: GoldenRow[]; contrastive: GoldenRow[] }>(import.meta.url, '../src/__fixtures__/golden.json');
const goldenD2DCE = (variant: string): number =>
  golden.d2dce.find((r) => r.case === 'reference-1.3' && r.variant === variant && r.temperature === 0.5 && r.positiveMargin === 0.98)!.value;
const golden2C = golden.contrastive.find((r) => r.case === 'reference-1.3' && r.temperature === 1)!.value;

/** The environment for npm: ours minus the npm_* variables pnpm/turbo set for *their* run (keep registry settings). */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !keep.has(key)) continue;
    if (key === 'NODE_OPTIONS' || key.startsWith('VITEST') || key === 'TF_CPP_MIN_LOG_LEVEL') continue;
    env[key] = value;
  }
  return env;
}

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** dist/ must be built from the current sources (turbo's test task depends on build; rebuild when run alone). */
function ensureBuilt(): void {
  const sources = fs.readdirSync(path.join(packageDir, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const stale = sources.filter((f) => {
    const built = path.join(packageDir, 'dist', f.replace(/\.ts$/, '.js'));
    return !fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(packageDir, 'src', f)).mtimeMs;
  });
  if (stale.length > 0) {
    const tsc = path.join(packageDir, 'node_modules', '.bin', 'tsc');
    run(tsc, ['-p', 'tsconfig.build.json'], packageDir);
  }
}

const CHECK_SCRIPT = `
import * as tf from '@tensorflow/tfjs';
import * as losses from '@reacgan/losses';
await tf.setBackend('cpu');
const embed = tf.tensor2d([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0.6, 0.8]]);
const labels = tf.tensor1d([0, 0, 1, 1], 'int32');
const table = tf.tensor2d([[1, 0.2, 0], [0, 1, 0.3]]);
const proxy = tf.gather(table, labels);
const before = tf.memory().numTensors;
const studiogan = losses.data2DataCrossEntropyLoss({ embed, proxy, labels });
const paper = losses.data2DataCrossEntropyLoss({ embed, proxy, labels }, { variant: 'paper' });
const twoC = losses.conditionalContrastiveLoss({ embed, proxy, labels });
const grad = tf.grad((e) => losses.data2DataCrossEntropyLoss({ embed: e, proxy, labels }))(embed);
const out = {
  version: losses.version,
  exports: Object.keys(losses).sort(),
  studiogan: studiogan.dataSync()[0],
  paper: paper.dataSync()[0],
  twoC: twoC.dataSync()[0],
  gradientFinite: Array.from(grad.dataSync()).every(Number.isFinite),
  gradientNonZero: Array.from(grad.dataSync()).some((x) => x !== 0),
};
tf.dispose([studiogan, paper, twoC, grad]);
out.leaked = tf.memory().numTensors - before;
console.log('RESULT ' + JSON.stringify(out));
`;

// The README's gradient-registration table, Node.js row: with tfjs-core + a backend in plain Node, the
// tfjs-core dist path cannot be loaded (with or without .js, nor through createRequire), and importing
// @tensorflow/tfjs registers the gradients for the tfjs-core the application imports.
const GRADIENTS_SCRIPT = `
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { data2DataCrossEntropyLoss } from '@reacgan/losses';
await tf.setBackend('cpu');
const embed = tf.tensor2d([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0.6, 0.8]]);
const labels = [0, 0, 1, 1];
const proxy = tf.tensor2d([[1, 0.2, 0], [1, 0.2, 0], [0, 1, 0.3], [0, 1, 0.3]]);
const tryGrad = () => {
  try {
    const g = tf.grad((e) => data2DataCrossEntropyLoss({ embed: e, proxy, labels }))(embed);
    const ok = Array.from(g.dataSync()).every(Number.isFinite);
    g.dispose();
    return ok ? 'ok' : 'non-finite';
  } catch (e) {
    return e.message;
  }
};
const out = { coreOnly: tryGrad() };
for (const spec of ['@tensorflow/tfjs-core/dist/register_all_gradients', '@tensorflow/tfjs-core/dist/register_all_gradients.js']) {
  try { await import(spec); out[spec] = 'loaded'; } catch (e) { out[spec] = e.code; }
}
try { createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients'); out.createRequire = 'loaded'; } catch (e) { out.createRequire = e.code; }
out.afterDistPath = tryGrad();
await import('@tensorflow/tfjs');
out.afterTfjs = tryGrad();
try { data2DataCrossEntropyLoss(embed, proxy, labels); } catch (e) { out.positional = e.message; }
console.log('RESULT ' + JSON.stringify(out));
`;

describe.skipIf(skip)('stand-alone install of the packed tarball (npm, with @tensorflow/tfjs only)', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reacgan-losses-standalone-'));
  afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

  it('packs, installs into an empty project and computes D2D-CE equal to the golden value', { timeout: 240_000 }, () => {
    ensureBuilt();
    const ownVersion = (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    run('pnpm', ['pack', '--pack-destination', workDir], packageDir);
    const tarball = fs.readdirSync(workDir).find((f) => f.endsWith('.tgz'));
    expect(tarball, 'pnpm pack produced no .tgz').toBeDefined();

    // what the tarball ships: the built entry, README, package.json; no sources, tests or fixtures
    const listing = run('tar', ['-tzf', tarball!], workDir).split('\n').filter(Boolean);
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).toContain('package/README.md');
    expect(listing.filter((f) => /\/(src|test|scripts)\/|__fixtures__|\.test\./.test(f))).toEqual([]);
    const manifestText = run('tar', ['-xzOf', tarball!, 'package/package.json'], workDir);
    expect(manifestText).not.toMatch(/workspace:|catalog:/);
    const manifest = JSON.parse(manifestText) as { dependencies?: object; peerDependencies?: Record<string, string> };
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.peerDependencies ?? {})).toEqual(['@tensorflow/tfjs-core']);

    const project = path.join(workDir, 'project');
    fs.mkdirSync(project);
    run('npm', ['init', '-y'], project);
    run(
      'npm',
      ['install', path.join(workDir, tarball!), `@tensorflow/tfjs@${TFJS_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'],
      project,
    );
    // nothing but tfjs came with it: the losses package has no dependencies of its own
    expect(fs.existsSync(path.join(project, 'node_modules', '@reacgan', 'losses', 'node_modules'))).toBe(false);
    const installed = fs.readdirSync(path.join(project, 'node_modules', '@reacgan'));
    expect(installed).toEqual(['losses']);

    fs.writeFileSync(path.join(project, 'check.mjs'), CHECK_SCRIPT);
    const stdout = run(process.execPath, ['check.mjs'], project);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, stdout).toBeDefined();
    const result = JSON.parse(line!.slice('RESULT '.length)) as Record<string, unknown>;
    expect(result.version).toBe(ownVersion);
    expect(result.exports).toEqual(expect.arrayContaining(['data2DataCrossEntropyLoss', 'conditionalContrastiveLoss', 'adversarialLoss']));
    expect(result.studiogan as number).toBeAllclose(goldenD2DCE('studiogan'), { rtol: 1e-5 });
    expect(result.paper as number).toBeAllclose(goldenD2DCE('paper'), { rtol: 1e-5 });
    expect(result.twoC as number).toBeAllclose(golden2C, { rtol: 1e-5 });
    expect(result.gradientFinite).toBe(true);
    expect(result.gradientNonZero).toBe(true);
    expect(result.leaked).toBe(0);

    // the README's example, verbatim
    const readme = fs.readFileSync(path.join(packageDir, 'README.md'), 'utf8');
    const example = /## Example\s+```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README has no ```js example under "## Example"').toBeDefined();
    fs.writeFileSync(path.join(project, 'example.mjs'), example!);
    const exampleOut = run(process.execPath, ['example.mjs'], project);
    const match = /D2D-CE (\S+) D loss (\S+)/.exec(exampleOut);
    expect(match, exampleOut).not.toBeNull();
    expect(Number.isFinite(Number(match![1])) && Number.isFinite(Number(match![2]))).toBe(true);

    // the README's gradient-registration table, Node.js row (tfjs-core + cpu backend, both installed with tfjs)
    fs.writeFileSync(path.join(project, 'gradients.mjs'), GRADIENTS_SCRIPT);
    const gradientsOut = run(process.execPath, ['gradients.mjs'], project);
    const gradientsLine = gradientsOut.split('\n').find((l) => l.startsWith('RESULT '));
    expect(gradientsLine, gradientsOut).toBeDefined();
    expect(JSON.parse(gradientsLine!.slice('RESULT '.length))).toEqual({
      coreOnly: 'Cannot compute gradient: gradient function not found for Mean.',
      '@tensorflow/tfjs-core/dist/register_all_gradients': 'ERR_MODULE_NOT_FOUND',
      '@tensorflow/tfjs-core/dist/register_all_gradients.js': 'ERR_MODULE_NOT_FOUND',
      createRequire: 'ERR_MODULE_NOT_FOUND',
      afterDistPath: 'Cannot compute gradient: gradient function not found for Mean.',
      afterTfjs: 'ok',
      positional: expect.stringMatching(/^data2DataCrossEntropyLoss: inputs: expected an object \{ embed, proxy, labels \}, received a tf.Tensor/),
    });
  });
});
