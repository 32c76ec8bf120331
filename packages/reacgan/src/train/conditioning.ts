/**
 * The conditioning and adversarial terms of StudioGAN v0.3.0's `WORKER.train_discriminator` and
 * `train_generator` (`src/worker.py`), one function per network. Conditioning losses are computed per
 * micro-batch, on real samples only in D (ACGAN-Mod's rule, also ReACGAN's) and on fakes with their
 * sampled labels in G.
 */
import * as losses from '@reacgan/losses';
import type * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../config/resolve.js';

/** The loss terms of one network's loss (each a scalar), plus the total. */
export interface LossTerms {
  total: tf.Scalar;
  /** Named parts, e.g. { adv, cond } or { adv, cond, fm }. */
  parts: Record<string, tf.Scalar>;
}

/** A conditioning method's loss on one D output with its labels, or null when the method has none (PD, MD, W/O, MH). */
export function conditioningLoss(config: ReacganConfig, out: models.DiscriminatorOutput, labels: Int32Array): tf.Scalar | null {
  const method = config.model.dCondMtd;
  const { loss } = config;
  switch (method) {
    case 'AC':
      if (!out.clsOutput) throw new Error("trainer: the discriminator returned no clsOutput for dCondMtd 'AC'");
      return losses.crossEntropyLoss(out.clsOutput, labels);
    case '2C':
      if (!out.embed || !out.proxy) throw new Error("trainer: the discriminator returned no embed/proxy for dCondMtd '2C'");
      return losses.conditionalContrastiveLoss({ embed: out.embed, proxy: out.proxy, labels }, { temperature: loss.temperature! });
    case 'D2DCE':
      if (!out.embed || !out.proxy) throw new Error("trainer: the discriminator returned no embed/proxy for dCondMtd 'D2DCE'");
      return losses.data2DataCrossEntropyLoss(
        { embed: out.embed, proxy: out.proxy, labels },
        { temperature: loss.temperature!, positiveMargin: loss.mP!, negativeMargin: loss.mN ?? 1 - loss.mP!, variant: loss.d2dceVariant },
      );
    default:
      return null;
  }
}

/**
 * D's loss on one micro-batch (before division by acmlSteps):
 *   MH:        CS(o_real, y_real) + CS(o_fake, C)                          (`LOSS.adv_loss: MH`)
 *   otherwise: adv_D(o_real, o_fake) + λ · cond(real outputs, y_real)      (no conditioning loss on fakes)
 */
export function discriminatorLoss(
  config: ReacganConfig,
  real: models.DiscriminatorOutput,
  realLabels: Int32Array,
  fake: models.DiscriminatorOutput,
): LossTerms {
  const parts: Record<string, tf.Scalar> = {};
  if (config.loss.advLoss === 'MH') {
    parts.adv = losses.multiHingeDiscriminatorLoss(real.advOutput as unknown as tf.Tensor2D, realLabels, fake.advOutput as unknown as tf.Tensor2D);
  } else {
    parts.adv = losses.adversarialLoss(config.loss.advLoss).discriminator(real.advOutput, fake.advOutput);
  }
  let total = parts.adv;
  const cond = conditioningLoss(config, real, realLabels);
  if (cond) {
    parts.cond = cond;
    total = tf.add(total, tf.mul(cond, config.loss.condLambda!));
  }
  return { total, parts };
}

/**
 * G's loss on one micro-batch (before division by acmlSteps):
 *   MH:        λ_MH · CS(o_fake, y_fake)
 *   otherwise: adv_G(o_fake) + λ · cond(fake outputs, y_fake)
 * plus λ_FM · mean|E[h_real] − E[h_fake]| when `loss.applyFm` (h_real carries no gradient).
 */
export function generatorLoss(
  config: ReacganConfig,
  fake: models.DiscriminatorOutput,
  fakeLabels: Int32Array,
  realFeatures?: tf.Tensor2D,
): LossTerms {
  const parts: Record<string, tf.Scalar> = {};
  let total: tf.Scalar;
  if (config.loss.advLoss === 'MH') {
    parts.adv = losses.multiHingeGeneratorLoss(fake.advOutput as unknown as tf.Tensor2D, fakeLabels);
    total = tf.mul(parts.adv, config.loss.mhLambda!);
  } else {
    parts.adv = losses.adversarialLoss(config.loss.advLoss).generator(fake.advOutput);
    total = parts.adv;
  }
  const cond = conditioningLoss(config, fake, fakeLabels);
  if (cond) {
    parts.cond = cond;
    total = tf.add(total, tf.mul(cond, config.loss.condLambda!));
  }
  if (config.loss.applyFm) {
    if (!realFeatures) throw new Error('trainer: feature matching needs real features');
    // StudioGAN feature_matching_loss: mean(|mean(fake_h, 0) − mean(real_h.detach(), 0)|).
    const fm = tf.mean(tf.abs(tf.sub(tf.mean(fake.h, 0), tf.mean(realFeatures, 0)))) as tf.Scalar;
    parts.fm = fm;
    total = tf.add(total, tf.mul(fm, config.loss.fmLambda!));
  }
  return { total, parts };
}
