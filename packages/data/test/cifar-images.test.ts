// CIFAR-10 as class folders of image files (format 'images'), from a folder or an archive unpacked once
// into the cache; image-folder archives in general (extractArchive, loadImageFolder / openDataset).
import fs from 'node:fs';
import path from 'node:path';
import { create as tarCreate, list as tarList, type ReadEntry } from 'tar';
import { describe, expect, it } from 'vitest';
import { DatasetError, decodeImage, extractArchive, isArchivePath, loadCifar10, loadCifar100, loadImageFolder, openDataset } from '../src/node/index.js';
import { testDatasetConformance } from './dataset-conformance.js';
import { encodePng } from './helpers/png.js';
import { jpegRgb, noiseRgb } from './helpers/images.js';
import { sharedDataset } from '@reacgan/testkit';
import { tempDir, write } from './helpers/tmp.js';

const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** 32×32 RGB pixels whose first byte encodes (class, index) so the order is checkable. */
function pixels(cls: number, index: number, size = 32): Buffer {
  const out = noiseRgb(size, size, 1 + cls * 31 + index);
  out[0] = cls * 10 + index;
  return out;
}

/**
 * train/<class>/{0,1}.png and test/<class>/0.png for the ten CIFAR-10 classes (lossless PNG, so pixels
 * are exact), plus one JPEG in train/cat (decoded by the same decoder as the loader, so comparable).
 */
async function writeImageFolders(root: string, names: readonly string[] = CIFAR10_NAMES): Promise<void> {
  for (const [cls, name] of names.entries()) {
    for (const [split, count] of [['train', 2], ['test', 1]] as const) {
      for (let i = 0; i < count; i++) {
        write(path.join(root, split, name, `${i}.png`), encodePng({ width: 32, height: 32, colorType: 2, bitDepth: 8, samples: pixels(cls, i) }));
      }
    }
  }
  write(path.join(root, 'train', 'cat', '2.jpg'), await jpegRgb(pixels(3, 2), 32, 32));
}

async function tarGz(file: string, cwd: string, entries: string[]): Promise<string> {
  await tarCreate({ gzip: true, file, cwd, portable: true }, entries);
  return file;
}

