/**
 * @reacgan/data — browser-safe core: dataset types, in-memory datasets, IDX and CIFAR record
 * parsing, transforms (pad, crops, PIL-exact resize, flip, [−1, 1] normalisation), seeded
 * resumable batching, RNG, class-label and latent samplers. File-system loaders (MNIST,
 * Fashion-MNIST, CIFAR-10/100, Tiny-ImageNet, image folders, downloads) are in `@reacgan/data/node`.
 */
export { version } from './version.js';
export type { Dataset, DatasetBase, DatasetInfo, DatasetName, DecodedImage, ImageShape, InMemoryDataset, SplitName, StreamedDataset } from './types.js';
export { DatasetError, type DatasetErrorCode, type DatasetProblem } from './errors.js';
export { Rng, deriveSeed, splitmix64, splitmix64Mix, type RngState } from './rng.js';
export { ascendingClassLabels, sampleClassLabels, sampleLatents, type LatentPrior, type SampleLatentsOptions } from './samplers.js';
export {
  UINT8_TO_MINUS_ONE_ONE,
  applyTransforms,
  centerCrop,
  centerCropLongEdge,
  cropImage,
  denormalizeToUint8,
  grayscaleToRgb,
  horizontalFlip,
  normalizeToMinusOneOne,
  pad,
  randomCropLongEdge,
  randomHorizontalFlip,
  resize,
  roundHalfEven,
  transformedShape,
  type ImageTransform,
  type PadOptions,
  type ResizeOptions,
} from './transforms.js';
export { RESIZE_FILTERS, resizeImage, type ResizeFilter } from './resize.js';
export {
  batchToTensors,
  createBatchIterator,
  type Batch,
  type BatchIterator,
  type BatchIteratorOptions,
  type BatchIteratorState,
} from './batching.js';
export { createInMemoryDataset, type InMemoryDatasetInit } from './in-memory.js';
export { parseIdx, type IdxArray, type IdxDtype } from './idx.js';
export {
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  CIFAR10_CLASSES,
  CIFAR_PIXEL_BYTES,
  cifarPlanarToHwc,
  parseCifarRecords,
  parseClassNameLines,
  type CifarRecordLayout,
  type CifarRecords,
} from './cifar-records.js';
export {
  classIndexDocument,
  classToIndexOf,
  compareCodePoints,
  parseClassIndexDocument,
  sortClassNames,
  type ClassIndexDocument,
  type ClassOrder,
} from './class-index.js';
export { datasetInfo } from './info.js';
