import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, nativeInstalled } from '@reacgan/testkit';
import { expect, it } from 'vitest';
import { createGenerator } from './create.js';
import { applyStandingStatistics, evaluationApplyOptions, generateImages } from './evaluation.js';
import type { Generator } from './networks.js';

/**
 * A tiny resnet G whose first batch norm sees activations with mean 5 and variance 4 (linear0
 * maps z to 5 + 2·z_k), while its running statistics are still (0, 1) (C18.3).
 */
function shiftedGenerator(): Generator {
  const G = createGenerator({ backbone: 'resnet', gCondMtd: 'cBN', zDim: 16, gConvDim: 8 }, { imgSize: 8, imgChannels: 3, numClasses: 2, seed: 5 });
  const [rows, cols] = (G as unknown as { linear0: { weight: tf.Variable } }).linear0.weight.shape;
  const w = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) w[r * cols + (r % cols)] = 2;
  const linear0 = (G as unknown as { linear0: { weight: tf.Variable; bias: tf.Variable } }).linear0;
  linear0.weight.assign(tf.tensor2d(w, [rows, cols]));
  linear0.bias.assign(tf.fill([rows], 5));
  return G;
}

// Forward passes only, but 20 batches of 64 are slow on the pure-JS backend: native when installed.
describeBackends('evaluation modes and standing statistics (C18)', () => {
  it('standing statistics: 20 batches × 64 estimate mean 5 ± 0.1 and variance 4 ± 0.2; eval ≈ train-mode outputs', () => {
    const G = shiftedGenerator();
    const bn = G.batchNorms()[0];
    expect(Array.from(bn.runningMean.dataSync()).every((m) => m === 0)).toBe(true);
    const before = tf.memory().numTensors;
    applyStandingStatistics(G, { steps: 20, batchSize: 64, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    for (const m of bn.runningMean.dataSync()) expect(Math.abs(m - 5)).toBeLessThan(0.1);
    for (const v of bn.runningVar.dataSync()) expect(Math.abs(v - 4)).toBeLessThan(0.2);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(20);

    const z = tf.randomNormal([512, 16], 0, 1, 'float32', 9) as tf.Tensor2D;
    const labels = tf.tensor1d(Array.from({ length: 512 }, (_, i) => i % 2), 'int32');
    const standing = generateImages(G, z, labels, 'standing');
    const batch = generateImages(G, z, labels, 'batch');
    const relative = tf.tidy(() => tf.div(tf.mean(tf.abs(tf.sub(standing, batch))), tf.mean(tf.abs(batch)))).dataSync()[0];
    expect(relative).toBeLessThan(0.02);
    tf.dispose([z, labels, standing, batch]);
    G.dispose();
  });

  it("StudioGAN's momentum variant resets and then moves by the BN momentum", () => {
    const G = shiftedGenerator();
    applyStandingStatistics(G, { steps: 5, batchSize: 64, seed: 2, momentum: 0.1 });
    const expectedMean = 5 * (1 - 0.9 ** 5);
    for (const m of G.batchNorms()[0].runningMean.dataSync()) expect(Math.abs(m - expectedMean)).toBeLessThan(0.1);
    expect(G.batchNorms()[0].numBatchesTracked.dataSync()[0]).toBe(5);
    G.dispose();
  });

  it('random batch sizes (StudioGAN) and custom samplers; SN vectors never change', () => {
    const G = createGenerator({ backbone: 'resnet', gCondMtd: 'cBN', zDim: 8, gConvDim: 8, applyGSn: true }, { imgSize: 8, imgChannels: 3, numClasses: 2, seed: 1 });
    const sn = [...G.namedBuffers()].filter(([n]) => /weight_[uv]$/.test(n)).map(([, v]) => Array.from(v.dataSync()));
    const sizes: number[] = [];
    applyStandingStatistics(G, {
      steps: 6, batchSize: 16, randomBatchSize: true, seed: 3,
      sample: (n) => {
        sizes.push(n);
        return { z: tf.randomNormal([n, 8]) as tf.Tensor2D, labels: tf.zeros([n], 'int32') as tf.Tensor1D };
      },
    });
    expect(sizes).toHaveLength(6);
    expect(sizes.every((n) => n >= 1 && n <= 16)).toBe(true);
    expect(new Set(sizes).size).toBeGreaterThan(1);
    expect([...G.namedBuffers()].filter(([n]) => /weight_[uv]$/.test(n)).map(([, v]) => Array.from(v.dataSync()))).toEqual(sn);
    expect(() => applyStandingStatistics(G, { steps: 0, batchSize: 4 })).toThrow(/steps must be a positive integer/);
    expect(() => evaluationApplyOptions('train' as never)).toThrow(/mode must be one of running, batch, standing/);
    G.dispose();
  });
}, nativeInstalled() ? ['tensorflow'] : ['cpu']);

describeBackends("spectral norm while generating: 'fixed' changes nothing, 'iterate' power-iterates (StudioGAN's sampling)", () => {
  it('u and v: unchanged with fixed, equal to a train-mode pass with iterate; BN statistics unchanged either way', () => {
    const G = createGenerator({ backbone: 'resnet', gCondMtd: 'cBN', zDim: 8, gConvDim: 4, applyGSn: true }, { imgSize: 8, imgChannels: 3, numClasses: 2, seed: 3 });
    const copy = createGenerator(G.config, { ...G.dataOptions, initialize: false });
    copy.loadStateDict(G.stateDict());
    const snapshot = () => new Map([...G.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]));
    const z = tf.randomNormal([4, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1, 0, 1], 'int32');
    const before = snapshot();
    tf.dispose(generateImages(G, z, labels, 'running', 'fixed'));
    expect(snapshot()).toEqual(before);
    expect(evaluationApplyOptions('batch', 'iterate')).toEqual({ training: false, batchNormStatistics: 'batch', updateSpectralNorm: true });
    tf.dispose(generateImages(G, z, labels, 'running', 'iterate'));
    tf.dispose(copy.apply(z, labels, { training: true }));
    const after = snapshot();
    const trained = new Map([...copy.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]));
    let moved = 0;
    for (const [k, v] of after) {
      if (k.endsWith('weight_u') || k.endsWith('weight_v')) {
        expect(v, k).toEqual(trained.get(k));
        if (v.some((x, i) => x !== before.get(k)![i])) moved++;
      } else expect(v, k).toEqual(before.get(k));
    }
    expect(moved).toBeGreaterThan(0);
    expect(() => evaluationApplyOptions('running', 'sometimes' as never)).toThrow(/spectralNorm must be one of iterate, fixed/);
    tf.dispose([z, labels]);
    G.dispose();
    copy.dispose();
  });
});
