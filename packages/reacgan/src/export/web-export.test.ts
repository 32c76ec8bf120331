import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as data from '@reacgan/data';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerExportCommand } from '../cli/export-command.js';
import { type ReacganConfig, resolveConfig } from '../config/resolve.js';
import type { ConfigInput } from '../config/schema.js';
import { saveCheckpoint } from '../node/checkpoint.js';
import { Trainer } from '../train/trainer.js';
import {
  decodeWebGenerator,
  defaultClassNames,
  encodeWebGenerator,
  exportWebGenerator,
  loadWebGenerator,
  runSelfCheck,
  selfCheckIndices,
  WEB_GENERATOR_FORMAT,
} from './web-export.js';

/** 16 px, 1 channel, 4 classes, narrow ResNet G with EMA (decay 0.9 from step 1). */
function config(overrides: { model?: Record<string, unknown>; run?: Record<string, unknown> } = {}): ReacganConfig {
  const input: ConfigInput = {
    data: { name: 'synthetic', imgSize: 16, numClasses: 4, imgChannels: 1 },
    model: {
      backbone: 'resnet',
      gCondMtd: 'cBN',
      dCondMtd: 'D2DCE',
      normalizeDEmbed: true,
      dEmbedDim: 8,
      applyDSn: true,
      zDim: 8,
      gConvDim: 4,
      dConvDim: 4,
      applyGEma: true,
      gEmaDecay: 0.9,
      gEmaStart: 1,
      ...overrides.model,
    } as ConfigInput['model'],
    loss: { advLoss: 'hinge', condLambda: 0.5, mP: 0.98, temperature: 0.5 },
    optimization: { batchSize: 8, totalSteps: 10 },
    pre: { applyRflip: false },
    run: { seed: 5, ...overrides.run },
  };
  return resolveConfig(input);
}

/** Class k: a bright 3×3 square at a class-dependent place on a dark background (uint8 HWC). */
function squares(numClasses = 4, count = 32, size = 16): data.InMemoryDataset {
  const images = new Uint8Array(count * size * size);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const y = i % numClasses;
    labels[i] = y;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) images[i * size * size + (2 + 3 * y + r) * size + 2 + 2 * y + c] = 230;
  }
  return data.createInMemoryDataset({ name: 'squares', images, labels, imageShape: [size, size, 1], numClasses });
}

let dir: string;
let trained: { file: string; config: ReacganConfig; gEma: Map<string, Float32Array | Int32Array>; g: Map<string, Float32Array | Int32Array>; step: number };

async function writeCheckpoint(trainer: Trainer, file: string, classNames?: string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const state = trainer.getState();
  try {
    await saveCheckpoint(file, state, { reason: 'final', savedAt: '2026-11-29T00:00:00.000Z', ...(classNames ? { classNames } : {}) });
  } finally {
    tf.dispose([...state.tensors.values()]);
  }
}

