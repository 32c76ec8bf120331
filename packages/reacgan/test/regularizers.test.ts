// Golden values from StudioGAN's own functions (scripts/make_regularizer_golden.py: master 947b35e lecam_reg,
// LeCamEMA, cal_r1_reg, cal_grad_penalty; MSELoss = worker.l2_loss), float64 references of float32 inputs.
// Error model: each reference quantity is a float32 computation of depth ≤ ~30 operations (the R1 / GP gradients
// go forward, backward and backward again through 5 layers), whose rounding error is bounded by
// k·2^-24·(magnitude) with k ≤ 64 here; StudioGAN's own float32 run is within `gap*` of the reference (≤ 5e-7).
// Tolerance: atol = 64·2^-24·scale (scale = the largest magnitude of the compared quantity), rtol 0.
import * as losses from '@reacgan/losses';
import * as models from '@reacgan/models';
import { checkGradient, describeBackends, loadFixture } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { conditioningMethod } from '../src/train/step/methods.js';
import { createLossTerms } from '../src/train/step/registry.js';
import type { DiscriminatorContext, DiscriminatorTerm } from '../src/train/step/terms.js';
import { tinyConfig } from './helpers.js';

interface Golden {
  provenance: Record<string, string>;
  consistency: { a: number[]; b: number[]; shape: number[]; value: number; gradA: number[]; gap: number }[];
  lecam: {
    decay: number;
    startIter: number;
    init: number;
    steps: { step: number; real: number[]; fake: number[]; emaReal: number; emaFake: number; value: number | null; gradReal?: number[]; gradFake?: number[] }[];
  };
  tinyDiscriminator: {
    weights: Record<string, { shape: number[]; values: number[] }>;
    real: number[];
    fake: number[];
    shape: [number, number, number, number];
    alpha: number[];
    r1: { value: number; grads: Record<string, number[]>; scaleGrads: number };
    gp: { value: number; grads: Record<string, number[]>; scaleGrads: number };
  };
}

const golden = loadFixture<Golden>(import.meta.url, '__fixtures__/regularizer-golden.json');
const atol = (scale: number) => 64 * 2 ** -24 * Math.max(1, scale);

/** The fixture's tiny discriminator with this package's kernels (native ones on the 'tensorflow' backend). */
function tinyDiscriminator(w: Record<string, tf.Variable>) {
  return (x: tf.Tensor4D): tf.Tensor1D => {
    let h = models.conv2dBiasRelu(x, w['conv.weight'] as tf.Tensor4D, w['conv.bias'] as tf.Tensor1D, 1, 'same');
    h = models.maxPool2x(h);
    const attention = tf.softmax(models.conv2dBias(h, w['attn.weight'] as tf.Tensor4D, null, 1, 'valid'), 3);
    h = models.relu(models.averagePool2x(tf.mul(h, attention) as tf.Tensor4D));
    const pooled = tf.sum(h, [1, 2]) as tf.Tensor2D;
    return tf.reshape(tf.add(tf.matMul(pooled, w['linear.weight'] as tf.Tensor2D), w['linear.bias']), [-1]) as tf.Tensor1D;
  };
}

