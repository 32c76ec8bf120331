import type * as tf from '@tensorflow/tfjs-core';

/**
 * Per-forward switches, derived once from the public `apply` options and passed down to every
 * layer.
 */
export interface ForwardContext {
  /** Batch norm normalises with the batch's statistics (else with the running statistics). */
  batchStatistics: boolean;
  /** Batch norm updates its running statistics and `num_batches_tracked` (needs batchStatistics). */
  updateStatistics: boolean;
  /** Spectral norm runs one power iteration and stores the new u and v. */
  updateSpectralNorm: boolean;
  /** When set, batch norms add their batch statistics to it (standing statistics). */
  standing?: StandingStatisticsCollector;
}

/** Receives every batch norm's batch mean and unbiased variance during a standing-statistics pass. */
export interface StandingStatisticsCollector {
  add(layer: object, mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D): void;
}

/** Options of the generators' and discriminators' `apply`. */
export interface ApplyOptions {
  /**
   * Training mode: batch statistics in batch norm, one spectral-norm power iteration (u and v
   * updated) and, unless `updateStatistics` is false, running-statistics updates. Evaluation
   * mode (false) changes no state.
   */
  training: boolean;
  /**
   * Whether batch norms update running statistics in training mode (default `training`).
   * StudioGAN freezes G's statistics during the D step (`untrack_bn_statistics`).
   */
  updateStatistics?: boolean;
  /** Whether spectral norm updates u and v (default `training`). */
  updateSpectralNorm?: boolean;
  /**
   * Batch norm statistics: 'batch' or 'running' (default: 'batch' when training, else 'running').
   * 'batch' with `training: false` is StudioGAN's `-batch_stat` evaluation mode (no state changes).
   */
  batchNormStatistics?: 'batch' | 'running';
}

export function forwardContext(options: ApplyOptions, standing?: StandingStatisticsCollector): ForwardContext {
  if (options === undefined || typeof options.training !== 'boolean') {
    throw new TypeError(
      `apply: options.training must be a boolean (true = training mode, false = evaluation), received ${
        options === undefined ? 'no options' : String(options.training)
      }`,
    );
  }
  const stats = options.batchNormStatistics ?? (options.training ? 'batch' : 'running');
  if (stats !== 'batch' && stats !== 'running') {
    throw new TypeError(`apply: options.batchNormStatistics must be 'batch' or 'running', received ${String(stats)}`);
  }
  const batchStatistics = stats === 'batch';
  return {
    batchStatistics,
    updateStatistics: batchStatistics && options.training && (options.updateStatistics ?? true),
    updateSpectralNorm: options.updateSpectralNorm ?? options.training,
    standing,
  };
}
