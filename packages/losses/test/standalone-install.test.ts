// Stand-alone install, as another project would do it: pack @reacgan/losses, install the tarball into an
// empty temporary npm project together with @tensorflow/tfjs only, and compute D2D-CE there; compile the
// README's TypeScript example against the installed types; and check the README's note on installing a
// folder (linked: two copies of tfjs-core; --install-links: one).
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

// The time limits only guard against a hang: with an empty npm cache (a new user, CI on a clean machine)
// `npm install @tensorflow/tfjs` downloads ~30 MB, and on a loaded 2-core machine with a slow registry
// that took longer than 150 s. Nothing here asserts a duration.
const COMMAND_LIMIT_MS = 600_000;
const TEST_LIMIT_MS = 1_200_000;

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: COMMAND_LIMIT_MS });
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

/** Prints the tfjs-core builds Node loaded (one per copy), after importing tfjs-core, a backend and the losses. */
const COPIES_SCRIPT = `
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { data2DataCrossEntropyLoss } from '@reacgan/losses';
await tf.setBackend('cpu');
const loss = data2DataCrossEntropyLoss({ embed: tf.randomNormal([4, 3]), proxy: tf.randomNormal([4, 3]), labels: [0, 1, 0, 1] });
const copies = Object.keys(createRequire(import.meta.url).cache).filter((f) => /tfjs-core[\\/]dist[\\/]tf-core\\.node\\.js$/.test(f));
console.log('RESULT ' + JSON.stringify({ copies, finite: Number.isFinite(loss.dataSync()[0]) }));
`;

/** The fenced block of `language` under the README heading `heading`. */
function readmeBlock(heading: string, language: string): string {
  const readme = fs.readFileSync(path.join(packageDir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section)?.[1];
  expect(block, `README has no \`\`\`${language} block under "${heading}"`).toBeDefined();
  return block!;
}

function resultOf(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, stdout).toBeDefined();
  return JSON.parse(line!.slice('RESULT '.length)) as Record<string, unknown>;
}

describe.skipIf(skip)('stand-alone install of the packed tarball (npm, with @tensorflow/tfjs only)', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reacgan-losses-standalone-'));
  afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));
  let tarball: string | undefined;
  const project = path.join(workDir, 'project');

  it('packs, installs into an empty project and computes D2D-CE equal to the golden value', { timeout: TEST_LIMIT_MS }, () => {
    ensureBuilt();
    const ownVersion = (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    run('pnpm', ['pack', '--pack-destination', workDir], packageDir);
    tarball = fs.readdirSync(workDir).find((f) => f.endsWith('.tgz'));
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

  it("the README's TypeScript example compiles with tsc --strict against the installed types, without casts", { timeout: TEST_LIMIT_MS }, () => {
    expect(tarball, 'the install test above ran').toBeDefined();
    const example = readmeBlock('## TypeScript', 'ts');
    expect(example).not.toMatch(/\bas tf\./);
    fs.writeFileSync(path.join(project, 'example.ts'), example);
    const tsc = path.join(packageDir, 'node_modules', '.bin', 'tsc');
    // What a TypeScript user of an ES module package compiles with; skipLibCheck as tfjs's own .d.ts need it.
    run(tsc, ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', 'example.ts'], project);
    // and a misuse is still a type error (the check is not vacuous)
    fs.writeFileSync(path.join(project, 'misuse.ts'), `import { data2DataCrossEntropyLoss } from '@reacgan/losses';\ndata2DataCrossEntropyLoss({ embed: [[1, 0]], proxy: [[1, 0]], labels: [0] });\n`);
    expect(() => run(tsc, ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'misuse.ts'], project)).toThrow(/misuse\.ts\(2,\d+\): error TS\d+/);
  });

  it('a linked folder (npm install <folder>) loads a second tfjs-core; --install-links and the tarball load one', { timeout: TEST_LIMIT_MS }, () => {
    expect(tarball, 'the install test above ran').toBeDefined();
    // A checkout's package folder: the packed files plus its own development copy of tfjs-core (what pnpm puts in
    // packages/losses/node_modules), here a link to this repository's copy.
    const folder = path.join(workDir, 'checkout', 'losses');
    fs.mkdirSync(path.join(folder, 'node_modules', '@tensorflow'), { recursive: true });
    run('tar', ['-xzf', path.join(workDir, tarball!), '-C', folder, '--strip-components=1'], workDir);
    fs.symlinkSync(fs.realpathSync(path.join(packageDir, 'node_modules', '@tensorflow', 'tfjs-core')), path.join(folder, 'node_modules', '@tensorflow', 'tfjs-core'));
    const copies = (name: string, installFlags: string[]): string[] => {
      const dir = path.join(workDir, name);
      fs.mkdirSync(dir);
      run('npm', ['init', '-y'], dir);
      const deps = [`@tensorflow/tfjs-core@${TFJS_VERSION}`, `@tensorflow/tfjs-backend-cpu@${TFJS_VERSION}`];
      run('npm', ['install', ...installFlags, folder, ...deps, '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'], dir);
      fs.writeFileSync(path.join(dir, 'copies.mjs'), COPIES_SCRIPT);
      const result = resultOf(run(process.execPath, ['copies.mjs'], dir));
      expect(result.finite).toBe(true);
      return result.copies as string[];
    };
    const linked = copies('linked', []);
    expect(fs.lstatSync(path.join(workDir, 'linked', 'node_modules', '@reacgan', 'losses')).isSymbolicLink()).toBe(true);
    expect(linked, 'npm install <folder>: the project\'s tfjs-core and the folder\'s').toHaveLength(2);
    const packed = copies('install-links', ['--install-links']);
    expect(packed).toEqual([path.join(fs.realpathSync(workDir), 'install-links', 'node_modules', '@tensorflow', 'tfjs-core', 'dist', 'tf-core.node.js')]);
  });
});
