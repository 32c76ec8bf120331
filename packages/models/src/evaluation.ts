import * as tf from '@tensorflow/tfjs-core';
import type { BatchNorm2d } from './layers/batch-norm.js';
import type { ApplyOptions, StandingStatisticsCollector } from './layers/context.js';
import type { Generator } from './networks.js';
import { SeededRandom, randomSeed } from './random.js';

/**
 * How a generator's batch norms behave when generating for evaluation (StudioGAN's evaluation
 * options; log it with every metric):
 * - `'running'`: running statistics (PyTorch eval mode; StudioGAN's default);
 * - `'batch'`: each batch's own statistics, nothing updated (StudioGAN `-batch_stat`);
 * - `'standing'`: running statistics re-estimated first from K generated batches
 *   ({@link applyStandingStatistics}; StudioGAN `-std_stat`), then used as in 'running'.
 * None of them changes spectral-norm vectors unless generation uses `spectralNorm: 'iterate'`
 * ({@link SpectralNormSampling}, StudioGAN's sampling).
 */
export type EvaluationMode = 'running' | 'batch' | 'standing';

export const EVALUATION_MODES: readonly EvaluationMode[] = ['running', 'batch', 'standing'];

/**
 * What spectral norm does while generating:
 * - `'iterate'`: one power iteration per forward, u and v updated — StudioGAN's sampling
 *   (`misc.GeneratorController.prepare_generator` puts G in eval mode, then every Conv/Linear/Embedding back
 *   in train mode). Needed to reproduce StudioGAN's images, above all for EMA generators, whose u and v are
 *   EMA-blended (neither unit-length nor consistent). Each call changes the generator's u and v.
 * - `'fixed'`: u and v as stored; generation changes no state.
 */
export type SpectralNormSampling = 'iterate' | 'fixed';

export const SPECTRAL_NORM_SAMPLING: readonly SpectralNormSampling[] = ['iterate', 'fixed'];

/**
 * The `apply` options of an evaluation mode ('standing' → 'running': call applyStandingStatistics first), with
 * spectral norm `spectralNorm` (default 'fixed', no state change; 'iterate' = StudioGAN's sampling).
 */
export function evaluationApplyOptions(mode: EvaluationMode, spectralNorm: SpectralNormSampling = 'fixed'): ApplyOptions {
  if (spectralNorm !== 'iterate' && spectralNorm !== 'fixed') {
    throw new TypeError(`evaluationApplyOptions: spectralNorm must be one of ${SPECTRAL_NORM_SAMPLING.join(', ')}, received ${String(spectralNorm)}`);
  }
  const updateSpectralNorm = spectralNorm === 'iterate';
  switch (mode) {
    case 'running':
    case 'standing':
      return { training: false, batchNormStatistics: 'running', updateSpectralNorm };
    case 'batch':
      return { training: false, batchNormStatistics: 'batch', updateSpectralNorm };
    default:
      throw new TypeError(`evaluationApplyOptions: mode must be one of ${EVALUATION_MODES.join(', ')}, received ${String(mode)}`);
  }
}

/**
 * Generates images for evaluation in `mode` (see {@link EvaluationMode}); for 'standing' the
 * statistics must have been estimated with {@link applyStandingStatistics}. `spectralNorm: 'iterate'`
 * samples as StudioGAN does (see {@link SpectralNormSampling}; updates u and v).
 * @returns float32 NHWC [N, S, S, C] in [−1, 1]
 */
export function generateImages(
  generator: Generator,
  z: tf.Tensor2D,
  labels: tf.Tensor1D,
  mode: EvaluationMode = 'running',
  spectralNorm: SpectralNormSampling = 'fixed',
): tf.Tensor4D {
  return generator.apply(z, labels, evaluationApplyOptions(mode, spectralNorm));
}

export interface StandingStatisticsOptions {
  /** Number of generated batches K (StudioGAN `standing_step`). */
  steps: number;
  /** Batch size (with `randomBatchSize`, the maximum: StudioGAN `standing_max_batch`). */
  batchSize: number;
  /** Draw each batch size uniformly from [1, batchSize] as StudioGAN does (default false). */
  randomBatchSize?: boolean;
  /**
   * 'cumulative' (default): running mean / variance = the average over the K batches of the batch
   * mean / unbiased variance (BigGAN-PyTorch's standing statistics, momentum None).
   * A number m: StudioGAN's procedure — reset to (0, 1), then K momentum updates
   * r ← (1 − m)·r + m·s (StudioGAN's BN momentum is 0.1, so early batches fade).
   */
  momentum?: 'cumulative' | number;
  /** Seed for z, labels and batch sizes (default random). */
  seed?: number;
  /**
   * Custom inputs per batch (default: z from the config's prior — N(0, 1), or U(−1, 1) for
   * 'uniform' — and uniformly random labels). Returned tensors are disposed after use.
   */
  sample?: (batchSize: number, step: number) => { z: tf.Tensor2D; labels: tf.Tensor1D };
}

