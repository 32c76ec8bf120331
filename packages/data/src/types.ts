/** Image shape as [height, width, channels] (HWC). Channels is 1 (greyscale IDX) or 3 (RGB). */
export type ImageShape = readonly [height: number, width: number, channels: number];

/** A decoded image: uint8 pixels in HWC order (row-major, channels interleaved). */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly shape: ImageShape;
}

/** Names every dataset loader can be asked for (`openDataset`, `reacgan dataset info`). */
export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10' | 'cifar100' | 'tiny-imagenet' | 'folder';

/** Split names. Loaders accept the subset they have and throw for the others (never a silent fallback). */
export type SplitName = 'train' | 'test' | 'valid' | 'val';

/** What every dataset exposes, in memory or streamed. */
export interface DatasetBase {
  /** A human-readable identifier, e.g. `'mnist:train'` or `'folder:/data/afhq/train'`. */
  readonly name: string;
  /** Number of images. */
  readonly count: number;
  /** Number of classes; labels lie in [0, numClasses). */
  readonly numClasses: number;
  /** Class names; `classNames[k]` is the name of label k. */
  readonly classNames: readonly string[];
  /** Class name → label (the inverse of classNames). Save it next to checkpoints (`saveClassIndex`). */
  readonly classToIndex: Readonly<Record<string, number>>;
  /**
   * [H, W, C] of the images. For an image folder whose images differ in size it is the shape of the
   * first image and `uniformShape` is false: use a crop/resize transform before batching.
   */
  readonly imageShape: ImageShape;
  /** True when every image has `imageShape`. */
  readonly uniformShape: boolean;
  /** int32 labels in file order, length `count`. */
  readonly labels: Int32Array;
  /** Where the data came from (files, directory), for reports. */
  readonly source?: string;
}

/**
 * A dataset held in memory (IDX, CIFAR): images are read synchronously. `getImage(i)` returns the
 * HWC uint8 pixels of image i; it may be a view into the dataset's storage: do not modify it.
 */
export interface InMemoryDataset extends DatasetBase {
  readonly streamed: false;
  getImage(index: number): Uint8Array;
  readImage(index: number): DecodedImage;
}

/**
 * A dataset streamed from disk (image folders, Tiny-ImageNet): images are decoded on demand. The
 * labels and class map are known up front; pixels come through promises.
 */
export interface StreamedDataset extends DatasetBase {
  readonly streamed: true;
  getImage(index: number): Promise<Uint8Array>;
  readImage(index: number): Promise<DecodedImage>;
  /** Path of image `index` relative to the dataset root (for error messages and reports). */
  fileOf(index: number): string;
}

/** Any dataset. */
export type Dataset = InMemoryDataset | StreamedDataset;

/** The summary `datasetInfo` returns (and `reacgan dataset info --json` prints). */
export interface DatasetInfo {
  count: number;
  numClasses: number;
  classNames: string[];
  /** Images per class, `classCounts[k]` for label k. */
  classCounts: number[];
  imageShape: [number, number, number];
  /** The first 10 labels (fewer if the dataset is smaller) in file order. */
  firstLabels: number[];
  /** Mean of the first image's uint8 HWC pixel values (0..255). */
  firstImageMean: number;
}
