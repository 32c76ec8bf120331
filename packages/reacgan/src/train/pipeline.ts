import * as data from '@reacgan/data';
import type { ReacganConfig } from '../config/resolve.js';

/**
 * The uint8 transforms that bring a dataset's images to the configured training shape
 * (`data.imgSize` × `data.imgSize` × `data.imgChannels`), StudioGAN v0.3.0 `src/data_util.py`:
 * - images smaller than imgSize (MNIST 28 → 32): zero-padded, centred (background 0 → −1 after normalisation);
 * - other sizes: RandomCropLongEdge (training) or CenterCropLongEdge (evaluation), then a bilinear resize;
 * - 1-channel data with imgChannels 3: replicated to RGB;
 * - `pre.applyRflip` (training only): random horizontal flip with p = 0.5.
 * @throws Error when the dataset has 3 channels and the configuration 1.
 */
export function datasetTransforms(config: ReacganConfig, imageShape: readonly [number, number, number] | readonly number[], mode: 'train' | 'eval'): data.ImageTransform[] {
  const [h, w, c] = imageShape;
  const size = config.data.imgSize;
  const out: data.ImageTransform[] = [];
  if (h !== size || w !== size) {
    if (h <= size && w <= size) out.push(data.pad({ to: size, fill: 0 }));
    else {
      out.push(mode === 'train' ? data.randomCropLongEdge() : data.centerCropLongEdge());
      out.push(data.resize(size));
    }
  }
  if (c === 1 && config.data.imgChannels === 3) out.push(data.grayscaleToRgb());
  else if (c !== config.data.imgChannels) {
    throw new Error(`data.imgChannels: expected ${c} for this dataset (images are ${h}×${w}×${c}), received ${config.data.imgChannels}`);
  }
  if (mode === 'train' && config.pre.applyRflip) out.push(data.randomHorizontalFlip());
  return out;
}
