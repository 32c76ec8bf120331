import * as tf from '@tensorflow/tfjs-core';
import type { LossTermDefinition } from '../terms.js';

/**
 * Feature matching for G (`LOSS.apply_fm`, weight `fm_lambda`; StudioGAN's MHGAN config), StudioGAN v0.3.0
 * `worker.py` and `losses.feature_matching_loss`: after the fake pass, D scores a real batch (input transforms
 * applied, as StudioGAN's `series_augment`) and
 *   L_FM = mean_k | mean_i h_fake[i, k] − mean_i h_real[i, k] |     (h_real carries no gradient).
 */
export const featureMatchingTerms: LossTermDefinition = {
  name: 'feature matching',
  switches: ['loss.applyFm'],
  check: (config) => (config.loss.applyFm && config.loss.fmLambda === null ? ['loss.fmLambda: expected a number (required by loss.applyFm), received null'] : []),
  create(config) {
    if (!config.loss.applyFm) return [];
    return [
      {
        name: 'fm',
        network: 'G',
        weight: config.loss.fmLambda!,
        needs: { realBatch: true },
        value: (ctx) => {
          const real = ctx.real!;
          const h = ctx.discriminate(ctx.transform(real.images), real.labelTensor).h;
          return tf.mean(tf.abs(tf.sub(tf.mean(ctx.fake.output.h, 0), tf.mean(h, 0)))) as tf.Scalar;
        },
      },
    ];
  },
};