describe('CIFAR-10 from class folders of images (format images)', () => {
  const dir = tempDir();
  const cache = path.join(dir, 'cache');
  const folder = path.join(dir, 'cifar10-images');
  let archive = '';
  const ready = (async () => {
    await writeImageFolders(folder);
    archive = await tarGz(path.join(dir, 'cifar10-images.tar.gz'), folder, ['train', 'test']);
  })();

  it('reads the .tar.gz: decoded into the cache, train/test in file order, labels = CIFAR-10 order, exact pixels', async () => {
    await ready;
    const test = await loadCifar10({ root: archive, split: 'test', cacheDir: cache });
    expect(test.format).toBe('images');
    expect(test.count).toBe(10);
    expect(test.classNames).toEqual(CIFAR10_NAMES);
    expect(Array.from(test.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let k = 0; k < 10; k++) expect(Buffer.from(test.getImage(k)).equals(pixels(k, 0))).toBe(true);
    expect(test.source).toMatch(/cifar10-images\.tar\.gz \(test: 10 images from class folders, decoded once into .*cache.decoded.cifar10-images-[0-9a-f]{12}\)$/);
    const train = await loadCifar10({ root: archive, split: 'train', cacheDir: cache });
    expect(train.count).toBe(21);
    expect(Array.from(train.labels)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    const jpeg = await decodeImage(fs.readFileSync(path.join(folder, 'train', 'cat', '2.jpg')), 'cat/2.jpg');
    expect(Buffer.from(train.getImage(8)).equals(Buffer.from(jpeg.data))).toBe(true);
    expect(train.imageShape).toEqual([32, 32, 3]);
  });

  it('decodes once: later opens read the decoded cache (same pixels); a damaged cache is rebuilt', async () => {
    await ready;
    const a = await loadCifar10({ root: archive, split: 'test', cacheDir: cache });
    const decoded = a.source!.replace(/^.*decoded once into (.*)\)$/, '$1');
    const meta = JSON.parse(fs.readFileSync(path.join(decoded, 'test.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'reacgan-decoded-images', version: 1, split: 'test', count: 10, classNames: CIFAR10_NAMES });
    // A cache that is read (not rebuilt) is not rewritten; its pixels are the same.
    const written = fs.statSync(path.join(decoded, 'test-images.bin')).mtimeMs;
    const b = await loadCifar10({ root: archive, split: 'test', cacheDir: cache });
    expect(fs.statSync(path.join(decoded, 'test-images.bin')).mtimeMs).toBe(written);
    expect(Buffer.from(b.getImage(9)).equals(Buffer.from(a.getImage(9)))).toBe(true);
    fs.truncateSync(path.join(decoded, 'test-images.bin'), 100);
    const c = await loadCifar10({ root: archive, split: 'test', cacheDir: cache });
    expect(Buffer.from(c.getImage(9)).equals(Buffer.from(a.getImage(9)))).toBe(true);
    expect(fs.statSync(path.join(decoded, 'test-images.bin')).size).toBe(10 * 3072); // rebuilt
  });

  it('extractArchive unpacks once: a second call reuses the folder; a replaced archive is unpacked again into a new folder', async () => {
    await ready;
    const first = await extractArchive(archive, { cacheDir: cache });
    const sentinel = write(path.join(first, 'train', 'sentinel.txt'), 'kept');
    const lines: string[] = [];
    expect(await extractArchive(archive, { cacheDir: cache, log: (l) => lines.push(l) })).toBe(first);
    expect(fs.existsSync(sentinel)).toBe(true);
    expect(lines).toEqual([]);
    const copy = path.join(dir, 'copy', 'cifar10-images.tar.gz');
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.copyFileSync(archive, copy);
    const second = await extractArchive(copy, { cacheDir: cache, log: (l) => lines.push(l) });
    expect(second).not.toBe(first);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^unpacking .*copy.*cifar10-images\.tar\.gz into /);
    expect(fs.readdirSync(path.dirname(first)).filter((n) => n.includes('.extract-'))).toEqual([]); // no staging left
  });

  it('reads the folder itself (same images as the archive), and an archive wrapping it in one top folder', async () => {
    await ready;
    const ds = await loadCifar10({ root: folder, split: 'test' });
    expect(ds.format).toBe('images');
    const fromArchive = await loadCifar10({ root: archive, split: 'test', cacheDir: cache });
    for (let k = 0; k < 10; k++) expect(Buffer.from(ds.getImage(k)).equals(Buffer.from(fromArchive.getImage(k)))).toBe(true);
    expect(ds.source).toBe(`${folder} (test: 10 images from class folders)`);
    const wrapped = await tarGz(path.join(dir, 'wrapped.tgz'), dir, ['cifar10-images']);
    const w = await loadCifar10({ root: wrapped, split: 'test', cacheDir: cache, format: 'images' });
    expect(Array.from(w.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('class folders that are not CIFAR-10\'s, images that are not 32×32, CIFAR-100 and a missing root: errors naming them', async () => {
    const wrong = path.join(dir, 'wrong');
    await writeImageFolders(wrong, [...CIFAR10_NAMES.slice(0, 9), 'lorry']);
    const e1 = await loadCifar10({ root: wrong, split: 'test' }).catch((e) => e);
    expect(e1).toBeInstanceOf(DatasetError);
    expect(e1.code).toBe('BAD_LAYOUT');
    expect(e1.message).toMatch(/the class folders must be the 10 CIFAR-10 classes/);
    expect(e1.problems).toEqual([{ file: 'truck/', problem: 'missing' }, { file: 'lorry/', problem: 'not a class of the dataset' }]);
    const big = path.join(dir, 'big');
    await writeImageFolders(big);
    write(path.join(big, 'test', 'dog', '0.png'), encodePng({ width: 33, height: 32, colorType: 2, bitDepth: 8, samples: noiseRgb(33, 32) }));
    const e2 = await loadCifar10({ root: big, split: 'test' }).catch((e) => e);
    expect(e2.code).toBe('BAD_SIZE');
    expect(e2.problems).toEqual([{ file: 'dog/0.png', problem: '32×33, expected 32×32' }]);
    await expect(loadCifar100({ root: folder, format: 'images' })).rejects.toThrow(/CIFAR-100: format 'images' is not supported/);
    await expect(loadCifar10({ format: 'images' })).rejects.toThrow(/no root given/);
    write(path.join(dir, 'notes', 'readme.txt'), 'not images');
    const notData = await tarGz(path.join(dir, 'other.tar.gz'), dir, ['notes']);
    await expect(loadCifar10({ root: notData, cacheDir: cache })).rejects.toThrow(/holds neither CIFAR-10 record files nor image folders/);
  });

  it('a folder holding one archive under another name reads that archive; with two, the error lists both', async () => {
    await ready;
    const one = path.join(dir, 'one-archive');
    fs.mkdirSync(one);
    fs.copyFileSync(archive, path.join(one, 'my-cifar.tar.gz'));
    write(path.join(one, 'README.md'), 'CIFAR-10 as JPEG');
    const test = await loadCifar10({ root: one, split: 'test', cacheDir: cache });
    expect(test.format).toBe('images');
    expect(test.count).toBe(10);
    for (let k = 0; k < 10; k++) expect(Buffer.from(test.getImage(k)).equals(pixels(k, 0))).toBe(true);
    const two = path.join(dir, 'two-archives');
    fs.mkdirSync(two);
    fs.copyFileSync(archive, path.join(two, 'a.tar.gz'));
    fs.copyFileSync(archive, path.join(two, 'b.tar.gz'));
    const e = await loadCifar10({ root: two, split: 'test', cacheDir: cache }).catch((error) => error);
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.code).toBe('MISSING_FILE');
    expect(e.message).toMatch(/holds 2 archives; pass the one to read as the root/);
    expect(e.problems).toEqual([
      { file: path.join(two, 'a.tar.gz'), problem: 'archive (which one?)' },
      { file: path.join(two, 'b.tar.gz'), problem: 'archive (which one?)' },
    ]);
  });

  it('a folder with test/ but no train/ (either split asked for): the error lists exactly the missing train/', async () => {
    const half = path.join(dir, 'half');
    for (const [cls, name] of CIFAR10_NAMES.entries()) write(path.join(half, 'test', name, '0.png'), encodePng({ width: 32, height: 32, colorType: 2, bitDepth: 8, samples: pixels(cls, 0) }));
    for (const split of ['train', 'test'] as const) {
      for (const format of ['auto', 'images'] as const) {
        const e = await loadCifar10({ root: half, split, format }).catch((error) => error);
        expect(e).toBeInstanceOf(DatasetError);
        expect(e.code).toBe('MISSING_FILE');
        expect(e.problems).toEqual([{ file: path.join(half, 'train'), problem: 'not found' }]);
        expect(e.message).toMatch(/needs both train\/<class>\/ and test\/<class>\/:\n {2}- .*half\/train: not found$/);
      }
    }
  });

  it('train/ + test/ next to an unrelated folder (extra/): both splits read, nothing reported missing', async () => {
    const root = path.join(dir, 'with-extra');
    await writeImageFolders(root);
    write(path.join(root, 'extra', 'notes', 'a.png'), encodePng({ width: 32, height: 32, colorType: 2, bitDepth: 8, samples: pixels(0, 0) }));
    const test = await loadCifar10({ root, split: 'test' });
    expect(test.count).toBe(10);
    const train = await loadCifar10({ root });
    expect(train.count).toBe(21);
    // The generic loader cannot tell which layout is meant: it names the extra folder, never an existing one.
    const e = await loadImageFolder({ root, split: 'test' }).catch((error) => error);
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.code).toBe('BAD_LAYOUT');
    expect(e.problems).toEqual([{ file: 'extra/', problem: 'not a split folder (train, valid, val, test)' }]);
    expect((await loadImageFolder({ root, split: 'test', layout: 'splits' })).count).toBe(10);
  });

  testDatasetConformance('CIFAR-10 images (test split, from the archive)', async () => {
    await ready;
    return loadCifar10({ root: archive, split: 'test', cacheDir: cache });
  }, { count: 10, numClasses: 10, imageShape: [32, 32, 3] });
});

describe('image folders from an archive (loadImageFolder, openDataset folder)', () => {
  const dir = tempDir();
  const cache = path.join(dir, 'cache');
  it('an archive root is unpacked into the cache and read like the folder; source names both', async () => {
    const folder = path.join(dir, 'pets');
    for (const [cls, name] of ['cat', 'dog'].entries()) write(path.join(folder, name, 'a.png'), encodePng({ width: 8, height: 8, colorType: 2, bitDepth: 8, samples: pixels(cls, 0, 8) }));
    const archive = await tarGz(path.join(dir, 'pets.tar'), folder, ['cat', 'dog']);
    expect(isArchivePath(archive)).toBe(true);
    expect(isArchivePath(folder)).toBe(false);
    const ds = await loadImageFolder({ root: archive, cacheDir: cache });
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.count).toBe(2);
    expect(ds.source).toMatch(/pets\.tar \(unpacked to .*extracted.*pets-[0-9a-f]{12}\)$/);
    const opened = await openDataset({ dataset: 'folder', root: archive, cacheDir: cache });
    expect(opened.count).toBe(2);
    await expect(extractArchive(path.join(dir, 'missing.tar.gz'))).rejects.toThrow(/does not exist/);
    await expect(extractArchive(write(path.join(dir, 'notes.txt'), 'x'))).rejects.toThrow(/expected a file named \*\.tar\.gz, \*\.tgz, \*\.tar, \*\.zip, received notes\.txt/);
  });
});

// The real CIFAR-10 JPEG archive of ../shared/data (or $REACGAN_TEST_DATA_DIR): skipped, with a warning, where absent.
const shared = sharedDataset('cifar10-jpeg');
describe.skipIf(!shared.available)(`CIFAR-10 JPEG archive of the shared data (${shared.path})${shared.skipNote}`, () => {
  const cache = tempDir();
  it('the test split: 10,000 images, 1,000 per class, CIFAR-10 class order, 32×32 RGB, same pixels as decoding the member', async () => {
    const archive = path.join(shared.path, 'cifar10-jpeg.tar.gz');
    const ds = await loadCifar10({ root: archive, split: 'test', cacheDir: cache });
    expect(ds.format).toBe('images');
    expect(ds.classNames).toEqual(CIFAR10_NAMES);
    expect(ds.count).toBe(10000);
    const counts = new Array<number>(10).fill(0);
    for (const y of ds.labels) counts[y] += 1;
    expect(counts).toEqual(new Array<number>(10).fill(1000));
    expect(ds.imageShape).toEqual([32, 32, 3]);
    // The first image is test/airplane/<first file name>: decode that member independently.
    let first: Buffer | null = null;
    let firstName = '';
    await tarList({
      file: archive,
      onReadEntry: (entry: ReadEntry) => {
        const m = /^(?:\.\/)?test\/airplane\/([^/]+)$/.exec(entry.path);
        if (!m || (firstName && m[1] >= firstName)) return entry.resume();
        firstName = m[1];
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => (first = Buffer.concat(chunks)));
      },
    });
    const image = await decodeImage(first!, firstName);
    expect(Buffer.from(ds.getImage(0)).equals(Buffer.from(image.data))).toBe(true);
    // The folder the archive ships in (what a user passes as --root): the same data, from the decoded cache.
    const viaFolder = await loadCifar10({ root: shared.path, split: 'test', cacheDir: cache });
    expect(viaFolder.count).toBe(10000);
    expect(Buffer.from(viaFolder.getImage(0)).equals(Buffer.from(image.data))).toBe(true);
  }, 300_000);
});
