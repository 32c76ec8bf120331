/**
 * Training on your own image folder in one command: what the folder holds (classes, channels, image
 * sizes), the configuration sized for it, and the line that says so.
 *
 *   reacgan train --dataset folder --root my-images/        # root/<class>/<image> or root/{train,valid}/<class>/<image>
 */
import { basename, dirname } from 'node:path';
import type * as dataNode from '@reacgan/data/node';
import * as models from '@reacgan/models';
import { getPreset } from '../config/presets.js';
import type { ConfigInput } from '../config/schema.js';

/** Image sizes the folder preset trains at: 32 px on the `deep_conv` backbone, larger ones on `resnet`. */
export const FOLDER_IMAGE_SIZES: readonly number[] = [32, ...models.RESNET_IMAGE_SIZES.filter((s) => s > 32)];

/** What an image folder holds, as the pre-flight check of @reacgan/data found it. */
export interface FolderFacts {
  /** The dataset root (data.root): the folder holding the class folders, or train/ (+ valid/, val/, test/) in the split layout. */
  root: string;
  /** The split folder the images were read from in the split layout ('train'), null for root/<class>/<image>. */
  split: string | null;
  count: number;
  classNames: readonly string[];
  /** 1 when every image is greyscale (R = G = B), else 3. */
  channels: 1 | 3;
  /** The colour images (not R = G = B): how many and the first few; null when unknown. */
  colourImages: { count: number; examples: readonly string[] } | null;
  /** Distinct sizes, most frequent first. */
  imageSizes: readonly dataNode.ImageSizeCount[];
}

/** The facts of an opened image-folder dataset (opened with 3 channels and `verify` 'decode' or 'header'). */
export function folderFacts(dataset: dataNode.Dataset & Partial<dataNode.ImageFileDatasetExtras> & { layout?: 'flat' | 'splits'; split?: string }): FolderFacts {
  const read = dataset.root ?? dataset.source ?? dataset.name;
  const splits = dataset.layout === 'splits' && dataset.root !== undefined;
  return {
    // The split layout's dataset root is the split folder (root/train); data.root keeps the root, so evaluations find test/ or valid/ next to it.
    root: splits ? dirname(read) : read,
    split: splits ? (dataset.split ?? basename(read)) : null,
    count: dataset.count,
    classNames: dataset.classNames,
    channels: dataset.greyscale ? 1 : 3,
    colourImages: dataset.colourImages ?? null,
    imageSizes: dataset.imageSizes ?? [{ height: dataset.imageShape[0], width: dataset.imageShape[1], count: dataset.count, examples: [] }],
  };
}

/**
 * The training size for a folder: the largest of {@link FOLDER_IMAGE_SIZES} not above the short edge of the
 * most frequent image size (32 when that is smaller: such images are zero-padded, or resized when sizes are mixed).
 */
export function inferredImageSize(facts: FolderFacts): number {
  const [most] = facts.imageSizes;
  const edge = Math.min(most.height, most.width);
  return [...FOLDER_IMAGE_SIZES].reverse().find((s) => s <= edge) ?? FOLDER_IMAGE_SIZES[0];
}

/**
 * The configuration `reacgan train --dataset folder` uses without --preset / --config: `mnist/reacgan`'s
 * CPU-sized ReACGAN recipe (D2D-CE, hinge, EMA, Adam 1e-3, batch 32, 1,500 steps capped at 480 s) with the
 * folder's classes and channels, at `imgSize` (default {@link inferredImageSize}): the `deep_conv` backbone
 * (widths 8) at 32 px, the `resnet` backbone (widths 16) at 64 px and above.
 * @throws Error when `imgSize` is not one of {@link FOLDER_IMAGE_SIZES}.
 */
export function folderPreset(facts: FolderFacts, imgSize: number = inferredImageSize(facts)): { name: string; description: string; config: ConfigInput } {
  if (!FOLDER_IMAGE_SIZES.includes(imgSize)) {
    throw new Error(`--img-size: expected one of ${FOLDER_IMAGE_SIZES.join(', ')} (32: the deep_conv backbone; larger: resnet), received ${imgSize}`);
  }
  const base = getPreset('mnist/reacgan').config;
  const model = imgSize === 32 ? base.model : { ...base.model, backbone: 'resnet', gConvDim: 16, dConvDim: 16 };
  return {
    name: 'folder/reacgan',
    description: `mnist/reacgan's CPU-sized ReACGAN recipe at ${imgSize} px (${imgSize === 32 ? 'deep_conv' : 'resnet'} backbone), ${facts.channels} channel(s), ${facts.classNames.length} classes`,
    config: { ...base, data: { name: 'folder', imgSize, imgChannels: facts.channels, numClasses: facts.classNames.length, root: facts.root }, model },
  };
}

/**
 * A folder that is mostly greyscale with a few colour images trains in colour (3 channels: nothing is lost, and a
 * folder of colour pictures with some greyscale ones is normal), but a few colour files among greyscale ones are
 * often strays: the warning names them and says how to train greyscale instead. Null when the colour images are
 * not a minority.
 */
export function strayColourWarning(facts: FolderFacts): string | null {
  const colour = facts.colourImages;
  if (facts.channels !== 3 || !colour || colour.count === 0 || colour.count * 2 >= facts.count) return null;
  const shown = `${colour.examples.join(', ')}${colour.count > colour.examples.length ? ', …' : ''}`;
  return (
    `${colour.count} of the ${facts.count} images of ${facts.root} ${colour.count === 1 ? 'is' : 'are'} colour (${shown}), the other ${facts.count - colour.count} greyscale: ` +
    'the folder trains in colour (3 channels), as its colour images need; if they do not belong, remove them, or pass --set data.imgChannels=1 to train greyscale (colour images converted to luma)'
  );
}

/** One readable paragraph: what was found in the folder and what training will do with each image size. */
export function describeFolder(facts: FolderFacts, imgSize: number, imgChannels: number): string {
  const classes = facts.classNames.length <= 12 ? facts.classNames.map((c) => JSON.stringify(c)).join(', ') : `${facts.classNames.slice(0, 10).map((c) => JSON.stringify(c)).join(', ')}, …`;
  const sizes = facts.imageSizes.map((s) => `${s.height}×${s.width} (${s.count})`).join(', ');
  const mixed = facts.imageSizes.length > 1;
  const [one] = facts.imageSizes;
  const action = mixed
    ? `sizes differ: every image is cropped to a square on its long edge (random in training, centred in evaluation) and resized to ${imgSize}×${imgSize}`
    : one.height === imgSize && one.width === imgSize
      ? `used as they are`
      : one.height <= imgSize && one.width <= imgSize
        ? `zero-padded to ${imgSize}×${imgSize}`
        : `cropped to a square on the long edge and resized to ${imgSize}×${imgSize}`;
  const colour = facts.channels === 1 ? 'greyscale (R = G = B everywhere)' : 'colour';
  return [
    `folder ${facts.root}${facts.split ? ` (training split ${facts.split}/)` : ''}: ${facts.count} images, ${facts.classNames.length} classes (${classes}), ${colour}, sizes ${sizes}`,
    `training at ${imgSize}×${imgSize}×${imgChannels}: ${action}${mixed || imgSize !== Math.min(one.height, one.width) ? ' (--img-size to choose the size)' : ''}`,
  ].join('\n');
}
