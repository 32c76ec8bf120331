import { classToIndexOf } from './class-index.js';
import { DatasetError, badArgument } from './errors.js';
import type { DecodedImage, ImageShape, InMemoryDataset } from './types.js';

/** Input of `createInMemoryDataset`. */
export interface InMemoryDatasetInit {
  name: string;
  /** All images, HWC uint8, concatenated: length count·H·W·C. */
  images: Uint8Array;
  /** One label per image, in [0, numClasses). */
  labels: Int32Array | readonly number[];
  imageShape: ImageShape;
  /** Class names (their count is numClasses). Default: '0', '1', … for numClasses classes. */
  classNames?: readonly string[];
  /** Needed only without classNames. */
  numClasses?: number;
  source?: string;
  /** Extra read-only properties to attach (e.g. CIFAR-100's coarseLabels). */
  extra?: Record<string, unknown>;
}

/**
 * An in-memory dataset over concatenated HWC uint8 images (browser-safe). `getImage(i)` returns a
 * view into `images` (no copy). Validates sizes and label ranges.
 */
export function createInMemoryDataset<Extra extends object = object>(init: InMemoryDatasetInit): InMemoryDataset & Extra {
  const [h, w, c] = init.imageShape;
  if (![h, w, c].every((v) => Number.isInteger(v) && v > 0)) throw badArgument('imageShape', '[H, W, C] positive integers', init.imageShape);
  const size = h * w * c;
  if (init.images.length % size !== 0) throw badArgument('images', `a length that is a multiple of H·W·C = ${size}`, init.images.length);
  const count = init.images.length / size;
  const labels = init.labels instanceof Int32Array ? init.labels : Int32Array.from(init.labels);
  if (labels.length !== count) throw badArgument('labels', `${count} labels (one per image)`, `${labels.length} labels`);
  const classNames = init.classNames ? [...init.classNames] : Array.from({ length: init.numClasses ?? 0 }, (_, i) => String(i));
  const numClasses = classNames.length;
  if (numClasses < 1) throw badArgument('classNames / numClasses', 'at least one class', numClasses);
  for (let i = 0; i < count; i++) {
    const y = labels[i];
    if (y < 0 || y >= numClasses) throw new DatasetError('BAD_LABEL', `${init.name}: label ${y} of image ${i} is outside [0, ${numClasses})`);
  }
  const shape: ImageShape = [h, w, c];
  const checkIndex = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`${init.name}: image index ${i} is outside [0, ${count})`);
  };
  const getImage = (i: number): Uint8Array => {
    checkIndex(i);
    return init.images.subarray(i * size, (i + 1) * size);
  };
  const dataset: InMemoryDataset = {
    name: init.name,
    count,
    numClasses,
    classNames: Object.freeze(classNames),
    classToIndex: classToIndexOf(classNames),
    imageShape: shape,
    uniformShape: true,
    labels,
    streamed: false,
    ...(init.source !== undefined ? { source: init.source } : {}),
    getImage,
    readImage: (i: number): DecodedImage => ({ data: getImage(i), shape }),
  };
  return Object.assign(dataset, init.extra ?? {}) as InMemoryDataset & Extra;
}
