import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { expect, it } from 'vitest';
import { nativeKernelsActive } from './native.js';
import { spectralNormalize, spectralSigmaWithUpdate, spectralVectorSizes, type SpectralView } from './spectral-norm.js';

/**
 * spectralNormalize's closed-form gradient against automatic differentiation of W / σ(W) (σ = uᵀWv with
 * the u and v of the same forward pass as constants, PyTorch's semantics), for every weight layout, with
 * and without the power-iteration update, and with two forwards in one tape (u and v change in between).
 *
 * On the portable backends both sides run the same kernels for σ, u and v, which must agree exactly. On
 * tfjs-node's 'tensorflow' backend spectralNormalize is one native kernel (other summation orders, and
 * normalize as x/‖x‖ instead of x·rsqrt(‖x‖²)), so they agree up to float32 rounding: u and v are unit
 * vectors from dot products of K ≤ 72 terms (|Δ| ≤ 4·K·2⁻²⁴ per component); σ = Σ uᵢ(Pv)ᵢ with random,
 * unconverged u and v partly cancels, so its relative error is bounded by 4·K·2⁻²⁴·κ with
 * κ = Σ|uᵢ(Pv)ᵢ| / |σ| (computed below in float64 for the initial u, v); the value inherits it (×2: it is
 * quadratic in 1/σ).
 */

const CASES: { view: SpectralView; shape: number[] }[] = [
  { view: 'rows', shape: [5, 7] },
  { view: 'columns', shape: [3, 3, 4, 6] },
  { view: 'deconv', shape: [4, 4, 6, 3] },
];

function unit(n: number, seed: number): tf.Tensor1D {
  return tf.tidy(() => {
    const x = tf.randomNormal([n], 0, 1, 'float32', seed);
    return tf.div(x, tf.norm(x)) as tf.Tensor1D;
  });
}

/** κ = Σ|uᵢ(Pv)ᵢ| / |Σ uᵢ(Pv)ᵢ| in float64 for W, u, v (P: PyTorch's [U, V] matrix of the view). */
function sigmaCondition(w: tf.Tensor, u: tf.Tensor, v: tf.Tensor, view: SpectralView): number {
  const p = tf.tidy(() => {
    if (view === 'rows') return tf.reshape(w, [u.size, v.size]);
    if (view === 'columns') return tf.transpose(tf.reshape(w, [v.size, u.size]));
    return tf.reshape(tf.transpose(w, [2, 0, 1, 3]), [u.size, v.size]); // deconv [kh, kw, O, I] → [O, kh·kw·I]
  });
  const [pd, ud, vd] = [p.dataSync(), u.dataSync(), v.dataSync()];
  p.dispose();
  let signed = 0;
  let absolute = 0;
  for (let i = 0; i < u.size; i++) {
    let pv = 0;
    for (let j = 0; j < v.size; j++) pv += pd[i * v.size + j] * vd[j];
    signed += ud[i] * pv;
    absolute += Math.abs(ud[i] * pv);
  }
  return absolute / Math.abs(signed);
}

/** The previous implementation: autodiff through tf.div(W, σ). */
function autodiffNormalize(w: tf.Tensor, u: tf.Variable, v: tf.Variable, view: SpectralView, update: boolean): tf.Tensor {
  return tf.div(w, spectralSigmaWithUpdate(w, u, v, view, 1e-6, update));
}

describeBackends('spectral norm gradient', () => {
  for (const { view, shape } of CASES) {
    for (const update of [false, true]) {
      it(`${view} ${JSON.stringify(shape)}, update ${update}: value, dL/dW, new u and v equal autodiff of W/σ`, () => {
        const run = (normalize: typeof autodiffNormalize) => {
          const sizes = spectralVectorSizes(shape, view);
          const u = tf.variable(unit(sizes.u, 1), false);
          const v = tf.variable(unit(sizes.v, 2), false);
          const w = tf.variable(tf.randomNormal(shape, 0, 0.5, 'float32', 3));
          const kappa = sigmaCondition(w, u, v, view);
          const target = tf.randomNormal(shape, 0, 1, 'float32', 4);
          // Two applications in one tape (as D on reals then fakes): the second sees updated u, v.
          const { value, grads } = tf.variableGrads(
            () => tf.add(tf.sum(tf.mul(normalize(w, u, v, view, update), target)), tf.sum(tf.square(normalize(w, u, v, view, update)))) as tf.Scalar,
            [w],
          );
          const out = { value: value.dataSync()[0], grad: Array.from(grads[w.name].dataSync()), u: Array.from(u.dataSync()), v: Array.from(v.dataSync()), kappa };
          tf.dispose([u, v, w, target, value, ...Object.values(grads)]);
          return out;
        };
        const closed = run((w, u, v, vw, up) => spectralNormalize(w, u, v, vw, 1e-6, up));
        const auto = run(autodiffNormalize);
        expect(closed.grad).toBeAllclose(auto.grad, { rtol: 1e-4, atol: 1e-6 });
        if (!nativeKernelsActive()) {
          expect(closed.value).toBeAllclose(auto.value, { rtol: 1e-6 });
          expect(closed.u).toEqual(auto.u);
          expect(closed.v).toEqual(auto.v);
          return;
        }
        const k = Math.max(spectralVectorSizes(shape, view).u, spectralVectorSizes(shape, view).v);
        const unitBound = 4 * k * 2 ** -24;
        expect(closed.value).toBeAllclose(auto.value, { rtol: Math.max(1e-6, 2 * unitBound * closed.kappa) });
        expect(closed.u).toBeAllclose(auto.u, { atol: unitBound, rtol: 0 });
        expect(closed.v).toBeAllclose(auto.v, { atol: unitBound, rtol: 0 });
      });
    }
  }

  it('no tensors leak from a forward + backward with the update', async () => {
    const u = tf.variable(unit(6, 5), false);
    const v = tf.variable(unit(36, 6), false);
    const w = tf.variable(tf.randomNormal([3, 3, 4, 6], 0, 0.5, 'float32', 7));
    await expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(spectralNormalize(w, u, v, 'columns', 1e-6, true))) as tf.Scalar, [w]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    await expectNoTensorLeak(() => tf.tidy(() => spectralNormalize(w, u, v, 'columns', 1e-6, false)));
    tf.dispose([u, v, w]);
  });
});
