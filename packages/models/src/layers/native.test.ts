import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { afterEach, expect, it } from 'vitest';
import { SeededRandom } from '../random.js';
import { BatchNorm2d, BigGANConditionalBatchNorm2d, ConditionalBatchNorm2d } from './batch-norm.js';
import { forwardContext } from './context.js';
import { conv2dBiasRelu, nativeKernelsActive, relu, setNativeKernels } from './native.js';
import { activation } from './ops.js';
import { Conv2d } from './weight-layers.js';

/**
 * The native training kernels (tfjs-node's 'tensorflow' backend) against the portable tfjs path they
 * replace: forward values, every input gradient, running statistics, no leaked tensors. On 'cpu' the
 * same calls must take the portable path (nativeKernelsActive() false) and give identical results.
 */

/** Runs `f` with the native kernels off (portable path) and on, returning both results as arrays. */
function bothPaths<T>(f: () => T): { portable: T; native: T } {
  setNativeKernels(false);
  try {
    const portable = f();
    setNativeKernels(true);
    const native = f();
    return { portable, native };
  } finally {
    setNativeKernels(true);
  }
}

/** Values and gradients of `loss` with respect to `inputs`, as plain arrays. */
function valueAndGrads(loss: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): { value: number[]; grads: number[][] } {
  return tf.tidy(() => {
    const value = Array.from(loss(...inputs).dataSync());
    const g = tf.grads((...xs: tf.Tensor[]) => {
      const y = loss(...xs);
      return tf.sum(tf.mul(y, tf.reshape(tf.linspace(0.5, 1.5, y.size), y.shape))) as tf.Scalar;
    })(inputs);
    return { value, grads: g.map((t) => Array.from(t.dataSync())) };
  });
}

