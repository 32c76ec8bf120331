import fs from 'node:fs';
import path from 'node:path';
import { compareCodePoints, sortClassNames, type ClassOrder } from '../class-index.js';
import { DatasetError, assertOneOf } from '../errors.js';
import type { SplitName } from '../types.js';
import { extractArchive, isArchivePath } from './archive.js';
import { isFile } from './files.js';
import { IMAGE_EXTENSIONS } from './image-decode.js';
import { createImageFileDataset, listImageFiles, type ImageFileOptions, type InMemoryImageFileDataset, type StreamedImageFileDataset } from './image-files.js';

/** Options of `loadImageFolder`. */
export interface ImageFolderOptions extends ImageFileOptions {
  /**
   * Dataset root: either `root/<class>/<image>` (one split) or StudioGAN's
   * `root/{train,valid}/<class>/<image>` (also `val/`, `test/`); or an archive of either layout
   * (.tar.gz, .tgz, .tar, .zip), unpacked once into the dataset cache (`extractArchive`).
   */
  root: string;
  /** Where archives are unpacked (default: the dataset cache, see `defaultCacheDir`). */
  cacheDir?: string;
  /**
   * Split for the StudioGAN layout: 'train' (default), 'valid' (or 'val': whichever folder exists,
   * `valid/` first), 'test'. With the one-split layout only 'train' (or nothing) is accepted. A
   * missing evaluation split throws unless `evalFallback: 'train'`.
   */
  split?: SplitName;
  /** 'lexicographic' (default, = torchvision ImageFolder: "1", "10", "2") or 'numeric' ("1", "2", "10"). */
  classOrder?: ClassOrder;
  /**
   * What to do when the requested evaluation split does not exist: 'error' (default) throws;
   * 'train' uses the training images and warns exactly once "evaluating on train split".
   */
  evalFallback?: 'error' | 'train';
  /** Extensions read as images (case-insensitive); default `IMAGE_EXTENSIONS`. Other files are ignored. */
  extensions?: readonly string[];
  /**
   * 'auto' (default): `root/{train,valid,val,test}/` is the split layout, any other root the one-split
   * layout; a root mixing `train/` + another split folder with other folders is ambiguous and throws
   * BAD_LAYOUT naming the other folders. 'splits': the caller knows the root holds split folders
   * (e.g. CIFAR-10's train/ + test/); other folders beside them are ignored. 'flat': root/<class>/ only.
   */
  layout?: 'auto' | 'flat' | 'splits';
}

export type ImageFolderDataset = (StreamedImageFileDataset | InMemoryImageFileDataset) & {
  /** The split actually read ('train' also for one-split roots). */
  readonly split: SplitName;
  /** 'flat' = root/<class>/…, 'splits' = root/{train,valid}/<class>/… */
  readonly layout: 'flat' | 'splits';
};

const SPLIT_DIRS = new Set(['train', 'valid', 'val', 'test']);

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink()) {
      const st = await fs.promises.stat(path.join(dir, e.name)).catch(() => null);
      if (st?.isDirectory()) out.push(e.name);
    }
  }
  return out;
}

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.promises.stat(p).catch(() => null))?.isDirectory() ?? false;
}

/**
 * An image-folder dataset (torchvision ImageFolder semantics, as StudioGAN reads custom data):
 * class index = position of the class folder in the sorted folder names (`classOrder`); images
 * are all files with an image extension found recursively under each class folder (sorted);
 * hidden files and other extensions (notes.txt, .DS_Store) are ignored; every image becomes 8-bit
 * RGB (see `decodeImage`). Images are streamed from disk (decoded per batch) unless `inMemory`.
 * The label map is `classToIndex`; save it next to checkpoints with `saveClassIndex`.
 *
 * An archive root is unpacked once into the dataset cache and read from there (`source` names both).
 *
 * @throws DatasetError MISSING_FILE (no root), BAD_LAYOUT (no class folders, empty class folders),
 *   MISSING_SPLIT (requested evaluation split absent), BAD_IMAGE (unreadable files, strict mode).
 */
