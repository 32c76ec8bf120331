import { MetricInputError } from './errors.js';
import { type FeatureInput, toDenseFeatures } from './features.js';
import { gemmNT } from './linalg/dense.js';
import { MetricRng } from './rng.js';

export interface KernelInceptionDistanceOptions {
  /** Number of random subsets. Default 100 (torch-fidelity `kid_subsets`). */
  subsets?: number;
  /** Samples per subset, drawn without replacement from each set. Default 1000 (torch-fidelity `kid_subset_size`). */
  subsetSize?: number;
  /** Polynomial kernel degree. Default 3. */
  degree?: number;
  /** Kernel scale γ; default 1 / d. */
  gamma?: number;
  /** Kernel offset c. Default 1. */
  coef0?: number;
  /** Seed for the subset draws. Default 2020 (torch-fidelity's `rng_seed`). */
  seed?: number;
}

/** KID with the protocol that produced it. */
export interface KernelInceptionDistanceResult {
  /** Mean of the unbiased MMD² estimates over subsets. */
  mean: number;
  /** Population standard deviation over subsets (ddof 0). */
  std: number;
  subsets: number;
  subsetSize: number;
  degree: number;
  gamma: number;
  coef0: number;
  seed: number;
}

/**
 * Kernel Inception Distance (Bińkowski et al. 2018): the unbiased MMD² between the two feature sets
 * under the polynomial kernel k(x, y) = (γ·xᵀy + c)^degree (default cubic, γ = 1/d, c = 1), averaged
 * over random subsets (torch-fidelity `metric_kid.py` defaults). Float64 on the host.
 *
 *   MMD²ᵤ = Σ_{i≠j} k(xᵢ,xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(m(m−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ)/m²
 *
 * Cost: 2·m²·d multiply-adds per subset. Can be slightly negative (an unbiased estimate).
 * @param features1 [n1, d]; @param features2 [n2, d] (rows are samples).
 * @throws MetricInputError if subsetSize exceeds either set (or is < 2), or the dimensions differ.
 */
export function kernelInceptionDistance(
  features1: FeatureInput,
  features2: FeatureInput,
  options: KernelInceptionDistanceOptions = {},
): KernelInceptionDistanceResult {
  const x = toDenseFeatures(features1, 'features1');
  const y = toDenseFeatures(features2, 'features2');
  if (x.dim !== y.dim) {
    throw new MetricInputError(`kernelInceptionDistance: dimension mismatch: features1 has ${x.dim} columns, features2 has ${y.dim}`);
  }
  const d = x.dim;
  const { subsets = 100, subsetSize = 1000, degree = 3, gamma = 1 / d, coef0 = 1, seed = 2020 } = options;
  if (!Number.isInteger(subsets) || subsets < 1) throw new MetricInputError(`kernelInceptionDistance: options.subsets must be a positive integer, received ${subsets}`);
  if (!Number.isInteger(subsetSize) || subsetSize < 2) {
    throw new MetricInputError(`kernelInceptionDistance: options.subsetSize must be an integer ≥ 2, received ${subsetSize}`);
  }
  if (subsetSize > x.rows || subsetSize > y.rows) {
    throw new MetricInputError(
      `kernelInceptionDistance: subsetSize ${subsetSize} is larger than the number of samples (features1: ${x.rows}, features2: ${y.rows}); pass a smaller options.subsetSize`,
    );
  }
  checkFinite(x.data, 'features1', d);
  checkFinite(y.data, 'features2', d);
  const rng = new MetricRng(seed);
  const m = subsetSize;
  const values: number[] = [];
  const kernel = (dot: number): number => (gamma * dot + coef0) ** degree;
  for (let s = 0; s < subsets; s++) {
    const ix = rng.sampleWithoutReplacement(x.rows, m);
    const iy = rng.sampleWithoutReplacement(y.rows, m);
    const xs = gather(x.data, ix, d);
    const ys = gather(y.data, iy, d);
    const kxx = gemmNT(xs, m, xs, m, d, { symmetric: true });
    const kyy = gemmNT(ys, m, ys, m, d, { symmetric: true });
    const kxy = gemmNT(xs, m, ys, m, d);
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i !== j) {
          sxx += kernel(kxx[i * m + j]);
          syy += kernel(kyy[i * m + j]);
        }
        sxy += kernel(kxy[i * m + j]);
      }
    }
    values.push((sxx + syy) / (m * (m - 1)) - (2 * sxy) / (m * m));
  }
  const mean = values.reduce((a, b) => a + b, 0) / subsets;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / subsets);
  return { mean, std, subsets, subsetSize: m, degree, gamma, coef0, seed };
}

function gather(data: ArrayLike<number>, idx: Int32Array, d: number): Float64Array {
  const out = new Float64Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r] * d;
    for (let j = 0; j < d; j++) out[r * d + j] = data[src + j];
  }
  return out;
}

export function checkFinite(data: ArrayLike<number>, name: string, d: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new MetricInputError(`${name}: non-finite value ${data[i]} at row ${Math.floor(i / d)}, column ${i % d}`);
  }
}
