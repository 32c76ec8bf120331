import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { afterEach, expect, it } from 'vitest';
import { SeededRandom } from '../random.js';
import { forwardContext } from './context.js';
import { conv2dBias, conv2dFilterGradient, filterGradientByMatMul, matMulFilterGradientApplies, matMulFilterGradientMode, nativeKernelsActive, setMatMulFilterGradient, setNativeKernels } from './native.js';
import { Conv2d } from './weight-layers.js';

/**
 * Convolution filter gradients as one MatMul per kernel offset (native.ts) against the backend's own
 * Conv2DBackpropFilter kernel, and the linear conv kernel (conv2dBias) against tf.conv2d + bias.
 */

/** max |a − b| / max |b|: the relative error of a whole tensor. */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-30));
}

function nativeFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], stride: number, pad: 'same' | 'valid'): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [stride, stride], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** Kernel names run by `f` (tf.profile). */
async function kernelNames(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => f());
  tf.dispose(info.result as tf.Tensor);
  return info.kernels.map((k) => k.name);
}

describeBackends('convolution filter gradient by MatMul', (backend) => {
  afterEach(() => {
    setNativeKernels(true);
    setMatMulFilterGradient(true);
  });

  it('setMatMulFilterGradient: refuses anything but true, false and pointwise, naming what it received', () => {
    expect(() => setMatMulFilterGradient('1x1' as never)).toThrow(/expected true, false or 'pointwise', received 1x1/);
    setMatMulFilterGradient('pointwise');
    expect(matMulFilterGradientMode()).toBe('pointwise');
  });

  it('applies only to stride-1 convolutions with ≥ 64 channels each side, kernel ≤ 3 and N·H·W ≥ 4096', () => {
    expect(matMulFilterGradientApplies([64, 32, 32, 384], [64, 32, 32, 384], [3, 3, 384, 384], 1, 'same')).toBe(true);
    expect(matMulFilterGradientApplies([64, 8, 8, 384], [64, 8, 8, 384], [1, 1, 384, 384], 1, 'valid')).toBe(true);
    expect(matMulFilterGradientApplies([64, 32, 32, 384], [64, 16, 16, 384], [3, 3, 384, 384], 2, 'same')).toBe(false);
    expect(matMulFilterGradientApplies([64, 32, 32, 3], [64, 32, 32, 384], [3, 3, 3, 384], 1, 'same')).toBe(false);
    expect(matMulFilterGradientApplies([64, 32, 32, 384], [64, 32, 32, 3], [3, 3, 384, 3], 1, 'same')).toBe(false);
    expect(matMulFilterGradientApplies([16, 8, 8, 384], [16, 8, 8, 384], [3, 3, 384, 384], 1, 'same')).toBe(false);
    expect(matMulFilterGradientApplies([64, 32, 32, 384], [64, 29, 29, 384], [4, 4, 384, 384], 1, 'valid')).toBe(false);
    expect(matMulFilterGradientApplies([64, 32, 32, 384], [64, 32, 32, 384], [3, 3, 384, 384], 1, 1)).toBe(false);
  });

  // Small shapes: the formulation itself (no size threshold) against this backend's Conv2DBackpropFilter.
  for (const [k, pad, h, w] of [[3, 'same', 6, 7], [3, 'valid', 6, 7], [1, 'valid', 5, 5], [1, 'same', 5, 4], [2, 'same', 6, 5], [2, 'valid', 5, 6]] as const) {
    it(`${k}×${k} '${pad}' on ${h}×${w}: equals the backend's Conv2DBackpropFilter`, () => {
      const x = tf.randomNormal([3, h, w, 5], 0, 1, 'float32', 1) as tf.Tensor4D;
      const probe = tf.conv2d(x, tf.zeros([k, k, 5, 4]) as tf.Tensor4D, 1, pad);
      const dy = tf.randomNormal(probe.shape, 0, 1, 'float32', 2) as tf.Tensor4D;
      const reference = nativeFilterGradient(x, dy, [k, k, 5, 4], 1, pad);
      const before = tf.memory().numTensors;
      const ours = filterGradientByMatMul(x, dy, k, k, pad);
      expect(tf.memory().numTensors).toBe(before + 1); // every intermediate freed
      expect(ours.shape).toEqual([k, k, 5, 4]);
      expect(relativeError(ours, reference)).toBeLessThan(1e-5);
      tf.dispose([x, probe, dy, reference, ours]);
    });
  }

  if (backend === 'tensorflow') {
    for (const [k, pad] of [[3, 'same'], [3, 'valid'], [1, 'valid']] as const) {
      it(`${k}×${k} '${pad}', 64 → 64 channels, N·H·W ≥ 4096: conv2dFilterGradient takes the MatMul path (with 'pointwise' only for 1×1) and matches the native kernel`, async () => {
        expect(nativeKernelsActive()).toBe(true);
        const x = tf.randomNormal([5, 32, 32, 64], 0, 1, 'float32', 3) as tf.Tensor4D;
        const oh = pad === 'same' ? 32 : 33 - k;
        const dy = tf.randomNormal([5, oh, oh, 64], 0, 1, 'float32', 4) as tf.Tensor4D;
        const shape: [number, number, number, number] = [k, k, 64, 64];
        expect(matMulFilterGradientApplies(x.shape, dy.shape, shape, 1, pad)).toBe(true);
        const reference = nativeFilterGradient(x, dy, shape, 1, pad);
        const names = await kernelNames(() => conv2dFilterGradient(x, dy, shape, 1, pad));
        expect(names).not.toContain('Conv2DBackpropFilter');
        expect(names.filter((n) => n === 'BatchMatMul' || n === 'MatMul' || n === '_FusedMatMul').length).toBe(k * k);
        const ours = conv2dFilterGradient(x, dy, shape, 1, pad);
        expect(relativeError(ours, reference)).toBeLessThan(1e-5);
        setMatMulFilterGradient('pointwise');
        const pointwise = await kernelNames(() => conv2dFilterGradient(x, dy, shape, 1, pad));
        if (k === 1) expect(pointwise).not.toContain('Conv2DBackpropFilter');
        else expect(pointwise).toEqual(['Conv2DBackpropFilter']);
        setMatMulFilterGradient(false);
        expect(await kernelNames(() => conv2dFilterGradient(x, dy, shape, 1, pad))).toEqual(['Conv2DBackpropFilter']);
        setMatMulFilterGradient(true);
        setNativeKernels(false);
        expect(await kernelNames(() => conv2dFilterGradient(x, dy, shape, 1, pad))).toEqual(['Conv2DBackpropFilter']);
        tf.dispose([x, dy, reference, ours]);
      });
    }
  }

  for (const [stride, pad, withBias] of [[1, 'same', true], [1, 'valid', false], [2, 'same', true], [2, 'valid', true]] as const) {
    it(`conv2dBias (stride ${stride}, ${pad}, bias ${withBias}): value and the gradients of x, filter and bias equal tf.conv2d + bias`, () => {
      const x = tf.randomNormal([3, 8, 8, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 4, 6], 0, 0.3, 'float32', 6) as tf.Tensor4D;
      const b = tf.randomNormal([6], 0, 0.2, 'float32', 7) as tf.Tensor1D;
      const inputs = withBias ? [x, w, b] : [x, w];
      const weights = (y: tf.Tensor) => tf.reshape(tf.linspace(0.5, 1.5, y.size), y.shape);
      const run = (f: (...t: tf.Tensor[]) => tf.Tensor) =>
        tf.tidy(() => ({
          value: Array.from(f(...inputs).dataSync()),
          grads: tf.grads((...t: tf.Tensor[]) => {
            const y = f(...t);
            return tf.sum(tf.mul(y, weights(y))) as tf.Scalar;
          })(inputs).map((g) => Array.from(g.dataSync())),
        }));
      const ours = run((xx, ww, bb) => conv2dBias(xx as tf.Tensor4D, ww as tf.Tensor4D, (bb as tf.Tensor1D | undefined) ?? null, stride, pad));
      const reference = run((xx, ww, bb) => {
        const y = tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, stride, pad);
        return bb ? tf.add(y, bb) : y;
      });
      expect(ours.value).toBeAllclose(reference.value, { rtol: 1e-5, atol: 1e-6 });
      expect(ours.grads.length).toBe(inputs.length);
      ours.grads.forEach((g, i) => expect(g).toBeAllclose(reference.grads[i], { rtol: 1e-4, atol: 1e-5 }));
      tf.dispose([x, w, b]);
    });
  }

  it('conv2dBias: a filter gradient alone computes no input gradient, and nothing leaks', async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.3, 'float32', 9));
    const b = tf.variable(tf.zeros([4]));
    const loss = () => tf.sum(tf.square(conv2dBias(x, w as unknown as tf.Tensor4D, b as unknown as tf.Tensor1D, 1, 'same'))) as tf.Scalar;
    await expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(loss, [w, b]);
      expect(Object.keys(grads).sort()).toEqual([w.name, b.name].sort());
      tf.dispose([value, ...Object.values(grads)]);
    }, 'variableGrads through conv2dBias');
    if (backend === 'tensorflow') {
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(loss, [w]);
        tf.dispose([value, ...Object.values(grads)]);
      });
      const names = info.kernels.map((k) => k.name);
      expect(names).toContain('Conv2DBackpropFilter');
      expect(names).not.toContain('Conv2DBackpropInput');
    }
    tf.dispose([x, w, b]);
  });

  if (backend === 'tensorflow') {
    it('Conv2d layer (3×3, 64 → 64, SN, 4×32×32, linear and relu): loss and weight/bias gradients equal with the MatMul filter gradient on and off; no leaks', async () => {
      const run = async (on: boolean) => {
        setMatMulFilterGradient(on);
        const layer = new Conv2d('c', 64, 64, { kernelSize: 3, stride: 1, padding: 1 }, true, { spectralNorm: true, init: 'ortho', rng: new SeededRandom(11) });
        const x = tf.randomNormal([4, 32, 32, 64], 0, 1, 'float32', 12) as tf.Tensor4D;
        let result: { value: number; grads: number[][] } = { value: 0, grads: [] };
        await expectNoTensorLeak(() => {
          const out = tf.variableGrads(() => {
            const ctx = forwardContext({ training: true });
            const h = layer.apply(x, ctx, 'relu');
            return tf.sum(tf.square(layer.apply(h, ctx, 'linear'))) as tf.Scalar;
          });
          result = { value: out.value.dataSync()[0], grads: Object.values(out.grads).map((g) => Array.from(g.dataSync())) };
          tf.dispose([out.value, ...Object.values(out.grads)]);
        }, `Conv2d training step (MatMul filter gradient ${on})`);
        tf.dispose(x);
        layer.dispose();
        return result;
      };
      const off = await run(false);
      const on = await run(true);
      expect(on.value).toBeAllclose(off.value, { rtol: 1e-5 });
      expect(on.grads.length).toBe(off.grads.length);
      // Float summation order differs: compare relative to each gradient's scale.
      on.grads.forEach((g, i) => {
        const scale = Math.max(...off.grads[i].map(Math.abs));
        expect(g).toBeAllclose(off.grads[i], { rtol: 1e-4, atol: 1e-5 * scale });
      });
    });
  }
});
