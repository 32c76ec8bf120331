import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { orthogonalMatrix } from '../init.js';
import { SeededRandom } from '../random.js';
import { decodeSafetensors, encodeSafetensors } from '../safetensors.js';
import { BatchNorm2d, BigGANConditionalBatchNorm2d, ConditionalBatchNorm2d } from './batch-norm.js';
import { forwardContext, type ForwardContext } from './context.js';
import { upsampleNearest2x } from './ops.js';
import { SelfAttention } from './self-attention.js';
import { spectralSigma } from './spectral-norm.js';
import { Conv2d, ConvTranspose2d, Embedding, Linear, sameEqualsSymmetric, type WeightLayerOptions } from './weight-layers.js';

const TRAIN: ForwardContext = forwardContext({ training: true });
const EVAL: ForwardContext = forwardContext({ training: false });
const opts = (spectralNorm: boolean, seed = 1): WeightLayerOptions => ({ spectralNorm, init: 'ortho', rng: new SeededRandom(seed) });

/** Largest singular value of a row-major [rows, cols] matrix (float64 power iteration, 500 steps). */
function largestSingularValue(m: Float64Array | Float32Array, rows: number, cols: number): number {
  let v = new Float64Array(cols).fill(1);
  let sigma = 0;
  for (let it = 0; it < 500; it++) {
    const u = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) u[r] += m[r * cols + c] * v[c];
    const nu = Math.hypot(...u);
    const next = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) next[c] += m[r * cols + c] * (u[r] / nu);
    sigma = Math.hypot(...next);
    v = next.map((x) => x / sigma);
  }
  return sigma;
}

