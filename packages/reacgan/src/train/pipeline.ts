import * as data from '@reacgan/data';
import type { ReacganConfig } from '../config/resolve.js';

/** What {@link datasetTransforms} reads of a configuration (a whole `ReacganConfig` fits). */
export interface TransformSettings {
  data: Pick<ReacganConfig['data'], 'imgSize' | 'imgChannels'>;
  pre: Pick<ReacganConfig['pre'], 'applyRflip'>;
}

/**
 * The uint8 transforms that bring a dataset's images to the configured training shape
 * (`data.imgSize` × `data.imgSize` × `data.imgChannels`), StudioGAN v0.3.0 `src/data_util.py`:
 * - images smaller than imgSize (MNIST 28 → 32): zero-padded, centred (background 0 → −1 after normalisation);
 * - other sizes, and every image of a dataset whose images differ in size (`uniformShape` false, e.g. an
 *   image folder): RandomCropLongEdge (training) or CenterCropLongEdge (evaluation), then a bilinear resize
 *   to imgSize (StudioGAN's transform for every dataset but CIFAR), so each image fits whatever its size;
 * - 1-channel data with imgChannels 3: replicated to RGB;
 * - `pre.applyRflip` (training only): random horizontal flip with p = 0.5.
 * @param images the dataset (its `imageShape` and `uniformShape`) or one image shape [H, W, C].
 * @throws Error when the dataset has 3 channels and the configuration 1.
 */
export function datasetTransforms(
  config: TransformSettings,
  images: readonly number[] | Pick<data.DatasetBase, 'imageShape' | 'uniformShape'>,
  mode: 'train' | 'eval',
): data.ImageTransform[] {
  const uniform = 'imageShape' in images ? images.uniformShape : true;
  const [h, w, c] = 'imageShape' in images ? images.imageShape : images;
  const size = config.data.imgSize;
  const out: data.ImageTransform[] = [];
  if (h !== size || w !== size || !uniform) {
    if (uniform && h <= size && w <= size) out.push(data.pad({ to: size, fill: 0 }));
    else {
      out.push(mode === 'train' ? data.randomCropLongEdge() : data.centerCropLongEdge());
      out.push(data.resize(size));
    }
  }
  if (c === 1 && config.data.imgChannels === 3) out.push(data.grayscaleToRgb());
  else if (c !== config.data.imgChannels) {
    throw new Error(`data.imgChannels: expected ${c} for this dataset (images are ${h}×${w}×${c}), received ${config.data.imgChannels}; set it to ${c} (CLI: --set data.imgChannels=${c}) or use a preset made for this dataset (--preset)`);
  }
  if (mode === 'train' && config.pre.applyRflip) out.push(data.randomHorizontalFlip());
  return out;
}