function snapshot(module: models.Module): Map<string, Float32Array | Int32Array> {
  return new Map([...module.stateDict()].map(([name, v]) => [name, v.dataSync().slice() as Float32Array | Int32Array]));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-web-export-'));
  const cfg = config();
  const trainer = Trainer.create(cfg, { dataset: squares() });
  // A checkpoint as the trainer writes it, with G_ema ≠ G (as after EMA steps): G_ema gets other weights.
  const other = models.createGenerator(cfg.model, { imgSize: 16, imgChannels: 1, numClasses: 4, seed: 99 });
  trainer.generatorEma!.loadStateDict(other.stateDict(), { strict: true });
  other.dispose();
  const file = join(dir, 'run', 'checkpoints', 'last.safetensors');
  await writeCheckpoint(trainer, file, ['north', 'east', 'south', 'west']);
  trained = { file, config: cfg, gEma: snapshot(trainer.generatorEma!), g: snapshot(trainer.generator), step: trainer.step };
  trainer.dispose();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exportWebGenerator', () => {
  it('writes the EMA generator bit-exactly, with config, data options, class names and provenance', async () => {
    const out = join(dir, 'ema.web.safetensors');
    const before = tf.memory().numTensors;
    const result = await exportWebGenerator({ checkpoint: trained.file, out, now: new Date('2026-11-29T12:00:00Z') });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.out).toBe(out);
    const bytes = await readFile(out);
    expect(result.bytes).toBe(bytes.length);

    const { descriptor, tensors } = decodeWebGenerator(bytes);
    expect(descriptor.format).toBe(WEB_GENERATOR_FORMAT);
    expect(descriptor.formatVersion).toBe(1);
    expect(descriptor.modelConfig).toEqual(trained.config.model);
    expect(descriptor.data).toEqual({ name: 'synthetic', imgSize: 16, imgChannels: 1, numClasses: 4, classNames: ['north', 'east', 'south', 'west'] });
    expect(descriptor.generation).toEqual({ zPrior: 'gaussian', batchNormStatistics: 'running', truncation: null });
    const p = descriptor.provenance;
    expect(p).toMatchObject({ generator: 'G_ema', step: trained.step, checkpoint: 'last.safetensors', seed: 5, dataset: 'synthetic', exportedAt: '2026-11-29T12:00:00.000Z', exportBackend: 'cpu', reason: 'final' });
    expect(p.checkpointSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.checkpointSha256).toBe(createHash('sha256').update(await readFile(trained.file)).digest('hex'));

    // Exactly the G_ema state dict (parameters and buffers), no optimizer or D tensors.
    expect([...tensors.keys()].sort()).toEqual([...trained.gEma.keys()].sort());
    let differsFromG = false;
    for (const [name, t] of tensors) {
      expect(Array.from(t.data), name).toEqual(Array.from(trained.gEma.get(name)!));
      if (Array.from(t.data).some((v, i) => v !== trained.g.get(name)![i])) differsFromG = true;
    }
    expect(differsFromG).toBe(true); // EMA weights, not the raw generator's
    // float32 weights: the file is the weights plus a small header.
    const weightBytes = [...tensors.values()].reduce((n, t) => n + t.data.length * 4, 0);
    expect(bytes.length).toBeGreaterThan(weightBytes);
    expect(bytes.length).toBeLessThan(weightBytes + 32 * 1024);
  });

  it('loads back into a generator that reproduces the EMA generator and passes its self-check', async () => {
    const bytes = await readFile(join(dir, 'ema.web.safetensors'));
    const { generator, descriptor } = loadWebGenerator(bytes);
    const reference = models.createGenerator(trained.config.model, { imgSize: 16, imgChannels: 1, numClasses: 4, initialize: false });
    reference.loadStateDict(new Map([...trained.gEma].map(([k, v]) => [k, { dtype: v instanceof Int32Array ? 'int32' : 'float32', shape: reference.stateDict().get(k)!.shape, data: v } as models.TensorData])));
    const z = tf.randomNormal([6, 8], 0, 1, 'float32', 7) as tf.Tensor2D;
    const y = tf.tensor1d([0, 1, 2, 3, 0, 3], 'int32');
    const a = generator.apply(z, y, { training: false });
    const b = reference.apply(z, y, { training: false });
    expect(a.shape).toEqual([6, 16, 16, 1]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync())); // same backend, same ops: bit-identical

    const check = descriptor.selfCheck!;
    expect(check.labels).toEqual([0, 3]);
    expect(check.z).toHaveLength(2 * 8);
    expect(check.indices).toHaveLength(64);
    expect(await runSelfCheck(generator, check)).toBe(0);
    // The self-check notices a wrong weight.
    const [, first] = [...generator.namedParameters()][0];
    first.assign(tf.add(first, 0.05));
    expect(await runSelfCheck(generator, check)).toBeGreaterThan(check.tolerance);
    tf.dispose([a, b, z, y]);
    generator.dispose();
    reference.dispose();
  });

  it('exports the raw generator with generator "g", and resolves run and checkpoints folders', async () => {
    const out = join(dir, 'g.web.safetensors');
    const result = await exportWebGenerator({ checkpoint: join(dir, 'run'), out, generator: 'g' });
    expect(result.checkpoint).toBe(trained.file);
    const { descriptor, tensors } = decodeWebGenerator(await readFile(out));
    expect(descriptor.provenance.generator).toBe('G');
    for (const [name, t] of tensors) expect(Array.from(t.data), name).toEqual(Array.from(trained.g.get(name)!));

    const viaFolder = await exportWebGenerator({ checkpoint: join(dir, 'run', 'checkpoints') });
    expect(viaFolder.out).toBe(join(dir, 'run', 'checkpoints', 'last.web.safetensors'));
    expect((await stat(viaFolder.out)).size).toBe(viaFolder.bytes);
  });

  it('a run without EMA exports G under auto and refuses ema', async () => {
    const cfg = config({ model: { applyGEma: false, gEmaDecay: 'N/A', gEmaStart: 'N/A' } });
    const trainer = Trainer.create(cfg, { dataset: squares() });
    const file = join(dir, 'noema', 'last.safetensors');
    await writeCheckpoint(trainer, file);
    trainer.dispose();
    const result = await exportWebGenerator({ checkpoint: file, out: join(dir, 'noema.web.safetensors') });
    expect(result.descriptor.provenance.generator).toBe('G');
    expect(result.descriptor.data.classNames).toEqual(['class 0', 'class 1', 'class 2', 'class 3']);
    await expect(exportWebGenerator({ checkpoint: file, generator: 'ema' })).rejects.toThrow(/--generator ema: expected a checkpoint with the EMA generator \(G_ema\.\* tensors\), received one without \(.* holds G\.\*, D\.\*; model\.applyGEma is false\); use --generator g/);
  });

  it('bakes standing statistics into the running statistics when the run evaluates with them', async () => {
    const cfg = config({ run: { standingStatistics: true, standingStep: 3, standingMaxBatch: 6 } });
    const trainer = Trainer.create(cfg, { dataset: squares() });
    const file = join(dir, 'standing', 'last.safetensors');
    await writeCheckpoint(trainer, file);
    const ema = snapshot(trainer.generatorEma!);
    trainer.dispose();
    const result = await exportWebGenerator({ checkpoint: file, out: join(dir, 'standing.web.safetensors') });
    expect(result.descriptor.generation).toEqual({ zPrior: 'gaussian', batchNormStatistics: 'running', truncation: null, standingStatistics: { steps: 3, maxBatch: 6, seed: 5 } });
    const { tensors } = decodeWebGenerator(await readFile(result.out));
    const running = [...tensors.keys()].filter((name) => name.endsWith('running_mean') || name.endsWith('running_var'));
    expect(running.length).toBeGreaterThan(0);
    for (const name of running) expect(Array.from(tensors.get(name)!.data), name).not.toEqual(Array.from(ema.get(name)!));
    const weights = [...tensors.keys()].filter((name) => name.endsWith('.weight'));
    for (const name of weights) expect(Array.from(tensors.get(name)!.data), name).toEqual(Array.from(ema.get(name)!));

    const unset = config({ run: { standingStatistics: true } });
    const t2 = Trainer.create(unset, { dataset: squares() });
    const file2 = join(dir, 'standing-unset', 'last.safetensors');
    await writeCheckpoint(t2, file2);
    t2.dispose();
    await expect(exportWebGenerator({ checkpoint: file2 })).rejects.toThrow(/run\.standingStatistics is on but run\.standingStep \(null\) and run\.standingMaxBatch \(null\) must both be set/);
  });

  it('rejects bad input with messages naming what was expected', async () => {
    await expect(exportWebGenerator({ checkpoint: join(dir, 'missing.safetensors') })).rejects.toThrow(/--web .*missing\.safetensors: expected a checkpoint file, a run's checkpoints\/ folder or a run folder, received a path that does not exist/);
    // A web generator file (not a training checkpoint), written here so that this test runs alone too.
    const web = join(dir, 'bad-input.web.safetensors');
    await exportWebGenerator({ checkpoint: trained.file, out: web });
    await expect(exportWebGenerator({ checkpoint: web })).rejects.toThrow(/not a reacgan training checkpoint/);
    await expect(exportWebGenerator({ checkpoint: trained.file, classNames: ['a', 'b'] })).rejects.toThrow(/--class-names \(classNames\): expected 4 names \(the checkpoint's data\.numClasses\), received 2 \(a, b\)/);
    await expect(exportWebGenerator({ checkpoint: trained.file, classNames: ['a', 'b', 'a', ''] })).rejects.toThrow(
      /--class-names \(classNames\): expected 4 distinct, non-empty names \(the page picks a class by its name\), received "a", "b", "a", "" \("a" more than once, an empty name\)/,
    );
    await mkdir(join(dir, 'empty'), { recursive: true });
    await expect(exportWebGenerator({ checkpoint: join(dir, 'empty') })).rejects.toThrow(/a folder without a checkpoint \(looked for best\.safetensors, last\.safetensors/);
    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, (await readFile(trained.file)).subarray(0, 1000));
    await expect(exportWebGenerator({ checkpoint: truncated })).rejects.toThrow(/truncated/);
    // A file that is not a safetensors checkpoint: the flag, what was expected, what the file is.
    const report = join(dir, 'report.md');
    await writeFile(report, '# Run report\n\nFID 42\n');
    await expect(exportWebGenerator({ checkpoint: report })).rejects.toThrow(
      /^--web .*report\.md: expected a reacgan checkpoint \(\.safetensors, as reacgan train writes it\), received a text file \(\d+ bytes, first line "# Run report"\), which does not decode/,
    );
    const empty = join(dir, 'empty.safetensors');
    await writeFile(empty, '');
    await expect(exportWebGenerator({ checkpoint: empty })).rejects.toThrow(/^--web .*empty\.safetensors: expected a reacgan checkpoint \(\.safetensors, as reacgan train writes it\), received an empty file/);
  });
});

describe('decodeWebGenerator', () => {
  it('refuses training checkpoints, unknown formats, newer versions and broken metadata', async () => {
    expect(() => decodeWebGenerator(readFileSync(trained.file))).toThrow(/this is a training checkpoint: run `reacgan export --web` on it first/);
    const t = { w: { dtype: 'float32' as const, shape: [1], data: new Float32Array([1]) } };
    expect(() => decodeWebGenerator(models.encodeSafetensors(t, { format: 'other' }))).toThrow(/expected metadata format 'reacgan-web-generator', received 'other'/);
    expect(() => decodeWebGenerator(models.encodeSafetensors(t, { format: WEB_GENERATOR_FORMAT, format_version: '2' }))).toThrow(/format_version 2 is not supported/);
    expect(() => decodeWebGenerator(models.encodeSafetensors(t, { format: WEB_GENERATOR_FORMAT, format_version: '1' }))).toThrow(/metadata 'model_config' is missing/);
    expect(() => decodeWebGenerator(models.encodeSafetensors(t, { format: WEB_GENERATOR_FORMAT, format_version: '1', model_config: '{' }))).toThrow(/'model_config' is not valid JSON/);
  });

  it('encodeWebGenerator checks the data options against the generator', async () => {
    const g = models.createGenerator(trained.config.model, { imgSize: 16, imgChannels: 1, numClasses: 4, seed: 1 });
    const base = { generation: { zPrior: 'gaussian' as const, batchNormStatistics: 'running' as const, truncation: null }, provenance: {} as never, selfCheck: null };
    await expect(encodeWebGenerator(g, { ...base, data: { name: 'x', imgSize: 32, imgChannels: 1, numClasses: 4, classNames: ['a', 'b', 'c', 'd'] } })).rejects.toThrow(/does not match the generator \(imgSize 16/);
    await expect(encodeWebGenerator(g, { ...base, data: { name: 'x', imgSize: 16, imgChannels: 1, numClasses: 4, classNames: ['a'] } })).rejects.toThrow(/classNames must hold 4 names, received 1/);
    g.dispose();
  });
});

describe('selfCheckIndices', () => {
  it('spreads the points over values tanh has not saturated, when there are enough', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => (i % 10 === 3 ? 0.5 : -1)); // 100 unsaturated
    const indices = selfCheckIndices(values);
    expect(indices).toHaveLength(64);
    expect(indices.every((i) => i % 10 === 3)).toBe(true);
    expect(new Set(indices).size).toBe(64);
    expect(Math.max(...indices) - Math.min(...indices)).toBeGreaterThan(900); // spread over the whole output
    const saturated = Float32Array.from({ length: 200 }, (_, i) => (i === 7 ? 0 : 1));
    const fallback = selfCheckIndices(saturated);
    expect(fallback).toHaveLength(64);
    expect(new Set(fallback).size).toBe(64);
    expect(selfCheckIndices(new Float32Array(10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('defaultClassNames', () => {
  it('knows MNIST, Fashion-MNIST and CIFAR names and numbers the rest', () => {
    expect(defaultClassNames('MNIST', 10)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(defaultClassNames('Fashion_MNIST', 10)[9]).toBe('Ankle boot');
    expect(defaultClassNames('CIFAR10', 10)[0]).toBe('airplane');
    expect(defaultClassNames('CIFAR10', 3)).toEqual(['class 0', 'class 1', 'class 2']);
  });
});

describe('reacgan export --web', () => {
  it('writes the file and prints a JSON summary', async () => {
    const program = new Command('reacgan').exitOverride();
    registerExportCommand(program);
    const out = join(dir, 'cli.web.safetensors');
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      await program.parseAsync(['node', 'reacgan', 'export', '--web', trained.file, '--out', out, '--backend', 'cpu', '--json']);
    } finally {
      console.log = log;
    }
    const summary = JSON.parse(lines.join('\n'));
    expect(summary).toMatchObject({ out, checkpoint: trained.file, data: { numClasses: 4 }, provenance: { generator: 'G_ema', step: trained.step, exportBackend: 'cpu' } });
    expect(summary.bytes).toBe((await stat(out)).size);
    expect(basename(summary.out)).toBe('cli.web.safetensors');
  });

  it('requires --web', async () => {
    const program = new Command('reacgan').exitOverride().configureOutput({ writeErr: () => {} });
    registerExportCommand(program);
    await expect(program.parseAsync(['node', 'reacgan', 'export'])).rejects.toThrow(/required option '--web <checkpoint>' not specified/);
  });
});
