import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ReadEntry } from 'tar';
import {
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  CIFAR10_CLASSES,
  CIFAR_PIXEL_BYTES,
  cifarPlanarToHwc,
  parseCifarRecords,
  parseClassNameLines,
} from '../cifar-records.js';
import { compareCodePoints } from '../class-index.js';
import { DatasetError, assertOneOf, type DatasetProblem } from '../errors.js';
import { createInMemoryDataset } from '../in-memory.js';
import type { DecodedImage, InMemoryDataset, SplitName } from '../types.js';
import { DATASET_SOURCES, defaultCacheDir, downloadDataset, type DownloadOptions } from './download.js';
import { extractArchive, isArchivePath } from './archive.js';
import { isDirectory, isFile } from './files.js';
import { decodeImage, IMAGE_EXTENSIONS } from './image-decode.js';
import { mapPool } from './image-files.js';
import { loadImageFolder } from './image-folder.js';
import { loadOptional } from './optional.js';
import { NumpyArray, unpickleCifar } from './pickle.js';

/**
 * 'binary' / 'python': the official archives' formats. 'images': image folders `train/<class>/*` and
 * `test/<class>/*` with the class folders named as the dataset's classes (e.g. CIFAR-10 re-encoded as JPEG
 * files), a folder or an archive of it (unpacked once into the dataset cache), decoded into memory.
 */
export type CifarFormat = 'binary' | 'python' | 'images';

/** Options of `loadCifar10` / `loadCifar100`. */
export interface CifarOptions {
  /**
   * Where the data is: the extracted folder (`cifar-10-batches-bin/`, `cifar-10-batches-py/`,
   * `cifar-100-binary/`, `cifar-100-python/`), a folder containing one of those or the
   * `.tar.gz`, or the `.tar.gz` itself (read without extracting); or the images as class folders
   * `train/<class>/…` and `test/<class>/…` (format 'images'), a folder or an archive of it (.tar.gz, .tgz,
   * .tar, .zip; unpacked once into `cacheDir`). Absent: the download cache.
   */
  root?: string;
  /** 'train' (default; 50,000 images) or 'test' (10,000). 'valid'/'val' throw: CIFAR has no validation split. */
  split?: SplitName;
  /**
   * 'auto' (default: binary first, then python, then image folders), 'binary', 'python' (the pickles
   * torchvision/StudioGAN read) or 'images' (class folders of image files, decoded once into memory).
   */
  format?: 'auto' | CifarFormat;
  /** Fetch the official archive (binary unless format 'python') into `cacheDir` when it is not there. */
  download?: boolean;
  cacheDir?: string;
  /** Download overrides (url, md5, timeout, progress) — for mirrors and tests. */
  downloadOptions?: Omit<DownloadOptions, 'cacheDir'>;
}

export interface Cifar100Options extends CifarOptions {
  /** 'fine' (default; 100 classes, what GANs use) or 'coarse' (20 superclasses). */
  labelMode?: 'fine' | 'coarse';
}

export type CifarDataset = InMemoryDataset & { readonly format: CifarFormat };
export type Cifar100Dataset = CifarDataset & {
  readonly labelMode: 'fine' | 'coarse';
  readonly fineLabels: Int32Array;
  readonly coarseLabels: Int32Array;
  readonly fineClassNames: readonly string[];
  readonly coarseClassNames: readonly string[];
};

type Kind = 10 | 100;

interface Layout {
  folder: string;
  archive: string;
  train: string[];
  test: string[];
  meta: string[];
}

type RecordFormat = Exclude<CifarFormat, 'images'>;