class Accumulator implements StandingStatisticsCollector {
  readonly sums = new Map<BatchNorm2d, { mean: tf.Tensor; variance: tf.Tensor; count: number }>();
  constructor(private readonly momentum: number | null) {}

  add(layer: object, mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D): void {
    const bn = layer as BatchNorm2d;
    if (this.momentum !== null) {
      const m = this.momentum;
      tf.tidy(() => {
        bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(mean, m)));
        bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(unbiasedVariance, m)));
        bn.numBatchesTracked.assign(tf.add(bn.numBatchesTracked, tf.scalar(1, 'int32')));
      });
      return;
    }
    const previous = this.sums.get(bn);
    const next = {
      mean: tf.keep(previous ? tf.add(previous.mean, mean) : tf.clone(mean)),
      variance: tf.keep(previous ? tf.add(previous.variance, unbiasedVariance) : tf.clone(unbiasedVariance)),
      count: (previous?.count ?? 0) + 1,
    };
    if (previous) tf.dispose([previous.mean, previous.variance]);
    this.sums.set(bn, next);
  }

  finish(): void {
    for (const [bn, { mean, variance, count }] of this.sums) {
      tf.tidy(() => {
        bn.runningMean.assign(tf.div(mean, count));
        bn.runningVar.assign(tf.div(variance, count));
        bn.numBatchesTracked.assign(tf.scalar(count, 'int32'));
      });
      tf.dispose([mean, variance]);
    }
    this.sums.clear();
  }
}

/**
 * Standing statistics (Brock et al., BigGAN §C; StudioGAN `misc.apply_standing_statistics`):
 * re-estimates every batch norm's running mean and variance of `generator` from `steps`
 * generated batches, each BN seeing the statistics its input has when all BNs use batch
 * statistics. Spectral-norm vectors are not touched (StudioGAN's pass runs in train mode and also
 * advances them; here the function the network computes stays fixed). Afterwards generate with
 * the 'running' / 'standing' mode.
 */
export function applyStandingStatistics(generator: Generator, options: StandingStatisticsOptions): void {
  if (!Number.isInteger(options.steps) || options.steps < 1) {
    throw new RangeError(`applyStandingStatistics: steps must be a positive integer, received ${String(options.steps)}`);
  }
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    throw new RangeError(`applyStandingStatistics: batchSize must be a positive integer, received ${String(options.batchSize)}`);
  }
  const momentum = options.momentum ?? 'cumulative';
  if (momentum !== 'cumulative' && !(typeof momentum === 'number' && momentum > 0 && momentum <= 1)) {
    throw new RangeError(`applyStandingStatistics: momentum must be 'cumulative' or a number in (0, 1], received ${String(momentum)}`);
  }
  const rng = new SeededRandom(options.seed ?? randomSeed());
  const accumulator = new Accumulator(momentum === 'cumulative' ? null : momentum);
  if (momentum !== 'cumulative') for (const bn of generator.batchNorms()) bn.resetRunningStatistics();
  const uniform = generator.config.zPrior === 'uniform';
  try {
    for (let step = 0; step < options.steps; step++) {
      const n = options.randomBatchSize ? 1 + rng.integer(options.batchSize) : options.batchSize;
      const inputs = options.sample
        ? options.sample(n, step)
        : {
            z: (uniform
              ? tf.randomUniform([n, generator.zDim], -1, 1, 'float32', rng.nextUint32())
              : tf.randomNormal([n, generator.zDim], 0, 1, 'float32', rng.nextUint32())) as tf.Tensor2D,
            labels: tf.tensor1d(Int32Array.from({ length: n }, () => rng.integer(generator.numClasses)), 'int32'),
          };
      try {
        generator.collectStatistics(inputs.z, inputs.labels, accumulator);
      } finally {
        tf.dispose([inputs.z, inputs.labels]);
      }
    }
    accumulator.finish();
  } catch (error) {
    for (const { mean, variance } of accumulator.sums.values()) tf.dispose([mean, variance]);
    throw error;
  }
}
