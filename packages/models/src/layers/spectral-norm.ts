import * as tf from '@tensorflow/tfjs-core';
import { nativeKernelsActive, spectralNormalizeNative } from './native.js';

/**
 * How a weight in this package's layout is viewed as the matrix whose spectral norm is taken, so
 * that σ equals `torch.nn.utils.spectral_norm`'s for the same weights:
 * - `'rows'`: the weight is [R, K] after a free reshape and u ∈ ℝ^R (Linear [out, in] with u over
 *   out; Embedding [num, dim] with u over num) — identical to PyTorch's matrix;
 * - `'columns'`: the weight is [K, O] after a free reshape and u ∈ ℝ^O (Conv2d HWIO with u over
 *   O): the transpose of PyTorch's [O, I·kH·kW] up to a permutation of K (σ is unchanged; v is
 *   stored in our (kH, kW, I) order, see the StudioGAN key map for the permutation);
 * - `'deconv'`: ConvTranspose2d [kH, kW, O, I] with u over O (PyTorch's `dim=1` for
 *   ConvTranspose2d); v is stored in (kH, kW, I) order.
 */
export type SpectralView = 'rows' | 'columns' | 'deconv';

/** Sizes of u and v for a weight of `shape` viewed as `view`. */
export function spectralVectorSizes(shape: readonly number[], view: SpectralView): { u: number; v: number } {
  const size = shape.reduce((a, b) => a * b, 1);
  switch (view) {
    case 'rows':
      return { u: shape[0], v: size / shape[0] };
    case 'columns':
      return { u: shape[shape.length - 1], v: size / shape[shape.length - 1] };
    case 'deconv':
      return { u: shape[2], v: size / shape[2] };
  }
}

/** x / max(‖x‖₂, eps) (torch.nn.functional.normalize on a vector), as x·rsqrt(max(Σx², eps²)). */
function normalizeVector(x: tf.Tensor, eps: number): tf.Tensor {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x)), eps * eps)));
}

/** W·v as a vector over u's index (v a vector over the other indices). */
function weightTimesV(weight: tf.Tensor, v: tf.Tensor, view: SpectralView, sizes: { u: number; v: number }): tf.Tensor1D {
  switch (view) {
    case 'rows': {
      const w2 = weight.rank === 2 ? (weight as tf.Tensor2D) : tf.reshape(weight, [sizes.u, sizes.v]);
      return tf.reshape(tf.matMul(w2, tf.reshape(v, [sizes.v, 1])), [sizes.u]);
    }
    case 'columns':
      return tf.reshape(tf.matMul(tf.reshape(v, [1, sizes.v]), tf.reshape(weight, [sizes.v, sizes.u])), [sizes.u]);
    case 'deconv': {
      const [kh, kw, o, i] = weight.shape;
      const w3 = tf.reshape(weight, [kh * kw, o, i]);
      return tf.sum(tf.mul(w3, tf.reshape(v, [kh * kw, 1, i])), [0, 2]) as tf.Tensor1D;
    }
  }
}

/** Wᵀ·u as a vector over v's index. */
function weightTransposeTimesU(weight: tf.Tensor, u: tf.Tensor, view: SpectralView, sizes: { u: number; v: number }): tf.Tensor1D {
  switch (view) {
    case 'rows': {
      const w2 = weight.rank === 2 ? (weight as tf.Tensor2D) : tf.reshape(weight, [sizes.u, sizes.v]);
      return tf.reshape(tf.matMul(tf.reshape(u, [1, sizes.u]), w2), [sizes.v]);
    }
    case 'columns':
      return tf.reshape(tf.matMul(tf.reshape(weight, [sizes.v, sizes.u]), tf.reshape(u, [sizes.u, 1])), [sizes.v]);
    case 'deconv': {
      const [kh, kw, o, i] = weight.shape;
      const w3 = tf.reshape(weight, [kh * kw, o, i]);
      return tf.reshape(tf.sum(tf.mul(w3, tf.reshape(u, [1, o, 1])), 1), [sizes.v]);
    }
  }
}

/**
 * One power iteration of `torch.nn.utils.spectral_norm` (n_power_iterations = 1):
 * v ← normalize(Wᵀu), u ← normalize(W v), with normalize(x) = x / max(‖x‖, eps).
 * Writes the new u and v into the buffers; runs in its own tidy, so no tensor escapes.
 */
