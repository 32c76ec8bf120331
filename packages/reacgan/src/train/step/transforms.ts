/**
 * Input transforms: what happens to real and fake images between the data / G and D (StudioGAN's
 * `AUG.series_augment`, applied to reals and fakes before every D pass of both updates). Registered like the
 * loss terms; the trainer composes those that are on, in order.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../../config/resolve.js';
import type { StepRandom } from './random.js';

/** A transform of NHWC float32 images in [−1, 1], differentiable with respect to the images. */
export type InputTransform = (images: tf.Tensor4D, random: StepRandom) => tf.Tensor4D;

export interface InputTransformDefinition {
  readonly name: string;
  /** The configuration switches it implements (see `LossTermDefinition.switches`). */
  readonly switches: readonly string[];
  check?(config: ReacganConfig): string[];
  /** The transform for this configuration, or null when it is switched off. */
  create(config: ReacganConfig): InputTransform | null;
}

export const INPUT_TRANSFORM_DEFINITIONS: readonly InputTransformDefinition[] = [];

/** The transforms that are on, composed in registration order (the identity when none is). */
export function composeInputTransforms(config: ReacganConfig, random: StepRandom): (images: tf.Tensor4D) => tf.Tensor4D {
  const active = INPUT_TRANSFORM_DEFINITIONS.map((d) => d.create(config)).filter((t): t is InputTransform => t !== null);
  if (!active.length) return (images) => images;
  return (images) => active.reduce((x, t) => t(x, random), images);
}