describe('spectral normalisation (C15)', () => {
  function handLayer(): Linear {
    const layer = new Linear('sn', 2, 2, false, opts(true));
    layer.weight.assign(tf.tensor2d([[3, 0], [0, 1]]));
    layer.u!.assign(tf.tensor1d([Math.SQRT1_2, Math.SQRT1_2]));
    return layer;
  }

  it('power iteration: σ after 1, 2, 3 training forwards = 2.863564, 2.998173, 2.999977', () => {
    const layer = handLayer();
    const x = tf.tensor2d([[1, 2]]);
    const sigmas: number[] = [];
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => layer.apply(x, TRAIN));
      sigmas.push(tf.tidy(() => spectralSigma(layer.weight, layer.u!, layer.v!, 'rows')).dataSync()[0]);
    }
    expect(sigmas).toBeAllclose([2.863564, 2.998173, 2.999977], { rtol: 0, atol: 1e-6 });
    // v = normalize(Wᵀu), u = normalize(Wv) after the first step from u₀ = (1, 1)/√2: v = (3, 1)/√10, u = (9, 1)/√82.
    const fresh = handLayer();
    tf.tidy(() => fresh.apply(x, TRAIN));
    expect(fresh.v!).toBeAllclose([3 / Math.sqrt(10), 1 / Math.sqrt(10)], { atol: 1e-7 });
    expect(fresh.u!).toBeAllclose([9 / Math.sqrt(82), 1 / Math.sqrt(82)], { atol: 1e-7 });
    // The layer computes x (W/σ)ᵀ.
    const y = tf.tidy(() => fresh.apply(x, EVAL));
    expect(y).toBeAllclose([[3 / 2.863564, 2 / 2.863564]], { atol: 1e-6 });
    tf.dispose([x, y]);
    layer.dispose();
    fresh.dispose();
  });

  it('inference leaves u and v bitwise unchanged and outputs identical; save → load reproduces them', () => {
    const layer = handLayer();
    const x0 = tf.tensor2d([[0.5, -1]]);
    for (let i = 0; i < 3; i++) tf.tidy(() => layer.apply(x0, TRAIN));
    const u0 = Array.from(layer.u!.dataSync());
    const v0 = Array.from(layer.v!.dataSync());
    const reference = tf.tidy(() => layer.apply(x0, EVAL)).arraySync();
    for (let i = 0; i < 100; i++) {
      tf.tidy(() => layer.apply(tf.randomNormal([3, 2]) as tf.Tensor2D, EVAL));
    }
    expect(Array.from(layer.u!.dataSync())).toEqual(u0);
    expect(Array.from(layer.v!.dataSync())).toEqual(v0);
    expect(tf.tidy(() => layer.apply(x0, EVAL)).arraySync()).toEqual(reference);

    const bytes = encodeSafetensors(layer.stateDict());
    const restored = new Linear('sn', 2, 2, false, opts(true, 99));
    restored.loadStateDict(decodeSafetensors(bytes).tensors);
    expect(tf.tidy(() => restored.apply(x0, EVAL)).arraySync()).toEqual(reference);
    x0.dispose();
    layer.dispose();
    restored.dispose();
  });

  it('gradient flows through W only (u and v are constants of the backward pass)', () => {
    const layer = new Linear('sn', 3, 4, true, opts(true, 3));
    const x = tf.tensor2d([[0.3, -0.7, 1.1], [0.2, 0.4, -0.5]]);
    const loss = (ctx: ForwardContext) => () => tf.sum(tf.square(layer.apply(x, ctx))) as tf.Scalar;
    // Training mode: the power iteration runs first, then σ = uᵀWv with the new u, v.
    const train = tf.variableGrads(loss(TRAIN), [layer.weight]);
    // Same W, now-fixed u and v, no iteration: identical gradient if none flows through u, v.
    const fixed = tf.variableGrads(loss(EVAL), [layer.weight]);
    expect(train.grads[layer.weight.name]).toBeAllclose(fixed.grads[layer.weight.name], { rtol: 1e-5, atol: 1e-7 });
    // And that gradient is the finite-difference derivative of W ↦ f(W / (uᵀWv)).
    const u = layer.u!;
    const v = layer.v!;
    const f = (w: tf.Tensor) => tf.sum(tf.square(tf.add(tf.matMul(x, tf.div(w, spectralSigma(w, u, v, 'rows')), false, true), layer.bias!))) as tf.Scalar;
    const check = checkGradient(f, tf.clone(layer.weight), { h: 1e-3 });
    expect(check.maxRelError).toBeLessThan(2e-2);
    expect(Array.from(check.analytic)).toBeAllclose(fixed.grads[layer.weight.name], { rtol: 1e-4, atol: 1e-5 });
    tf.dispose([train.value, fixed.value, x, ...Object.values(train.grads), ...Object.values(fixed.grads)]);
    layer.dispose();
  });

  it('σ converges to the largest singular value of the PyTorch-layout matrix for conv, deconv, linear, embedding', () => {
    const cases = [
      { layer: new Conv2d('c', 3, 5, { kernelSize: 3, padding: 1 }, true, opts(true, 5)), view: 'columns' as const },
      { layer: new ConvTranspose2d('d', 4, 3, { kernelSize: 4, stride: 2, padding: 1 }, true, opts(true, 6)), view: 'deconv' as const },
      { layer: new Linear('l', 6, 4, true, opts(true, 7)), view: 'rows' as const },
      { layer: new Embedding('e', 5, 7, opts(true, 8)), view: 'rows' as const },
    ];
    for (const { layer, view } of cases) {
      // Non-orthogonal weights so that σ is informative.
      layer.weight.assign(tf.randomNormal(layer.weight.shape, 0, 1, 'float32', 11));
      for (let i = 0; i < 60; i++) {
        tf.tidy(() => {
          const ctx = TRAIN;
          layer.effectiveWeight(ctx);
        });
      }
      const sigma = tf.tidy(() => spectralSigma(layer.weight, layer.u!, layer.v!, view)).dataSync()[0];
      // PyTorch's matrix: [torchShape[0] (or dim 1 for deconv), rest].
      const torch = layer.torchShape;
      const data = layer.weight.dataSync() as Float32Array;
      const shape = layer.weight.shape;
      // Rebuild the PyTorch-layout matrix from ours.
      let rows: number;
      let cols: number;
      let matrix: Float64Array;
      if (layer instanceof Conv2d || layer instanceof ConvTranspose2d) {
        const [kh, kw, a, b] = shape; // conv: [kh, kw, I, O]; deconv: [kh, kw, O, I]
        rows = layer instanceof Conv2d ? b : a; // u over O in both cases
        const other = layer instanceof Conv2d ? a : b;
        cols = other * kh * kw;
        matrix = new Float64Array(rows * cols);
        for (let h = 0; h < kh; h++)
          for (let w = 0; w < kw; w++)
            for (let i = 0; i < a; i++)
              for (let o = 0; o < b; o++) {
                const value = data[((h * kw + w) * a + i) * b + o];
                const [r, c] = layer instanceof Conv2d ? [o, (i * kh + h) * kw + w] : [i, (o * kh + h) * kw + w];
                matrix[r * cols + c] = value;
              }
      } else {
        rows = torch[0];
        cols = torch[1];
        matrix = Float64Array.from(data);
      }
      expect(sigma).toBeAllclose(largestSingularValue(matrix, rows, cols), { rtol: 1e-3 });
      layer.dispose();
    }
  });
});

