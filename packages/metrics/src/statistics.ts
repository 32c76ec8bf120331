import { MetricInputError } from './errors.js';
import { type FeatureInput, toDenseFeatures } from './features.js';
import { gemmNT } from './linalg/dense.js';

/**
 * Mean and covariance of a feature set, in float64.
 * - `mu`: Float64Array(dim), the sample mean.
 * - `sigma`: Float64Array(dim·dim), row-major, the unbiased covariance Σ = Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ / (count − 1),
 *   numpy's `np.cov(features, rowvar=False)` (StudioGAN `metrics/fid.py`, pytorch-fid `fid_score.py`).
 * - `count`: number of samples; `dim`: feature dimension.
 */
export interface FeatureStatistics {
  mu: Float64Array;
  sigma: Float64Array;
  count: number;
  dim: number;
}

export interface StatisticsAccumulatorOptions {
  /** Expected feature dimension; by default fixed by the first batch. */
  dim?: number;
  /** Name used in error messages (e.g. 'real features'). Default 'features'. */
  name?: string;
}

/**
 * Streaming float64 mean/covariance accumulator: add feature batches one at a time, so 50k × 2048
 * features never sit in memory together. Each batch's mean and centred scatter matrix are merged
 * into the running ones (Chan, Golub & LeVeque's pairwise update), all in float64, so the result
 * does not depend on the batch size beyond rounding (~1e-13 relative) and suffers no
 * E[xxᵀ] − μμᵀ cancellation.
 *
 * Cost: d²·n/2 multiply-adds for n samples (the d × d scatter), plus d² per batch.
 *
 * @example
 * const acc = new StatisticsAccumulator();
 * for await (const batch of batches) acc.add(await extractor.extract(batch, { range: [-1, 1] }));
 * const stats = acc.statistics();
 */
export class StatisticsAccumulator {
  private readonly name: string;
  private dimension: number | undefined;
  private n = 0;
  private batchCount = 0;
  private mean: Float64Array | undefined;
  private scatter: Float64Array | undefined;

  constructor(options: StatisticsAccumulatorOptions = {}) {
    this.name = options.name ?? 'features';
    if (options.dim !== undefined) {
      if (!Number.isInteger(options.dim) || options.dim <= 0) {
        throw new MetricInputError(`StatisticsAccumulator: options.dim must be a positive integer, received ${options.dim}`);
      }
      this.dimension = options.dim;
    }
  }

  /** Number of samples added so far. */
  get count(): number {
    return this.n;
  }

  /** Feature dimension (undefined until the first batch when not given). */
  get dim(): number | undefined {
    return this.dimension;
  }

  /** Number of non-empty batches added. */
  get batches(): number {
    return this.batchCount;
  }

  /**
   * Adds a batch of features (rows are samples).
   * @throws MetricInputError for a dimension mismatch with earlier batches, or a non-finite value
   *   (naming the batch, row and column); the accumulator is unchanged when it throws.
   */
  add(features: FeatureInput): this {
    const batchIndex = this.batchCount;
    const label = `${this.name} (batch ${batchIndex})`;
    const { data, rows, dim } = toDenseFeatures(features, label);
    if (rows === 0) return this;
    if (this.dimension !== undefined && dim !== this.dimension) {
      throw new MetricInputError(`${label}: feature dimension mismatch: expected ${this.dimension} columns, received ${dim}`);
    }
    // Transposed, centred copy (dim × rows) so the scatter is a product of contiguous rows.
    const batchMean = new Float64Array(dim);
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      for (let j = 0; j < dim; j++) {
        const v = data[o + j];
        if (!Number.isFinite(v)) {
          throw new MetricInputError(`${label}: non-finite feature value ${v} at row ${r}, column ${j}; check the extractor input (NaN/Inf images?)`);
        }
        batchMean[j] += v;
      }
    }
    for (let j = 0; j < dim; j++) batchMean[j] /= rows;
    const centred = new Float64Array(dim * rows);
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      for (let j = 0; j < dim; j++) centred[j * rows + r] = data[o + j] - batchMean[j];
    }
    const batchScatter = gemmNT(centred, dim, centred, dim, rows, { symmetric: true });

    this.dimension = dim;
    if (this.mean === undefined || this.scatter === undefined) {
      this.mean = batchMean;
      this.scatter = batchScatter;
    } else {
      const na = this.n;
      const total = na + rows;
      const delta = new Float64Array(dim);
      for (let j = 0; j < dim; j++) delta[j] = batchMean[j] - this.mean[j];
      const f = (na * rows) / total;
      const s = this.scatter;
      for (let i = 0; i < dim; i++) {
        const o = i * dim;
        const di = delta[i] * f;
        for (let j = 0; j < dim; j++) s[o + j] += batchScatter[o + j] + di * delta[j];
      }
      const w = rows / total;
      for (let j = 0; j < dim; j++) this.mean[j] += delta[j] * w;
    }
    this.n += rows;
    this.batchCount += 1;
    return this;
  }

  /**
   * The statistics of everything added so far (copies; the accumulator can keep going).
   * @throws MetricInputError when fewer than 2 samples were added.
   */
  statistics(): FeatureStatistics {
    if (this.n < 2 || this.mean === undefined || this.scatter === undefined || this.dimension === undefined) {
      throw new MetricInputError(`${this.name}: need at least 2 samples (rows) to estimate a covariance, received ${this.n}`);
    }
    const d = this.dimension;
    const sigma = new Float64Array(d * d);
    const inv = 1 / (this.n - 1);
    for (let i = 0; i < d * d; i++) sigma[i] = this.scatter[i] * inv;
    return { mu: Float64Array.from(this.mean), sigma, count: this.n, dim: d };
  }

  /** Forgets everything added (keeps a dimension given to the constructor). */
  reset(dim?: number): void {
    this.n = 0;
    this.batchCount = 0;
    this.mean = undefined;
    this.scatter = undefined;
    this.dimension = dim;
  }
}

