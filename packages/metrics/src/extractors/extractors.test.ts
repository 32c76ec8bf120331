import * as tf from '@tensorflow/tfjs-core';
import { describeBackends } from '@reacgan/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { featuresToStatistics } from '../statistics.js';
import { frechetInceptionDistance } from '../fid.js';
import { accumulateFeatures } from './accumulate.js';
import { featureExtractorFromModel } from './from-model.js';
import { INCEPTION_V3_FID, inceptionV3FidParameterShapes, InceptionV3FidNetwork, createInceptionV3FidExtractor } from './inception-v3-fid.js';
import { getFeatureExtractor, listFeatureExtractors, registerFeatureExtractor, unregisterFeatureExtractor } from './registry.js';
import type { TorchTensor } from '../torch/read-checkpoint.js';

/** A tiny "classifier": features = mean-pooled relu(conv), logits = features · W. */
function tinyModel(seed = 1) {
  const filter = tf.randomNormal([3, 3, 1, 6], 0, 0.5, 'float32', seed) as tf.Tensor4D;
  const w = tf.randomNormal([6, 4], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
  const fn = (x: tf.Tensor4D) => {
    const f = tf.mean(tf.relu(tf.conv2d(x, filter, 1, 'same')), [1, 2]) as tf.Tensor2D;
    return { features: f, logits: tf.matMul(f, w) };
  };
  return { fn, dispose: () => tf.dispose([filter, w]) };
}

describeBackends('featureExtractorFromModel', () => {
  it('extracts [N, d] features and logits in batches, batch-size independent, without leaking', async () => {
    const m = tinyModel();
    const ex = featureExtractorFromModel(m.fn, { name: 'tiny', inputSize: 12, inputRange: [-1, 1], batchSize: 3 });
    const images = tf.randomUniform([7, 10, 10, 1], -1, 1, 'float32', 5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const a = await ex.extract(images, { range: [-1, 1] });
    const b = await ex.extract(images, { range: [-1, 1], batchSize: 7 });
    expect(tf.memory().numTensors).toBe(before);
    expect(a).toMatchObject({ dim: 6, count: 7, logitsDim: 4 });
    expect(a.features).toHaveLength(42);
    expect(a.features).toBeAllclose(b.features, { atol: 1e-6 });
    expect(a.logits).toBeAllclose(b.logits!, { atol: 1e-5 });
    // The MNIST-style path: statistics and FID straight from extractor outputs.
    const fid = frechetInceptionDistance(featuresToStatistics(a), featuresToStatistics(b), { onWarning: () => {} });
    expect(fid).toBeLessThan(1e-6);
    tf.dispose(images);
    m.dispose();
  });

  it('accepts tfjs-style models with predict(), flattens rank > 2 outputs, picks outputs by index', async () => {
    const model = { predict: (x: tf.Tensor) => [tf.relu(x), tf.mean(x, [1, 2, 3])] };
    const ex = featureExtractorFromModel(model, { name: 'predict-model', featuresOutput: 0, logitsOutput: 1 });
    const x = tf.ones([2, 3, 3, 2]) as tf.Tensor4D;
    const out = await ex.extract(x, { range: [-1, 1] });
    expect(out.dim).toBe(18);
    expect(out.logits).toHaveLength(2);
    expect(out.protocol.inputSize).toBeNull();
    x.dispose();
  });

  it('requires a declared range and names the batch of non-finite features', async () => {
    const ex = featureExtractorFromModel((x) => tf.div(tf.mean(x, [1, 2]), tf.sum(tf.abs(x), [1, 2])), { name: 'div', batchSize: 2 });
    const x = tf.concat([tf.ones([3, 2, 2, 1]), tf.zeros([1, 2, 2, 1])]) as tf.Tensor4D;
    await expect(ex.extract(x, {} as never)).rejects.toThrow(/options.range is required/);
    await expect(ex.extract(x, { range: [0, 2] as never })).rejects.toThrow(/declare the pixel range/);
    await expect(ex.extract(x, { range: [-1, 1] })).rejects.toThrow(/non-finite feature NaN in batch 1 \(images 2..3\), row 1/);
    x.dispose();
    expect(() => featureExtractorFromModel((y) => y, { name: '' })).toThrow(/options.name/);
    expect(() => featureExtractorFromModel({} as never, { name: 'x' })).toThrow(/LayersModel\/GraphModel/);
  });

  it('accumulateFeatures streams batches into float64 statistics and keeps logits on request', async () => {
    const m = tinyModel(3);
    const ex = featureExtractorFromModel(m.fn, { name: 'tiny' });
    const all = tf.randomUniform([9, 8, 8, 1], -1, 1, 'float32', 9) as tf.Tensor4D;
    function* batches() {
      for (let s = 0; s < 9; s += 4) yield tf.slice(all, [s, 0, 0, 0], [Math.min(4, 9 - s), -1, -1, -1]) as tf.Tensor4D;
    }
    const before = tf.memory().numTensors;
    const acc = await accumulateFeatures(ex, batches(), { range: [-1, 1], keepLogits: true, disposeBatches: true });
    expect(tf.memory().numTensors).toBe(before);
    const once = featuresToStatistics(await ex.extract(all, { range: [-1, 1] }));
    expect(acc.statistics.sigma).toBeAllclose(once.sigma, { atol: 1e-12, rtol: 1e-9 });
    expect(acc.count).toBe(9);
    expect(acc.logits).toHaveLength(36);
    expect(acc.protocol.extractor).toBe('tiny');
    all.dispose();
    m.dispose();
  });
});

describe('feature extractor registry', () => {
  afterEach(() => {
    unregisterFeatureExtractor('mine');
  });

  it('has inception-v3-fid built in and registers user extractors by validated name', async () => {
    expect(listFeatureExtractors()).toContain(INCEPTION_V3_FID);
    const m = tinyModel();
    registerFeatureExtractor('mine', (o: { size: number }) => featureExtractorFromModel(m.fn, { name: 'mine', inputSize: o.size }));
    const ex = await getFeatureExtractor('mine', { size: 5 });
    expect(ex.inputSize).toEqual([5, 5]);
    expect(() => registerFeatureExtractor('mine', () => ex)).toThrow(/already registered/);
    registerFeatureExtractor('mine', () => ex, { override: true });
    for (const bad of ['', ' x', 'a/b', 'a\\b']) expect(() => registerFeatureExtractor(bad, () => ex)).toThrow(/registerFeatureExtractor/);
    await expect(getFeatureExtractor('nope')).rejects.toThrow(/no extractor named 'nope' \(registered: inception-v3-fid/);
    await expect(getFeatureExtractor(INCEPTION_V3_FID, {})).rejects.toThrow(/options.weights is required/);
    m.dispose();
  });
});

describe('inception-v3-fid network (structure)', () => {
  const shapes = inceptionV3FidParameterShapes();

  it('has the FID InceptionV3 parameter set: 94 BasicConv2d + fc [1008, 2048], 23,850,960 parameters', () => {
    expect([...shapes.keys()].filter((k) => k.endsWith('.conv.weight'))).toHaveLength(94);
    expect(shapes.get('fc.weight')).toEqual([1008, 2048]);
    expect(shapes.get('Mixed_7c.branch_pool.conv.weight')).toEqual([192, 2048, 1, 1]);
    expect(shapes.get('Mixed_6b.branch7x7_2.conv.weight')).toEqual([128, 128, 1, 7]);
    const total = [...shapes.values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    // state_dict entries (parameters + BN running statistics) of the PyTorch build in
    // scripts/make_inception_parity.py, without num_batches_tracked: 23,850,960 parameters + 34,432 statistics.
    expect(total).toBe(23_885_392);
  });

  it('strict loading lists missing, unexpected and mis-shaped entries', () => {
    const sd = new Map<string, TorchTensor>();
    const zero = (shape: number[]): TorchTensor => ({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    for (const [k, s] of shapes) sd.set(k, zero(s));
    sd.delete('Conv2d_1a_3x3.bn.running_var');
    sd.set('fc.weight', zero([1000, 2048]));
    sd.set('AuxLogits.fc.weight', zero([1000, 768]));
    sd.set('Conv2d_1a_3x3.bn.num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array(1) });
    expect(() => new InceptionV3FidNetwork(sd)).toThrow(
      /missing 1: Conv2d_1a_3x3.bn.running_var; shape mismatches: fc.weight: expected \[1008, 2048\], found \[1000, 2048\]; unexpected 1: AuxLogits.fc.weight/,
    );
  });

  it('checks the weight file hash (pytorch-fid 6726825d) unless told not to', async () => {
    await expect(createInceptionV3FidExtractor({ weights: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/SHA-256 is 039058c6.*expected it to start with 6726825d/);
  });
});

describe('C11: backends without float32 rendering', () => {
  it('assertFloat32Backend refuses webgl with half-float textures and accepts everything else', async () => {
    const { assertFloat32Backend } = await import('./run-batched.js');
    const env = (value: boolean) => ({ getBool: (flag: string) => (flag === 'WEBGL_RENDER_FLOAT32_ENABLED' ? value : true) });
    expect(() => assertFloat32Backend('webgl', env(false))).toThrow(/cannot render float32 textures.*tf.setBackend\('wasm'\)/);
    expect(() => assertFloat32Backend('webgl', env(true))).not.toThrow();
    expect(() => assertFloat32Backend('cpu', env(false))).not.toThrow();
  });
});

describe('inceptionScore on an extraction result', () => {
  it('uses the logits of { features, logits, logitsDim }', async () => {
    const { inceptionScore } = await import('../inception-score.js');
    const logits = Float32Array.from([5, 0, 0, 0, 5, 0]);
    const r = inceptionScore({ features: new Float32Array(4), dim: 2, logits, logitsDim: 3 } as never, { splits: 1 });
    expect(r.count).toBe(2);
    expect(r.mean).toBeGreaterThan(1.5);
  });
});
