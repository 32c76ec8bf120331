import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { createGenerator } from './create.js';
import { GeneratorEma } from './ema.js';

const config = { backbone: 'resnet' as const, gCondMtd: 'cBN' as const, zDim: 8, gConvDim: 8, applyGSn: true };
const data = { imgSize: 8, imgChannels: 3, numClasses: 2, seed: 4 };

function values(v: tf.Tensor): number[] {
  return Array.from(v.dataSync());
}

describe('GeneratorEma (StudioGAN ema.py)', () => {
  it('starts as an exact copy, tracks G before startStep, then averages parameters and buffers; counters are copied', async () => {
    const G = createGenerator(config, data);
    const ema = new GeneratorEma(G, { decay: 0.9, startStep: 2 });
    const source = G.stateDict();
    const copy = ema.generator.stateDict();
    expect([...copy.keys()]).toEqual([...source.keys()]);
    for (const [name, v] of source) expect(values(copy.get(name)!)).toEqual(values(v));
    expect(copy.get('linear0.bias')).not.toBe(source.get('linear0.bias'));

    // Change G: parameters by +1, then a train-mode forward (BN statistics, SN vectors, counters).
    const z = tf.randomNormal([4, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1, 0, 1], 'int32');
    const perturb = () => {
      tf.tidy(() => {
        for (const v of G.trainableVariables()) v.assign(tf.add(v, 1));
      });
      tf.dispose(G.apply(z, labels, { training: true }));
    };
    perturb();
    ema.update(1); // step < startStep: decay 0, exact copy
    for (const [name, v] of source) expect(values(copy.get(name)!)).toEqual(values(v));

    const before = new Map([...copy].map(([n, v]) => [n, values(v)]));
    perturb();
    ema.update(2); // decay 0.9: p_ema ← p + 0.9 (p_ema − p)
    for (const [name, v] of source) {
      const p = values(v);
      const expected = name.endsWith('num_batches_tracked') ? p : p.map((x, i) => x + 0.9 * (before.get(name)![i] - x));
      expect(values(copy.get(name)!), name).toBeAllclose(expected, { rtol: 1e-5, atol: 1e-6 });
    }
    expect(values(copy.get('blocks.0.0.bn1.bn.num_batches_tracked')!)).toEqual([2]);
    expect(ema.decayAt(1)).toBe(0);
    expect(ema.decayAt(2)).toBe(0.9);
    await expectNoTensorLeak(() => ema.update(3));
    tf.dispose([z, labels]);
    ema.dispose();
    G.dispose();
  });

  it('validates its options', () => {
    const G = createGenerator(config, data);
    expect(() => new GeneratorEma(G, { decay: 1.5, startStep: 0 })).toThrow(/decay must be a number in \[0, 1\]/);
    expect(() => new GeneratorEma(G, { decay: 0.9, startStep: -1 })).toThrow(/startStep/);
    G.dispose();
  });
});