export async function loadImageFolder(options: ImageFolderOptions): Promise<ImageFolderDataset> {
  const archive = isArchivePath(options.root) && (await isFile(options.root)) ? path.resolve(options.root) : null;
  const root = archive ? await extractArchive(archive, { cacheDir: options.cacheDir }) : path.resolve(options.root);
  if (!(await isDirectory(root))) {
    throw new DatasetError('MISSING_FILE', `image folder: root ${root} is not a directory (options.root / --root)`, { problems: [{ file: root, problem: 'not found or not a directory' }], root });
  }
  const evalFallback = options.evalFallback ?? 'error';
  assertOneOf('options.evalFallback', evalFallback, ['error', 'train']);
  const requested = options.split;
  if (requested !== undefined) assertOneOf('options.split', requested, ['train', 'test', 'valid', 'val']);
  const warn = options.onWarning ?? ((m: string) => console.warn(m));

  const top = await subdirectories(root);
  const asked = options.layout ?? 'auto';
  assertOneOf('options.layout', asked, ['auto', 'flat', 'splits']);
  if (asked === 'auto' && top.includes('train') && top.some((d) => d !== 'train' && SPLIT_DIRS.has(d))) {
    const others = top.filter((d) => !SPLIT_DIRS.has(d)).sort(compareCodePoints);
    if (others.length > 0) {
      const splits = top.filter((d) => SPLIT_DIRS.has(d)).sort(compareCodePoints);
      throw new DatasetError('BAD_LAYOUT', `image folder ${root}: split folders (${splits.map((d) => `${d}/`).join(', ')}) next to other folders, so it is neither <root>/<split>/<class>/<image> nor <root>/<class>/<image>; move these out of the root:`, {
        root,
        problems: others.map((d) => ({ file: `${d}/`, problem: 'not a split folder (train, valid, val, test)' })),
      });
    }
  }
  const layout: 'flat' | 'splits' = asked === 'auto' ? (top.includes('train') && top.every((d) => SPLIT_DIRS.has(d)) ? 'splits' : 'flat') : asked;
  let splitDir: string;
  let split: SplitName = requested ?? 'train';
  const missingSplit = (wanted: string, looked: string[]): string => {
    const message = `image folder ${root}: the '${wanted}' split does not exist (looked for ${looked.join(', ')}); refusing to evaluate on the training split silently`;
    if (evalFallback === 'error') {
      throw new DatasetError('MISSING_SPLIT', `${message}. Create it, or pass evalFallback: 'train' to evaluate on the training images (with a warning).`, { root, problems: looked.map((l) => ({ file: l, problem: 'missing' })) });
    }
    warn(`${message}: evaluating on train split (evalFallback: 'train').`);
    split = 'train';
    return layout === 'splits' ? path.join(root, 'train') : root;
  };
  if (layout === 'splits') {
    if (split === 'train') {
      splitDir = path.join(root, 'train');
      if (!top.includes('train')) throw new DatasetError('MISSING_SPLIT', `image folder ${root}: the 'train' split does not exist`, { root, problems: [{ file: splitDir, problem: 'missing' }] });
    }
    else if (split === 'test') splitDir = top.includes('test') ? path.join(root, 'test') : missingSplit('test', [path.join(root, 'test')]);
    else {
      const found = ['valid', 'val'].find((d) => top.includes(d));
      if (found) {
        splitDir = path.join(root, found);
        split = found as SplitName;
      } else splitDir = missingSplit(split, [path.join(root, 'valid'), path.join(root, 'val')]);
    }
  } else {
    splitDir = split === 'train' ? root : missingSplit(split, [path.join(root, 'valid'), path.join(root, 'val'), path.join(root, 'test')]);
  }

  const classDirs = await subdirectories(splitDir);
  if (classDirs.length === 0) {
    throw new DatasetError('BAD_LAYOUT', `image folder ${splitDir}: no class folders; expected ${layout === 'splits' ? '<root>/<split>/<class>/<image>' : '<root>/<class>/<image>'}`, { root: splitDir });
  }
  const classNames = sortClassNames(classDirs, options.classOrder ?? 'lexicographic');
  const extensions = options.extensions ?? IMAGE_EXTENSIONS;
  const files: string[] = [];
  const labels: number[] = [];
  const empty: string[] = [];
  for (const [label, cls] of classNames.entries()) {
    const found = await listImageFiles(path.join(splitDir, cls), splitDir, extensions);
    if (found.length === 0) empty.push(cls);
    for (const f of found) {
      files.push(f);
      labels.push(label);
    }
  }
  if (empty.length > 0) {
    throw new DatasetError('BAD_LAYOUT', `image folder ${splitDir}: ${empty.length} class folder(s) hold no image files (${extensions.join(' ')}); remove them or add images:`, {
      root: splitDir,
      problems: empty.sort(compareCodePoints).map((c) => ({ file: `${c}/`, problem: 'no image files' })),
    });
  }
  const name = `folder:${splitDir}`;
  const source = archive ? `${archive} (unpacked to ${splitDir})` : splitDir;
  const dataset = await createImageFileDataset({ name, root: splitDir, files, labels, classNames, source }, options);
  return Object.assign(dataset, { split, layout });
}

/** Options of `loadImageFiles`. */
export interface ImageFilesOptions extends ImageFileOptions {
  /** A folder of images, read recursively (subfolders are not classes). */
  root: string;
  /** Extensions read as images (case-insensitive); default `IMAGE_EXTENSIONS`. Other files are ignored. */
  extensions?: readonly string[];
}

/**
 * Every image under `root` (recursively, sorted like `loadImageFolder`), as one unlabelled set: one class
 * named `''`, all labels 0. For sets without classes, e.g. generated images to evaluate.
 *
 * @throws DatasetError MISSING_FILE (no root), BAD_LAYOUT (no image files), BAD_IMAGE (unreadable files, strict mode).
 */
export async function loadImageFiles(options: ImageFilesOptions): Promise<StreamedImageFileDataset | InMemoryImageFileDataset> {
  const root = path.resolve(options.root);
  if (!(await isDirectory(root))) {
    throw new DatasetError('MISSING_FILE', `image files: ${root} is not a directory`, { problems: [{ file: root, problem: 'not found or not a directory' }], root });
  }
  const extensions = options.extensions ?? IMAGE_EXTENSIONS;
  const files = await listImageFiles(root, root, extensions);
  if (files.length === 0) throw new DatasetError('BAD_LAYOUT', `image files: no image files (${extensions.join(' ')}) under ${root}`, { root });
  return createImageFileDataset({ name: `images:${root}`, root, files, labels: files.map(() => 0), classNames: [''], source: root }, options);
}