const LAYOUTS: Record<Kind, Record<RecordFormat, Layout>> = {
  10: {
    binary: { folder: 'cifar-10-batches-bin', archive: 'cifar-10-binary.tar.gz', train: [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`), test: ['test_batch.bin'], meta: ['batches.meta.txt'] },
    python: { folder: 'cifar-10-batches-py', archive: 'cifar-10-python.tar.gz', train: [1, 2, 3, 4, 5].map((k) => `data_batch_${k}`), test: ['test_batch'], meta: ['batches.meta'] },
  },
  100: {
    binary: { folder: 'cifar-100-binary', archive: 'cifar-100-binary.tar.gz', train: ['train.bin'], test: ['test.bin'], meta: ['fine_label_names.txt', 'coarse_label_names.txt'] },
    python: { folder: 'cifar-100-python', archive: 'cifar-100-python.tar.gz', train: ['train'], test: ['test'], meta: ['meta'] },
  },
};

/** Files of one split, read from a folder or from inside an archive. */
interface Located {
  format: CifarFormat;
  /** For 'images': the folder holding train/ and test/, or the archive holding them. */
  images?: { root: string; archive: false } | { root: string; archive: true };
  where: string;
  files: Map<string, Uint8Array>;
}

const label = (kind: Kind): string => (kind === 10 ? 'CIFAR-10' : 'CIFAR-100');

async function readFromFolder(dir: string, format: RecordFormat, layout: Layout, split: 'train' | 'test', kind: Kind): Promise<Located> {
  const needed = layout[split];
  const missing: DatasetProblem[] = [];
  for (const f of needed) if (!(await isFile(path.join(dir, f)))) missing.push({ file: f, problem: 'missing' });
  if (missing.length > 0) {
    throw new DatasetError('MISSING_FILE', `${label(kind)} (${format}) in ${dir}: the ${split} split is incomplete:`, { root: dir, problems: missing });
  }
  const files = new Map<string, Uint8Array>();
  for (const f of [...needed, ...layout.meta]) {
    const p = path.join(dir, f);
    if (await isFile(p)) files.set(f, new Uint8Array(await fs.promises.readFile(p)));
  }
  return { format, where: dir, files };
}

async function readFromArchive(archive: string, kind: Kind, formats: RecordFormat[], split: 'train' | 'test'): Promise<Located> {
  const wanted = new Map<string, { format: RecordFormat; name: string }>();
  for (const format of formats) {
    const layout = LAYOUTS[kind][format];
    for (const name of [...layout[split], ...layout.meta]) wanted.set(`${layout.folder}/${name}`, { format, name });
  }
  const found = new Map<string, { format: RecordFormat; name: string; data: Uint8Array }>();
  const pending: Promise<void>[] = [];
  const { list: tarList } = await loadOptional('tar', () => import('tar'));
  try {
    await tarList({
      file: archive,
      onReadEntry: (entry: ReadEntry) => {
        const p = entry.path.replace(/^\.\//, '');
        const hit = wanted.get(p);
        if (!hit || entry.type !== 'File') return;
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        pending.push(new Promise<void>((resolve) => entry.on('end', () => {
          found.set(p, { ...hit, data: new Uint8Array(Buffer.concat(chunks)) });
          resolve();
        })));
      },
    });
    await Promise.all(pending);
  } catch (error) {
    throw new DatasetError('BAD_SIZE', `${archive}: cannot read the archive (${(error as Error).message})`, { problems: [{ file: archive, problem: (error as Error).message }], cause: error });
  }
  for (const format of formats) {
    const layout = LAYOUTS[kind][format];
    const have = [...found.values()].filter((f) => f.format === format);
    if (have.length === 0) continue;
    const missing = layout[split].filter((n) => !have.some((h) => h.name === n));
    if (missing.length > 0) {
      throw new DatasetError('MISSING_FILE', `${label(kind)} archive ${archive}: the ${split} split is incomplete:`, { problems: missing.map((n) => ({ file: `${layout.folder}/${n}`, problem: 'missing from the archive' })) });
    }
    return { format, where: archive, files: new Map(have.map((h) => [h.name, h.data])) };
  }
  const expected = formats.map((f) => `${LAYOUTS[kind][f].folder}/${LAYOUTS[kind][f][split][0]}`);
  throw new DatasetError('MISSING_FILE', `${archive}: holds no ${label(kind)} ${split} files (looked for ${expected.join(' or ')})`, { problems: [{ file: archive, problem: 'no CIFAR members' }] });
}

/** The image-folder layout's split folders under `dir` (`train/`, `test/`), each with whether it exists. */
async function imageSplits(dir: string): Promise<{ dir: string; present: boolean }[]> {
  return Promise.all(['train', 'test'].map(async (s) => ({ dir: path.join(dir, s), present: await isDirectory(path.join(dir, s)) })));
}

/** The archive files (.tar.gz, .tgz, .tar, .zip) directly in `dir`, sorted. */
async function archivesIn(dir: string): Promise<string[]> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && isArchivePath(e.name)).map((e) => path.join(dir, e.name)).sort(compareCodePoints);
}

async function locate(kind: Kind, options: CifarOptions, split: 'train' | 'test'): Promise<Located> {
  const format = options.format ?? 'auto';
  assertOneOf('options.format', format, ['auto', 'binary', 'python', 'images']);
  const formats: RecordFormat[] = format === 'auto' ? ['binary', 'python'] : format === 'images' ? [] : [format];
  if (format === 'images' && kind === 100) {
    throw new DatasetError('BAD_ARGUMENT', `CIFAR-100: format 'images' is not supported (class folders carry no coarse labels); open the folders with loadImageFolder (--dataset folder)`);
  }
  const images = kind === 10 && (format === 'auto' || format === 'images');
  let root = options.root;
  if (root === undefined) {
    if (format === 'images') throw new DatasetError('MISSING_FILE', `${label(kind)} (images): no root given (options.root / --root): pass the folder holding train/ and test/, or an archive of it`);
    const cache = defaultCacheDir(options.cacheDir);
    const sourceKey = (`cifar${kind}${formats[0] === 'python' ? '-python' : ''}`) as keyof typeof DATASET_SOURCES;
    const cachedArchives = formats.map((f) => path.join(cache, LAYOUTS[kind][f].archive));
    const cached = (await Promise.all(cachedArchives.map(isFile))).findIndex(Boolean);
    if (cached >= 0) root = cachedArchives[cached];
    else if (options.download) root = await downloadDataset(sourceKey, { ...options.downloadOptions, cacheDir: cache });
    else {
      throw new DatasetError('MISSING_FILE', `${label(kind)}: no root given (options.root / --root) and no archive in the cache ${cache}; pass the extracted folder or the .tar.gz, or download: true to fetch ${DATASET_SOURCES[sourceKey].url}`, { problems: cachedArchives.map((f) => ({ file: f, problem: 'missing' })) });
    }
  }
  const abs = path.resolve(root);
  const fromArchive = async (file: string): Promise<Located> => {
    if (formats.length > 0 && !file.toLowerCase().endsWith('.zip')) {
      try {
        return await readFromArchive(file, kind, formats, split);
      } catch (error) {
        // An archive without record files may be one of image folders.
        if (!images || !(error instanceof DatasetError) || error.problems[0]?.problem !== 'no CIFAR members') throw error;
      }
    }
    if (!images) throw new DatasetError('BAD_ARGUMENT', `${label(kind)}: format '${format}' cannot read the archive ${file}`);
    return { format: 'images', where: file, files: new Map(), images: { root: file, archive: true } };
  };
  if (await isFile(abs)) return fromArchive(abs);
  if (!(await isDirectory(abs))) {
    throw new DatasetError('MISSING_FILE', `${label(kind)}: ${abs} does not exist (options.root / --root)`, { problems: [{ file: abs, problem: 'missing' }] });
  }
  const looked: string[] = [];
  for (const f of formats) {
    const layout = LAYOUTS[kind][f];
    for (const dir of [abs, path.join(abs, layout.folder)]) {
      looked.push(path.join(dir, layout[split][0]));
      const any = [...layout.train, ...layout.test];
      const present = await Promise.all(any.map((n) => isFile(path.join(dir, n))));
      if (present.some(Boolean)) return readFromFolder(dir, f, layout, split, kind);
    }
  }
  for (const f of formats) {
    const archive = path.join(abs, LAYOUTS[kind][f].archive);
    looked.push(archive);
    if (await isFile(archive)) return readFromArchive(archive, kind, [f], split);
  }
  if (images) {
    const splits = await imageSplits(abs);
    if (splits.every((s) => s.present)) return { format: 'images', where: abs, files: new Map(), images: { root: abs, archive: false } };
    // Half of the image-folder layout (or format 'images' asked for): list only the split folders that are not there.
    if (splits.some((s) => s.present) || format === 'images') {
      throw new DatasetError('MISSING_FILE', `${label(kind)} (images) in ${abs}: the image-folder layout needs both train/<class>/ and test/<class>/:`, {
        root: abs,
        problems: splits.filter((s) => !s.present).map((s) => ({ file: s.dir, problem: 'not found' })),
      });
    }
    looked.push(...splits.map((s) => s.dir));
  }
  // A folder holding one archive under another name (e.g. cifar10-jpeg/cifar10-jpeg.tar.gz): that archive.
  const archives = await archivesIn(abs);
  if (archives.length === 1) return fromArchive(archives[0]);
  if (archives.length > 1) {
    throw new DatasetError('MISSING_FILE', `${label(kind)}: no ${split} data under ${abs}, which holds ${archives.length} archives; pass the one to read as the root (options.root / --root):`, {
      root: abs,
      problems: archives.map((a) => ({ file: a, problem: 'archive (which one?)' })),
    });
  }
  throw new DatasetError('MISSING_FILE', `${label(kind)}: no ${split} data under ${abs}:`, { root: abs, problems: looked.map((l) => ({ file: l, problem: 'not found' })) });
}

/** Checks that the class folders found are exactly the dataset's classes (sorted order = label order). */
function checkImageClasses(kind: Kind, names: readonly string[], expected: readonly string[], where: string): void {
  if (names.length === expected.length && names.every((n, i) => n === expected[i])) return;
  const missing = expected.filter((n) => !names.includes(n));
  const extra = names.filter((n) => !expected.includes(n));
  throw new DatasetError('BAD_LAYOUT', `${label(kind)} images in ${where}: the class folders must be the ${expected.length} ${label(kind)} classes (${expected.slice(0, 10).join(', ')}${expected.length > 10 ? ', …' : ''}):`, {
    root: where,
    problems: [...missing.map((n) => ({ file: `${n}/`, problem: 'missing' })), ...extra.map((n) => ({ file: `${n}/`, problem: 'not a class of the dataset' }))],
  });
}

/** Decoded images of one split, HWC, checked to be 32×32. */
function packImages(kind: Kind, decoded: readonly { file: string; image: DecodedImage }[], where: string): Uint8Array {
  const bad: DatasetProblem[] = [];
  const pixels = new Uint8Array(decoded.length * CIFAR_PIXEL_BYTES);
  decoded.forEach(({ file, image }, i) => {
    const [h, w] = image.shape;
    if (h !== 32 || w !== 32) bad.push({ file, problem: `${h}×${w}, expected 32×32` });
    else pixels.set(image.data, i * CIFAR_PIXEL_BYTES);
  });
  if (bad.length > 0) throw new DatasetError('BAD_SIZE', `${label(kind)} images in ${where}: ${bad.length} image(s) are not 32×32:`, { root: where, problems: bad });
  return pixels;
}

/**
 * The 'images' format from a folder: `<root>/<split>/<class>/*` decoded into memory (loadImageFolder's
 * order: classes sorted, files sorted within a class).
 */
async function parseImageFolder(kind: Kind, root: string, split: 'train' | 'test', expected: readonly string[]): Promise<Parsed> {
  const ds = await loadImageFolder({ root, split, inMemory: true, layout: 'splits' });
  const where = path.join(root, split);
  checkImageClasses(kind, ds.classNames, expected, where);
  const decoded = await Promise.all(Array.from({ length: ds.count }, async (_, i) => ({ file: ds.fileOf(i), image: await ds.readImage(i) })));
  return { images: packImages(kind, decoded, where), labels: Int32Array.from(ds.labels), fineNames: expected };
}

const DECODED_FORMAT = 'reacgan-decoded-images';

/**
 * The 'images' format from an archive: the image members `[<top>/]<split>/<class>/<file>` read straight from
 * the archive (nothing unpacked file by file), decoded, checked, and written to the dataset cache as raw
 * pixels (`<cache>/decoded/<name>-<key>/<split>-{images,labels}.bin` + `<split>.json`, the key a hash of the
 * archive's path, size and modification time); later opens of that split read those files. Order as
 * loadImageFolder: classes sorted, files sorted by code points within a class.
 */
async function parseImageArchive(kind: Kind, archive: string, split: 'train' | 'test', expected: readonly string[], cacheDir: string | undefined): Promise<Parsed & { cache: string }> {
  const stat = await fs.promises.stat(archive);
  const stamp = JSON.stringify({ archive, size: stat.size, mtimeMs: stat.mtimeMs });
  const key = createHash('sha256').update(stamp).digest('hex').slice(0, 12);
  const cache = path.join(defaultCacheDir(cacheDir), 'decoded', `${path.basename(archive).replace(/\.(tar\.gz|tgz|tar)$/i, '')}-${key}`);
  const files = { meta: path.join(cache, `${split}.json`), images: path.join(cache, `${split}-images.bin`), labels: path.join(cache, `${split}-labels.bin`) };
  const meta = JSON.parse((await fs.promises.readFile(files.meta, 'utf8').catch(() => 'null')) ?? 'null') as { format?: string; stamp?: string; count?: number } | null;
  if (meta?.format === DECODED_FORMAT && meta.stamp === stamp && typeof meta.count === 'number') {
    const count = meta.count;
    const [images, labels] = await Promise.all([files.images, files.labels].map((f) => fs.promises.readFile(f).catch(() => null)));
    if (images?.length === count * CIFAR_PIXEL_BYTES && labels?.length === count && labels.every((y) => y < expected.length)) {
      return { images: new Uint8Array(images.buffer, images.byteOffset, images.length), labels: Int32Array.from(labels), fineNames: expected, cache };
    }
  }
  const member = /^(?:\.\/)?(?:[^/]+\/)?(train|test)\/([^/]+)\/([^/]+)$/;
  const extensions = new Set(IMAGE_EXTENSIONS.map((e) => e.toLowerCase()));
  const byClass = new Map<string, { file: string; bytes: Buffer }[]>();
  let anyImages = false;
  const pending: Promise<void>[] = [];
  const { list: tarList } = await loadOptional('tar', () => import('tar'));
  try {
    await tarList({
      file: archive,
      onReadEntry: (entry: ReadEntry) => {
        const m = member.exec(entry.path);
        if (!m || entry.type !== 'File' || m[3].startsWith('.') || !extensions.has(path.extname(m[3]).toLowerCase())) return;
        anyImages = true;
        if (m[1] !== split) return;
        const [, , cls, file] = m;
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        pending.push(new Promise<void>((resolve) => entry.on('end', () => {
          const list = byClass.get(cls) ?? [];
          list.push({ file: `${cls}/${file}`, bytes: Buffer.concat(chunks) });
          byClass.set(cls, list);
          resolve();
        })));
      },
    });
    await Promise.all(pending);
  } catch (error) {
    throw new DatasetError('BAD_SIZE', `${archive}: cannot read the archive (${(error as Error).message})`, { problems: [{ file: archive, problem: (error as Error).message }], cause: error });
  }
  if (!anyImages) {
    throw new DatasetError('MISSING_FILE', `${archive}: holds neither ${label(kind)} record files nor image folders train/<class>/ and test/<class>/`, { problems: [{ file: archive, problem: 'no CIFAR members' }] });
  }
  const where = `${archive} (${split}/)`;
  if (byClass.size === 0) throw new DatasetError('MISSING_SPLIT', `${where}: no ${split}/<class>/ image folders in the archive`, { problems: [{ file: `${split}/`, problem: 'missing from the archive' }] });
  const classes = [...byClass.keys()].sort(compareCodePoints);
  checkImageClasses(kind, classes, expected, where);
  const items = classes.flatMap((cls, y) => byClass.get(cls)!.sort((a, b) => compareCodePoints(a.file, b.file)).map((it) => ({ ...it, y })));
  const problems: DatasetProblem[] = [];
  const decoded = await mapPool(items, 8, async (it) => ({
    file: it.file,
    image: await decodeImage(it.bytes, it.file).catch((error: Error) => {
      problems.push({ file: it.file, problem: error.message });
      return null;
    }),
  }));
  if (problems.length > 0) throw new DatasetError('BAD_IMAGE', `${where}: ${problems.length} image(s) cannot be decoded:`, { problems });
  const pixels = packImages(kind, decoded as { file: string; image: DecodedImage }[], where);
  const labels = Int32Array.from(items, (it) => it.y);
  try {
    // Each file written whole then renamed (atomic); the metadata last, so a half-written cache is never read.
    await fs.promises.mkdir(cache, { recursive: true });
    await fs.promises.rm(files.meta, { force: true });
    const tmp = `.tmp-${process.pid}`;
    await fs.promises.writeFile(files.images + tmp, pixels);
    await fs.promises.rename(files.images + tmp, files.images);
    await fs.promises.writeFile(files.labels + tmp, Uint8Array.from(labels));
    await fs.promises.rename(files.labels + tmp, files.labels);
    const record = { format: DECODED_FORMAT, version: 1, stamp, split, count: items.length, classNames: expected, layout: 'images: HWC uint8 32×32×3 per image; labels: one uint8 per image' };
    await fs.promises.writeFile(files.meta + tmp, JSON.stringify(record, null, 1) + '\n');
    await fs.promises.rename(files.meta + tmp, files.meta);
  } catch (error) {
    // Not fatal (the data is in memory); the next open decodes again.
    console.warn(`${label(kind)}: cannot write the decoded-image cache ${cache} (${(error as Error).message}); continuing without it`);
  }
  return { images: pixels, labels, fineNames: expected, cache };
}

/** The 'images' format (a folder or an archive), with `located.where` describing the source. */
async function parseImages(kind: Kind, located: Located, split: 'train' | 'test', expected: readonly string[], cacheDir: string | undefined): Promise<Parsed> {
  const { root, archive } = located.images!;
  if (!archive) {
    const parsed = await parseImageFolder(kind, root, split, expected);
    located.where = `${root} (${split}: ${parsed.labels.length} images from class folders)`;
    return parsed;
  }
  if (root.toLowerCase().endsWith('.zip')) {
    const dir = await extractArchive(root, { cacheDir });
    if (!(await imageSplits(dir)).every((s) => s.present)) throw new DatasetError('MISSING_FILE', `${root}: holds no image folders train/<class>/ and test/<class>/ (unpacked to ${dir})`, { problems: [{ file: root, problem: 'no CIFAR members' }] });
    const parsed = await parseImageFolder(kind, dir, split, expected);
    located.where = `${root} (${split}: ${parsed.labels.length} images from class folders, unpacked to ${dir})`;
    return parsed;
  }
  const parsed = await parseImageArchive(kind, root, split, expected, cacheDir);
  located.where = `${root} (${split}: ${parsed.labels.length} images from class folders, decoded once into ${parsed.cache})`;
  return parsed;
}

function splitOf(kind: Kind, options: CifarOptions): 'train' | 'test' {
  const split = options.split ?? 'train';
  assertOneOf('options.split', split, ['train', 'test', 'valid', 'val']);
  if (split === 'valid' || split === 'val') {
    throw new DatasetError('MISSING_SPLIT', `${label(kind)} has only 'train' and 'test' splits; asked for '${split}' (StudioGAN evaluates CIFAR on 'test')`);
  }
  return split;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function namesFromText(bytes: Uint8Array | undefined, file: string, expected: number, fallback: readonly string[]): readonly string[] {
  if (!bytes) return fallback;
  const names = parseClassNameLines(Buffer.from(bytes).toString('utf8'));
  if (names.length !== expected) throw new DatasetError('BAD_SIZE', `${file}: ${names.length} class names, expected ${expected}`, { problems: [{ file, problem: `${names.length} names` }] });
  return names;
}

interface Parsed {
  images: Uint8Array;
  labels: Int32Array;
  coarse?: Int32Array;
  fineNames: readonly string[];
  coarseNames?: readonly string[];
}

function parseBinary(kind: Kind, located: Located, split: 'train' | 'test'): Parsed {
  const layout = LAYOUTS[kind].binary;
  const images: Uint8Array[] = [];
  const labels: Int32Array[] = [];
  const coarse: Int32Array[] = [];
  const errors: DatasetError[] = [];
  for (const name of layout[split]) {
    try {
      const r = parseCifarRecords(located.files.get(name)!, { labelBytes: kind === 10 ? 1 : 2 }, `${layout.folder}/${name}`, kind);
      images.push(r.images);
      labels.push(r.labels);
      if (r.coarseLabels) coarse.push(r.coarseLabels);
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new DatasetError(errors[0].code, `${label(kind)} (${located.where}): ${errors.length} bad files:`, { problems: errors.flatMap((e) => e.problems) });
  }
  const allLabels = Int32Array.from(labels.flatMap((l) => Array.from(l)));
  if (kind === 10) {
    return { images: concat(images), labels: allLabels, fineNames: namesFromText(located.files.get('batches.meta.txt'), `${layout.folder}/batches.meta.txt`, 10, CIFAR10_CLASSES) };
  }
  return {
    images: concat(images),
    labels: allLabels,
    coarse: Int32Array.from(coarse.flatMap((l) => Array.from(l))),
    fineNames: namesFromText(located.files.get('fine_label_names.txt'), `${layout.folder}/fine_label_names.txt`, 100, CIFAR100_FINE_CLASSES),
    coarseNames: namesFromText(located.files.get('coarse_label_names.txt'), `${layout.folder}/coarse_label_names.txt`, 20, CIFAR100_COARSE_CLASSES),
  };
}

function intList(value: unknown, file: string, key: string, count: number, numClasses: number): Int32Array {
  if (!Array.isArray(value) || value.length !== count) {
    throw new DatasetError('BAD_SIZE', `${file}: '${key}' holds ${Array.isArray(value) ? value.length : typeof value} entries, expected ${count} (one per image)`, { problems: [{ file, problem: `'${key}' length` }] });
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = Number(value[i]);
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) throw new DatasetError('BAD_LABEL', `${file}: ${key}[${i}] = ${String(value[i])}, outside [0, ${numClasses})`, { problems: [{ file, problem: `${key}[${i}]` }] });
    out[i] = v;
  }
  return out;
}

function stringList(value: unknown, file: string, key: string, expected: number): string[] {
  if (!Array.isArray(value) || value.length !== expected) throw new DatasetError('BAD_SIZE', `${file}: '${key}' should list ${expected} names`, { problems: [{ file, problem: `'${key}'` }] });
  return value.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : String(v)));
}

function parsePython(kind: Kind, located: Located, split: 'train' | 'test'): Parsed {
  const layout = LAYOUTS[kind].python;
  const images: Uint8Array[] = [];
  const labels: Int32Array[] = [];
  const coarse: Int32Array[] = [];
  for (const name of layout[split]) {
    const file = `${layout.folder}/${name}`;
    const dict = unpickleCifar(located.files.get(name)!, file);
    const data = dict.get('data');
    if (!(data instanceof NumpyArray) || !data.data) throw new DatasetError('BAD_HEADER', `${file}: no numpy 'data' array`, { problems: [{ file, problem: "no 'data'" }] });
    const [n, d] = data.shape;
    if (data.shape.length !== 2 || d !== CIFAR_PIXEL_BYTES || data.dtype?.code !== 'u1' || data.fortranOrder || data.data.length !== n * d) {
      throw new DatasetError('BAD_SIZE', `${file}: 'data' is ${data.dtype?.code ?? '?'} [${data.shape.join(', ')}]${data.fortranOrder ? ' (Fortran order)' : ''} with ${data.data.length} bytes; expected C-ordered uint8 [N, 3072]`, { problems: [{ file, problem: `data [${data.shape.join(', ')}]` }] });
    }
    const hwc = new Uint8Array(n * CIFAR_PIXEL_BYTES);
    for (let i = 0; i < n; i++) cifarPlanarToHwc(data.data, i * CIFAR_PIXEL_BYTES, hwc, i * CIFAR_PIXEL_BYTES);
    images.push(hwc);
    if (kind === 10) labels.push(intList(dict.get('labels'), file, 'labels', n, 10));
    else {
      labels.push(intList(dict.get('fine_labels'), file, 'fine_labels', n, 100));
      coarse.push(intList(dict.get('coarse_labels'), file, 'coarse_labels', n, 20));
    }
  }
  const allLabels = Int32Array.from(labels.flatMap((l) => Array.from(l)));
  const metaName = layout.meta[0];
  const metaBytes = located.files.get(metaName);
  const meta = metaBytes ? unpickleCifar(metaBytes, `${layout.folder}/${metaName}`) : null;
  if (kind === 10) {
    return { images: concat(images), labels: allLabels, fineNames: meta ? stringList(meta.get('label_names'), `${layout.folder}/${metaName}`, 'label_names', 10) : CIFAR10_CLASSES };
  }
  return {
    images: concat(images),
    labels: allLabels,
    coarse: Int32Array.from(coarse.flatMap((l) => Array.from(l))),
    fineNames: meta ? stringList(meta.get('fine_label_names'), `${layout.folder}/meta`, 'fine_label_names', 100) : CIFAR100_FINE_CLASSES,
    coarseNames: meta ? stringList(meta.get('coarse_label_names'), `${layout.folder}/meta`, 'coarse_label_names', 20) : CIFAR100_COARSE_CLASSES,
  };
}

/**
 * CIFAR-10 (32×32×3, 10 classes; train 50,000 = data_batch_1…5 in order, test 10,000): the
 * binary version (`<label><3072 planar bytes>` records, transposed CHW → HWC) or the python
 * version (pickles). Class names from batches.meta(.txt) when present. Or (format 'images') the images as
 * class folders `train/<class>/*.jpg|png…` and `test/<class>/…` named as CIFAR-10's classes (airplane …
 * truck; sorted = label order), a folder or an archive of it unpacked once into the cache, decoded into
 * memory in file order (e.g. the JPEG re-encoding of CIFAR-10: real images and labels, pixels not
 * byte-identical to the binary version; `source` says where they came from).
 *
 * @throws DatasetError MISSING_FILE (listing every missing batch), BAD_SIZE (a file whose length is
 *   not a multiple of 3073, naming it and its length; an image that is not 32×32), BAD_LABEL,
 *   BAD_LAYOUT (class folders that are not CIFAR-10's), MISSING_SPLIT ('valid'/'val').
 */
export async function loadCifar10(options: CifarOptions = {}): Promise<CifarDataset> {
  const split = splitOf(10, options);
  const located = await locate(10, options, split);
  const parsed =
    located.format === 'images' ? await parseImages(10, located, split, CIFAR10_CLASSES, options.cacheDir) : located.format === 'binary' ? parseBinary(10, located, split) : parsePython(10, located, split);
  return createInMemoryDataset<{ format: CifarFormat }>({
    name: `cifar10:${split}`,
    images: parsed.images,
    labels: parsed.labels,
    imageShape: [32, 32, 3],
    classNames: parsed.fineNames,
    source: located.where,
    extra: { format: located.format },
  });
}

/**
 * CIFAR-100 (32×32×3; train 50,000, test 10,000). Binary records are
 * `<coarse><fine><3072 planar bytes>` (3074 bytes; pixels from offset 2); `labels` are the fine
 * labels (100 classes) by default, or the coarse ones with `labelMode: 'coarse'`; both arrays are
 * exposed as `fineLabels` / `coarseLabels`.
 *
 * @throws DatasetError as loadCifar10 (record size 3074).
 */
export async function loadCifar100(options: Cifar100Options = {}): Promise<Cifar100Dataset> {
  const split = splitOf(100, options);
  const labelMode = options.labelMode ?? 'fine';
  assertOneOf('options.labelMode', labelMode, ['fine', 'coarse']);
  const located = await locate(100, options, split);
  const parsed = located.format === 'binary' ? parseBinary(100, located, split) : parsePython(100, located, split);
  const coarse = parsed.coarse!;
  return createInMemoryDataset<Omit<Cifar100Dataset, keyof InMemoryDataset>>({
    name: `cifar100:${split}${labelMode === 'coarse' ? ':coarse' : ''}`,
    images: parsed.images,
    labels: labelMode === 'fine' ? parsed.labels : coarse,
    imageShape: [32, 32, 3],
    classNames: labelMode === 'fine' ? parsed.fineNames : parsed.coarseNames!,
    source: located.where,
    extra: { format: located.format, labelMode, fineLabels: parsed.labels, coarseLabels: coarse, fineClassNames: Object.freeze([...parsed.fineNames]), coarseClassNames: Object.freeze([...parsed.coarseNames!]) },
  });
}
