// End-to-end behaviour of the inception-v3-fid extractor with random weights built here (no Python):
// protocol record, grayscale handling, batching, no leaks (quantisation: preprocess.test.ts). Numerical parity with
// PyTorch is in inception-v3-fid.parity.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricRng } from '../rng.js';
import type { TorchTensor } from '../torch/read-checkpoint.js';
import { createInceptionV3FidExtractor, inceptionV3FidParameterShapes } from './inception-v3-fid.js';
import type { FeatureExtractor } from './types.js';

function randomStateDict(seed: number): Map<string, TorchTensor> {
  const rng = new MetricRng(seed);
  const sd = new Map<string, TorchTensor>();
  for (const [name, shape] of inceptionV3FidParameterShapes()) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : shape.length === 2 ? shape[1] : 1;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (name.endsWith('running_var')) data[i] = 1 + rng.next();
      else if (name.endsWith('bn.weight')) data[i] = 0.8 + 0.4 * rng.next();
      else if (name.endsWith('.weight')) data[i] = (rng.next() - 0.5) * Math.sqrt(24 / fanIn);
      else data[i] = (rng.next() - 0.5) * 0.1;
    }
    sd.set(name, { dtype: 'float32', shape, data });
  }
  return sd;
}

describe.skipIf(!nativeInstalled())('inception-v3-fid extractor (random weights, tensorflow backend)', () => {
  let extractor: FeatureExtractor;
  beforeAll(async () => {
    await loadNativeBackend();
    await tf.setBackend('tensorflow');
    const sd = randomStateDict(1);
    extractor = await createInceptionV3FidExtractor({ weights: sd, weightsHash: 'test-random', batchSize: 2 });
  });
  afterAll(async () => {
    extractor?.dispose();
    await tf.setBackend('cpu');
  });

  it('gives 2048-d features and 1008 logits per image, records the protocol, leaks nothing', async () => {
    const images = tf.randomUniform([2, 24, 24, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const out = await extractor.extract(images, { range: [-1, 1], batchSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(out).toMatchObject({ dim: 2048, count: 2, logitsDim: 1008 });
    expect(out.features).toHaveLength(2 * 2048);
    expect(out.logits).toHaveLength(2 * 1008);
    expect(out.protocol).toEqual({
      extractor: 'inception-v3-fid',
      weightsHash: 'test-random',
      inputSize: [299, 299],
      resize: 'bilinear',
      quantize: 'none',
      networkRange: [-1, 1],
      grayscaleToRgb: true,
      featureDim: 2048,
      inputRange: [-1, 1],
    });
    // Batch-size independent (two batches of 1 vs one batch of 2).
    const once = await extractor.extract(images, { range: [-1, 1], batchSize: 2 });
    expect(once.features).toBeAllclose(out.features, { atol: 1e-5, rtol: 1e-5 });
    images.dispose();
  });

  it('treats a 1-channel image as its RGB repetition', async () => {
    const gray = tf.randomUniform([1, 16, 16, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
    const rgb = tf.tile(gray, [1, 1, 1, 3]) as tf.Tensor4D;
    const a = await extractor.extract(gray, { range: [-1, 1] });
    const b = await extractor.extract(rgb, { range: [-1, 1] });
    expect(a.features).toBeAllclose(b.features, { atol: 1e-6 });
    tf.dispose([gray, rgb]);
  });

  it('rejects images with 2 channels', async () => {
    const x = tf.zeros([1, 8, 8, 2]) as tf.Tensor4D;
    await expect(extractor.extract(x, { range: [0, 1] })).rejects.toThrow(/3 channels \(or 1\), received 2/);
    x.dispose();
  });
});
