import { MetricInputError } from './errors.js';
import { type FeatureInput, toDenseFeatures } from './features.js';
import { MetricRng } from './rng.js';

export interface InceptionScoreOptions {
  /**
   * Number of splits; the score is exp(E KL) per split, reported as mean and std over splits.
   * Default 10 (the customary value). StudioGAN's presets use 1 (the whole set once).
   */
  splits?: number;
  /** Whether `scores` are logits (softmax applied here, in float64, with log-sum-exp) or probabilities. Default 'logits'. */
  from?: 'logits' | 'probabilities';
  /**
   * Splits are taken **in order, without shuffling** (StudioGAN `metrics/ins.py`, OpenAI's
   * improved-gan): sorted-by-class inputs then give a wrong (too low) score for splits > 1. Pass a
   * seed to shuffle the rows with a seeded permutation first (torch-fidelity shuffles with 2020).
   * Default undefined (no shuffle).
   */
  shuffleSeed?: number;
  /** Tolerance for probability rows summing to 1 (from = 'probabilities'). Default 1e-3. */
  probabilityTolerance?: number;
}

/** Inception Score with the protocol that produced it. */
export interface InceptionScoreResult {
  /** Mean over splits of exp(mean_i KL(p(y|xᵢ) ‖ p̄(y))). */
  mean: number;
  /** Population standard deviation (ddof 0, numpy `np.std`) over splits; 0 for one split. */
  std: number;
  /** Per-split scores. */
  scores: number[];
  splits: number;
  count: number;
  /** The shuffle seed, or null when the rows were used in the given order. */
  shuffleSeed: number | null;
  from: 'logits' | 'probabilities';
}

/**
 * Inception Score (Salimans et al. 2016): IS = exp(E_x KL(p(y|x) ‖ p(y))), computed in float64.
 * Split j covers rows ⌊j·N/splits⌋ … ⌊(j+1)·N/splits⌋ − 1 (StudioGAN `calculate_kl_div`), so no
 * row is dropped. 0·log 0 is taken as 0 (exact zeros in probabilities are fine).
 *
 * @param scores [N, C] logits or probabilities (rows are samples), e.g. the 1008-way logits of
 *   `inception-v3-fid` (softmax over all 1008, as StudioGAN). An extractor result
 *   (`{ features, dim, logits, logitsDim }`) may be passed as it is: its logits are used.
 * @throws MetricInputError for fewer samples than splits, non-finite values, negative probabilities
 *   or rows that do not sum to 1.
 */
export function inceptionScore(scores: FeatureInput, options: InceptionScoreOptions = {}): InceptionScoreResult {
  const { splits = 10, from = 'logits', shuffleSeed, probabilityTolerance = 1e-3 } = options;
  if (!Number.isInteger(splits) || splits < 1) {
    throw new MetricInputError(`inceptionScore: options.splits must be a positive integer, received ${splits}`);
  }
  if (from !== 'logits' && from !== 'probabilities') {
    throw new MetricInputError(`inceptionScore: options.from must be 'logits' or 'probabilities', received ${String(from)}`);
  }
  const { data, rows: n, dim: c } = toDenseFeatures(logitsOf(scores), 'scores');
  if (n < splits) {
    throw new MetricInputError(`inceptionScore: need at least \`splits\` samples: received ${n} rows for splits = ${splits}`);
  }
  // Float64 probabilities and their logs, row by row.
  const p = new Float64Array(n * c);
  const logp = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const o = i * c;
    if (from === 'logits') {
      let max = -Infinity;
      for (let j = 0; j < c; j++) {
        const v = data[o + j];
        if (!Number.isFinite(v)) throw new MetricInputError(`inceptionScore: non-finite logit ${v} at row ${i}, column ${j}`);
        if (v > max) max = v;
      }
      let sum = 0;
      for (let j = 0; j < c; j++) sum += Math.exp(data[o + j] - max);
      const lse = max + Math.log(sum);
      for (let j = 0; j < c; j++) {
        logp[o + j] = data[o + j] - lse;
        p[o + j] = Math.exp(logp[o + j]);
      }
    } else {
      let sum = 0;
      for (let j = 0; j < c; j++) {
        const v = data[o + j];
        if (!Number.isFinite(v) || v < 0) throw new MetricInputError(`inceptionScore: probability ${v} at row ${i}, column ${j} is not a finite non-negative number`);
        sum += v;
      }
      if (Math.abs(sum - 1) > probabilityTolerance) {
        throw new MetricInputError(`inceptionScore: probabilities in row ${i} sum to ${sum}, expected 1 (pass from: 'logits' for unnormalised scores)`);
      }
      for (let j = 0; j < c; j++) {
        const v = data[o + j];
        p[o + j] = v;
        logp[o + j] = v > 0 ? Math.log(v) : 0; // only multiplied by v = 0
      }
    }
  }
  const order = shuffleSeed === undefined ? null : new MetricRng(shuffleSeed).permutation(n);
  const perSplit: number[] = [];
  const marginal = new Float64Array(c);
  const logMarginal = new Float64Array(c);
  for (let s = 0; s < splits; s++) {
    const start = Math.floor((s * n) / splits);
    const end = Math.floor(((s + 1) * n) / splits);
    const m = end - start;
    marginal.fill(0);
    for (let r = start; r < end; r++) {
      const o = (order ? order[r] : r) * c;
      for (let j = 0; j < c; j++) marginal[j] += p[o + j];
    }
    for (let j = 0; j < c; j++) {
      marginal[j] /= m;
      logMarginal[j] = marginal[j] > 0 ? Math.log(marginal[j]) : 0;
    }
    let kl = 0;
    for (let r = start; r < end; r++) {
      const o = (order ? order[r] : r) * c;
      for (let j = 0; j < c; j++) {
        const pj = p[o + j];
        if (pj > 0) kl += pj * (logp[o + j] - logMarginal[j]);
      }
    }
    perSplit.push(Math.exp(kl / m));
  }
  const mean = perSplit.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(perSplit.reduce((a, b) => a + (b - mean) * (b - mean), 0) / splits);
  return { mean, std, scores: perSplit, splits, count: n, shuffleSeed: shuffleSeed ?? null, from };
}

/** An extraction result carries its logits next to its features; IS wants the logits. */
function logitsOf(scores: FeatureInput): FeatureInput {
  const s = scores as { logits?: ArrayLike<number>; logitsDim?: number };
  if (s && typeof s === 'object' && !Array.isArray(s) && s.logits && s.logitsDim) return { features: s.logits, dim: s.logitsDim };
  return scores;
}
