/**
 * The prototype accelerations must not change results: each is compared with the unpatched tfjs /
 * @reacgan/models computation on small shapes, on the native backend. They patch tfjs-node's kernels, so
 * where the native backend did not install (the install says why; wasm and cpu remain) the suites are
 * skipped, and their titles say so.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import * as models from '@reacgan/models';

const native = nativeInstalled();
const skipNote = native ? '' : ' [skipped: the native tensorflow backend is not installed here, see `pnpm backend`]';

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const scale = (a: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);

Error.stackTraceLimit = 60;
beforeAll(async () => {
  if (!native) return;
  expect(await loadNativeBackend()).toBe(true);
  await tf.setBackend('tensorflow');
});

describe.skipIf(!native)(`prototype accelerations (native backend)${skipNote}`, () => {
  it('Tile and Relu gradients equal tfjs-core’s', async () => {
    const x = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 1);
    const w = tf.randomNormal([12, 3, 2, 5], 0, 1, 'float32', 3);
    const w2 = tf.randomNormal([6, 64], 0, 1, 'float32', 4);
    const dy = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 2);
    const f1 = (a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), dy));
    const f2 = (a: tf.Tensor) => tf.sum(tf.mul(tf.broadcastTo(tf.reshape(a, [12, 3, 1, 5]), [12, 3, 2, 5]), w));
    const f3 = (a: tf.Tensor) => tf.sum(tf.mul(tf.where(tf.greater(w2, 0), w2, tf.reshape(tf.slice(tf.reshape(a, [-1]), 0, 6), [6, 1])), w2));
    const before = [tf.grad(f1)(x), tf.grad(f2)(x), tf.grad(f3)(x)];
    const { installFastGradients } = await import('../src/accel/native-gradients.js');
    installFastGradients();
    const after = [tf.grad(f1)(x), tf.grad(f2)(x), tf.grad(f3)(x)];
    for (let i = 0; i < 3; i++) expect(maxAbs(before[i], after[i])).toBeLessThan(1e-5);
  });

  it('native training batch norm equals the composite (values, statistics, gradients wrt x, scale, offset)', async () => {
    const { batchNormTrain, registerNativeBatchNormKernels } = await import('../src/accel/native-batch-norm.js');
    const x = tf.randomNormal([4, 3, 3, 6], 0.5, 2, 'float32', 5);
    const s = tf.randomNormal([6], 1, 0.1, 'float32', 6) as tf.Tensor1D;
    const o = tf.randomNormal([6], 0, 0.1, 'float32', 7) as tf.Tensor1D;
    const dy = tf.randomNormal([4, 3, 3, 6], 0, 1, 'float32', 8);
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor1D, 1e-4).y, dy));
    const ref = batchNormTrain(x as tf.Tensor4D, s, o, 1e-4); // composite path (kernels not registered yet)
    const refGrads = tf.grads(loss)([x, s, o]);
    registerNativeBatchNormKernels();
    const nat = batchNormTrain(x as tf.Tensor4D, s, o, 1e-4);
    const natGrads = tf.grads(loss)([x, s, o]);
    expect(maxAbs(ref.y, nat.y)).toBeLessThan(1e-5);
    expect(maxAbs(ref.mean, nat.mean)).toBeLessThan(1e-6);
    expect(maxAbs(ref.unbiasedVariance, nat.unbiasedVariance)).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) expect(maxAbs(refGrads[i], natGrads[i])).toBeLessThan(1e-4 * Math.max(1, scale(refGrads[i])));
  });

  it('fused conv + bias + relu and the matMul deconv spectral norm leave a D/G step unchanged', async () => {
    const config = { backbone: 'deep_conv', gCondMtd: 'cBN', dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 8, applyGSn: true, applyDSn: true, zDim: 8, gConvDim: 4, dConvDim: 4 } as const;
    const data = { imgSize: 32, imgChannels: 3, numClasses: 3, seed: 11 };
    const run = () => {
      const G = models.createGenerator(config, data);
      const D = models.createDiscriminator(config, data);
      const z = tf.randomNormal([4, 8], 0, 1, 'float32', 12) as tf.Tensor2D;
      const y = tf.tensor1d([0, 1, 2, 1], 'int32');
      const { value, grads } = tf.variableGrads(() => tf.sum(D.apply(G.apply(z, y, { training: true }), y, { training: true }).advOutput) as tf.Scalar);
      const names = [...G.namedParameters()].map(([n, v]) => [n, grads[v.name]] as const);
      const u = [...G.namedBuffers()].filter(([n]) => n.endsWith('weight_u')).map(([n, b]) => [n, tf.clone(b)] as const);
      return { value, names, u, dispose: () => (G.dispose(), D.dispose()) };
    };
    const a = run();
    const patch = await import('../src/accel/patch-models.js');
    const { installFastGradients } = await import('../src/accel/native-gradients.js');
    installFastGradients();
    await patch.patchModelsFusedConv(models);
    patch.patchModelsDeconvSpectralNorm(models);
    const b = run();
    expect(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0])).toBeLessThan(1e-4 * Math.max(1, Math.abs(a.value.dataSync()[0])));
    for (let i = 0; i < a.names.length; i++) {
      const [name, ga] = a.names[i];
      const gb = b.names[i][1];
      expect(ga, name).toBeDefined();
      expect(maxAbs(ga, gb), name).toBeLessThan(2e-4 * Math.max(1, scale(ga)));
    }
    for (let i = 0; i < a.u.length; i++) expect(maxAbs(a.u[i][1], b.u[i][1]), a.u[i][0]).toBeLessThan(1e-5);
    a.dispose();
    b.dispose();
  });
});

describe.skipIf(!native)(`matMul filter gradient (native backend)${skipNote}`, () => {
  it('equals Conv2DBackpropFilter, and leaves the inputs alive', async () => {
    await tf.setBackend('tensorflow');
    const { installMatMulFilterGradient, useMatMulFilterGradient } = await import('../src/accel/filter-grad.js');
    const x = tf.randomNormal([2, 64, 64, 64], 0, 1, 'float32', 21) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 64, 64, 96], 0, 1, 'float32', 22) as tf.Tensor4D;
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape: [3, 3, 64, 96] };
    expect(useMatMulFilterGradient(x.shape, dy.shape, attrs as never)).toBe(true);
    const ref = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
    installMatMulFilterGradient();
    const before = tf.memory().numTensors;
    const got = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(maxAbs(ref, got)).toBeLessThan(1e-5 * scale(ref));
    expect(x.isDisposed || dy.isDisposed).toBe(false);
    expect(scale(x)).toBeGreaterThan(0);
    // Through tf.grad of a convolution too.
    const w = tf.randomNormal([3, 3, 64, 96], 0, 0.1, 'float32', 23);
    const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(w);
    expect(maxAbs(g, ref)).toBeLessThan(1e-5 * scale(ref));
  });
});