/**
 * μ and Σ of a feature set, in float64 (numpy `mean(axis=0)` and `cov(rowvar=False)`, i.e. the
 * unbiased n − 1 covariance). Source: StudioGAN `src/metrics/fid.py`, torch-fidelity
 * `fid_features_to_statistics`.
 *
 * @param features [n, d], rows are samples: tf.Tensor2D, number[][], `{ data, shape }` or `{ features, dim }`.
 * @throws MetricInputError for n < 2, ragged rows or non-finite values (naming row and column).
 */
export function featuresToStatistics(features: FeatureInput): FeatureStatistics {
  return new StatisticsAccumulator().add(features).statistics();
}

/**
 * Checks a {@link FeatureStatistics}-shaped object (lengths, finiteness, symmetry) and returns it.
 * @throws MetricInputError naming `argName`.
 */
export function validateStatistics(stats: FeatureStatistics, argName = 'stats'): FeatureStatistics {
  if (stats == null || !(stats.mu instanceof Float64Array || Array.isArray(stats.mu) || ArrayBuffer.isView(stats.mu))) {
    throw new MetricInputError(`${argName}: expected { mu, sigma, count, dim } statistics, received ${stats == null ? String(stats) : 'an object without mu'}`);
  }
  const d = stats.mu.length;
  if (stats.dim !== undefined && stats.dim !== d) {
    throw new MetricInputError(`${argName}: dim is ${stats.dim} but mu has length ${d}`);
  }
  if (stats.sigma == null || stats.sigma.length !== d * d) {
    throw new MetricInputError(`${argName}: sigma must have length dim² = ${d * d} (row-major ${d} × ${d}), received ${stats.sigma?.length}`);
  }
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(stats.mu[i])) throw new MetricInputError(`${argName}: mu[${i}] is ${stats.mu[i]}`);
  }
  let maxAbs = 0;
  for (let i = 0; i < d * d; i++) {
    const v = stats.sigma[i];
    if (!Number.isFinite(v)) throw new MetricInputError(`${argName}: sigma[${Math.floor(i / d)}, ${i % d}] is ${v}`);
    if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  }
  const tol = 1e-5 * maxAbs;
  for (let i = 0; i < d; i++) {
    if (stats.sigma[i * d + i] < -tol) throw new MetricInputError(`${argName}: sigma has a negative variance ${stats.sigma[i * d + i]} at [${i}, ${i}]`);
    for (let j = i + 1; j < d; j++) {
      if (Math.abs(stats.sigma[i * d + j] - stats.sigma[j * d + i]) > tol) {
        throw new MetricInputError(`${argName}: sigma is not symmetric: [${i}, ${j}] = ${stats.sigma[i * d + j]} but [${j}, ${i}] = ${stats.sigma[j * d + i]}`);
      }
    }
  }
  return stats;
}
