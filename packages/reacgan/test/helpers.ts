import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as data from '@reacgan/data';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint } from '../src/node/checkpoint.js';
import type { StepRecord } from '../src/train/records.js';
import type { TrainingState } from '../src/train/state.js';
import { Trainer } from '../src/train/trainer.js';
import { resolveConfig, type ReacganConfig } from '../src/config/resolve.js';
import { mergeConfigInputs } from '../src/config/presets.js';
import type { ConfigInput } from '../src/config/schema.js';

/** A synthetic labelled dataset: class k is a bright square at a class-dependent position (uint8 HWC). */
export function syntheticDataset(options: { count?: number; size?: number; channels?: 1 | 3; numClasses?: number; seed?: number } = {}): data.InMemoryDataset {
  const { count = 48, size = 8, channels = 1, numClasses = 4, seed = 1 } = options;
  const rng = new data.Rng(seed);
  const images = new Uint8Array(count * size * size * channels);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const y = i % numClasses;
    labels[i] = y;
    const cx = 1 + ((y * 3) % (size - 4));
    const cy = 1 + ((y * 5) % (size - 4));
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const inside = r >= cy && r < cy + 3 && c >= cx && c < cx + 3;
        const v = inside ? 200 + rng.nextInt(55) : rng.nextInt(30);
        for (let ch = 0; ch < channels; ch++) images[((i * size + r) * size + c) * channels + ch] = v;
      }
    }
  }
  return data.createInMemoryDataset({ name: 'synthetic', images, labels, imageShape: [size, size, channels], numClasses });
}

/** A tiny configuration for fast tests: 8 px, 1 channel, 4 classes, narrow ResNet (SN in D, cBN in G, EMA), batch 6. */
export function tinyConfig(overrides: ConfigInput = {}): ReacganConfig {
  const base: ConfigInput = {
    data: { name: 'synthetic', imgSize: 8, numClasses: 4, imgChannels: 1 },
    model: {
      backbone: 'resnet',
      gCondMtd: 'cBN',
      dCondMtd: 'D2DCE',
      normalizeDEmbed: true,
      dEmbedDim: 4,
      applyDSn: true,
      zDim: 4,
      gConvDim: 2,
      dConvDim: 2,
      applyGEma: true,
      gEmaDecay: 0.9,
      gEmaStart: 2,
    },
    loss: { advLoss: 'hinge', condLambda: 0.5, mP: 0.98, temperature: 0.5 },
    optimization: { batchSize: 6, dUpdatesPerStep: 1, totalSteps: 10 },
    pre: { applyRflip: false },
    run: { seed: 3, printEvery: 2, saveEvery: 4 },
  };
  return resolveConfig(mergeConfigInputs(base, overrides));
}

/**
 * Trains `steps` steps of `config` on `syntheticDataset()` and writes the trainer's state as a checkpoint to `path`
 * (parent folders created); the trainer and the state's tensors are disposed.
 */
export async function writeTrainedCheckpoint(config: ReacganConfig, steps: number, path: string): Promise<void> {
  const trainer = Trainer.create(config, { dataset: syntheticDataset() });
  for (let i = 0; i < steps; i++) await trainer.trainStep();
  await trainer.flush();
  const state = trainer.getState();
  await mkdir(dirname(path), { recursive: true });
  await saveCheckpoint(path, state, { reason: 'test', savedAt: 'now' });
  tf.dispose([...state.tensors.values()]);
  trainer.dispose();
}

/**
 * Trains `total` steps straight, and `split` steps + a checkpoint written to `dir` + a resumed trainer for the
 * rest; returns both trainers (dispose them), the straight records and the split-then-resumed records.
 */
export async function trainStraightAndResumed(config: ReacganConfig, total: number, split: number, dir: string, inspect?: (state: TrainingState) => void) {
  const straight = Trainer.create(config, { dataset: syntheticDataset() });
  for (let i = 0; i < total; i++) await straight.trainStep();
  const expected = await straight.flush();

  const first = Trainer.create(config, { dataset: syntheticDataset() });
  for (let i = 0; i < split; i++) await first.trainStep();
  const head = await first.flush();
  const state = first.getState();
  inspect?.(state);
  const path = join(dir, `resume-${Date.now()}.safetensors`);
  await saveCheckpoint(path, state, { reason: 'test', savedAt: 'x' });
  tf.dispose([...state.tensors.values()]);
  first.dispose();

  const resumed = Trainer.create(config, { dataset: syntheticDataset(), initialize: false });
  const ckpt = await loadCheckpoint(path);
  resumed.loadState({ tensors: ckpt.tensors, meta: ckpt.meta });
  const resumedAt = resumed.step;
  for (let i = split; i < total; i++) await resumed.trainStep();
  const tail = await resumed.flush();
  const combined: StepRecord[] = [...head, ...tail];
  return { straight, resumed, expected, combined, tail, resumedAt };
}