describe('batch norm and conditional batch norm (C18)', () => {
  const x = () => tf.randomNormal([6, 3, 3, 16], 2, 3, 'float32', 5) as tf.Tensor4D;

  it('a fresh cBN (10 classes, 16 channels) equals BN without affine for every label, in both modes', () => {
    const cbn = new ConditionalBatchNorm2d('cbn', 10, 16);
    const biggan = new BigGANConditionalBatchNorm2d('cbn', 12, 16);
    const bn = new BatchNorm2d('bn', 16, { affine: false });
    const input = x();
    for (let label = 0; label < 10; label++) {
      const labels = tf.fill([6], label, 'int32') as tf.Tensor1D;
      const affine = tf.randomNormal([6, 12]) as tf.Tensor2D;
      for (const ctx of [forwardContext({ training: true, updateStatistics: false }), EVAL]) {
        const expected = tf.tidy(() => bn.apply(input, ctx));
        const a = tf.tidy(() => cbn.apply(input, labels, ctx));
        const b = tf.tidy(() => biggan.apply(input, affine, ctx));
        expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, expected)))).dataSync()[0]).toBe(0);
        expect(tf.tidy(() => tf.max(tf.abs(tf.sub(b, expected)))).dataSync()[0]).toBe(0);
        tf.dispose([expected, a, b]);
      }
      tf.dispose([labels, affine]);
    }
    tf.dispose(input);
    [cbn, biggan, bn].forEach((m) => m.dispose());
  });

  it('gain = 1 + embed0(y), bias = embed1(y) per class; statistics are shared, never per class', () => {
    const cbn = new ConditionalBatchNorm2d('cbn', 4, 16, { init: 'N02', rng: new SeededRandom(2) });
    const input = x();
    const labels = tf.fill([6], 3, 'int32') as tf.Tensor1D;
    const y = tf.tidy(() => cbn.apply(input, labels, TRAIN));
    // Expected running statistics: plain BN on the same batch (momentum 0.1, unbiased variance).
    const values = input.arraySync().flat(2) as number[][];
    const n = values.length;
    const mean = new Array(16).fill(0).map((_, c) => values.reduce((s, p) => s + p[c], 0) / n);
    const varUnbiased = mean.map((m, c) => values.reduce((s, p) => s + (p[c] - m) ** 2, 0) / (n - 1));
    const varBiased = varUnbiased.map((v) => (v * (n - 1)) / n);
    expect(cbn.bn.runningMean).toBeAllclose(mean.map((m) => 0.1 * m), { rtol: 1e-4, atol: 1e-5 });
    expect(cbn.bn.runningVar).toBeAllclose(varUnbiased.map((v) => 0.9 + 0.1 * v), { rtol: 1e-4, atol: 1e-5 });
    expect(cbn.bn.numBatchesTracked.dataSync()[0]).toBe(1);
    const gain = (cbn.gain.weight.arraySync() as number[][])[3];
    const bias = (cbn.bias.weight.arraySync() as number[][])[3];
    const expected = values.map((p) => p.map((v, c) => ((v - mean[c]) / Math.sqrt(varBiased[c] + 1e-4)) * (1 + gain[c]) + bias[c]));
    expect(y).toBeAllclose(expected, { rtol: 1e-4, atol: 1e-4 });
    tf.dispose([input, labels, y]);
    cbn.dispose();
  });

  it("StudioGAN master's layout ('linear': gain/bias Linear [C, classes] on the one-hot label) equals v0.3.0's ('embed') with the tables transposed", () => {
    const embed = new ConditionalBatchNorm2d('cbn', 5, 16, { init: 'N02', rng: new SeededRandom(4) });
    const linear = new ConditionalBatchNorm2d('cbn', 5, 16, { init: 'N02', rng: new SeededRandom(9) }, 'linear');
    expect([...linear.stateDict()].map(([k, v]) => [k, v.shape])).toEqual([
      ['bn.running_mean', [16]],
      ['bn.running_var', [16]],
      ['bn.num_batches_tracked', []],
      ['gain.weight', [16, 5]],
      ['bias.weight', [16, 5]],
    ]);
    linear.gain.weight.assign(tf.transpose(embed.gain.weight));
    linear.bias.weight.assign(tf.transpose(embed.bias.weight));
    const input = x();
    const labels = tf.tensor1d([0, 4, 2, 2, 1, 3], 'int32');
    const [a, b] = tf.tidy(() => [embed.apply(input, labels, TRAIN), linear.apply(input, labels, TRAIN)]);
    expect(b).toBeAllclose(a, { rtol: 0, atol: 1e-6 });
    tf.dispose([input, labels, a, b]);
    embed.dispose();
    linear.dispose();
    // With spectral norm: StudioGAN's snlinear keys, u over the C features and v over the classes.
    const sn = new ConditionalBatchNorm2d('cbn', 5, 16, { spectralNorm: true, init: 'ortho', rng: new SeededRandom(1) }, 'linear');
    expect([...sn.stateDict()].filter(([k]) => k.startsWith('gain.')).map(([k, v]) => [k, v.shape])).toEqual([
      ['gain.weight_orig', [16, 5]],
      ['gain.weight_u', [16]],
      ['gain.weight_v', [5]],
    ]);
    sn.dispose();
    expect(() => new ConditionalBatchNorm2d('cbn', 5, 16, {}, 'table' as never)).toThrow(/layout must be 'embed' or 'linear', received table/);
  });

  it('train-mode BN with batch 1 and 1×1 spatial size outputs β (no NaN; eps applied)', () => {
    const bn = new BatchNorm2d('bn', 3);
    bn.beta!.assign(tf.tensor1d([0.5, -1, 2]));
    const input = tf.tensor4d([[[[4, 5, 6]]]]);
    const y = tf.tidy(() => bn.apply(input, TRAIN));
    expect(y).toBeAllclose([0.5, -1, 2], { atol: 1e-6 });
    expect(Array.from(bn.runningVar.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([y, input]);
    bn.dispose();
  });

  it('evaluation and updateStatistics: false change no statistics', () => {
    const bn = new BatchNorm2d('bn', 16);
    const input = x();
    tf.tidy(() => bn.apply(input, EVAL));
    tf.tidy(() => bn.apply(input, forwardContext({ training: true, updateStatistics: false })));
    tf.tidy(() => bn.apply(input, forwardContext({ training: false, batchNormStatistics: 'batch' })));
    expect(Array.from(bn.runningMean.dataSync())).toEqual(new Array(16).fill(0));
    expect(Array.from(bn.runningVar.dataSync())).toEqual(new Array(16).fill(1));
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(0);
    tf.dispose(input);
    bn.dispose();
  });

  it('BN gradient (with respect to the input, through the batch statistics) matches finite differences', () => {
    const bn = new BatchNorm2d('bn', 2);
    const input = tf.randomNormal([3, 2, 2, 2], 0, 1, 'float32', 3);
    const weights = tf.randomNormal([3, 2, 2, 2], 0, 1, 'float32', 4);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(bn.apply(t as tf.Tensor4D, forwardContext({ training: true, updateStatistics: false })), weights)) as tf.Scalar;
    const check = checkGradient(f, input, { h: 1e-2 });
    expect(check.maxAbsError).toBeLessThan(2e-2);
    tf.dispose([input, weights]);
    bn.dispose();
  });
});