describeBackends('native training kernels', (backend) => {
  afterEach(() => setNativeKernels(true));

  it(backend === 'tensorflow' ? 'are active on tfjs-node, off after setNativeKernels(false)' : 'stay off on this backend', () => {
    expect(nativeKernelsActive()).toBe(backend === 'tensorflow');
    setNativeKernels(false);
    expect(nativeKernelsActive()).toBe(false);
  });

  it('relu: values and gradient equal tf.relu', () => {
    const x = tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 1);
    const { portable, native } = bothPaths(() => valueAndGrads((t) => activation(t, 'ReLU'), [x]));
    expect(native.value).toEqual(portable.value);
    expect(native.grads[0]).toEqual(portable.grads[0]);
    const reference = valueAndGrads((t) => tf.relu(t), [x]);
    expect(native.grads[0]).toEqual(reference.grads[0]);
    expect(tf.tidy(() => relu(tf.scalar(-2)).dataSync()[0])).toBe(0);
    x.dispose();
  });

  for (const [stride, pad] of [[1, 'same'], [2, 'same'], [2, 'valid'], [1, 'valid']] as const) {
    it(`conv2d + bias + relu (stride ${stride}, ${pad}): values and the gradients of x, filter and bias equal the unfused ops`, () => {
      const x = tf.randomNormal([3, 8, 8, 4], 0, 1, 'float32', 2);
      const w = tf.randomNormal([4, 4, 4, 6], 0, 0.3, 'float32', 3);
      const b = tf.randomNormal([6], 0, 0.2, 'float32', 4);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => conv2dBiasRelu(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D, stride, pad);
      const { portable, native } = bothPaths(() => valueAndGrads(f, [x, w, b]));
      const reference = valueAndGrads((xx, ww, bb) => tf.relu(tf.add(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, stride, pad), bb)), [x, w, b]);
      for (const result of [portable, native]) {
        expect(result.value).toBeAllclose(reference.value, { rtol: 1e-5, atol: 1e-6 });
        result.grads.forEach((g, i) => expect(g).toBeAllclose(reference.grads[i], { rtol: 1e-4, atol: 1e-5 }));
      }
      tf.dispose([x, w, b]);
    });
  }

  it('conv2d + bias + relu: a gradient for one input only (the others not needed) and no leaks', async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 5);
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.3, 'float32', 6));
    const b = tf.variable(tf.zeros([4]));
    const layerLike = () => tf.sum(conv2dBiasRelu(x as tf.Tensor4D, w as unknown as tf.Tensor4D, b as unknown as tf.Tensor1D, 1, 'same')) as tf.Scalar;
    await expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(layerLike, [w]);
      expect(Object.keys(grads)).toEqual([w.name]);
      tf.dispose([value, ...Object.values(grads)]);
    }, 'variableGrads through conv2dBiasRelu');
    await expectNoTensorLeak(() => tf.dispose(tf.grad((xx: tf.Tensor) => tf.sum(conv2dBiasRelu(xx as tf.Tensor4D, w as unknown as tf.Tensor4D, b as unknown as tf.Tensor1D, 1, 'same')))(x)), 'tf.grad of x');
    tf.dispose([x, w, b]);
  });

  it('Conv2d layer with relu and SN: same output and weight gradients with and without the native kernels', () => {
    const run = () => {
      const layer = new Conv2d('c', 3, 5, { kernelSize: 4, stride: 2, padding: 1 }, true, { spectralNorm: true, init: 'ortho', rng: new SeededRandom(3) });
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
      const out = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x, forwardContext({ training: true }), 'relu'))) as tf.Scalar);
      const result = { value: out.value.dataSync()[0], grads: Object.values(out.grads).map((g) => Array.from(g.dataSync())), u: Array.from(layer.u!.dataSync()) };
      tf.dispose([x, out.value, ...Object.values(out.grads)]);
      layer.dispose();
      return result;
    };
    const { portable, native } = bothPaths(run);
    expect(native.value).toBeAllclose(portable.value, { rtol: 1e-5 });
    // The native spectral-norm kernel normalises as x/‖x‖ with its own summation order: u (a unit vector from
    // dot products of K = 4·4·3 = 48 terms) agrees up to float32 rounding, |Δ| ≤ 4·K·2⁻²⁴ per component.
    expect(native.u).toBeAllclose(portable.u, { atol: 4 * 48 * 2 ** -24, rtol: 0 });
    native.grads.forEach((g, i) => expect(g).toBeAllclose(portable.grads[i], { rtol: 1e-4, atol: 1e-6 }));
  });

  for (const affine of [true, false]) {
    it(`BatchNorm2d (affine ${affine}), training: output, input/γ/β gradients, running statistics and counter equal the portable path`, () => {
      const run = () => {
        const bn = new BatchNorm2d('bn', 5, { affine });
        if (affine) {
          bn.gamma!.assign(tf.randomNormal([5], 1, 0.2, 'float32', 8));
          bn.beta!.assign(tf.randomNormal([5], 0, 0.2, 'float32', 9));
        }
        const x = tf.randomNormal([4, 3, 3, 5], 1, 2, 'float32', 10) as tf.Tensor4D;
        const weights = tf.reshape(tf.linspace(-1, 1, x.size), x.shape);
        const vars = affine ? [bn.gamma!, bn.beta!] : [];
        const ctx = forwardContext({ training: true });
        const f = () => tf.sum(tf.mul(bn.apply(x, ctx), weights)) as tf.Scalar;
        const { value, grads } = vars.length ? tf.variableGrads(f, vars) : { value: f(), grads: {} as tf.NamedTensorMap };
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(bn.apply(xx as tf.Tensor4D, forwardContext({ training: true, updateStatistics: false })), weights)))(x);
        const out = tf.tidy(() => bn.apply(x, forwardContext({ training: true, updateStatistics: false })));
        const result = {
          out: Array.from(out.dataSync()),
          value: value.dataSync()[0],
          dx: Array.from(dx.dataSync()),
          grads: vars.map((v) => Array.from(grads[v.name].dataSync())),
          mean: Array.from(bn.runningMean.dataSync()),
          var: Array.from(bn.runningVar.dataSync()),
          count: bn.numBatchesTracked.dataSync()[0],
        };
        tf.dispose([x, weights, value, dx, out, ...Object.values(grads)]);
        bn.dispose();
        return result;
      };
      const { portable, native } = bothPaths(run);
      expect(native.out).toBeAllclose(portable.out, { rtol: 1e-4, atol: 1e-5 });
      expect(native.dx).toBeAllclose(portable.dx, { rtol: 1e-3, atol: 1e-5 });
      native.grads.forEach((g, i) => expect(g).toBeAllclose(portable.grads[i], { rtol: 1e-4, atol: 1e-5 }));
      expect(native.mean).toBeAllclose(portable.mean, { rtol: 1e-5, atol: 1e-6 });
      expect(native.var).toBeAllclose(portable.var, { rtol: 1e-5, atol: 1e-6 });
      expect(native.count).toBe(1);
      expect(portable.count).toBe(1);
    });
  }

  it('conditional BN (class tables and BigGAN linears), training: output and every gradient equal the portable path; no leaks', async () => {
    const run = async () => {
      const cbn = new ConditionalBatchNorm2d('cbn', 4, 6, { init: 'N02', rng: new SeededRandom(4) });
      const big = new BigGANConditionalBatchNorm2d('big', 3, 6, { init: 'N02', rng: new SeededRandom(5) });
      const x = tf.randomNormal([5, 4, 4, 6], -1, 2, 'float32', 11) as tf.Tensor4D;
      const labels = tf.tensor1d([0, 3, 1, 3, 2], 'int32');
      const affine = tf.randomNormal([5, 3], 0, 1, 'float32', 12) as tf.Tensor2D;
      const ctx = forwardContext({ training: true });
      const loss = (xx: tf.Tensor4D) => tf.add(tf.sum(tf.square(cbn.apply(xx, labels, ctx))), tf.sum(tf.sin(big.apply(xx, affine, ctx)))) as tf.Scalar;
      let result: Record<string, number[]> = {};
      await expectNoTensorLeak(() => {
        const params = [...cbn.namedParameters(), ...big.namedParameters()];
        const { value, grads } = tf.variableGrads(() => loss(x), params.map(([, v]) => v));
        const dx = tf.grad((xx: tf.Tensor) => loss(xx as tf.Tensor4D))(x);
        result = Object.fromEntries([
          ['value', [value.dataSync()[0]]],
          ['dx', Array.from(dx.dataSync())],
          ...params.map(([name, v]) => [name, Array.from(grads[v.name].dataSync())]),
          ['mean', Array.from(cbn.bn.runningMean.dataSync())],
          ['var', Array.from(big.bn.runningVar.dataSync())],
        ]);
        tf.dispose([value, dx, ...Object.values(grads)]);
      }, 'conditional BN training step');
      tf.dispose([x, labels, affine]);
      cbn.dispose();
      big.dispose();
      return result;
    };
    setNativeKernels(false);
    const portable = await run();
    setNativeKernels(true);
    const native = await run();
    expect(Object.keys(native).length).toBe(Object.keys(portable).length);
    const pv = Object.values(portable);
    Object.values(native).forEach((v, i) => expect(v).toBeAllclose(pv[i], { rtol: 1e-3, atol: 1e-5 }));
  });
});
