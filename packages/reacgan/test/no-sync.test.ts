import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import { forbidSyncReads, loadNativeBackend, NO_SYNC_MESSAGE, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendReport } from '../src/backend.js';
import { resolvePreset } from '../src/config/presets.js';
import { exportWebGenerator } from '../src/export/web-export.js';
import { MNIST_JUDGE } from '../src/eval/judge-classifier.js';
import { loadOrTrainJudgeClassifier } from '../src/node/cache.js';
import { evaluateGenerator } from '../src/node/evaluate.js';
import { classGrid, disposeLoaded, loadGenerator, writePerClassImages } from '../src/node/generator.js';
import { trainRun } from '../src/node/run.js';

// Training, sampling, evaluation and export must read tensors only asynchronously: on webgpu in Node a
// synchronous read throws (tfjs-backend-webgpu 4.22 needs OffscreenCanvas for it), and on any GPU it stalls
// the pipeline. Every path runs here with dataSync / arraySync / bufferSync throwing (forbidSyncReads), so a
// synchronous read added anywhere on them fails this test. On the native backend when installed (fast).
const backend = nativeInstalled() ? 'tensorflow' : 'cpu';
let dir: string;
let restore: () => void = () => undefined;
const savedCacheEnv = process.env.REACGAN_CACHE_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-no-sync-'));
  process.env.REACGAN_CACHE_DIR = join(dir, 'cache');
  if (backend === 'tensorflow') await loadNativeBackend();
  await tf.setBackend(backend);
  restore = forbidSyncReads();
  // A synchronous read does throw now (the premise of every test below); async reads work.
  expect(() => tf.scalar(1).dataSync()).toThrow(NO_SYNC_MESSAGE);
  expect(() => tf.scalar(1).arraySync()).toThrow(NO_SYNC_MESSAGE);
  expect(await tf.scalar(1).data()).toEqual(new Float32Array([1]));
  // The MNIST judge, trained briefly into the temporary cache (same pipeline as the full one), on this backend.
  const test = await dataNode.loadMnist({ split: 'test' });
  const { classifier } = await loadOrTrainJudgeClassifier(MNIST_JUDGE, () => dataNode.loadMnist({ split: 'train' }), test, { dir: join(dir, 'cache'), trainOptions: { epochs: 1, limit: 1024 } });
  classifier.dispose();
});
afterAll(async () => {
  restore();
  if (savedCacheEnv === undefined) delete process.env.REACGAN_CACHE_DIR;
  else process.env.REACGAN_CACHE_DIR = savedCacheEnv;
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe(`no synchronous tensor reads [${backend}]`, () => {
  const run = () => join(dir, 'run');

  it('training (trainRun: steps, grids, judge evaluations, checkpoints, report)', async () => {
    const config = resolvePreset('mnist/reacgan', {
      model: { gConvDim: 2, dConvDim: 2 },
      optimization: { totalSteps: 2, batchSize: 8 },
      run: { seed: 1, printEvery: 1, sampleEvery: 2, evalEvery: 2, saveEvery: 2, evalNumSamples: 20 },
    });
    const backend = { backend: tf.getBackend(), choice: 'cpu', package: '@reacgan/testkit', threads: 1, tfjsVersion: tf.version_core, attempts: [], gradients: true, fixes: [] } satisfies BackendReport;
    const result = await trainRun({ config, configSource: 'test', out: run(), backend, progress: false, log: () => undefined });
    expect(result.status).toBe('completed');
    expect(await readdir(join(run(), 'checkpoints'))).toContain('last.safetensors');
  });

  it('sampling (grid and per-class images)', async () => {
    const loaded = await loadGenerator(join(run(), 'checkpoints', 'last.safetensors'));
    try {
      const grid = await classGrid(loaded, 2);
      expect(grid.height).toBeGreaterThan(0);
      expect((await writePerClassImages(loaded, join(dir, 'per-class'), 1)).written).toBe(10);
    } finally {
      disposeLoaded(loaded);
    }
  });

  it('evaluation (judge features, FID)', async () => {
    const loaded = await loadGenerator(join(run(), 'checkpoints', 'last.safetensors'));
    try {
      const result = await evaluateGenerator(loaded, { numSamples: 20, metrics: ['fid', 'kid', 'prdc'], kid: { subsets: 2, subsetSize: 10 }, prdc: { maxSamples: 20 } });
      expect(Number.isFinite(result.metrics.fid)).toBe(true);
    } finally {
      disposeLoaded(loaded);
    }
  });

  it('export (web generator with its self-check)', async () => {
    const result = await exportWebGenerator({ checkpoint: join(run(), 'checkpoints', 'last.safetensors'), out: join(dir, 'g.safetensors') });
    expect(result.bytes).toBeGreaterThan(0);
  });
});
