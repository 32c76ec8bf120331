import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { collectStateDicts, restoreStateDicts } from '../checkpoint.js';
import { createDiscriminator, createGenerator } from '../create.js';
import { GeneratorEma } from '../ema.js';
import { StateDictError } from '../module.js';
import { loadCheckpoint, saveCheckpoint, sidecarPath } from './index.js';

const config = { backbone: 'big_resnet' as const, gCondMtd: 'cBN' as const, dCondMtd: 'D2DCE' as const, dEmbedDim: 8, normalizeDEmbed: true, zDim: 8, gSharedDim: 8, gConvDim: 8, dConvDim: 8, applyGSn: true, applyDSn: true, applyAttn: true, attnGLoc: [1], attnDLoc: [1] };
const data = { imgSize: 8, imgChannels: 3, numClasses: 3 };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'reacgan-ckpt-'));

describe('checkpoints (@reacgan/models/node)', () => {
  it('save → load → identical outputs (weights, SN vectors, BN statistics, EMA, extra tensors, JSON)', async () => {
    const G = createGenerator(config, { ...data, seed: 1 });
    const D = createDiscriminator(config, { ...data, seed: 2 });
    const z = tf.randomNormal([4, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1, 2, 0], 'int32');
    for (let i = 0; i < 3; i++) tf.dispose(D.apply(G.apply(z, labels, { training: true }), labels, { training: true }));
    const ema = new GeneratorEma(G, { decay: 0.5, startStep: 0 });
    tf.dispose(G.apply(z, labels, { training: true }));
    ema.update(1);
    const images = G.apply(z, labels, { training: false });
    const emaImages = ema.generator.apply(z, labels, { training: false });
    const scores = D.apply(images, labels, { training: false });

    const dir = tmp();
    const file = path.join(dir, 'last.safetensors');
    const rngState = tf.tensor1d([1, 2, 3, 4], 'int32');
    await saveCheckpoint(file, {
      tensors: new Map([...collectStateDicts({ G, D, G_ema: ema.generator }), ['rng.state', rngState]]),
      json: { step: 3, config, optimizer: { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-6 } },
      metadata: { note: 'test' },
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['last.json', 'last.safetensors']);
    expect(JSON.parse(fs.readFileSync(sidecarPath(file), 'utf8')).step).toBe(3);

    const loaded = await loadCheckpoint(file);
    expect(loaded.json).toEqual({ step: 3, config, optimizer: { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-6 } });
    expect(loaded.metadata.note).toBe('test');
    expect(Array.from(loaded.tensors.get('rng.state')!.data)).toEqual([1, 2, 3, 4]);
    const G2 = createGenerator(config, { ...data, seed: 99 });
    const D2 = createDiscriminator(config, { ...data, seed: 98 });
    const E2 = createGenerator(config, { ...data, initialize: false });
    restoreStateDicts(loaded.tensors, { G: G2, D: D2, G_ema: E2 });
    const images2 = G2.apply(z, labels, { training: false });
    expect(Array.from(images2.dataSync())).toEqual(Array.from(images.dataSync()));
    const emaImages2 = E2.apply(z, labels, { training: false });
    expect(Array.from(emaImages2.dataSync())).toEqual(Array.from(emaImages.dataSync()));
    const scores2 = D2.apply(images2, labels, { training: false });
    expect(Array.from(scores2.embed!.dataSync())).toEqual(Array.from(scores.embed!.dataSync()));
    expect(Array.from(scores2.advOutput.dataSync())).toEqual(Array.from(scores.advOutput.dataSync()));
    // Training continues identically too (SN u/v and BN statistics restored).
    const next = G.apply(z, labels, { training: true });
    const next2 = G2.apply(z, labels, { training: true });
    expect(Array.from(next2.dataSync())).toEqual(Array.from(next.dataSync()));
    tf.dispose([z, labels, images, emaImages, images2, emaImages2, scores as never, scores2 as never, rngState, next, next2]);
    [G, D, G2, D2, E2].forEach((m) => m.dispose());
    ema.dispose();
  });

  it('loading validates names and shapes and says exactly what mismatches, changing nothing', async () => {
    const G = createGenerator(config, { ...data, seed: 1 });
    const other = createGenerator({ ...config, gConvDim: 16 }, { ...data, seed: 1 });
    const dir = tmp();
    const file = path.join(dir, 'g.safetensors');
    await saveCheckpoint(file, { tensors: collectStateDicts({ G: other }) });
    const before = Array.from(G.stateDict().get('linear0.bias')!.dataSync());
    const { tensors } = await loadCheckpoint(file);
    tensors.delete('G.conv2d5.bias');
    tensors.set('G.extra.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    let error: StateDictError | undefined;
    try {
      restoreStateDicts(tensors, { G });
    } catch (e) {
      error = e as StateDictError;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect(error!.message).toMatch(/G: missing 1: conv2d5.bias/);
    expect(error!.message).toMatch(/unexpected 1: extra.weight/);
    expect(error!.message).toMatch(/linear0.bias expected \[512\] received \[1024\]/);
    expect(Array.from(G.stateDict().get('linear0.bias')!.dataSync())).toEqual(before);
    // The module-level API lists the same problems in structured form.
    const own = new Map([...tensors].filter(([k]) => k.startsWith('G.')).map(([k, v]) => [k.slice(2), v]));
    let structured: StateDictError | undefined;
    try {
      G.loadStateDict(own);
    } catch (e) {
      structured = e as StateDictError;
    }
    expect(structured).toBeInstanceOf(StateDictError);
    expect(structured!.missing).toEqual(['conv2d5.bias']);
    expect(structured!.unexpected).toEqual(['extra.weight']);
    expect(structured!.mismatched.find((m) => m.name === 'linear0.bias')).toEqual({ name: 'linear0.bias', expected: [512], received: [1024] });
    expect(() => G.loadStateDict(own, { strict: false })).toThrow(/shape mismatches/);
    G.dispose();
    other.dispose();
  });

  it('writes atomically: a failed save leaves the previous checkpoint intact and no temporary files', async () => {
    const dir = tmp();
    const file = path.join(dir, 'last.safetensors');
    await saveCheckpoint(file, { tensors: { a: { dtype: 'float32', shape: [1], data: new Float32Array([1]) } }, json: { step: 1 } });
    const original = fs.readFileSync(file);
    // Encoding fails (unsupported dtype) before anything is written.
    await expect(saveCheckpoint(file, { tensors: { a: tf.complex([1], [2]) as unknown as tf.Tensor } })).rejects.toThrow(/complex64/);
    // The rename fails (the target is a directory): the temporary file is removed.
    const blocked = path.join(dir, 'blocked.safetensors');
    fs.mkdirSync(blocked);
    await expect(saveCheckpoint(blocked, { tensors: { a: { dtype: 'float32', shape: [1], data: new Float32Array([2]) } } })).rejects.toThrow();
    expect(fs.readFileSync(file)).toEqual(original);
    expect(fs.readdirSync(dir).sort()).toEqual(['blocked.safetensors', 'last.json', 'last.safetensors']);
    expect((await loadCheckpoint(file)).json).toEqual({ step: 1 });
    fs.writeFileSync(path.join(dir, 'cut.safetensors'), original.subarray(0, original.length - 2));
    await expect(loadCheckpoint(path.join(dir, 'cut.safetensors'))).rejects.toThrow(/cut.safetensors.*outside the data section/);
  });
});
