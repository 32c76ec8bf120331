import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as data from '@reacgan/data';
import * as models from '@reacgan/models';
import { expectNoTensorLeak } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeLoaded, loadGenerator, prepareLoadedGenerator, sampleLoaded } from '../src/node/generator.js';
import {
  STANDING_STATISTICS_MOMENTUM,
  applyStandingStatisticsInPlace,
  resolveGenerationStatistics,
  standingStatisticsCopy,
  standingStatisticsRecord,
} from '../src/train/standing.js';
import { generateImages } from '../src/train/generate.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig, writeTrainedCheckpoint } from './helpers.js';

// Standing statistics (StudioGAN -std_stat) on a tiny generator, cpu backend (the test setup's default).

const isBnStat = (name: string) => /(running_mean|running_var|num_batches_tracked)$/.test(name);
const snapshot = (g: models.Generator) => new Map([...g.stateDict()].map(([k, t]) => [k, Array.from(t.dataSync())]));

function tinyGenerator(seed = 1): models.Generator {
  const config = tinyConfig();
  return models.createGenerator(config.model, { imgSize: 8, imgChannels: 1, numClasses: 4, seed });
}

/** Gives every BN stale running statistics (as after a long training run on other inputs). */
function makeStale(g: models.Generator): void {
  for (const bn of g.batchNorms()) {
    tf.tidy(() => {
      bn.runningMean.assign(tf.fill(bn.runningMean.shape, 3));
      bn.runningVar.assign(tf.fill(bn.runningVar.shape, 40));
    });
  }
}

function inputs(g: models.Generator, n: number, seed: number): { z: tf.Tensor2D; y: tf.Tensor1D } {
  const rng = new data.Rng(seed);
  const z = tf.tensor2d(data.sampleLatents(rng, n, g.zDim, { prior: 'gaussian' }), [n, g.zDim]);
  const y = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % g.numClasses), 'int32');
  return { z, y };
}

const meanAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('resolveGenerationStatistics', () => {
  const run = { batchStatistics: false, standingStatistics: false, standingStep: null, standingMaxBatch: null, seed: 7 };

  it('takes the mode from the run configuration, and an explicit request wins', () => {
    expect(resolveGenerationStatistics(run)).toEqual({ mode: 'running', standing: null });
    expect(resolveGenerationStatistics({ ...run, batchStatistics: true })).toEqual({ mode: 'batch', standing: null });
    const std = { ...run, standingStatistics: true, standingStep: 256, standingMaxBatch: 128 };
    expect(resolveGenerationStatistics(std)).toEqual({ mode: 'standing', standing: { steps: 256, maxBatch: 128, seed: 7 } });
    expect(resolveGenerationStatistics(std, { standingStep: 3, standingMaxBatch: 5, standingSeed: 1 })).toEqual({ mode: 'standing', standing: { steps: 3, maxBatch: 5, seed: 1 } });
    expect(resolveGenerationStatistics(std, { mode: 'batch' })).toEqual({ mode: 'batch', standing: null });
    expect(resolveGenerationStatistics(std, { mode: 'running' })).toEqual({ mode: 'running', standing: null });
    expect(resolveGenerationStatistics(run, { mode: 'standing', standingStep: 4, standingMaxBatch: 6 })).toEqual({ mode: 'standing', standing: { steps: 4, maxBatch: 6, seed: 7 } });
  });

  it('rejects contradictory or incomplete settings with messages naming the keys and flags', () => {
    expect(() => resolveGenerationStatistics({ ...run, batchStatistics: true, standingStatistics: true, standingStep: 1, standingMaxBatch: 1 })).toThrow(
      /run\.batchStatistics and run\.standingStatistics are both true/,
    );
    expect(() => resolveGenerationStatistics({ ...run, standingStatistics: true, standingStep: 4 })).toThrow(/run\.standingStep \(4\) and run\.standingMaxBatch \(null\) must both be set: give run\.standingMaxBatch \(--standing-max-batch\)/);
    expect(() => resolveGenerationStatistics(run, { mode: 'standing' })).toThrow(/--standing-step\) and run\.standingMaxBatch \(--standing-max-batch\)/);
    expect(() => resolveGenerationStatistics(run, { standingStep: 3 })).toThrow(/--standing-step \/ --standing-max-batch need standing statistics .* running statistics/);
    expect(() => resolveGenerationStatistics(run, { mode: 'standing', standingStep: 0, standingMaxBatch: 2 })).toThrow(/--standing-step \(standingStep\): expected a positive integer, received 0/);
    expect(() => resolveGenerationStatistics(run, { mode: 'standing', standingStep: 2, standingMaxBatch: 1.5 })).toThrow(/--standing-max-batch \(standingMaxBatch\): expected a positive integer, received 1\.5/);
  });

  it('records the fixed parts of the procedure', () => {
    expect(standingStatisticsRecord({ steps: 2, maxBatch: 3, seed: 4 })).toEqual({ steps: 2, maxBatch: 3, seed: 4, momentum: 0.1, randomBatchSize: true, resetFirst: true });
    expect(STANDING_STATISTICS_MOMENTUM).toBe(0.1);
  });
});

