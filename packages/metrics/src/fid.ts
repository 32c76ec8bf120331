import { MetricInputError } from './errors.js';
import { gemmNT, pivotedCholesky, symmetricEigenvalues } from './linalg/dense.js';
import { type FeatureStatistics, validateStatistics } from './statistics.js';

/** Receives human-readable warnings (rank-deficient covariances, the εI retry, clamped rounding). */
export type WarningHandler = (message: string) => void;

/** Default warning sink: `console.warn` with a `[@reacgan/metrics]` prefix. */
export const defaultWarningHandler: WarningHandler = (message) => console.warn(`[@reacgan/metrics] ${message}`);

export interface FrechetDistanceOptions {
  /**
   * Diagonal offset added to both covariances (for the √(Σ1Σ2) term only) when the first attempt
   * does not give a finite value — pytorch-fid's / StudioGAN's convention. Default 1e-6.
   */
  eps?: number;
  /** Where warnings go. Default: console.warn. Pass `() => {}` to silence. */
  onWarning?: WarningHandler;
  /**
   * Relative tolerance for rounding: a result in [−tol·scale, 0) is reported as 0, a smaller one
   * throws (scale = ‖μ1‖² + ‖μ2‖² + tr Σ1 + tr Σ2). Default 1e-5.
   */
  negativeTolerance?: number;
}

/** The terms of a Fréchet distance, for logging and debugging. */
export interface FrechetDistanceDetails {
  /** The distance (≥ 0). */
  fid: number;
  /** ‖μ1 − μ2‖². */
  meanTerm: number;
  /** tr Σ1. */
  traceSigma1: number;
  /** tr Σ2. */
  traceSigma2: number;
  /** tr √(Σ1 Σ2). */
  traceSqrtProduct: number;
  /** Numerical rank of Σ1 found by the pivoted Cholesky factorisation. */
  rankSigma1: number;
  /** The diagonal offset that had to be added (0 when none). */
  offsetApplied: number;
  /** Sample counts of the two sets (from the statistics). */
  counts: [number, number];
  /** Feature dimension. */
  dim: number;
  /** Warnings raised while computing (also sent to onWarning). */
  warnings: string[];
}

export interface TraceSqrtResult {
  /** tr √(Σ1 Σ2) = Σᵢ √λᵢ(Lᵀ Σ2 L) where Σ1 = L Lᵀ; NaN when an eigenvalue overflowed. */
  value: number;
  /** Numerical rank of Σ1. */
  rank: number;
  /** Most negative eigenvalue of Lᵀ Σ2 L (clamped to 0; ≈ 0 for valid covariances). */
  minEigenvalue: number;
  /** Largest eigenvalue of Lᵀ Σ2 L. */
  maxEigenvalue: number;
}

/**
 * tr √(Σ1 Σ2) for symmetric positive semi-definite Σ1, Σ2 (d × d, row-major), in float64.
 *
 * Σ1Σ2 is not symmetric, but with a rank-revealing (pivoted) Cholesky factorisation Σ1 = L Lᵀ
 * (L: d × r, r = rank Σ1), Σ1Σ2 = L (Lᵀ Σ2) has the same non-zero eigenvalues as the symmetric
 * PSD matrix M = Lᵀ Σ2 L (r × r), so tr √(Σ1Σ2) = Σᵢ √λᵢ(M) exactly. Only eigenvalues of M are
 * needed (Householder tridiagonalisation + implicit QL). A singular Σ1 (n ≤ d samples) simply
 * gives r < d — nothing breaks and it gets faster. Eigenvalues at or below the rounding level
 * r·ε·λmax (including negative ones) count as 0. Cost at d = r: ≈ 1.5·d³ multiply-adds (see the README for timings).
 */
