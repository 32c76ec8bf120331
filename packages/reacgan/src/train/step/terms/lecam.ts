import * as losses from '@reacgan/losses';
import * as tf from '@tensorflow/tfjs-core';
import type { LossTermDefinition } from '../terms.js';

/** StudioGAN's `ops.LeCamEMA` initial value of every average. */
const LECAM_EMA_INIT = 7777;

/**
 * LeCam regularisation (Tseng et al., CVPR 2021), StudioGAN master `worker.py` and `ops.LeCamEMA`: in every D
 * micro-batch, first the moving averages of D's mean outputs move,
 *   α_real ← d·α_real + (1 − d)·mean D(x_real),   α_fake ← d·α_fake + (1 − d)·mean D(x_fake),
 * with d = `lecamEmaDecay`, or 0 while the step is below `lecamEmaStartIter` (the averages then equal the
 * current means); then, once the step is above `lecamEmaStartIter`, D adds
 *   λ_LeCam · (mean ReLU(D(x_real) − α_fake)² + mean ReLU(α_real − D(x_fake))²)
 * (`losses.lecamRegularizer`). The averages (initially 7777, as StudioGAN's) are the term's state, saved in
 * checkpoints as `terms.D.lecam.D_real` / `D_fake`. StudioGAN keeps them as Python floats (float64); here
 * they are float32 on the device, so the step reads nothing back.
 */
export const lecamTerms: LossTermDefinition = {
  name: 'LeCam',
  switches: ['loss.applyLecam'],
  check(config) {
    if (!config.loss.applyLecam) return [];
    const keys = [['lecamLambda', 'a number'], ['lecamEmaStartIter', 'a non-negative integer'], ['lecamEmaDecay', 'a number in [0, 1]']] as const;
    return keys.filter(([key]) => config.loss[key] === null).map(([key, expected]) => `loss.${key}: expected ${expected} (required by loss.applyLecam), received null`);
  },
  create(config) {
    if (!config.loss.applyLecam) return [];
    const startIter = config.loss.lecamEmaStartIter!;
    const decay = config.loss.lecamEmaDecay!;
    const emaReal = tf.variable(tf.scalar(LECAM_EMA_INIT), false);
    const emaFake = tf.variable(tf.scalar(LECAM_EMA_INIT), false);
    const update = (ema: tf.Variable, mean: tf.Scalar, d: number) => {
      ema.assign(tf.tidy(() => tf.add(tf.mul(ema, d), tf.mul(mean, 1 - d))));
    };
    return [
      {
        name: 'lecam',
        network: 'D',
        weight: config.loss.lecamLambda!,
        state: new Map([
          ['D_real', emaReal],
          ['D_fake', emaFake],
        ]),
        value: ({ real, fake, step }) => {
          const d = step < startIter ? 0 : decay;
          // The averages carry no gradient: the assignments are not on the tape.
          update(emaReal, tf.mean(real.output.advOutput) as tf.Scalar, d);
          update(emaFake, tf.mean(fake.output.advOutput) as tf.Scalar, d);
          if (step <= startIter) return null;
          return losses.lecamRegularizer(real.output.advOutput, fake.output.advOutput, emaReal as unknown as tf.Scalar, emaFake as unknown as tf.Scalar);
        },
      },
    ];
  },
};
