import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, nativeInstalled } from '@reacgan/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDiscriminator, createGenerator } from './create.js';
import { variableGrads } from './gradients.js';
import type { Discriminator, Generator } from './networks.js';

// variableGrads walks the same tape with the same gradient kernels as tf.variableGrads, only freeing earlier: the
// gradients must be bit-identical, the peak smaller, and nothing may leak.
describeBackends(
  'variableGrads (frees saved tensors and intermediate gradients during backprop)',
  () => {
    // 8 px big_resnet with SN, attention, cBN (shared embedding + hierarchical z), D2D-CE-shaped head.
    const config = {
      backbone: 'big_resnet', gCondMtd: 'cBN', dCondMtd: 'D2DCE', dEmbedDim: 8, normalizeDEmbed: true, zDim: 8, gSharedDim: 8,
      gConvDim: 8, dConvDim: 8, applyGSn: true, applyDSn: true, applyAttn: true, attnGLoc: [1], attnDLoc: [1],
    } as const;
    const data = { imgSize: 8, imgChannels: 3, numClasses: 3 };
    let G: Generator;
    let D: Discriminator;
    let realX: tf.Tensor4D;
    let z: tf.Tensor2D;
    let labels: tf.Tensor1D;
    beforeAll(() => {
      G = createGenerator(config, { ...data, seed: 7 });
      D = createDiscriminator(config, { ...data, seed: 8 });
      realX = tf.randomUniform([4, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
      z = tf.randomNormal([4, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
      labels = tf.tensor1d([0, 2, 1, 2], 'int32');
    });
    afterAll(() => {
      tf.dispose([realX, z, labels]);
      G.dispose();
      D.dispose();
    });
    // StudioGAN's D update shape: two D passes, hinge on both, D2D-CE-like term on the reals; G's forward inside.
    const dLoss = () => {
      const fake = G.apply(z, labels, { training: true, updateStatistics: false });
      const real = D.apply(realX, labels, { training: true });
      const out = D.apply(fake, labels, { training: true });
      return tf.addN([
        tf.mean(tf.relu(tf.sub(1, real.advOutput))),
        tf.mean(tf.relu(tf.add(1, out.advOutput))),
        tf.mean(tf.sum(tf.mul(real.embed!, real.proxy!), 1)),
      ]) as tf.Scalar;
    };
    const vars = () => [...D.trainableVariables(), ...G.trainableVariables()];

    const snapshot = (r: { value: tf.Scalar; grads: tf.NamedTensorMap }) => {
      const out = { value: r.value.dataSync()[0], grads: Object.fromEntries(Object.entries(r.grads).map(([k, g]) => [k, Array.from(g.dataSync())])) };
      tf.dispose([r.value, ...Object.values(r.grads)]);
      return out;
    };

    it('gives bit-identical values and gradients to tf.variableGrads for every variable (D and G through two D passes)', () => {
      // A training pass moves SN's u vectors and BN statistics: both calls start from the same state.
      const state = [...D.stateDict('D.'), ...G.stateDict('G.')].map(([, v]) => [v, tf.clone(v)] as const);
      const start = tf.memory().numTensors;
      const reference = snapshot(tf.variableGrads(dLoss, vars()));
      for (const [v, value] of state) v.assign(value);
      const ours = snapshot(variableGrads(dLoss, vars()));
      expect(tf.memory().numTensors).toBe(start);
      expect(Object.keys(ours.grads).sort()).toEqual(Object.keys(reference.grads).sort());
      expect(Object.keys(ours.grads).length).toBe(vars().length);
      expect(ours.value).toBe(reference.value);
      for (const [name, g] of Object.entries(reference.grads)) expect(ours.grads[name], name).toEqual(g);
      tf.dispose(state.map(([, value]) => value));
    });

    it('peaks at most 75 % of the bytes tf.variableGrads holds, and leaves no tensor behind', async () => {
      const peak = async (f: () => { value: tf.Scalar; grads: tf.NamedTensorMap }) => {
        const info = await tf.profile(() => {
          const r = f();
          tf.dispose([r.value, ...Object.values(r.grads)]);
        });
        return info.peakBytes;
      };
      const start = tf.memory().numTensors;
      const reference = await peak(() => tf.variableGrads(dLoss, vars()));
      const ours = await peak(() => variableGrads(dLoss, vars()));
      expect(tf.memory().numTensors).toBe(start);
      expect(ours, `peak bytes: variableGrads ${ours}, tf.variableGrads ${reference}`).toBeLessThan(0.75 * reference);
    });

    it('frees correctly when a gradient kernel hands back its dy itself (one tensor, the gradient of several inputs)', () => {
      const w = tf.variable(tf.tensor1d([0.5, -1.5, 2]), true, 'gradients-test/w');
      const passThrough = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
        save([]);
        return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => [dy] };
      }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
      const f = () => {
        const a = passThrough(tf.mul(w, 3));
        const b = passThrough(a); // dy of b is handed to a, then to mul's output
        return tf.sum(tf.add(tf.mul(b, b), tf.mul(a, w))) as tf.Scalar;
      };
      const start = tf.memory().numTensors;
      const reference = snapshot(tf.variableGrads(f, [w]));
      const ours = snapshot(variableGrads(f, [w]));
      expect(tf.memory().numTensors).toBe(start);
      expect(ours).toEqual(reference);
      // d/dw [ (3w)^2 + 3w·w ] = 18w + 6w = 24w
      expect(ours.grads[w.name]).toEqual([12, -36, 48]);
      w.dispose();
    });

    it('inside another gradient (second order) it is tf.variableGrads: the outer gradient still sees the inner one', () => {
      const w = tf.variable(tf.tensor1d([0.5, -1.5, 2]), true, 'gradients-test/w2');
      const x = tf.tensor1d([1, 2, 3]);
      // d/dx of ||∂/∂w sum(w·x)^2|| ... keep it simple: outer = sum((∂/∂w sum(w²·x))²) = sum((2wx)²); ∂/∂x = 8w²x
      const outer = (inner: typeof variableGrads) =>
        tf.grad((xx: tf.Tensor) => {
          const { value, grads } = inner(() => tf.sum(tf.mul(tf.square(w), xx)) as tf.Scalar, [w]);
          value.dispose();
          return tf.sum(tf.square(grads[w.name]));
        })(x);
      const ours = outer(variableGrads);
      const reference = outer(tf.variableGrads);
      expect(Array.from(ours.dataSync())).toEqual(Array.from(reference.dataSync()));
      expect(Array.from(ours.dataSync())).toEqual([2, 36, 96]);
      tf.dispose([ours, reference, x, w]);
    });

    it('names the problem when f returns a non-scalar or no variable reaches f', () => {
      const w = tf.variable(tf.tensor1d([1, 2]), true, 'gradients-test/w3');
      const other = tf.variable(tf.scalar(1), true, 'gradients-test/other');
      const start = tf.memory().numTensors;
      expect(() => variableGrads(() => tf.mul(w, 2) as unknown as tf.Scalar, [w])).toThrow(/expected f to return a scalar tensor, received shape \[2\]/);
      expect(() => variableGrads(() => tf.sum(tf.mul(w, 2)) as tf.Scalar, [other])).toThrow(/none of the variables in varList reaches/);
      expect(() => variableGrads(() => tf.sum(w) as tf.Scalar, [])).toThrow(/at least one trainable variable/);
      expect(() => variableGrads('loss' as unknown as () => tf.Scalar, [w])).toThrow(/f: expected a function returning a scalar, received string/);
      expect(() => variableGrads(() => tf.sum(w) as tf.Scalar, w as unknown as tf.Variable[])).toThrow(/varList: expected an array of tf\.Variable, received object/);
      const plain = tf.scalar(1);
      expect(() => variableGrads(() => tf.sum(w) as tf.Scalar, [plain] as unknown as tf.Variable[])).toThrow(/varList: expected an array of tf\.Variable, received an array holding other values/);
      plain.dispose();
      expect(tf.memory().numTensors).toBe(start);
      tf.dispose([w, other]);
    });
  },
  nativeInstalled() ? ['cpu', 'tensorflow'] : ['cpu'],
);
