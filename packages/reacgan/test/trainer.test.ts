import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonFiniteLossError } from '../src/train/records.js';
import type { RealBatch } from '../src/train/step/update.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig, trainStraightAndResumed } from './helpers.js';

// Everything here runs on the deterministic pure-JS cpu backend (the test setup's default).

const snapshot = (m: Map<string, tf.Tensor>) => new Map([...m].map(([k, t]) => [k, Float32Array.from(t.dataSync())]));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-trainer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Trainer (cpu backend)', () => {
  it('N steps + checkpoint + resume + M steps gives exactly the losses and weights of N + M steps', async () => {
    // Gradient accumulation (2 micro-batches) and 2 D updates per step exercise the data and sampler streams.
    const config = tinyConfig({ optimization: { dUpdatesPerStep: 2, acmlSteps: 2 } });
    const { straight, resumed, expected, combined, tail, resumedAt } = await trainStraightAndResumed(config, 4, 2, dir);
    expect(resumedAt).toBe(2);
    expect(combined.map((r) => r.values)).toEqual(expected.map((r) => r.values));
    expect(tail.map((r) => r.step)).toEqual([3, 4]);
    const a = snapshot(straight.generatorEma!.stateDict());
    const b = snapshot(resumed.generatorEma!.stateDict());
    for (const [name, values] of a) expect(b.get(name), name).toEqual(values);
    const da = snapshot(straight.discriminator.stateDict());
    const db = snapshot(resumed.discriminator.stateDict());
    for (const [name, values] of da) expect(db.get(name), name).toEqual(values);
    straight.dispose();
    resumed.dispose();
  });

  it('EMA: copies G while step < gEmaStart, then p_ema ← d·p_ema + (1 − d)·p after each G update', async () => {
    const trainer = Trainer.create(tinyConfig({ model: { gEmaStart: 1, gEmaDecay: 0.9 } }), { dataset: syntheticDataset() });
    const g = () => snapshot(trainer.generator.stateDict());
    const ema = () => snapshot(trainer.generatorEma!.stateDict());
    await trainer.trainStep(); // step index 0 < gEmaStart: decay 0, EMA = G
    const g1 = g();
    for (const [name, v] of ema()) expect(v, name).toEqual(g1.get(name));
    const ema1 = ema();
    await trainer.trainStep(); // step index 1: decay 0.9
    const g2 = g();
    const ema2 = ema();
    let moved = 0;
    for (const [name, v] of ema2) {
      if (name.endsWith('num_batches_tracked')) {
        expect(v, name).toEqual(g2.get(name));
        continue;
      }
      const expectedValues = ema1.get(name)!.map((e, i) => 0.9 * e + 0.1 * g2.get(name)![i]);
      expect(Array.from(v), name).toBeAllclose(expectedValues, { rtol: 1e-5, atol: 1e-7 });
      if (v.some((x, i) => x !== g2.get(name)![i])) moved++;
    }
    expect(moved).toBeGreaterThan(0); // the EMA lags G once the decay is on
    await trainer.flush();
    trainer.dispose();
  });

  it('a G update leaves every D parameter unchanged and a D update every G parameter (one Adam per network)', async () => {
    const trainer = Trainer.create(tinyConfig(), { dataset: syntheticDataset() });
    const internals = trainer as unknown as { batches: { next(): Promise<IteratorResult<RealBatch>> } };
    const dParams = () => snapshot(trainer.discriminator.namedParameters());
    const gParams = () => snapshot(trainer.generator.namedParameters());
    const d0 = dParams();
    const g0 = gParams();
    tf.dispose(Object.values(trainer.updates.generator([], 0)));
    for (const [name, v] of dParams()) expect(v, name).toEqual(d0.get(name));
    expect([...gParams()].some(([name, v]) => v.some((x, i) => x !== g0.get(name)![i]))).toBe(true);
    const g1 = gParams();
    const batch = (await internals.batches.next()).value;
    tf.dispose(Object.values(trainer.updates.discriminator([batch], 0)));
    for (const [name, v] of gParams()) expect(v, name).toEqual(g1.get(name));
    trainer.dispose();
  });

  it('a non-finite conditioning loss stops with the step and the term named', async () => {
    const trainer = Trainer.create(tinyConfig(), { dataset: syntheticDataset() });
    await trainer.trainStep();
    const ok = await trainer.flush();
    expect(ok).toHaveLength(1);
    // Poison D's class proxies (the D2D-CE embedding): the adversarial term stays finite, 'cond' becomes NaN.
    const proxy = [...trainer.discriminator.namedParameters()].find(([name]) => name.startsWith('embedding.'))![1];
    proxy.assign(tf.fill(proxy.shape, Number.NaN));
    await trainer.trainStep();
    const error = await trainer.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toBe("step 2: discriminator loss term 'cond' is NaN");
    trainer.dispose();
  });

  it('leaks no tensors across steps, flushes and state snapshots (C24)', async () => {
    const trainer = Trainer.create(tinyConfig(), { dataset: syntheticDataset() });
    await trainer.trainStep();
    await trainer.flush();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      await trainer.trainStep();
      await trainer.flush();
      const state = trainer.getState();
      tf.dispose([...state.tensors.values()]);
      trainer.generate(new Int32Array([0, 1, 2, 3])).dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    trainer.dispose();
  });

  it('refuses features it does not implement, naming them', () => {
    expect(() => Trainer.create(tinyConfig({ aug: { applyAda: true } }), { dataset: syntheticDataset() })).toThrow(/not implemented: aug\.applyAda/);
    expect(() => Trainer.create(tinyConfig({ data: { numClasses: 5 } }), { dataset: syntheticDataset() })).toThrow(/data\.numClasses: expected 4/);
  });
});
