import { assertNonNegativeInteger, assertPositiveInteger, badArgument } from './errors.js';
import { type Rng } from './rng.js';

/**
 * Uniform class labels for the generator: n draws from {0, …, numClasses − 1}, each
 * `rng.nextInt(numClasses)`. StudioGAN: `sample_y(y_sampler="totally_random")`
 * (`src/utils/sample.py`), i.e. `torch.randint(0, num_classes, (n,))`.
 *
 * @returns int32 labels, length n.
 * @throws DatasetError (BAD_ARGUMENT) for a non-integer n or numClasses < 1.
 */
export function sampleClassLabels(rng: Rng, n: number, numClasses: number): Int32Array {
  assertNonNegativeInteger('sampleClassLabels(n)', n);
  assertPositiveInteger('sampleClassLabels(numClasses)', numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextInt(numClasses);
  return out;
}

/**
 * Labels 0, 1, …, numClasses − 1, 0, 1, … (n of them): a class-balanced, deterministic label batch
 * for sample grids and per-class evaluation (StudioGAN's `y_sampler="acending_all"` order).
 */
export function ascendingClassLabels(n: number, numClasses: number): Int32Array {
  assertNonNegativeInteger('ascendingClassLabels(n)', n);
  assertPositiveInteger('ascendingClassLabels(numClasses)', numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i % numClasses;
  return out;
}

/** Prior of the latent z (StudioGAN `MODEL.z_prior`). */
export type LatentPrior = 'gaussian' | 'uniform';

export interface SampleLatentsOptions {
  /** 'gaussian' (default, N(0, 1) per entry) or 'uniform' (U[−1, 1) per entry). */
  prior?: LatentPrior;
  /**
   * Truncation trick (gaussian prior only): a threshold t > 0 draws each entry from N(0, 1)
   * truncated to [−t, t] by rejection (StudioGAN `truncated_normal` = `scipy.stats.truncnorm(-t, t)`,
   * no rescaling). Absent, null or −1 (StudioGAN's "off" value) = no truncation.
   */
  truncation?: number | null;
}

/**
 * Latent vectors z for the generator: [n, zDim] float32, row-major (`z[i * zDim + j]`).
 * Gaussian entries come from `rng.normal()` (Box–Muller), uniform ones from `rng.uniform(-1, 1)`.
 * StudioGAN: `sample_normal` / `z.uniform_(-1, 1)` in `src/utils/sample.py`.
 *
 * @throws DatasetError (BAD_ARGUMENT) for bad sizes, an unknown prior, or truncation with the
 *   uniform prior or a threshold ≤ 0 other than −1.
 */
export function sampleLatents(rng: Rng, n: number, zDim: number, options: SampleLatentsOptions = {}): Float32Array {
  assertNonNegativeInteger('sampleLatents(n)', n);
  assertPositiveInteger('sampleLatents(zDim)', zDim);
  const prior = options.prior ?? 'gaussian';
  let truncation = options.truncation ?? null;
  if (truncation === -1) truncation = null;
  if (truncation !== null && (typeof truncation !== 'number' || !(truncation > 0) || !Number.isFinite(truncation))) {
    throw badArgument('sampleLatents(options.truncation)', 'a positive threshold, -1 or null', truncation);
  }
  const out = new Float32Array(n * zDim);
  if (prior === 'gaussian') {
    if (truncation === null) {
      for (let i = 0; i < out.length; i++) out[i] = rng.normal();
    } else {
      // Rejection: the acceptance rate is P(|z| ≤ t) (≈ 0.38 at t = 0.5, ≈ 0.08 at t = 0.1).
      for (let i = 0; i < out.length; i++) {
        let z = rng.normal();
        while (Math.abs(z) > truncation) z = rng.normal();
        out[i] = z;
      }
    }
  } else if (prior === 'uniform') {
    if (truncation !== null) throw badArgument('sampleLatents(options.truncation)', "null with prior 'uniform'", truncation);
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-1, 1);
  } else {
    throw badArgument('sampleLatents(options.prior)', "'gaussian' or 'uniform'", prior);
  }
  return out;
}
