import * as losses from '@reacgan/losses';
import type * as tf from '@tensorflow/tfjs-core';
import type { LossTermDefinition } from '../terms.js';

/**
 * The adversarial loss (`LOSS.adv_loss`), StudioGAN v0.3.0 `worker.py`:
 * D: adv_D(D(x_real), D(x_fake)); G: adv_G(D(G(z))).
 * Multi-hinge (`adv_loss: MH`): D: CS(o_real, y_real) + CS(o_fake, C); G: mh_lambda · CS(o_fake, y_fake).
 */
export const adversarialTerms: LossTermDefinition = {
  name: 'adversarial loss',
  create(config) {
    if (config.loss.advLoss === 'MH') {
      return [
        {
          name: 'adv',
          network: 'D',
          weight: 1,
          value: ({ real, fake }) => losses.multiHingeDiscriminatorLoss(real.output.advOutput as unknown as tf.Tensor2D, real.labels, fake.output.advOutput as unknown as tf.Tensor2D),
        },
        {
          name: 'adv',
          network: 'G',
          weight: config.loss.mhLambda!,
          value: ({ fake }) => losses.multiHingeGeneratorLoss(fake.output.advOutput as unknown as tf.Tensor2D, fake.labels),
        },
      ];
    }
    const loss = losses.adversarialLoss(config.loss.advLoss);
    return [
      { name: 'adv', network: 'D', weight: 1, value: ({ real, fake }) => loss.discriminator(real.output.advOutput, fake.output.advOutput) },
      { name: 'adv', network: 'G', weight: 1, value: ({ fake }) => loss.generator(fake.output.advOutput) },
    ];
  },
};
