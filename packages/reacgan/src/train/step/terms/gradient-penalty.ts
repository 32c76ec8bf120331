import * as losses from '@reacgan/losses';
import * as tf from '@tensorflow/tfjs-core';
import type { LossTermDefinition } from '../terms.js';

/**
 * WGAN-GP (Gulrajani et al. 2017), StudioGAN `losses.cal_grad_penalty` (v0.3.0 and master): per image
 * α ~ U[0, 1), x̂ = α·x_real + (1 − α)·x_fake (the batches as loaded and generated, without the input
 * transforms), a further training-mode D pass on x̂ with the real labels, g = ∂ Σ advOutput(x̂) / ∂ x̂, and
 * D adds λ_GP · mean_i (‖g_i‖₂ − 1)² (`losses.gradientPenalty`). Differentiating that with respect to D's
 * parameters takes second-order gradients through D (see @reacgan/models' `installHigherOrderGradients`).
 */
export const gradientPenaltyTerms: LossTermDefinition = {
  name: 'gradient penalty (WGAN-GP)',
  switches: ['loss.applyGp'],
  check: (config) => (config.loss.applyGp && config.loss.gpLambda === null ? ['loss.gpLambda: expected a number (required by loss.applyGp), received null'] : []),
  create(config) {
    if (!config.loss.applyGp) return [];
    return [
      {
        name: 'gp',
        network: 'D',
        weight: config.loss.gpLambda!,
        needs: { secondOrder: true },
        value: (ctx) => {
          const { real, fake } = ctx;
          const n = real.labels.length;
          const alpha = tf.tensor4d(ctx.random.uniform(n), [n, 1, 1, 1]);
          const interpolates = tf.add(tf.mul(alpha, real.images), tf.mul(tf.sub(1, alpha), fake.images)) as tf.Tensor4D;
          const { grads } = tf.engine().gradients(() => tf.sum(ctx.discriminate(interpolates, real.labelTensor, { differentiatedTwice: true }).advOutput) as tf.Scalar, [interpolates]);
          return losses.gradientPenalty(grads[0]);
        },
      },
    ];
  },
};
