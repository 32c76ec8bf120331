import * as tf from '@tensorflow/tfjs-core';

export interface GradientCheckResult {
  /** Autograd gradient (tf.grad), flattened. */
  analytic: Float64Array;
  /** Central finite differences, flattened. */
  numeric: Float64Array;
  maxAbsError: number;
  /** max |a - n| / max(1e-3, |n|). */
  maxRelError: number;
}

/**
 * Compares tf.grad(f) at x with central finite differences (f(x + h e_i) - f(x - h e_i)) / 2h.
 * `f` must map a tensor of x's shape to a scalar. Values are evaluated in float32 by tfjs, so use
 * h around 1e-2..1e-3 and tolerances around 1e-3 relative. For a float64 reference, pass
 * `reference`: a plain-JS function of the flattened input computed in double precision.
 */
export function checkGradient(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  options: { h?: number; reference?: (values: Float64Array) => number } = {},
): GradientCheckResult {
  const h = options.h ?? 1e-3;
  const gradient = tf.grad(f)(x);
  const analytic = Float64Array.from(gradient.dataSync());
  gradient.dispose();
  const base = Float64Array.from(x.dataSync());
  const numeric = new Float64Array(base.length);
  const evaluate = (values: Float64Array): number =>
    options.reference
      ? options.reference(values)
      : evaluateTf(f, values, x.shape);
  for (let i = 0; i < base.length; i++) {
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[i] += h;
    minus[i] -= h;
    numeric[i] = (evaluate(plus) - evaluate(minus)) / (2 * h);
  }
  let maxAbsError = 0;
  let maxRelError = 0;
  for (let i = 0; i < base.length; i++) {
    const err = Math.abs(analytic[i] - numeric[i]);
    maxAbsError = Math.max(maxAbsError, err);
    maxRelError = Math.max(maxRelError, err / Math.max(1e-3, Math.abs(numeric[i])));
  }
  return { analytic, numeric, maxAbsError, maxRelError };
}

function evaluateTf(f: (x: tf.Tensor) => tf.Scalar, values: Float64Array, shape: number[]): number {
  const value = tf.tidy(() => f(tf.tensor(Float32Array.from(values), shape)));
  const out = value.dataSync()[0];
  value.dispose();
  return out;
}
