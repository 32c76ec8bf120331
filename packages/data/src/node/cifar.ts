import fs from 'node:fs';
import path from 'node:path';
import { list as tarList, type ReadEntry } from 'tar';
import {
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  CIFAR10_CLASSES,
  CIFAR_PIXEL_BYTES,
  cifarPlanarToHwc,
  parseCifarRecords,
  parseClassNameLines,
} from '../cifar-records.js';
import { DatasetError, assertOneOf, type DatasetProblem } from '../errors.js';
import { createInMemoryDataset } from '../in-memory.js';
import type { InMemoryDataset, SplitName } from '../types.js';
import { DATASET_SOURCES, defaultCacheDir, downloadDataset, type DownloadOptions } from './download.js';
import { isDirectory, isFile } from './files.js';
import { NumpyArray, unpickleCifar } from './pickle.js';

export type CifarFormat = 'binary' | 'python';

/** Options of `loadCifar10` / `loadCifar100`. */
export interface CifarOptions {
  /**
   * Where the data is: the extracted folder (`cifar-10-batches-bin/`, `cifar-10-batches-py/`,
   * `cifar-100-binary/`, `cifar-100-python/`), a folder containing one of those or the
   * `.tar.gz`, or the `.tar.gz` itself (read without extracting). Absent: the download cache.
   */
  root?: string;
  /** 'train' (default; 50,000 images) or 'test' (10,000). 'valid'/'val' throw: CIFAR has no validation split. */
  split?: SplitName;
  /** 'auto' (default: binary first, then python), 'binary' or 'python' (the pickles torchvision/StudioGAN read). */
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

const LAYOUTS: Record<Kind, Record<CifarFormat, Layout>> = {
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
  where: string;
  files: Map<string, Uint8Array>;
}

const label = (kind: Kind): string => (kind === 10 ? 'CIFAR-10' : 'CIFAR-100');

async function readFromFolder(dir: string, format: CifarFormat, layout: Layout, split: 'train' | 'test', kind: Kind): Promise<Located> {
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

async function readFromArchive(archive: string, kind: Kind, formats: CifarFormat[], split: 'train' | 'test'): Promise<Located> {
  const wanted = new Map<string, { format: CifarFormat; name: string }>();
  for (const format of formats) {
    const layout = LAYOUTS[kind][format];
    for (const name of [...layout[split], ...layout.meta]) wanted.set(`${layout.folder}/${name}`, { format, name });
  }
  const found = new Map<string, { format: CifarFormat; name: string; data: Uint8Array }>();
  const pending: Promise<void>[] = [];
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

async function locate(kind: Kind, options: CifarOptions, split: 'train' | 'test'): Promise<Located> {
  const format = options.format ?? 'auto';
  assertOneOf('options.format', format, ['auto', 'binary', 'python']);
  const formats: CifarFormat[] = format === 'auto' ? ['binary', 'python'] : [format];
  let root = options.root;
  if (root === undefined) {
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
  if (await isFile(abs)) return readFromArchive(abs, kind, formats, split);
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
  throw new DatasetError('MISSING_FILE', `${label(kind)}: no ${split} data under ${abs}:`, { root: abs, problems: looked.map((l) => ({ file: l, problem: 'not found' })) });
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
 * version (pickles). Class names from batches.meta(.txt) when present.
 *
 * @throws DatasetError MISSING_FILE (listing every missing batch), BAD_SIZE (a file whose length is
 *   not a multiple of 3073, naming it and its length), BAD_LABEL, MISSING_SPLIT ('valid'/'val').
 */
export async function loadCifar10(options: CifarOptions = {}): Promise<CifarDataset> {
  const split = splitOf(10, options);
  const located = await locate(10, options, split);
  const parsed = located.format === 'binary' ? parseBinary(10, located, split) : parsePython(10, located, split);
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
