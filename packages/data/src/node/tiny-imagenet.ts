import fs from 'node:fs';
import path from 'node:path';
import { compareCodePoints } from '../class-index.js';
import { DatasetError, assertOneOf, type DatasetProblem } from '../errors.js';
import type { SplitName } from '../types.js';
import { defaultCacheDir, downloadDataset, type DownloadOptions } from './download.js';
import { IMAGE_EXTENSIONS } from './image-decode.js';
import { createImageFileDataset, listImageFiles, type ImageFileOptions, type InMemoryImageFileDataset, type StreamedImageFileDataset } from './image-files.js';
import { loadImageFolder } from './image-folder.js';

/** Options of `loadTinyImageNet`. */
export interface TinyImageNetOptions extends ImageFileOptions {
  /**
   * The `tiny-imagenet-200/` folder (holding wnids.txt, train/, val/), its parent, or a StudioGAN
   * re-organised root `{train,valid}/<wnid>/*` (read as an image folder). Absent: the download
   * cache (`download: true` fetches it).
   */
  root?: string;
  /** 'train' (default; 100,000 images) or 'val' / 'valid' (10,000, labelled by val_annotations.txt). 'test' has no labels and throws. */
  split?: SplitName;
  /** Download (and verify, and unzip) the official archive into `cacheDir` when `root` is absent and it is not cached. */
  download?: boolean;
  cacheDir?: string;
  /** Download overrides (url, md5, fetch timeout, progress) — for mirrors and tests. */
  downloadOptions?: Omit<DownloadOptions, 'cacheDir'>;
}

export type TinyImageNetDataset = (StreamedImageFileDataset | InMemoryImageFileDataset) & {
  readonly split: SplitName;
  /** The wnids in wnids.txt order (class index is the position in the *sorted* list, `classNames`). */
  readonly wnids: readonly string[];
  /** wnid → names from words.txt (when present), e.g. n01443537 → "goldfish, Carassius auratus". */
  readonly classDescriptions: Readonly<Record<string, string>>;
};

async function readText(file: string, root: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    throw new DatasetError('MISSING_FILE', `Tiny-ImageNet: ${path.relative(root, file) || file} is missing under ${root}`, { root, problems: [{ file: path.relative(root, file), problem: 'missing' }] });
  }
}

async function exists(p: string): Promise<boolean> {
  return (await fs.promises.stat(p).catch(() => null)) !== null;
}

/** Resolves the folder holding wnids.txt (root itself or root/tiny-imagenet-200). */
async function resolveTinyRoot(options: TinyImageNetOptions): Promise<{ base: string } | { studiogan: string }> {
  let root = options.root;
  if (root === undefined) {
    if (!options.download) {
      const cached = path.join(defaultCacheDir(options.cacheDir), 'tiny-imagenet-200');
      if (await exists(path.join(cached, 'wnids.txt'))) return { base: cached };
      throw new DatasetError('MISSING_FILE', `Tiny-ImageNet: no root given (options.root / --root) and nothing in the cache ${cached}; pass the tiny-imagenet-200 folder, or download: true to fetch it`, { problems: [{ file: cached, problem: 'missing' }] });
    }
    root = await downloadDataset('tiny-imagenet', { ...options.downloadOptions, ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) });
  }
  const abs = path.resolve(root);
  if (await exists(path.join(abs, 'wnids.txt'))) return { base: abs };
  if (await exists(path.join(abs, 'tiny-imagenet-200', 'wnids.txt'))) return { base: path.join(abs, 'tiny-imagenet-200') };
  if ((await exists(path.join(abs, 'train'))) && ((await exists(path.join(abs, 'valid'))) || (await exists(path.join(abs, 'val'))))) {
    if (!(await exists(path.join(abs, 'val', 'val_annotations.txt')))) return { studiogan: abs };
  }
  throw new DatasetError('MISSING_FILE', `Tiny-ImageNet: ${abs} holds neither wnids.txt (the tiny-imagenet-200 layout) nor tiny-imagenet-200/wnids.txt nor StudioGAN's train/ + valid/ class folders`, { root: abs, problems: [{ file: 'wnids.txt', problem: 'missing' }] });
}

/**
 * Tiny-ImageNet-200 (64×64 RGB, 200 classes). Class index = position of the wnid in the sorted
 * list of wnids (= PyTorch ImageFolder and StudioGAN on the re-organised set), the same map for
 * every split. Train: `train/<wnid>/images/*.JPEG`, 500 per class. Val: `val/images/*`, labelled
 * through `val/val_annotations.txt` (file \t wnid \t x0 \t y0 \t x1 \t y1), in annotation-file
 * order; 50 per class. Greyscale JPEGs become RGB. A StudioGAN-style root ({train,valid}/<wnid>/)
 * is read as an image folder.
 *
 * @throws DatasetError MISSING_FILE (wnids.txt, train/<wnid>/, val_annotations.txt, listed val
 *   images), BAD_LAYOUT (unknown wnids, duplicate or malformed annotation lines, class folders not
 *   in wnids.txt, val images without annotation), MISSING_SPLIT ('test': no labels), BAD_IMAGE.
 */