describe('applyStandingStatisticsInPlace / standingStatisticsCopy (tiny generator, cpu)', () => {
  it('resets the running statistics and re-accumulates them with momentum 0.1; weights and SN vectors are untouched; no leak', async () => {
    const g = tinyGenerator();
    makeStale(g);
    const before = snapshot(g);
    await expectNoTensorLeak(() => applyStandingStatisticsInPlace(g, { steps: 1, maxBatch: 8, seed: 3 }), 'applyStandingStatisticsInPlace');
    const after = snapshot(g);
    let bnEntries = 0;
    for (const [name, values] of before) {
      if (isBnStat(name)) continue;
      expect(after.get(name), name).toEqual(values); // bitwise: weights, biases, embeddings, SN u vectors
    }
    for (const bn of g.batchNorms()) {
      bnEntries++;
      // One momentum update from the reset (0, 1): mean = 0.1·μ_batch, var = 0.9 + 0.1·σ²_batch (σ² ≥ 0).
      const v = bn.runningVar.dataSync();
      for (const x of v) expect(x).toBeGreaterThanOrEqual(1 - STANDING_STATISTICS_MOMENTUM - 1e-6);
      expect(Math.max(...bn.runningMean.dataSync())).not.toBe(3); // the stale value is gone
      expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
    }
    expect(bnEntries).toBeGreaterThan(0);
    g.dispose();
  });

  it('starts from the reset, so the stale statistics do not matter and repeating it gives the same statistics', () => {
    const a = tinyGenerator();
    const b = tinyGenerator();
    makeStale(a);
    const settings = { steps: 5, maxBatch: 6, seed: 11 };
    applyStandingStatisticsInPlace(a, settings);
    applyStandingStatisticsInPlace(b, settings);
    expect(snapshot(a)).toEqual(snapshot(b));
    applyStandingStatisticsInPlace(a, settings);
    expect(snapshot(a)).toEqual(snapshot(b));
    applyStandingStatisticsInPlace(b, { ...settings, seed: 12 });
    expect(snapshot(a)).not.toEqual(snapshot(b));
    a.dispose();
    b.dispose();
  });

  it('estimates the statistics of generated batches: eval-mode output moves close to the batch-statistics output', () => {
    const g = tinyGenerator();
    makeStale(g);
    const { z, y } = inputs(g, 256, 5);
    const batchOut = g.apply(z, y, { training: false, batchNormStatistics: 'batch' });
    const staleOut = g.apply(z, y, { training: false, batchNormStatistics: 'running' });
    // 40 passes: the reset values keep a weight of 0.9^40 ≈ 1.5 %; the rest is an EMA over batches of
    // random size 1…64, so the estimate is noisy (measured: gap 0.48 → 0.072, cpu backend).
    applyStandingStatisticsInPlace(g, { steps: 40, maxBatch: 64, seed: 2 });
    const standingOut = g.apply(z, y, { training: false, batchNormStatistics: 'running' });
    const staleGap = meanAbsDiff(staleOut, batchOut);
    const standingGap = meanAbsDiff(standingOut, batchOut);
    expect(staleGap).toBeGreaterThan(0.05);
    expect(standingGap).toBeLessThan(0.25 * staleGap);
    tf.dispose([z, y, batchOut, staleOut, standingOut]);
    g.dispose();
  });

  it('standingStatisticsCopy leaves the original bitwise unchanged and returns an estimated copy; no leak', async () => {
    const g = tinyGenerator();
    makeStale(g);
    const before = snapshot(g);
    const settings = { steps: 3, maxBatch: 5, seed: 9 };
    await expectNoTensorLeak(() => standingStatisticsCopy(g, settings).dispose(), 'standingStatisticsCopy');
    const copy = standingStatisticsCopy(g, settings);
    expect(snapshot(g)).toEqual(before);
    const inPlace = tinyGenerator();
    inPlace.loadStateDict(g.stateDict());
    applyStandingStatisticsInPlace(inPlace, settings);
    expect(snapshot(copy)).toEqual(snapshot(inPlace));
    copy.dispose();
    inPlace.dispose();
    g.dispose();
  });
});

