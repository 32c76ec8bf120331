import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createGenerator } from './create.js';
import { diffStudioganStateDict, fromStudioganStateDict, studioganKeyMap, toStudioganStateDict, type TorchTensorData } from './studiogan-map.js';

const DATA = { imgSize: 32, imgChannels: 3, numClasses: 10, seed: 3 };
const CONFIG = { backbone: 'resnet', gCondMtd: 'cBN', applyGSn: true, gConvDim: 4, zDim: 16 } as const;

/** The generator's state as PyTorch would decode it: float64 weights, int64 counters (BigInt64Array). */
function asTorch(G: ReturnType<typeof createGenerator>): Map<string, TorchTensorData> {
  const out = new Map<string, TorchTensorData>();
  for (const [name, t] of toStudioganStateDict(G)) {
    out.set(name, t.dtype === 'int32' ? { dtype: 'int64', shape: t.shape, data: BigInt64Array.from(t.data, (v) => BigInt(v)) } : { dtype: 'float64', shape: t.shape, data: Float64Array.from(t.data) });
  }
  return out;
}

describe('fromStudioganStateDict with PyTorch-decoded tensors', () => {
  it('takes int64 counters (BigInt) and float64 weights and reproduces the module state', () => {
    const G = createGenerator(CONFIG, DATA);
    tf.tidy(() => void G.apply(tf.randomNormal([4, 16], 0, 1, 'float32', 1) as tf.Tensor2D, tf.tensor1d([0, 1, 2, 3], 'int32'), { training: true }));
    const torch = asTorch(G);
    const counter = [...torch.keys()].find((k) => k.endsWith('num_batches_tracked'))!;
    expect((torch.get(counter)!.data as BigInt64Array)[0]).toBe(1n);
    const H = createGenerator(CONFIG, { ...DATA, initialize: false });
    H.loadStateDict(fromStudioganStateDict(H, torch), { strict: true });
    for (const [name, t] of G.stateDict()) expect(Array.from(H.stateDict().get(name)!.dataSync()), name).toEqual(Array.from(t.dataSync()));
    G.dispose();
    H.dispose();
  });

  it('names an int64 that does not fit int32', () => {
    const G = createGenerator(CONFIG, { ...DATA, initialize: false });
    const torch = asTorch(G);
    const counter = [...torch.keys()].find((k) => k.endsWith('num_batches_tracked'))!;
    torch.set(counter, { dtype: 'int64', shape: [], data: BigInt64Array.of(2n ** 40n) });
    expect(() => fromStudioganStateDict(G, torch)).toThrow(new RegExp(`'${counter.replace(/\./g, '\\.')}': int64 value 1099511627776 at index 0 does not fit int32`));
    G.dispose();
  });

  it('diffStudioganStateDict lists missing, unexpected and mis-shaped keys by name (v0.3.0 file, master layout)', () => {
    const v030 = createGenerator(CONFIG, { ...DATA, initialize: false });
    const master = createGenerator({ ...CONFIG, gCbnLayout: 'linear' }, { ...DATA, initialize: false });
    const torch = asTorch(v030);
    torch.set('linear0.bias', { dtype: 'float32', shape: [3], data: new Float32Array(3) });
    const diff = diffStudioganStateDict(master, torch);
    expect(diff.missing).toContain('blocks.0.0.bn1.gain.weight_orig');
    expect(diff.unexpected).toContain('blocks.0.0.bn1.embed0.weight_orig');
    expect(diff.missing.length).toBe(diff.unexpected.length);
    expect(diff.mismatched).toEqual([{ name: 'linear0.bias', expected: [studioganKeyMap(master).find((m) => m.name === 'linear0.bias')!.torchShape[0]], received: [3] }]);
    expect(diffStudioganStateDict(v030, asTorch(v030))).toEqual({ missing: [], unexpected: [], mismatched: [] });
    v030.dispose();
    master.dispose();
  });
});