export async function loadTinyImageNet(options: TinyImageNetOptions = {}): Promise<TinyImageNetDataset> {
  const split = options.split ?? 'train';
  assertOneOf('options.split', split, ['train', 'val', 'valid', 'test']);
  if (split === 'test') {
    throw new DatasetError('MISSING_SPLIT', "Tiny-ImageNet: the 'test' split has no labels (test/images only); use split 'val' for evaluation");
  }
  const resolved = await resolveTinyRoot(options);
  if ('studiogan' in resolved) {
    const ds = await loadImageFolder({ ...options, root: resolved.studiogan, split });
    return Object.assign(ds, { wnids: [...ds.classNames], classDescriptions: {} });
  }
  const base = resolved.base;
  const wnids = (await readText(path.join(base, 'wnids.txt'), base)).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (wnids.length === 0) throw new DatasetError('BAD_LAYOUT', `Tiny-ImageNet: ${path.join(base, 'wnids.txt')} lists no wnids`, { root: base });
  if (new Set(wnids).size !== wnids.length) throw new DatasetError('BAD_LAYOUT', `Tiny-ImageNet: ${path.join(base, 'wnids.txt')} lists a wnid twice`, { root: base });
  const classNames = [...wnids].sort(compareCodePoints);
  const index = new Map(classNames.map((w, i) => [w, i] as const));
  const wanted = new Set(wnids);
  const classDescriptions: Record<string, string> = {};
  const words = await fs.promises.readFile(path.join(base, 'words.txt'), 'utf8').catch(() => null);
  if (words) {
    for (const line of words.split(/\r?\n/)) {
      const tab = line.indexOf('\t');
      if (tab > 0 && wanted.has(line.slice(0, tab))) classDescriptions[line.slice(0, tab)] = line.slice(tab + 1).trim();
    }
  }
  const files: string[] = [];
  const labels: number[] = [];
  const problems: DatasetProblem[] = [];
  let root: string;
  if (split === 'train') {
    root = path.join(base, 'train');
    const present = await fs.promises.readdir(root).catch(() => null);
    if (!present) throw new DatasetError('MISSING_FILE', `Tiny-ImageNet: ${root} is missing`, { root: base, problems: [{ file: 'train/', problem: 'missing' }] });
    for (const d of present) if (!d.startsWith('.') && !wanted.has(d)) problems.push({ file: `train/${d}/`, problem: 'class folder not listed in wnids.txt' });
    for (const wnid of classNames) {
      const dir = path.join(root, wnid, 'images');
      if (!(await exists(dir))) {
        problems.push({ file: `train/${wnid}/images/`, problem: 'missing' });
        continue;
      }
      const found = await listImageFiles(dir, root, IMAGE_EXTENSIONS);
      if (found.length === 0) problems.push({ file: `train/${wnid}/images/`, problem: 'no images' });
      for (const f of found) {
        files.push(f);
        labels.push(index.get(wnid)!);
      }
    }
    if (problems.length > 0) throw new DatasetError('BAD_LAYOUT', `Tiny-ImageNet ${base}: the train tree does not match wnids.txt:`, { root: base, problems });
  } else {
    root = path.join(base, 'val');
    const annotationsFile = path.join(root, 'val_annotations.txt');
    const text = await readText(annotationsFile, base);
    const listed = new Set<string>();
    const lines = text.split(/\r?\n/);
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      const cols = line.split('\t');
      const where = `val/val_annotations.txt line ${i + 1}`;
      if (cols.length < 2) {
        problems.push({ file: where, problem: `expected "<file>\\t<wnid>\\t<x0>\\t<y0>\\t<x1>\\t<y1>", got ${JSON.stringify(line.slice(0, 80))}` });
        continue;
      }
      const [file, wnid] = [cols[0].trim(), cols[1].trim()];
      if (!index.has(wnid)) {
        problems.push({ file: where, problem: `wnid ${wnid} of ${file} is not in wnids.txt` });
        continue;
      }
      if (listed.has(file)) {
        problems.push({ file: where, problem: `${file} is annotated twice` });
        continue;
      }
      listed.add(file);
      files.push(path.join('images', file));
      labels.push(index.get(wnid)!);
    }
    const onDisk = await fs.promises.readdir(path.join(root, 'images')).catch(() => null);
    if (!onDisk) throw new DatasetError('MISSING_FILE', `Tiny-ImageNet: ${path.join(root, 'images')} is missing`, { root: base, problems: [{ file: 'val/images/', problem: 'missing' }] });
    const present = new Set(onDisk);
    for (const f of listed) if (!present.has(f)) problems.push({ file: `val/images/${f}`, problem: 'listed in val_annotations.txt but missing' });
    const unlabelled = onDisk.filter((f) => !f.startsWith('.') && IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase()) && !listed.has(f));
    if (unlabelled.length > 0 && options.onBadFile !== 'skip') {
      for (const f of unlabelled.sort(compareCodePoints)) problems.push({ file: `val/images/${f}`, problem: 'no entry in val_annotations.txt' });
    } else if (unlabelled.length > 0) {
      (options.onWarning ?? ((m: string) => console.warn(m)))(`Tiny-ImageNet: ignoring ${unlabelled.length} val image(s) without annotation (onBadFile: 'skip')`);
    }
    if (problems.length > 0) throw new DatasetError('BAD_LAYOUT', `Tiny-ImageNet ${base}: the val split does not match val_annotations.txt:`, { root: base, problems });
  }
  const name = `tiny-imagenet:${split}`;
  const dataset = await createImageFileDataset({ name, root, files, labels, classNames, source: base }, options);
  return Object.assign(dataset, { split, wnids: Object.freeze([...wnids]), classDescriptions: Object.freeze(classDescriptions) });
}
