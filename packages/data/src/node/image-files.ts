import fs from 'node:fs';
import path from 'node:path';
import { classToIndexOf, compareCodePoints } from '../class-index.js';
import { DatasetError, assertPositiveInteger, assertOneOf, badArgument, type DatasetProblem } from '../errors.js';
import type { DecodedImage, ImageShape, InMemoryDataset, StreamedDataset } from '../types.js';
import { decodeImage, isGreyscaleRgb, readImageHeader, rgbToLuma, type AlphaPolicy } from './image-decode.js';

/** Options shared by the loaders that read image files (image folders, Tiny-ImageNet). */
export interface ImageFileOptions {
  /**
   * 'error' (default): any unreadable image (truncated, corrupt, empty, unknown format) makes the
   * loader throw before training starts, listing every bad file relative to the root. 'skip': bad
   * files are left out and reported once through `onWarning`; the dataset's `skipped` lists them.
   */
  onBadFile?: 'error' | 'skip';
  /**
   * Pre-flight check of every file when the dataset is opened: 'decode' (default) decodes each image
   * fully (finds truncated data; guarantees no decode failure later), 'header' reads only headers
   * (fast; truncated pixel data is then found when the image is first read, and throws there),
   * 'none' checks nothing up front.
   */
  verify?: 'decode' | 'header' | 'none';
  /** Alpha rule (default 'drop', as PIL's convert('RGB')); see `AlphaPolicy`. */
  alpha?: AlphaPolicy;
  /**
   * Channels of the images the dataset returns: 3 (default, RGB) or 1 (luma, PIL's `convert('L')`; exact
   * for greyscale pictures). `greyscale` on the dataset says whether 1 loses anything.
   */
  channels?: 1 | 3;
  /** Files read/decoded at once during the pre-flight check (default 8). */
  concurrency?: number;
  /** Decode everything once and keep it in memory (an `InMemoryDataset`; default false = stream from disk). */
  inMemory?: boolean;
  /** Where warnings go (skipped files, split fallback); default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** Extra properties of datasets read from image files. */
export interface ImageFileDatasetExtras {
  /** Absolute dataset root (split directory for split layouts). */
  readonly root: string;
  /** Image paths relative to `root`, index-aligned with `labels`. */
  readonly files: readonly string[];
  /** Files left out by onBadFile 'skip' (empty otherwise). */
  readonly skipped: readonly DatasetProblem[];
  /**
   * Every distinct image size found by the pre-flight check, most frequent first (ties: larger area
   * first), with up to 3 example files each; empty when `verify` is 'none' (sizes unknown until read).
   */
  readonly imageSizes: readonly ImageSizeCount[];
  /**
   * True when every image is greyscale (R = G = B after decoding; with `verify: 'header'`, a 1- or
   * 2-channel file), i.e. `channels: 1` loses nothing; null when `verify` is 'none'.
   */
  readonly greyscale: boolean | null;
  /**
   * The images that are not greyscale (as `greyscale` judges them): how many, and the first 5 of them (paths relative
   * to the root, in file order); null when `verify` is 'none'. A count below `count` in a folder that is mostly
   * greyscale points to stray colour files: `greyscale` is then false and `channels: 1` would convert them.
   */
  readonly colourImages: { readonly count: number; readonly examples: readonly string[] } | null;
}

/** One image size of a dataset: how many images have it, and a few of them (paths relative to the root). */
export interface ImageSizeCount {
  readonly height: number;
  readonly width: number;
  readonly count: number;
  readonly examples: readonly string[];
}

export type StreamedImageFileDataset = StreamedDataset & ImageFileDatasetExtras;
export type InMemoryImageFileDataset = InMemoryDataset & ImageFileDatasetExtras & { fileOf(index: number): string };

export interface ImageFileListing {
  name: string;
  root: string;
  files: string[];
  labels: number[];
  classNames: string[];
  source?: string;
}

/** Maps `items` through `fn` with at most `concurrency` calls in flight; results in input order. @internal */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/**
 * Builds a dataset over image files (after the pre-flight check of `options.verify`).
 * @internal used by loadImageFolder and loadTinyImageNet.
 */
export async function createImageFileDataset(listing: ImageFileListing, options: ImageFileOptions = {}): Promise<StreamedImageFileDataset | InMemoryImageFileDataset> {
  const onBadFile = options.onBadFile ?? 'error';
  assertOneOf('options.onBadFile', onBadFile, ['error', 'skip']);
  const verify = options.verify ?? 'decode';
  assertOneOf('options.verify', verify, ['decode', 'header', 'none']);
  const alpha = options.alpha ?? 'drop';
  assertOneOf('options.alpha', alpha, ['drop', 'black', 'white']);
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw badArgument('options.channels', '1 or 3', channels);
  const concurrency = options.concurrency ?? 8;
  assertPositiveInteger('options.concurrency', concurrency);
  const inMemory = options.inMemory ?? false;
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const { root, name } = listing;

  type Checked = { ok: true; shape: ImageShape | null; greyscale: boolean | null; image: DecodedImage | null } | { ok: false; problem: DatasetProblem };
  const check = async (file: string): Promise<Checked> => {
    const label = toPosix(file);
    try {
      if (verify === 'none' && !inMemory) return { ok: true, shape: null, greyscale: null, image: null };
      const bytes = await fs.promises.readFile(path.join(root, file));
      if (verify === 'decode' || inMemory) {
        const rgb = await decodeImage(bytes, label, { alpha });
        const image = channels === 1 ? rgbToLuma(rgb) : rgb;
        return { ok: true, shape: image.shape, greyscale: isGreyscaleRgb(rgb), image: inMemory ? image : null };
      }
      const header = await readImageHeader(bytes, label);
      return { ok: true, shape: [header.height, header.width, channels], greyscale: header.greyscale, image: null };
    } catch (error) {
      const problem = error instanceof DatasetError && error.problems.length > 0 ? error.problems[0].problem : (error as Error).message;
      return { ok: false, problem: { file: label, problem } };
    }
  };
  const results = await mapPool(listing.files, concurrency, check);
  const problems = results.flatMap((r) => (r.ok ? [] : [r.problem]));
  if (problems.length > 0 && onBadFile === 'error') {
    throw new DatasetError(
      'BAD_IMAGE',
      `${name}: ${problems.length} of ${listing.files.length} image files under ${root} cannot be read (fix or remove them, or pass onBadFile: 'skip' to leave them out):`,
      { problems, root },
    );
  }
  const keep = results.map((r) => r.ok);
  const files = listing.files.filter((_, i) => keep[i]).map(toPosix);
  const labels = Int32Array.from(listing.labels.filter((_, i) => keep[i]));
  const good = results.filter((r): r is Extract<Checked, { ok: true }> => r.ok);
  if (problems.length > 0) {
    warn(`${name}: skipped ${problems.length} unreadable image file(s) of ${listing.files.length} under ${root}:${problems.map((p) => `\n  - ${p.file}: ${p.problem}`).join('')}`);
  }
  if (files.length === 0) throw new DatasetError('BAD_LAYOUT', `${name}: no readable images under ${root}`, { root });

  let imageShape: ImageShape;
  let uniformShape: boolean;
  const shapes = good.map((g) => g.shape);
  if (shapes[0]) {
    imageShape = shapes[0];
    uniformShape = shapes.every((s) => s !== null && s[0] === imageShape[0] && s[1] === imageShape[1]);
  } else {
    const first = await decodeImage(await fs.promises.readFile(path.join(root, files[0])), files[0], { alpha, channels });
    imageShape = first.shape;
    uniformShape = false;
  }
  const imageSizes = summarizeSizes(good.map((g, i) => ({ shape: g.shape, file: files[i] })));
  const greyscale = good.every((g) => g.greyscale !== null) ? good.every((g) => g.greyscale === true) : null;
  const colourFiles = greyscale === null ? null : files.filter((_, i) => good[i].greyscale !== true);
  const colourImages = colourFiles && { count: colourFiles.length, examples: Object.freeze(colourFiles.slice(0, 5)) };

  const classNames = Object.freeze([...listing.classNames]);
  const checkIndex = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= files.length) throw new RangeError(`${name}: image index ${i} is outside [0, ${files.length})`);
  };
  const base = {
    name,
    count: files.length,
    numClasses: classNames.length,
    classNames,
    classToIndex: classToIndexOf(classNames),
    imageShape,
    uniformShape,
    labels,
    root,
    files: Object.freeze(files),
    skipped: Object.freeze(problems),
    imageSizes,
    greyscale,
    colourImages,
    source: listing.source ?? root,
    fileOf: (i: number): string => {
      checkIndex(i);
      return files[i];
    },
  };
  if (inMemory) {
    const images = good.map((g) => g.image!);
    return {
      ...base,
      streamed: false,
      getImage: (i: number) => {
        checkIndex(i);
        return images[i].data;
      },
      readImage: (i: number) => {
        checkIndex(i);
        return images[i];
      },
    };
  }
  const readImage = async (i: number): Promise<DecodedImage> => {
    checkIndex(i);
    const file = files[i];
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(path.join(root, file));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new DatasetError('MISSING_FILE', `${name}: ${file} (under ${root}) cannot be read: ${code}`, { problems: [{ file, problem: String(code) }], root, cause: error });
    }
    return decodeImage(bytes, file, { alpha, channels });
  };
  return {
    ...base,
    streamed: true,
    readImage,
    getImage: async (i: number) => (await readImage(i)).data,
  };
}

