import * as losses from '@reacgan/losses';
import type * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../../../config/resolve.js';
import type { ConditioningMethod } from '../methods.js';
import type { LossTerm, LossTermDefinition } from '../terms.js';
import { AUGMENTATIONS, augmentationType } from '../transforms.js';

/**
 * MSE of D's outputs on two versions of a batch: on `advOutput`, plus on `embed` (2C, D2DCE) or `clsOutput`
 * (AC) — StudioGAN's `l2_loss(real_dict[…], real_prl_dict[…])` sums in `worker.py`.
 */
function outputConsistency(method: ConditioningMethod, a: models.DiscriminatorOutput, b: models.DiscriminatorOutput): tf.Scalar {
  const adv = losses.consistencyLoss(a.advOutput, b.advOutput);
  const key = method.consistencyOutput;
  return key ? (tf.add(adv, losses.consistencyLoss(a[key]!, b[key]!)) as tf.Scalar) : adv;
}

/**
 * StudioGAN's `AUG.parallel_augment`: `cr_aug_type` for CR, but `bcr_aug_type` when bCR is on too (its
 * `define_augments` sets the one attribute twice, bCR last).
 */
function parallelAugmentation(config: ReacganConfig) {
  return AUGMENTATIONS[config.loss.applyBcr ? config.aug.bcrAugType : config.aug.crAugType];
}

function typeProblems(config: ReacganConfig, which: 'problem' | 'unsupported'): string[] {
  const out: string[] = [];
  if (config.loss.applyCr) out.push(augmentationType(config.aug, 'crAugType', 'loss.applyCr')[which] ?? '');
  if (config.loss.applyBcr) out.push(augmentationType(config.aug, 'bcrAugType', 'loss.applyBcr')[which] ?? '');
  return out.filter(Boolean);
}

function needKeys(config: ReacganConfig, on: boolean, by: string, keys: readonly (keyof ReacganConfig['loss'])[]): string[] {
  return on ? keys.filter((key) => config.loss[key] === null).map((key) => `loss.${key}: expected a number (required by ${by}), received null`) : [];
}

/**
 * Consistency regularisation of D, StudioGAN v0.3.0 / master `worker.py` (identical):
 * - CR (Zhang et al., ICLR 2020), `applyCr`: λ_CR · C(D(x_real), D(T(x_real))), T the `crAugType` augmentation
 *   of the reals as loaded (not the input transforms);
 * - bCR (Zhao et al., AAAI 2021), `applyBcr`: λ_real · C(D(x_real), D(T(x_real))) ('bcrReal') and
 *   λ_fake · C(D(x_fake), D(T(x_fake))) ('bcrFake'), T = `bcrAugType`;
 * - zCR (Zhao et al., AAAI 2021), `applyZcr`: fakes from perturbed latents G(z + radius·ε); D adds
 *   λ_d · C(D(G(z)), D(G(z + radius·ε))) and G adds −λ_g · MSE(G(z), G(z + radius·ε)) (StudioGAN master:
 *   v0.3.0's `sample_zy` unpacks G's output and fails for non-StyleGAN generators).
 * C = MSE on `advOutput` plus MSE on `embed` (2C, D2DCE) or `clsOutput` (AC) (`losses.consistencyLoss`).
 */
export const consistencyTerms: LossTermDefinition = {
  name: 'consistency regularisation (CR, bCR, zCR)',
  switches: ['loss.applyCr', 'loss.applyBcr', 'loss.applyZcr'],
  check: (config) => [
    ...needKeys(config, config.loss.applyCr, 'loss.applyCr', ['crLambda']),
    ...needKeys(config, config.loss.applyBcr, 'loss.applyBcr', ['realLambda', 'fakeLambda']),
    ...needKeys(config, config.loss.applyZcr, 'loss.applyZcr', ['radius', 'gLambda', 'dLambda']),
    ...typeProblems(config, 'problem'),
  ],
  unsupported: (config) => typeProblems(config, 'unsupported'),
  create(config, method) {
    const { loss } = config;
    const terms: LossTerm[] = [];
    const augment = parallelAugmentation(config);
    if (loss.applyCr) {
      terms.push({
        name: 'cr',
        network: 'D',
        weight: loss.crLambda!,
        value: (ctx) => outputConsistency(method, ctx.real.output, ctx.discriminate(augment(ctx.real.images, ctx.random), ctx.real.labelTensor)),
      });
    }
    if (loss.applyBcr) {
      // StudioGAN augments reals then fakes, then scores both: the draws come first.
      let fakeAugmented: tf.Tensor4D | null = null;
      terms.push({
        name: 'bcrReal',
        network: 'D',
        weight: loss.realLambda!,
        value: (ctx) => {
          const realAugmented = augment(ctx.real.images, ctx.random);
          fakeAugmented = augment(ctx.fake.images, ctx.random);
          return outputConsistency(method, ctx.real.output, ctx.discriminate(realAugmented, ctx.real.labelTensor));
        },
      });
      terms.push({
        name: 'bcrFake',
        network: 'D',
        weight: loss.fakeLambda!,
        value: (ctx) => outputConsistency(method, ctx.fake.output, ctx.discriminate(fakeAugmented!, ctx.fake.labelTensor, { adcFake: config.model.auxClsType === 'ADC' })),
      });
    }
    if (loss.applyZcr) {
      terms.push({
        name: 'zcr',
        network: 'D',
        weight: loss.dLambda!,
        needs: { perturbedFakes: true },
        value: (ctx) => outputConsistency(method, ctx.fake.output, ctx.discriminate(ctx.fake.perturbed!, ctx.fake.labelTensor, { adcFake: config.model.auxClsType === 'ADC' })),
      });
      terms.push({
        name: 'zcr',
        network: 'G',
        weight: -loss.gLambda!,
        needs: { perturbedFakes: true },
        value: (ctx) => losses.consistencyLoss(ctx.fake.images, ctx.fake.perturbed!),
      });
    }
    return terms;
  },
};