describeBackends('regulariser terms equal StudioGAN (golden values)', () => {
  it(`the fixture comes from StudioGAN's own functions (${golden.provenance.reference.slice(0, 60)}…)`, () => {
    expect(golden.provenance.reference).toMatch(/947b35e.*lecam_reg, cal_r1_reg, cal_grad_penalty/);
  });

  it('consistency (CR / bCR / zCR): MSELoss value and gradient', () => {
    for (const c of golden.consistency) {
      const a = tf.tensor(c.a, c.shape);
      const b = tf.tensor(c.b, c.shape);
      expect(losses.consistencyLoss(a, b)).toBeAllclose(c.value, { atol: atol(c.value), rtol: 0 });
      expect(tf.grad((t: tf.Tensor) => losses.consistencyLoss(t, b))(a)).toBeAllclose(c.gradA, { atol: atol(1), rtol: 0 });
      tf.dispose([a, b]);
    }
  });

  it('LeCam: the term updates its moving averages and applies lecam_reg after lecamEmaStartIter, as master worker.py', () => {
    const { decay, startIter } = golden.lecam;
    const config = tinyConfig({ loss: { applyLecam: true, lecamLambda: 0.3, lecamEmaStartIter: startIter, lecamEmaDecay: decay } });
    const [term] = createLossTerms(config, conditioningMethod('D2DCE')).filter((t): t is DiscriminatorTerm => t.name === 'lecam');
    expect(term.weight).toBe(0.3);
    expect([...term.state!.values()].map((v) => v.dataSync()[0])).toEqual([golden.lecam.init, golden.lecam.init]);
    for (const s of golden.lecam.steps) {
      const real = tf.tensor1d(s.real);
      const fake = tf.tensor1d(s.fake);
      const ctx = (r: tf.Tensor, f: tf.Tensor) => ({ step: s.step, real: { output: { advOutput: r } }, fake: { output: { advOutput: f } } }) as unknown as DiscriminatorContext;
      const value = term.value(ctx(real, fake));
      const [emaReal, emaFake] = [...term.state!.values()].map((v) => v.dataSync()[0]);
      expect(emaReal, `α_real after step ${s.step}`).toBeCloseTo(s.emaReal, 5);
      expect(emaFake, `α_fake after step ${s.step}`).toBeCloseTo(s.emaFake, 5);
      if (s.value === null) {
        expect(value, `step ${s.step} ≤ start`).toBeNull();
      } else {
        expect(value!).toBeAllclose(s.value, { atol: atol(s.value), rtol: 0 });
        // The gradient of the term's value with respect to D's outputs, the averages held (they carry none).
        const [gr, gf] = tf.grads((r: tf.Tensor, f: tf.Tensor) => losses.lecamRegularizer(r, f, term.state!.get('D_real') as unknown as tf.Scalar, term.state!.get('D_fake') as unknown as tf.Scalar))([real, fake]);
        expect(gr).toBeAllclose(s.gradReal!, { atol: atol(5), rtol: 0 });
        expect(gf).toBeAllclose(s.gradFake!, { atol: atol(5), rtol: 0 });
        tf.dispose([gr, gf, value!]);
      }
      tf.dispose([real, fake]);
    }
    for (const v of term.state!.values()) v.dispose();
  });

  for (const name of ['r1', 'gp'] as const) {
    it(`${name === 'r1' ? 'R1 (cal_r1_reg)' : 'WGAN-GP (cal_grad_penalty)'} through a tiny D with conv + ReLU, max pool, softmax, average pool: value and second-order weight gradients`, () => {
      models.installHigherOrderGradients();
      const t = golden.tinyDiscriminator;
      const weights = Object.fromEntries(Object.entries(t.weights).map(([k, v]) => [k, tf.variable(tf.tensor(v.values, v.shape), true, `tiny-${name}-${k}`)]));
      const D = tinyDiscriminator(weights);
      const real = tf.tensor4d(t.real, t.shape);
      const fake = tf.tensor4d(t.fake, t.shape);
      const penalty = (): tf.Scalar => {
        if (name === 'r1') {
          const { grads } = tf.engine().gradients(() => tf.sum(D(real)) as tf.Scalar, [real]);
          return losses.r1Penalty(grads[0]);
        }
        // The trainer's term with a context whose D pass is the tiny D and whose α are the fixture's.
        const config = tinyConfig({ loss: { advLoss: 'wasserstein', applyGp: true, gpLambda: 10 } });
        const [term] = createLossTerms(config, conditioningMethod('D2DCE')).filter((x): x is DiscriminatorTerm => x.name === 'gp');
        const ctx = {
          real: { images: real, labels: new Int32Array(t.shape[0]), labelTensor: tf.zeros([t.shape[0]], 'int32') },
          fake: { images: fake },
          random: { uniform: () => Float32Array.from(t.alpha) },
          discriminate: (x: tf.Tensor4D) => ({ advOutput: D(x) }),
        } as unknown as DiscriminatorContext;
        return term.value(ctx)!;
      };
      const { value, grads } = tf.variableGrads(penalty, Object.values(weights));
      const ref = t[name];
      expect(value).toBeAllclose(ref.value, { atol: atol(ref.value), rtol: 0 });
      for (const [key, v] of Object.entries(weights)) {
        const g = grads[v.name] ?? tf.zerosLike(v);
        expect(g, key).toBeAllclose(ref.grads[key], { atol: atol(ref.scaleGrads), rtol: 0 });
      }
      tf.dispose([value, ...Object.values(grads), real, fake, ...Object.values(weights)]);
    });
  }

  for (const name of ['r1', 'gp'] as const) {
    it(`${name === 'r1' ? 'R1' : 'GP'}: second-order weight gradients through every layer's backward pass match central finite differences`, () => {
      models.installHigherOrderGradients();
      const t = golden.tinyDiscriminator;
      const values = Object.fromEntries(Object.entries(t.weights).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
      const real = tf.tensor4d(t.real, t.shape);
      const fake = tf.tensor4d(t.fake, t.shape);
      const alpha = tf.tensor4d(t.alpha, [t.shape[0], 1, 1, 1]);
      // The penalty as a function of the output layer's weights: ∂D/∂x is linear in them and every ReLU / max-pool
      // choice upstream is independent of them, so the penalty is smooth there (R1 and GP are discontinuous in
      // weights that move a ReLU kink), while its gradient still runs back through every layer's backward pass.
      const penalty = (linear: tf.Tensor) => {
        const D = tinyDiscriminator({ ...values, 'linear.weight': linear } as unknown as Record<string, tf.Variable>);
        const x = name === 'r1' ? real : (tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)) as tf.Tensor4D);
        const { grads } = tf.engine().gradients(() => tf.sum(D(x)) as tf.Scalar, [x]);
        return name === 'r1' ? losses.r1Penalty(grads[0]) : losses.gradientPenalty(grads[0]);
      };
      const result = checkGradient(penalty, values['linear.weight'], { h: 1e-2 });
      // R1 is quadratic and GP smooth in these weights: central differences are exact up to float32 rounding,
      // 2^-24·|f|/h ≈ 1e-5 relative to the gradient's scale here.
      const scale = Math.max(...Array.from(result.numeric, Math.abs));
      expect(result.maxAbsError / scale).toBeLessThan(1e-3);
      tf.dispose([...Object.values(values), real, fake, alpha]);
    });
  }
});
