import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak, loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { featureExtractorFromModel } from './from-model.js';
import { preprocessImages, quantizeTensor, quantizeToUint8 } from './preprocess.js';

interface Golden {
  resize: { input: number[]; inShape: number[]; output: number[]; outShape: number[] }[];
}
const golden = loadFixture<Golden>(import.meta.url, '../__fixtures__/metric-golden.json');

describe('quantizeToUint8 (C13)', () => {
  it('rounds half up and clamps: −1 → 0, 0 → 128, 0.5 → 191, 1 → 255, 1.02 → 255, −1.02 → 0', () => {
    expect(Array.from(quantizeToUint8([-1, 0, 0.5, 1, 1.02, -1.02]))).toEqual([0, 128, 191, 255, 255, 0]);
    // A Uint8Array would wrap 257 to 1; Uint8ClampedArray rounds ties to even (0.5 → 0, 1.5 → 2).
    expect(Uint8Array.of(257)[0]).toBe(1);
    expect(Array.from(quantizeToUint8([0.5, 1.5, 2.5], [0, 255]))).toEqual([1, 2, 3]);
    expect(Array.from(Uint8ClampedArray.of(0.5, 1.5, 2.5))).toEqual([0, 2, 2]);
    expect(Array.from(quantizeToUint8([0, 0.5, 1], [0, 1]))).toEqual([0, 128, 255]);
  });

  it('the tensor version agrees on every value of a sweep', () => {
    const xs = Array.from({ length: 2001 }, (_, i) => -1.05 + i * 0.00105);
    const t = tf.tensor1d(xs);
    const q = quantizeTensor(t);
    expect(Array.from(q.dataSync())).toEqual(Array.from(quantizeToUint8(xs)));
    tf.dispose([t, q]);
  });

  it('requires a declared range', () => {
    expect(() => quantizeToUint8([0], [0, 2] as never)).toThrow(/declare the pixel range as \[-1, 1\], \[0, 1\] or \[0, 255\]/);
  });
});

describeBackends('preprocessImages', () => {
  // Error model: the golden outputs are F.interpolate in float64 (committed; not another machine's float32).
  // Ours is float32: each output is a 4-term convex combination of inputs in [-1, 1], so rounding of the
  // inputs, weights and sums stays below ~8 ulp(1) ≈ 1e-6 on any backend and CPU: atol 2e-6. A wrong
  // half-pixel offset or align_corners moves values by ≥ 1e-2.
  it('bilinear resize equals PyTorch F.interpolate(align_corners=False), up and down (golden)', () => {
    for (const c of golden.resize) {
      const x = tf.tensor4d(c.input, c.inShape as [number, number, number, number]);
      const y = preprocessImages(x, { range: [-1, 1], networkRange: [-1, 1], inputSize: [c.outShape[1], c.outShape[2]], quantize: 'none', resize: 'bilinear' });
      expect(y.shape).toEqual(c.outShape);
      expect(y).toBeAllclose(c.output, { atol: 2e-6, rtol: 1e-6 });
      tf.dispose([x, y]);
    }
  });

  it('maps ranges, quantises before the network, tiles grayscale, and leaks nothing', async () => {
    const x = tf.tensor4d([0, 127.5, 255, 64], [1, 2, 2, 1]);
    await expectNoTensorLeak(() => {
      const y = preprocessImages(x, { range: [0, 255], networkRange: [-1, 1], inputSize: null, quantize: 'none', resize: 'bilinear', grayscaleToRgb: true });
      expect(y.shape).toEqual([1, 2, 2, 3]);
      expect(Array.from(y.dataSync()).filter((_, i) => i % 3 === 0)).toBeAllclose([-1, 0, 1, 64 / 127.5 - 1], { atol: 1e-6 });
      const q = preprocessImages(x, { range: [0, 255], networkRange: [0, 255], inputSize: null, quantize: 'uint8', resize: 'none' });
      expect(Array.from(q.dataSync())).toEqual([0, 128, 255, 64]);
      tf.dispose([y, q]);
    });
    expect(() => preprocessImages(x, { range: [0, 255], networkRange: [-1, 1], inputSize: [4, 4], quantize: 'none', resize: 'none' })).toThrow(/resize is 'none'/);
    x.dispose();
  });

  it('C13: the same 8 images as uint8 [0, 255], float [0, 1] and float [−1, 1] give identical features', async () => {
    const u8 = tf.tidy(() => tf.clipByValue(tf.floor(tf.mul(tf.randomUniform([8, 9, 9, 3], 0, 1, 'float32', 13), 256)), 0, 255));
    const f01 = tf.div(u8, 255);
    const fm1 = tf.sub(tf.div(u8, 127.5), 1);
    const filter = tf.randomNormal([3, 3, 3, 5], 0, 0.5, 'float32', 3);
    const model = (x: tf.Tensor4D) => tf.mean(tf.relu(tf.conv2d(x, filter as tf.Tensor4D, 1, 'same')), [1, 2]);
    for (const quantize of ['none', 'uint8'] as const) {
      const ex = featureExtractorFromModel(model, { name: 'tiny-conv', inputSize: 16, inputRange: [-1, 1], quantize });
      const a = await ex.extract(u8 as tf.Tensor4D, { range: [0, 255] });
      const b = await ex.extract(f01 as tf.Tensor4D, { range: [0, 1] });
      const c = await ex.extract(fm1 as tf.Tensor4D, { range: [-1, 1] });
      expect(b.features).toBeAllclose(a.features, { atol: 1e-5, rtol: 0 });
      expect(c.features).toBeAllclose(a.features, { atol: 1e-5, rtol: 0 });
      expect(a.protocol).toMatchObject({ quantize, inputRange: [0, 255], networkRange: [-1, 1], inputSize: [16, 16], resize: 'bilinear' });
    }
    tf.dispose([u8, f01, fm1, filter]);
  });
});
