/**
 * Input transforms: what happens to real and fake images between the data / G and D (StudioGAN's
 * `AUG.series_augment`, applied to reals and fakes before every D pass of both updates). Registered like the
 * loss terms; the trainer composes those that are on, in order.
 */
import * as models from '@reacgan/models';
import type * as tf from '@tensorflow/tfjs-core';
import type { AugConfig } from '../../config/schema.js';
import type { ReacganConfig } from '../../config/resolve.js';
import type { StepRandom } from './random.js';

/** A transform of NHWC float32 images in [−1, 1], differentiable with respect to the images. */
export type InputTransform = (images: tf.Tensor4D, random: StepRandom) => tf.Tensor4D;

export interface InputTransformDefinition {
  readonly name: string;
  /** The configuration switches it implements (see `LossTermDefinition.switches`). */
  readonly switches: readonly string[];
  /** Problems with the keys it needs (`resolveConfig` reports them). */
  check?(config: ReacganConfig): string[];
  /** Options of a switched-on transform that are not implemented (the trainer refuses them, naming each). */
  unsupported?(config: ReacganConfig): string[];
  /** The transform for this configuration, or null when it is switched off. */
  create(config: ReacganConfig): InputTransform | null;
}

/**
 * The augmentations StudioGAN names by `AUG.*_aug_type` that are implemented (`@reacgan/models`): 'diffaug'
 * (DiffAugment, policy color,translation,cutout) and 'cr' / 'bcr' (StudioGAN's CR augmentation: flip +
 * reflected translation). StudioGAN's others ('simclr_*', 'byol', ADA pipelines 'blit' … 'bgcfnc') are not.
 */
const crAugmentation: InputTransform = (images, random) => {
  const [n, h, w] = images.shape;
  return models.crAugment(images, models.sampleCrAugmentDraws(random, n, h, w));
};
export const AUGMENTATIONS: Readonly<Record<string, InputTransform>> = {
  diffaug: (images, random) => {
    const [n, h, w] = images.shape;
    return models.diffAugment(images, models.sampleDiffAugmentDraws(random, n, h, w));
  },
  cr: crAugmentation,
  bcr: crAugmentation,
};

/** Problems of an `AUG.*_aug_type` key used by a switch: 'W/O' is an error (StudioGAN asserts); unknown types are unsupported. */
export function augmentationType(aug: AugConfig, key: 'diffaugType' | 'crAugType' | 'bcrAugType', by: string): { problem?: string; unsupported?: string } {
  const value = aug[key];
  if (value === 'W/O') return { problem: `aug.${key}: expected an augmentation type (required by ${by}), received "W/O"` };
  if (!(value in AUGMENTATIONS)) return { unsupported: `aug.${key} (${value}; implemented: ${Object.keys(AUGMENTATIONS).join(', ')})` };
  return {};
}

/**
 * DiffAugment (Zhao et al. 2020) and StudioGAN's other "series" augmentations: `AUG.apply_diffaug` with
 * `AUG.diffaug_type` (StudioGAN `config.define_augments`), applied to reals and fakes before D in D and G
 * updates, differentiable with respect to the fakes.
 */
export const seriesAugmentation: InputTransformDefinition = {
  name: 'DiffAugment',
  switches: ['aug.applyDiffaug'],
  check: (config) => {
    const problem = config.aug.applyDiffaug ? augmentationType(config.aug, 'diffaugType', 'aug.applyDiffaug').problem : undefined;
    return problem ? [problem] : [];
  },
  unsupported: (config) => {
    const unsupported = config.aug.applyDiffaug ? augmentationType(config.aug, 'diffaugType', 'aug.applyDiffaug').unsupported : undefined;
    return unsupported ? [unsupported] : [];
  },
  create: (config) => (config.aug.applyDiffaug ? AUGMENTATIONS[config.aug.diffaugType] : null),
};

export const INPUT_TRANSFORM_DEFINITIONS: readonly InputTransformDefinition[] = [seriesAugmentation];

/** The transforms that are on, composed in registration order (the identity when none is). */
export function composeInputTransforms(config: ReacganConfig, random: StepRandom): (images: tf.Tensor4D) => tf.Tensor4D {
  const active = INPUT_TRANSFORM_DEFINITIONS.map((d) => d.create(config)).filter((t): t is InputTransform => t !== null);
  if (!active.length) return (images) => images;
  return (images) => active.reduce((x, t) => t(x, random), images);
}
