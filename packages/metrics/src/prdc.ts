import { MetricInputError } from './errors.js';
import { type FeatureInput, toDenseFeatures } from './features.js';
import { checkFinite } from './kid.js';
import { gemmNT } from './linalg/dense.js';

export interface PrecisionRecallDensityCoverageOptions {
  /** Neighbourhood size k. Default 5 (Naeem et al. 2020; StudioGAN `metrics/prdc.py`). */
  nearestK?: number;
}

/** Precision, recall, density and coverage with the k used. */
export interface PrecisionRecallDensityCoverageResult {
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  nearestK: number;
  realCount: number;
  fakeCount: number;
}

/**
 * Precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020, the
 * clovaai/generative-evaluation-prdc definitions used by StudioGAN) from Euclidean k-NN balls,
 * in float64:
 * - radius of a real (fake) sample: distance to its k-th nearest other real (fake) sample;
 * - precision: fraction of fakes inside at least one real ball (distance < radius);
 * - recall: fraction of reals inside at least one fake ball;
 * - density: (1/k) · mean over fakes of the number of real balls containing the fake;
 * - coverage: fraction of reals whose nearest fake lies inside that real's ball.
 * Cost: O((n + m)²·d); memory: the n×n, m×m and n×m distance matrices.
 *
 * @param realFeatures [n, d] (n > k); @param fakeFeatures [m, d] (m > k).
 * @throws MetricInputError for a dimension mismatch, non-finite values or too few samples for k.
 */
export function precisionRecallDensityCoverage(
  realFeatures: FeatureInput,
  fakeFeatures: FeatureInput,
  options: PrecisionRecallDensityCoverageOptions = {},
): PrecisionRecallDensityCoverageResult {
  const { nearestK = 5 } = options;
  const real = toDenseFeatures(realFeatures, 'realFeatures');
  const fake = toDenseFeatures(fakeFeatures, 'fakeFeatures');
  if (!Number.isInteger(nearestK) || nearestK < 1) throw new MetricInputError(`precisionRecallDensityCoverage: options.nearestK must be a positive integer, received ${nearestK}`);
  if (real.dim !== fake.dim) {
    throw new MetricInputError(`precisionRecallDensityCoverage: dimension mismatch: realFeatures has ${real.dim} columns, fakeFeatures has ${fake.dim}`);
  }
  if (real.rows <= nearestK || fake.rows <= nearestK) {
    throw new MetricInputError(
      `precisionRecallDensityCoverage: need more than nearestK = ${nearestK} samples in each set, received ${real.rows} real and ${fake.rows} fake`,
    );
  }
  const d = real.dim;
  checkFinite(real.data, 'realFeatures', d);
  checkFinite(fake.data, 'fakeFeatures', d);
  const r = Float64Array.from(real.data);
  const f = Float64Array.from(fake.data);
  const n = real.rows;
  const m = fake.rows;
  const drr = pairwiseDistances(r, n, r, n, d);
  const dff = pairwiseDistances(f, m, f, m, d);
  const drf = pairwiseDistances(r, n, f, m, d);
  const realRadii = kthNeighbourDistances(drr, n, nearestK);
  const fakeRadii = kthNeighbourDistances(dff, m, nearestK);

  let precisionCount = 0;
  let densitySum = 0;
  for (let j = 0; j < m; j++) {
    let inside = 0;
    for (let i = 0; i < n; i++) if (drf[i * m + j] < realRadii[i]) inside++;
    if (inside > 0) precisionCount++;
    densitySum += inside;
  }
  let recallCount = 0;
  let coverageCount = 0;
  for (let i = 0; i < n; i++) {
    let anyFakeBall = false;
    let nearest = Infinity;
    for (let j = 0; j < m; j++) {
      const v = drf[i * m + j];
      if (v < fakeRadii[j]) anyFakeBall = true;
      if (v < nearest) nearest = v;
    }
    if (anyFakeBall) recallCount++;
    if (nearest < realRadii[i]) coverageCount++;
  }
  return {
    precision: precisionCount / m,
    recall: recallCount / n,
    density: densitySum / (nearestK * m),
    coverage: coverageCount / n,
    nearestK,
    realCount: n,
    fakeCount: m,
  };
}

/** Euclidean distances between the rows of a (n × d) and b (m × d), as ‖a‖² + ‖b‖² − 2a·b clamped at 0. */
function pairwiseDistances(a: Float64Array, n: number, b: Float64Array, m: number, d: number): Float64Array {
  const g = gemmNT(a, n, b, m, d, { symmetric: a === b });
  const na = rowSquaredNorms(a, n, d);
  const nb = a === b ? na : rowSquaredNorms(b, m, d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const sq = na[i] + nb[j] - 2 * g[i * m + j];
      g[i * m + j] = a === b && i === j ? 0 : Math.sqrt(sq > 0 ? sq : 0);
    }
  }
  return g;
}

function rowSquaredNorms(a: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += a[i * d + j] * a[i * d + j];
    out[i] = s;
  }
  return out;
}

/** Per row of a square distance matrix (self-distance 0 included): the (k+1)-th smallest value, i.e. the k-th neighbour. */
function kthNeighbourDistances(dist: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = dist[i * n + j];
    row.sort();
    out[i] = row[k];
  }
  return out;
}