export function traceSqrtProduct(sigma1: ArrayLike<number>, sigma2: ArrayLike<number>, d: number): TraceSqrtResult {
  const s1 = sigma1 instanceof Float64Array ? sigma1 : Float64Array.from(sigma1);
  const chol = pivotedCholesky(s1, d);
  const r = chol.rank;
  if (r === 0) return { value: 0, rank: 0, minEigenvalue: 0, maxEigenvalue: 0 };
  const perm = chol.perm;
  // Σ2 in pivot order (symmetric, so rows double as columns in the dot-product kernel).
  const s2p = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    const src = perm[a] * d;
    const dst = a * d;
    for (let b = 0; b < d; b++) s2p[dst + b] = sigma2[src + perm[b]];
  }
  // C = Lᵀ Σ2p (r × d): row j uses Lᵀ[j, k] for k ≥ j only.
  const c = gemmNT(chol.lt, r, s2p, d, d, { upperTrapezoidalA: true });
  // M = Lᵀ Σ2p L = C L (r × r, symmetric): M[a, b] = Σ_{k ≥ a} Lᵀ[a, k] C[b, k].
  const m = gemmNT(chol.lt, r, c, r, d, { upperTrapezoidalA: true, symmetric: true });
  const eig = symmetricEigenvalues(m, r);
  // Eigenvalues below the solver's backward error (r·ε·λmax) are indistinguishable from 0; their
  // square roots (~√(rε)·√λmax each) would only add a positive rounding bias, so they count as 0.
  const floor = r * Number.EPSILON * Math.max(eig[r - 1], 0);
  let value = 0;
  for (let i = 0; i < r; i++) {
    if (!Number.isFinite(eig[i])) return { value: Number.NaN, rank: r, minEigenvalue: Number.NaN, maxEigenvalue: Number.NaN };
    if (eig[i] > floor) value += Math.sqrt(eig[i]);
  }
  return { value, rank: r, minEigenvalue: Math.min(0, eig[0]), maxEigenvalue: eig[r - 1] };
}

/**
 * Fréchet distance between two Gaussians N(μ1, Σ1), N(μ2, Σ2) — the FID when the statistics are
 * InceptionV3 pool features (Heusel et al. 2017; pytorch-fid `calculate_frechet_distance`,
 * StudioGAN `src/metrics/fid.py`), with all terms reported.
 *
 *   FID = ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr √(Σ1 Σ2)
 *
 * Float64 throughout, on the host, independent of the tfjs backend. See {@link traceSqrtProduct}
 * for the √ term. Warns (does not throw) when a set has fewer than d + 1 samples: the covariance is
 * then rank-deficient and the FID biased. If the √ term is not finite, retries with εI added to both
 * covariances (pytorch-fid's convention) and warns. A result negative only by rounding is 0.
 *
 * @throws MetricInputError for mismatched dimensions, malformed or non-finite statistics, or a
 *   substantially negative result (the inputs were not covariance matrices).
 */
