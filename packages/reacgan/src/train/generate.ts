import * as data from '@reacgan/data';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../config/resolve.js';

/** Generation settings for `Trainer.generate` and {@link generateImages}. */
export interface GenerateOptions {
  /** Use the EMA generator when there is one (default true). */
  ema?: boolean;
  /**
   * Generate with this generator instead of G / G_ema — e.g. a copy with standing statistics from
   * `standingStatisticsCopy(trainer.evaluationGenerator(), …)` (pass batchNormStatistics 'running' with it).
   */
  generator?: models.Generator;
  /** BN statistics: 'running' (eval mode), 'batch' (StudioGAN -batch_stat); default from run.batchStatistics. */
  batchNormStatistics?: 'running' | 'batch';
  /**
   * Spectral norm while generating (`models.SpectralNormSampling`): 'fixed' (default) uses the stored u, v and
   * changes no state; 'iterate' runs one power iteration per forward pass and stores u, v, as StudioGAN's
   * sampling does (`GeneratorController.prepare_generator`): use it to reproduce StudioGAN's images.
   */
  spectralNorm?: models.SpectralNormSampling;
  /** Truncation threshold for z (−1 or null: none); default run.truncationFactor. */
  truncation?: number | null;
  /** Random stream for z (default: a fresh stream derived from the run seed and `seedKey`). */
  rng?: data.Rng;
  /**
   * The latents z, row-major [labels.length, zDim] (e.g. read from a `.npy` file for interop): used as given,
   * instead of drawing them from `rng` (truncation then does not apply).
   */
  latents?: Float32Array;
  seedKey?: number;
  /** Images per forward pass (default 100). */
  batchSize?: number;
}

/**
 * Generates images with a generator for `labels` in batches (evaluation mode: running BN statistics, or
 * batch statistics without changing any BN state; spectral norm per `options.spectralNorm`).
 * @throws TypeError for an unknown `spectralNorm`.
 * @returns NHWC float32 in [−1, 1], [labels.length, S, S, C].
 */
export function generateImages(generator: models.Generator, config: ReacganConfig, labels: Int32Array, options: GenerateOptions & { rng: data.Rng }): tf.Tensor4D {
  const batchSize = options.batchSize ?? 100;
  const stats = options.batchNormStatistics ?? (config.run.batchStatistics ? 'batch' : 'running');
  const truncation = options.truncation ?? config.run.truncationFactor;
  const zDim = config.model.zDim;
  const applyOptions = models.evaluationApplyOptions(stats, options.spectralNorm ?? 'fixed');
  if (options.latents && options.latents.length !== labels.length * zDim) {
    throw new Error(`generateImages: latents must hold labels.length × zDim = ${labels.length} × ${zDim} values, received ${options.latents.length}`);
  }
  const parts: tf.Tensor4D[] = [];
  for (let start = 0; start < labels.length; start += batchSize) {
    const y = labels.subarray(start, Math.min(labels.length, start + batchSize));
    const z = options.latents
      ? options.latents.subarray(start * zDim, (start + y.length) * zDim)
      : data.sampleLatents(options.rng, y.length, zDim, { prior: config.model.zPrior, truncation: truncation === -1 ? null : truncation });
    parts.push(
      tf.tidy(() => generator.apply(tf.tensor2d(z, [y.length, config.model.zDim]), tf.tensor1d(y, 'int32'), applyOptions)),
    );
  }
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}