export function powerIteration(weight: tf.Tensor, u: tf.Variable, v: tf.Variable, view: SpectralView, eps: number): void {
  const sizes = { u: u.size, v: v.size };
  tf.tidy(() => {
    v.assign(normalizeVector(weightTransposeTimesU(weight, u, view, sizes), eps));
    u.assign(normalizeVector(weightTimesV(weight, v, view, sizes), eps));
  });
}

/**
 * σ = uᵀ W v with u and v read from their buffers (constants for autodiff: the gradient flows
 * through W only), as a scalar tensor.
 */
export function spectralSigma(weight: tf.Tensor, u: tf.Variable, v: tf.Variable, view: SpectralView): tf.Scalar {
  const sizes = { u: u.size, v: v.size };
  return tf.sum(tf.mul(u, weightTimesV(weight, v, view, sizes)));
}

/**
 * σ, running the power iteration first when `update` is true. The iteration's W·v (with the new,
 * constant v) is reused for σ = uᵀ(W v), so an update costs one extra product only. u and v are
 * read back from their buffers (variables), which cuts them out of the gradient.
 */
export function spectralSigmaWithUpdate(weight: tf.Tensor, u: tf.Variable, v: tf.Variable, view: SpectralView, eps: number, update: boolean): tf.Scalar {
  if (!update) return spectralSigma(weight, u, v, view);
  const sizes = { u: u.size, v: v.size };
  tf.tidy(() => v.assign(normalizeVector(weightTransposeTimesU(weight, u, view, sizes), eps)));
  const wv = weightTimesV(weight, v, view, sizes);
  tf.tidy(() => u.assign(normalizeVector(wv, eps)));
  return tf.sum(tf.mul(u, wv));
}

/** u vᵀ laid out as the weight (∂σ/∂W for σ = uᵀ W v with u and v constant). */
function outerUV(u: tf.Tensor, v: tf.Tensor, shape: number[], view: SpectralView): tf.Tensor {
  switch (view) {
    case 'rows':
      return tf.reshape(tf.matMul(tf.reshape(u, [u.size, 1]), tf.reshape(v, [1, v.size])), shape);
    case 'columns':
      return tf.reshape(tf.matMul(tf.reshape(v, [v.size, 1]), tf.reshape(u, [1, u.size])), shape);
    case 'deconv': {
      const [kh, kw, o, i] = shape;
      return tf.reshape(tf.mul(tf.reshape(v, [kh * kw, 1, i]), tf.reshape(u, [1, o, 1])), shape);
    }
  }
}

/**
 * The spectrally normalised weight W / σ (see {@link spectralSigma}); runs the power iteration
 * first when `update` is true. Source: `torch.nn.utils.spectral_norm` as wrapped by StudioGAN's
 * `src/utils/ops.py` (`snconv2d`, `sndeconv2d`, `snlinear`, `sn_embedding`, eps = 1e-6).
 *
 * The gradient is PyTorch's (u and v are constants of the forward pass that produced the output), in
 * closed form: with Ŵ = W/σ and G = ∂L/∂Ŵ, ∂L/∂W = (G − ⟨G, Ŵ⟩·u vᵀ)/σ — a handful of kernels instead
 * of automatic differentiation through the division and the product σ = uᵀ(W v). On tfjs-node's
 * 'tensorflow' backend the whole of it is one native kernel each way (`spectralNormalizeNative`, where
 * normalize is x / max(‖x‖, eps) as in PyTorch, instead of x·rsqrt(max(Σx², eps²)) here: equal up to rounding).
 */
export function spectralNormalize(
  weight: tf.Tensor,
  u: tf.Variable,
  v: tf.Variable,
  view: SpectralView,
  eps: number,
  update: boolean,
): tf.Tensor {
  if (weight.dtype === 'float32' && nativeKernelsActive()) return spectralNormalizeNative(weight, u, v, view, eps, update);
  const normalize = tf.customGrad(((w: tf.Tensor, save: tf.GradSaveFunc) => {
    const sigma = spectralSigmaWithUpdate(w, u, v, view, eps, update);
    const value = tf.div(w, sigma);
    // u and v as they are now: a later power iteration replaces the variables' data, not these.
    save([value, sigma, u, v]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [normalized, s, uSaved, vSaved] = saved;
        const inner = tf.sum(tf.mul(dy, normalized));
        return tf.div(tf.sub(dy, tf.mul(outerUV(uSaved, vSaved, w.shape, view), inner)), s);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return normalize(weight);
}