export function frechetDistanceWithDetails(
  stats1: FeatureStatistics,
  stats2: FeatureStatistics,
  options: FrechetDistanceOptions = {},
): FrechetDistanceDetails {
  const { eps = 1e-6, onWarning = defaultWarningHandler, negativeTolerance = 1e-5 } = options;
  validateStatistics(stats1, 'stats1');
  validateStatistics(stats2, 'stats2');
  const d = stats1.mu.length;
  if (stats2.mu.length !== d) {
    throw new MetricInputError(`frechetInceptionDistance: dimension mismatch: stats1 has dim ${d}, stats2 has dim ${stats2.mu.length}`);
  }
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    onWarning(message);
  };
  for (const [name, s] of [['stats1', stats1], ['stats2', stats2]] as const) {
    if (s.count !== undefined && s.count < d + 1) {
      warn(
        `${name} has ${s.count} samples for ${d}-dimensional features: the covariance is rank-deficient and FID is biased; ` +
          `use ≥ ${d + 1} samples (10k–50k are customary for Inception features)`,
      );
    }
  }
  let meanTerm = 0;
  let tr1 = 0;
  let tr2 = 0;
  let sumSq = 0;
  for (let i = 0; i < d; i++) {
    const diff = stats1.mu[i] - stats2.mu[i];
    meanTerm += diff * diff;
    tr1 += stats1.sigma[i * d + i];
    tr2 += stats2.sigma[i * d + i];
    sumSq += stats1.mu[i] * stats1.mu[i] + stats2.mu[i] * stats2.mu[i];
  }
  let offsetApplied = 0;
  let ts: TraceSqrtResult | undefined;
  try {
    ts = traceSqrtProduct(symmetrise(stats1.sigma, d), symmetrise(stats2.sigma, d), d);
    if (!Number.isFinite(ts.value)) ts = undefined;
  } catch {
    ts = undefined;
  }
  if (ts === undefined) {
    warn(`fid calculation produced a non-finite result; adding ${eps} to the diagonal of the covariance estimates (pytorch-fid convention)`);
    offsetApplied = eps;
    ts = traceSqrtProduct(addDiagonal(symmetrise(stats1.sigma, d), d, eps), addDiagonal(symmetrise(stats2.sigma, d), d, eps), d);
    if (!Number.isFinite(ts.value)) throw new MetricInputError('frechetInceptionDistance: tr √(Σ1Σ2) is not finite even with the εI offset');
  }
  if (ts.minEigenvalue < -1e-6 * Math.max(ts.maxEigenvalue, Number.MIN_VALUE)) {
    warn(
      `the eigenvalues of Σ1^½ Σ2 Σ1^½ include ${ts.minEigenvalue.toExponential(3)} (largest ${ts.maxEigenvalue.toExponential(3)}); ` +
        'negative values were clamped to 0 — are the covariances positive semi-definite (float32 rounding)?',
    );
  }
  let fid = meanTerm + tr1 + tr2 - 2 * ts.value;
  const scale = sumSq + tr1 + tr2;
  if (!Number.isFinite(fid) || !Number.isFinite(scale)) {
    throw new MetricInputError(`frechetInceptionDistance: the terms overflow float64 (‖μ1 − μ2‖² = ${meanTerm}, tr Σ1 = ${tr1}, tr Σ2 = ${tr2}); rescale the features`);
  }
  if (fid < 0) {
    if (fid >= -negativeTolerance * scale) {
      fid = 0;
    } else {
      throw new MetricInputError(
        `frechetInceptionDistance: the distance came out substantially negative (${fid}; scale ${scale}): ` +
          'the statistics are not valid mean/covariance pairs',
      );
    }
  }
  return {
    fid,
    meanTerm,
    traceSigma1: tr1,
    traceSigma2: tr2,
    traceSqrtProduct: ts.value,
    rankSigma1: ts.rank,
    offsetApplied,
    counts: [stats1.count, stats2.count],
    dim: d,
    warnings,
  };
}

/**
 * FID between two feature sets' statistics (see {@link frechetDistanceWithDetails}); returns the
 * number only. Never NaN and never negative.
 *
 * @example
 * const fid = frechetInceptionDistance(featuresToStatistics(real), featuresToStatistics(fake));
 */
export function frechetInceptionDistance(stats1: FeatureStatistics, stats2: FeatureStatistics, options: FrechetDistanceOptions = {}): number {
  return frechetDistanceWithDetails(stats1, stats2, options).fid;
}

/** Alias of {@link frechetInceptionDistance} for feature spaces other than Inception's. */
export const frechetDistance = frechetInceptionDistance;

function symmetrise(s: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    out[i * d + i] = s[i * d + i];
    for (let j = i + 1; j < d; j++) {
      const v = 0.5 * (s[i * d + j] + s[j * d + i]);
      out[i * d + j] = v;
      out[j * d + i] = v;
    }
  }
  return out;
}

function addDiagonal(s: Float64Array, d: number, eps: number): Float64Array {
  for (let i = 0; i < d; i++) s[i * d + i] += eps;
  return s;
}