describeBackends('layers', () => {
  it('self-attention is the identity at initialisation (σ = 0) and mixes positions once σ ≠ 0', () => {
    const attention = new SelfAttention('attn', 16, opts(true, 4));
    const input = tf.randomNormal([2, 4, 4, 16], 0, 1, 'float32', 9) as tf.Tensor4D;
    const y = tf.tidy(() => attention.apply(input, EVAL));
    expect(y).toBeAllclose(input, { rtol: 0, atol: 0 });
    attention.sigma.assign(tf.tensor1d([1]));
    const moved = tf.tidy(() => attention.apply(input, EVAL));
    expect(moved.shape).toEqual([2, 4, 4, 16]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(moved, input)))).dataSync()[0]).toBeGreaterThan(1e-3);
    expect(() => new SelfAttention('bad', 12, opts(false))).toThrow(/divisible by 8/);
    tf.dispose([input, y, moved]);
    attention.dispose();
  });

  it('nearest ×2 upsampling equals resizeNearestNeighbor; its gradient sums each 2×2 block', () => {
    const input = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ours = upsampleNearest2x(input);
    const theirs = tf.image.resizeNearestNeighbor(input, [6, 10]);
    expect(ours).toBeAllclose(theirs, { rtol: 0, atol: 0 });
    const weights = tf.randomNormal([2, 6, 10, 4], 0, 1, 'float32', 3);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(t as tf.Tensor4D), weights)))(input);
    const expected = tf.tidy(() => tf.mul(tf.avgPool(weights as tf.Tensor4D, 2, 2, "valid"), 4));
    expect(grad).toBeAllclose(expected, { rtol: 1e-5, atol: 1e-5 });
    tf.dispose([input, ours, theirs, weights, grad, expected]);
  });

  it('conv padding: TensorFlow "same" is used only where it equals PyTorch\'s symmetric padding', () => {
    expect(sameEqualsSymmetric(32, 3, 1, 1)).toBe(true);
    expect(sameEqualsSymmetric(32, 4, 2, 1)).toBe(true);
    expect(sameEqualsSymmetric(7, 4, 2, 1)).toBe(false);
    // An odd input with the 4×4 stride-2 conv falls back to explicit padding, as PyTorch computes.
    const conv = new Conv2d('c', 2, 3, { kernelSize: 4, stride: 2, padding: 1 }, true, opts(false));
    const input = tf.randomNormal([1, 7, 7, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.tidy(() => conv.apply(input, EVAL));
    expect(y.shape).toEqual([1, 3, 3, 3]);
    const reference = tf.tidy(() => tf.conv2d(tf.pad(input, [[0, 0], [1, 1], [1, 1], [0, 0]]), conv.weight as tf.Tensor4D, 2, 'valid'));
    expect(y).toBeAllclose(reference, { atol: 1e-5 });
    tf.dispose([input, y, reference]);
    conv.dispose();
  });

  it('layer forwards leak no tensors', async () => {
    const conv = new Conv2d('c', 8, 8, { kernelSize: 3, padding: 1 }, true, opts(true));
    const attention = new SelfAttention('a', 8, opts(true));
    const cbn = new ConditionalBatchNorm2d('b', 3, 8, opts(true));
    const input = tf.randomNormal([2, 4, 4, 8]) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 2], 'int32');
    await expectNoTensorLeak(() => tf.tidy(() => cbn.apply(attention.apply(conv.apply(input, TRAIN), TRAIN), labels, TRAIN)));
    tf.dispose([input, labels]);
    [conv, attention, cbn].forEach((m) => m.dispose());
  });
});

describe('orthogonal initialisation (torch.nn.init.orthogonal_)', () => {
  // [80, 800] and [800, 80] take the CholeskyQR2 path (tall, large), the others Householder.
  for (const [rows, cols] of [[5, 12], [12, 5], [7, 7], [80, 800], [800, 80]]) {
    it(`[${rows}, ${cols}]: ${rows <= cols ? 'rows' : 'columns'} are orthonormal`, () => {
      const m = orthogonalMatrix(rows, cols, new SeededRandom(rows * 31 + cols));
      const small = Math.min(rows, cols);
      for (let a = 0; a < small; a++) {
        for (let b = 0; b < small; b++) {
          let dot = 0;
          for (let k = 0; k < Math.max(rows, cols); k++) {
            dot += rows <= cols ? m[a * cols + k] * m[b * cols + k] : m[k * cols + a] * m[k * cols + b];
          }
          expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(rows * cols > 1000 ? 2e-6 : 1e-12);
        }
      }
    });
  }
});