/** Distinct sizes of `items` (null shapes skipped), most frequent first, ties by larger area, then taller. */
function summarizeSizes(items: readonly { shape: ImageShape | null; file: string }[]): ImageSizeCount[] {
  const bySize = new Map<string, { height: number; width: number; count: number; examples: string[] }>();
  for (const { shape, file } of items) {
    if (!shape) continue;
    const key = `${shape[0]}x${shape[1]}`;
    let entry = bySize.get(key);
    if (!entry) bySize.set(key, (entry = { height: shape[0], width: shape[1], count: 0, examples: [] }));
    entry.count++;
    if (entry.examples.length < 3) entry.examples.push(file);
  }
  return [...bySize.values()].sort((a, b) => b.count - a.count || b.height * b.width - a.height * a.width || b.height - a.height);
}

/** Lists files under `dir` recursively (following symlinks), as paths relative to `base`, sorted like Python's sorted(os.walk). */
export async function listImageFiles(dir: string, base: string, extensions: readonly string[]): Promise<string[]> {
  const exts = new Set(extensions.map((e) => e.toLowerCase()));
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = (await fs.promises.readdir(current, { withFileTypes: true })).map((e) => e.name);
    entries.sort(compareCodePoints);
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const full = path.join(current, entry);
      const stat = await fs.promises.stat(full).catch(() => null);
      if (!stat) continue;
      if (stat.isDirectory()) subdirs.push(full);
      else if (stat.isFile() && exts.has(path.extname(entry).toLowerCase())) out.push(path.relative(base, full));
    }
    for (const sub of subdirs) await walk(sub);
  };
  await walk(dir);
  return out;
}
