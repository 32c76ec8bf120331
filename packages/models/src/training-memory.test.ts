import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, nativeInstalled } from '@reacgan/testkit';
import { expect, it } from 'vitest';
import { collectStateDicts, encodeCheckpoint } from './checkpoint.js';
import { createDiscriminator, createGenerator } from './create.js';
import { GeneratorEma } from './ema.js';

// C24: a tiny ReACGAN training loop (SN, cBN with shared embedding and hierarchical z, attention,
// D2D-CE-shaped head, hinge, Adam, EMA, a checkpoint encode) keeps tf.memory() exactly flat.
// Conv gradients on the pure-JS cpu backend take seconds per step even at 16 px (its
// Conv2DBackpropFilter, docs/environment.md): the training loop runs on the native backend, and
// only a short loop on cpu where the native backend is not installed.
const TRAIN_BACKENDS = nativeInstalled() ? ['tensorflow'] : ['cpu'];
const STEPS = nativeInstalled() ? 50 : 4;

describeBackends(
  'networks: training loop memory',
  () => {
    it(`no tensor growth over ${STEPS} train steps (D and G forward/backward, Adam, EMA, checkpoint encode)`, async () => {
      const start = tf.memory().numTensors;
      // 8 px keeps each step short; SN, cBN (shared embedding + hierarchical z), attention in G and D.
      const config = {
        backbone: 'big_resnet', gCondMtd: 'cBN', dCondMtd: 'D2DCE', dEmbedDim: 8, normalizeDEmbed: true, zDim: 8, gSharedDim: 8,
        gConvDim: 8, dConvDim: 8, applyGSn: true, applyDSn: true, applyAttn: true, attnGLoc: [1], attnDLoc: [1],
      } as const;
      const data = { imgSize: 8, imgChannels: 3, numClasses: 3, seed: 7 };
      const G = createGenerator(config, data);
      const D = createDiscriminator(config, { ...data, seed: 8 });
      const ema = new GeneratorEma(G, { decay: 0.999, startStep: 2 });
      const gVars = G.trainableVariables();
      const dVars = D.trainableVariables();
      const optimizerG = tf.train.adam(1e-4, 0.5, 0.999, 1e-6);
      const optimizerD = tf.train.adam(1e-4, 0.5, 0.999, 1e-6);
      const realX = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
      const z = tf.randomNormal([2, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
      const labels = tf.tensor1d([0, 2], 'int32');
      const step = (i: number): number => {
        const dLoss = optimizerD.minimize(() => {
          const fake = G.apply(z, labels, { training: true, updateStatistics: false });
          const real = D.apply(realX, labels, { training: true });
          const out = D.apply(fake, labels, { training: true });
          return tf.add(tf.mean(tf.relu(tf.sub(1, real.advOutput))), tf.mean(tf.relu(tf.add(1, out.advOutput)))) as tf.Scalar;
        }, true, dVars)!;
        const gLoss = optimizerG.minimize(() => {
          const out = D.apply(G.apply(z, labels, { training: true }), labels, { training: true });
          return tf.add(tf.neg(tf.mean(out.advOutput)), tf.mean(tf.sum(tf.mul(out.embed!, out.proxy!), 1))) as tf.Scalar;
        }, true, gVars)!;
        ema.update(i);
        const value = dLoss.dataSync()[0] + gLoss.dataSync()[0];
        tf.dispose([dLoss, gLoss]);
        if (i === 25) encodeCheckpoint({ tensors: collectStateDicts({ G, D, G_ema: ema.generator }), json: { step: i } });
        return value;
      };
      for (let i = 0; i < 3; i++) step(i);
      const counts: number[] = [];
      const bytes: number[] = [];
      const reference = tf.memory().numTensors;
      for (let i = 3; i < 3 + STEPS; i++) {
        expect(Number.isFinite(step(i))).toBe(true);
        counts.push(tf.memory().numTensors);
        bytes.push(tf.memory().numBytes);
      }
      expect(counts.every((c) => c === reference)).toBe(true);
      expect(bytes.every((b) => b === bytes[0])).toBe(true);
      tf.dispose([realX, z, labels]);
      optimizerG.dispose();
      optimizerD.dispose();
      ema.dispose();
      G.dispose();
      D.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });

  },
  TRAIN_BACKENDS,
);
