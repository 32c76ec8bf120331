import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIo, type AtomicWriteIo, writeFileAtomic } from '../src/node/fs-atomic.js';
import { checkpointJsonPath, loadCheckpoint, saveCheckpoint } from '../src/node/checkpoint.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic writes', () => {
  it('a write that fails before the rename leaves the old file and no temporary file', async () => {
    const file = join(dir, 'a.bin');
    await writeFileAtomic(file, 'old');
    const failing: AtomicWriteIo = {
      ...nodeIo,
      async writeFile(path, data) {
        await nodeIo.writeFile(path, typeof data === 'string' ? data.slice(0, 2) : data.subarray(0, 2));
        throw new Error('disk full (injected)');
      },
    };
    await expect(writeFileAtomic(file, 'new content', failing)).rejects.toThrow(/injected/);
    expect(await readFile(file, 'utf8')).toBe('old');
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a crash between write and rename (rename never happens) leaves the old file', async () => {
    const file = join(dir, 'b.bin');
    await writeFileAtomic(file, 'old');
    const crash: AtomicWriteIo = { ...nodeIo, rename: async () => { throw new Error('killed (injected)'); } };
    await expect(writeFileAtomic(file, 'new', crash)).rejects.toThrow(/killed/);
    expect(await readFile(file, 'utf8')).toBe('old');
  });
});

describe('training checkpoints', () => {
  it('save → load round-trips every tensor and the state; an interrupted save keeps the last good checkpoint', async () => {
    const config = tinyConfig();
    const trainer = Trainer.create(config, { dataset: syntheticDataset() });
    const path = join(dir, 'last.safetensors');
    const state = trainer.getState();
    await saveCheckpoint(path, state, { reason: 'test', savedAt: 'now' });
    const loaded = await loadCheckpoint(path);
    expect(loaded.meta.step).toBe(0);
    expect(loaded.meta.config).toEqual(config);
    expect([...loaded.tensors.keys()].sort()).toEqual([...state.tensors.keys()].sort());
    for (const [name, t] of state.tensors) {
      const d = loaded.tensors.get(name)!;
      expect(d.shape, name).toEqual(t.shape);
      expect(Array.from(d.data), name).toEqual(Array.from(t.dataSync()));
    }
    expect([...state.tensors.keys()].some((k) => k.startsWith('optD.m.'))).toBe(true);
    expect([...state.tensors.keys()].some((k) => k.startsWith('G_ema.'))).toBe(true);
    const json = JSON.parse(await readFile(checkpointJsonPath(path), 'utf8'));
    expect(json.meta.step).toBe(0);

    // A later save interrupted between write and rename: the file on disk is still the first one.
    trainer.step = 7;
    const later = trainer.getState();
    const crash: AtomicWriteIo = { ...nodeIo, rename: async () => { throw new Error('killed (injected)'); } };
    await expect(saveCheckpoint(path, later, { reason: 'test', savedAt: 'later' }, crash)).rejects.toThrow(/killed/);
    const still = await loadCheckpoint(path);
    expect(still.meta.step).toBe(0);
    expect(still.info.savedAt).toBe('now');

    // A truncated file is reported with its name.
    const { writeFile } = await import('node:fs/promises');
    const bad = join(dir, 'truncated.safetensors');
    await writeFile(bad, (await readFile(path)).subarray(0, 100));
    await expect(loadCheckpoint(bad)).rejects.toThrow(/truncated\.safetensors/);

    tf.dispose([...state.tensors.values(), ...later.tensors.values()]);
    trainer.dispose();
  });

  it('loadState restores weights into a fresh trainer (strict names and shapes)', async () => {
    const config = tinyConfig();
    const a = Trainer.create(config, { dataset: syntheticDataset() });
    const b = Trainer.create(config, { dataset: syntheticDataset(), initialize: false });
    const path = join(dir, 'c.safetensors');
    const state = a.getState();
    await saveCheckpoint(path, state, { reason: 'test', savedAt: 'x' });
    const loaded = await loadCheckpoint(path);
    expect(Array.from(b.generator.stateDict().values())[0].dataSync().every((v) => v === 0)).toBe(true);
    b.loadState({ tensors: loaded.tensors, meta: loaded.meta });
    const ga = a.generator.stateDict();
    for (const [name, t] of b.generator.stateDict()) expect(Array.from(t.dataSync()), name).toEqual(Array.from(ga.get(name)!.dataSync()));
    const other = Trainer.create(tinyConfig({ model: { dEmbedDim: 16 } }), { dataset: syntheticDataset(), initialize: false });
    expect(() => other.loadState({ tensors: loaded.tensors, meta: loaded.meta })).toThrow(/linear2|embedding|shape/);
    tf.dispose([...state.tensors.values()]);
    for (const t of [a, b, other]) t.dispose();
  });
});