describe('checkpoints: sample / evaluate generators and the trainer', () => {
  let dir: string;
  let file: string;
  const config = tinyConfig({ run: { standingStatistics: true, standingStep: 4, standingMaxBatch: 6 } });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reacgan-standing-'));
    file = join(dir, 'last.safetensors');
    await writeTrainedCheckpoint(config, 3, file);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a loaded generator samples with the run\'s standing statistics; the checkpoint file is not modified; no leak', async () => {
    const sha = async () => createHash('sha256').update(await readFile(file)).digest('hex');
    const hash = await sha();
    const labels = Int32Array.from([0, 1, 2, 3, 0, 1]);

    // Reference: the checkpoint's EMA generator, estimated by hand, then running statistics.
    const plain = await loadGenerator(file);
    const original = snapshot(plain.generator);
    const expected = standingStatisticsCopy(plain.generator, { steps: 4, maxBatch: 6, seed: config.run.seed });
    const want = generateImages(expected, config, labels, { rng: new data.Rng(5), batchNormStatistics: 'running' });
    const runningImages = sampleLoaded(plain, labels, { seed: 5, batchNormStatistics: 'running' });
    expect(plain.statistics).toBeNull(); // an explicit mode needs no preparation

    const loaded = await loadGenerator(file);
    const before = tf.memory().numTensors;
    const images = sampleLoaded(loaded, labels, { seed: 5 }); // prepares from run.standingStatistics on first use
    expect(loaded.statistics).toEqual({ mode: 'standing', standing: { steps: 4, maxBatch: 6, seed: config.run.seed } });
    expect(tf.memory().numTensors - before).toBe(1); // just the images
    expect(images).toBeAllclose(want, { rtol: 0, atol: 1e-6 });
    expect(meanAbsDiff(images, runningImages)).toBeGreaterThan(1e-4); // standing ≠ the checkpoint's running statistics

    // Re-preparing is idempotent (the pass starts from the reset); the weights are the checkpoint's.
    prepareLoadedGenerator(loaded);
    const again = sampleLoaded(loaded, labels, { seed: 5 });
    expect(again).toBeAllclose(images, { rtol: 0, atol: 0 });
    for (const [name, values] of snapshot(loaded.generator)) if (!isBnStat(name)) expect(values, name).toEqual(original.get(name));
    expect(await sha()).toBe(hash);

    tf.dispose([want, runningImages, images, again]);
    expected.dispose();
    disposeLoaded(plain);
    disposeLoaded(loaded);
  });

  it('the trainer can evaluate with a standing copy without touching its G / G_ema state', async () => {
    const trainer = Trainer.create(config, { dataset: syntheticDataset() });
    await trainer.trainStep();
    await trainer.flush();
    const ema = trainer.evaluationGenerator();
    expect(ema).toBe(trainer.generatorEma);
    const before = snapshot(ema);
    const labels = Int32Array.from([0, 1, 2, 3]);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const copy = standingStatisticsCopy(ema, { steps: 2, maxBatch: 4, seed: 1 });
      const images = trainer.generate(labels, { generator: copy, batchNormStatistics: 'running', seedKey: 1 });
      images.dispose();
      copy.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(snapshot(ema)).toEqual(before);
    trainer.dispose();
  });
});
