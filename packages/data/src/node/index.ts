/**
 * @reacgan/data/node — dataset loaders that read files (Node only: fs, zlib, sharp, http), plus
 * everything of the browser-safe main entry re-exported for convenience.
 */
export * from '../index.js';
export { loadCifar10, loadCifar100, type Cifar100Dataset, type Cifar100Options, type CifarDataset, type CifarFormat, type CifarOptions } from './cifar.js';
export {
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  loadFashionMnist,
  loadIdx,
  loadIdxDirectory,
  loadMnist,
  mnistDataDirectory,
  type IdxDirectoryOptions,
  type IdxFilesOptions,
} from './idx.js';
export { IMAGE_EXTENSIONS, decodeImage, isGreyscaleRgb, readImageFile, readImageHeader, readImageSize, rgbToLuma, type AlphaPolicy, type DecodeOptions } from './image-decode.js';
export { type ImageFileDatasetExtras, type ImageFileOptions, type ImageSizeCount, type InMemoryImageFileDataset, type StreamedImageFileDataset } from './image-files.js';
export { loadImageFiles, loadImageFolder, type ImageFilesOptions, type ImageFolderDataset, type ImageFolderOptions } from './image-folder.js';
export { loadTinyImageNet, type TinyImageNetDataset, type TinyImageNetOptions } from './tiny-imagenet.js';
export { DATASET_SOURCES, defaultCacheDir, downloadDataset, type DatasetSource, type DownloadOptions, type DownloadableDataset } from './download.js';
export { ARCHIVE_EXTENSIONS, extractArchive, extractOnce, isArchivePath, unzip } from './archive.js';
export { assertSameClassIndex, loadClassIndex, saveClassIndex } from './class-index-file.js';
export { DATASET_NAMES, openDataset, type OpenDatasetOptions } from './open.js';
export { readMaybeGzip } from './files.js';
