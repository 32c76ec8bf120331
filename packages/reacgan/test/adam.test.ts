import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Adam } from '../src/train/adam.js';

interface GoldenCase {
  name: string;
  options: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number };
  shape: number[];
  initial: number[];
  grads: number[][];
  final: number[];
  expAvg: number[];
  expAvgSq: number[];
}
const golden = JSON.parse(readFileSync(new URL('./__fixtures__/adam-golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };

function oneStep(g: number, epsilon: number): number {
  const v = tf.variable(tf.scalar(0));
  const adam = new Adam([['w', v]], { learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon });
  const grad = tf.scalar(g);
  adam.applyGradients({ w: grad });
  const out = v.dataSync()[0];
  grad.dispose();
  adam.dispose();
  v.dispose();
  return out;
}

/** The per-variable update as written before the flat buffers (reference for bit-exactness). */
function referenceAdam(variables: Map<string, tf.Variable>, o: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay?: number }) {
  const m = new Map([...variables].map(([k, v]) => [k, tf.variable(tf.zerosLike(v), false)]));
  const s = new Map([...variables].map(([k, v]) => [k, tf.variable(tf.zerosLike(v), false)]));
  const steps = new Map([...variables].map(([k]) => [k, 0]));
  return {
    apply(grads: Record<string, tf.Tensor>) {
      for (const [name, grad] of Object.entries(grads)) {
        const variable = variables.get(name)!;
        const t = steps.get(name)! + 1;
        steps.set(name, t);
        tf.tidy(() => {
          const g = o.weightDecay ? tf.add(grad, tf.mul(variable, o.weightDecay)) : grad;
          const newM = tf.add(tf.mul(m.get(name)!, o.beta1), tf.mul(g, 1 - o.beta1));
          const newV = tf.add(tf.mul(s.get(name)!, o.beta2), tf.mul(tf.square(g), 1 - o.beta2));
          m.get(name)!.assign(newM);
          s.get(name)!.assign(newV);
          const denom = tf.add(tf.div(tf.sqrt(newV), Math.sqrt(1 - o.beta2 ** t)), o.epsilon);
          variable.assign(tf.sub(variable, tf.mul(tf.div(newM, denom), o.learningRate / (1 - o.beta1 ** t))));
        });
      }
    },
    dispose() {
      tf.dispose([...m.values(), ...s.values()]);
    },
  };
}

describe('Adam (torch.optim.Adam semantics, C26)', () => {
  for (const [weightDecay, missing] of [[0, false], [0, true], [0.01, false], [0.01, true]] as const) {
    it(`flat buffers are bit-identical to per-variable updates (3 variables, 6 steps${missing ? ', one step with a missing gradient' : ''}, weight decay ${weightDecay})`, () => {
      const shapes = [[3, 3, 2, 4], [4], [5, 7]];
      const make = () => new Map(shapes.map((shape, i) => [`p${i}`, tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 10 + i))] as [string, tf.Variable]));
      const opts = { learningRate: 1e-3, beta1: 0.5, beta2: 0.99, epsilon: 1e-6, weightDecay };
      const flatVars = make();
      const refVars = make();
      const adam = new Adam(flatVars, opts);
      const ref = referenceAdam(refVars, opts);
      for (let step = 0; step < 6; step++) {
        const grads: Record<string, tf.Tensor> = {};
        shapes.forEach((shape, i) => {
          if (missing && step === 2 && i === 1) return; // p1 has no gradient in this step: its count falls behind
          grads[`p${i}`] = tf.randomNormal(shape, 0, 1 + step, 'float32', 100 * step + i);
        });
        adam.applyGradients(grads);
        ref.apply(grads);
        tf.dispose(Object.values(grads));
      }
      for (const [name, v] of flatVars) expect(Array.from(v.dataSync()), name).toEqual(Array.from(refVars.get(name)!.dataSync()));
      const state = adam.getState();
      expect(state.steps).toEqual({ p0: 6, p1: missing ? 5 : 6, p2: 6 });
      tf.dispose([...state.m.values(), ...state.v.values()]);
      adam.dispose();
      ref.dispose();
      tf.dispose([...flatVars.values(), ...refVars.values()]);
    });
  }

  it('first step −lr·g/(|g|+ε) with the ε given, never the backend default', () => {
    expect(oneStep(1e-6, 1e-6)).toBeAllclose(-1.0e-4, { rtol: 1e-5 });
    expect(oneStep(1e-6, 1e-8)).toBeAllclose(-1.9802e-4, { rtol: 1e-4 });
    expect(oneStep(1e-6, 1e-4)).toBeAllclose(-1.9802e-6, { rtol: 1e-4 });
  });

  it('honours β1 = 0.5, β2 = 0.999: after g = 1 then g = 0 the bias-corrected moments are 1/3 and 0.49975', () => {
    const v = tf.variable(tf.scalar(0));
    const adam = new Adam([['w', v]], { learningRate: 1e-3, beta1: 0.5, beta2: 0.999, epsilon: 1e-6 });
    for (const g of [1, 0]) {
      const grad = tf.scalar(g);
      adam.applyGradients({ w: grad });
      grad.dispose();
    }
    const state = adam.getState();
    expect(state.steps.w).toBe(2);
    expect(state.m.get('w')!.dataSync()[0] / (1 - 0.5 ** 2)).toBeAllclose(1 / 3, { rtol: 1e-6 });
    expect(state.v.get('w')!.dataSync()[0] / (1 - 0.999 ** 2)).toBeAllclose(0.49975, { rtol: 1e-5 });
    tf.dispose([...state.m.values(), ...state.v.values()]);
    adam.dispose();
    v.dispose();
  });

  // Error model: the references are torch.optim.Adam in float64 (made once, committed; not a float32 result of
  // another machine), and ours runs on the cpu backend, whose float32 arithmetic is the same on every machine.
  // Each step is a handful of correctly rounded elementwise float32 ops (a few ulp, ~1e-7 relative), so after
  // 5 steps parameters and moments agree to ~1e-6 relative: rtol 1e-5 (1e-4 for v, the square of gradients
  // that span four decades). A wrong bias correction, ε placement or β moves them by ≥ 1e-3 relative.
  for (const c of golden.cases) {
    it(`matches torch.optim.Adam over 5 steps (${c.name})`, () => {
      const v = tf.variable(tf.tensor(c.initial, c.shape));
      const adam = new Adam([['w', v]], c.options);
      for (const g of c.grads) {
        const grad = tf.tensor(g, c.shape);
        adam.applyGradients(new Map([['w', grad]]));
        grad.dispose();
      }
      expect(v).toBeAllclose(tf.tensor(c.final, c.shape), { rtol: 1e-5, atol: 1e-7 });
      const state = adam.getState();
      expect(state.m.get('w')!).toBeAllclose(tf.tensor(c.expAvg, c.shape), { rtol: 1e-5, atol: 1e-9 });
      expect(state.v.get('w')!).toBeAllclose(tf.tensor(c.expAvgSq, c.shape), { rtol: 1e-4, atol: 1e-12 });
      tf.dispose([...state.m.values(), ...state.v.values()]);
      adam.dispose();
      v.dispose();
    });
  }

  it('keeps one slot per variable: a variable without gradient keeps its moments and step; shapes never mix', () => {
    const a = tf.variable(tf.ones([2, 3]));
    const b = tf.variable(tf.ones([5]));
    const adam = new Adam([['a', a], ['b', b]], { learningRate: 0.1, beta1: 0.5, beta2: 0.999, epsilon: 1e-6 });
    const ga = tf.ones([2, 3]);
    const gb = tf.ones([5]);
    adam.applyGradients({ a: ga, b: gb });
    const bBefore = Array.from(b.dataSync());
    adam.applyGradients({ a: ga }); // b absent: unchanged, its step stays 1
    expect(Array.from(b.dataSync())).toEqual(bBefore);
    const state = adam.getState();
    expect(state.steps).toEqual({ a: 2, b: 1 });
    expect(state.m.get('a')!.shape).toEqual([2, 3]);
    expect(state.m.get('b')!.shape).toEqual([5]);
    tf.dispose([...state.m.values(), ...state.v.values()]);
    expect(() => adam.applyGradients({ c: gb })).toThrow(/'c', which is not one of this optimizer's 2 variables/);
    expect(() => adam.applyGradients({ a: gb })).toThrow(/gradient for 'a': expected shape \[2,3\], received \[5\]/);
    tf.dispose([ga, gb, a, b]);
    adam.dispose();
  });

  it('state round-trips exactly and continues identically; leaves no tensors behind', () => {
    const opts = { learningRate: 0.01, beta1: 0.5, beta2: 0.999, epsilon: 1e-6 };
    const grads = [[0.1, 0.2, -0.3], [1, -1, 0.5], [0.01, 0, 3]].map((g) => tf.tensor(g));
    const before = tf.memory().numTensors;
    const v1 = tf.tidy(() => tf.variable(tf.tensor([0.5, -1, 2])));
    const o1 = new Adam([['w', v1]], opts);
    o1.applyGradients({ w: grads[0] });
    const saved = o1.getState();
    const afterFirst = tf.clone(v1);
    o1.applyGradients({ w: grads[1] });
    o1.applyGradients({ w: grads[2] });

    const v2 = tf.variable(afterFirst);
    afterFirst.dispose();
    const o2 = new Adam([['w', v2]], opts);
    o2.setState(saved);
    o2.applyGradients({ w: grads[1] });
    o2.applyGradients({ w: grads[2] });
    expect(Array.from(v2.dataSync())).toEqual(Array.from(v1.dataSync()));
    const s2 = o2.getState();
    expect(s2.steps).toEqual({ w: 3 });
    tf.dispose([...s2.m.values(), ...s2.v.values()]);

    tf.dispose([...saved.m.values(), ...saved.v.values()]);
    o1.dispose();
    o2.dispose();
    tf.dispose([v1, v2]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(grads);
  });

  it('rejects bad hyperparameters naming the option', () => {
    const v = tf.variable(tf.scalar(1));
    expect(() => new Adam([['w', v]], { learningRate: 1e-3, beta1: 1, beta2: 0.999, epsilon: 1e-6 })).toThrow(/beta1: expected a number in \[0, 1\), received 1/);
    expect(() => new Adam([['w', v]], { learningRate: 1e-3, beta1: 0.5, beta2: 0.999, epsilon: Number.NaN })).toThrow(/epsilon: expected a finite number/);
    v.dispose();
  });
});
