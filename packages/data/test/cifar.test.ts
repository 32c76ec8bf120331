import fs from 'node:fs';
import path from 'node:path';
import { create as tarCreate } from 'tar';
import { describe, expect, it } from 'vitest';
import { CIFAR100_FINE_CLASSES, DatasetError, loadCifar10, loadCifar100, parseCifarRecords } from '../src/node/index.js';
import { testDatasetConformance } from './dataset-conformance.js';
import { cifarPythonBatch, cifarPythonMeta, cifarRecords } from './helpers/cifar.js';
import { tempDir, write } from './helpers/tmp.js';

const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const px = (img: Uint8Array, y: number, x: number): number[] => Array.from(img.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));

/** A complete synthetic CIFAR-10 binary folder: batch k holds labels [k, 9 - k] (test: [3, 9]), pixels shifted by the record index. */
function writeCifar10Binary(dir: string): string {
  const folder = path.join(dir, 'cifar-10-batches-bin');
  for (let k = 1; k <= 5; k++) write(path.join(folder, `data_batch_${k}.bin`), cifarRecords([[k], [9 - k]], (r) => r + k));
  write(path.join(folder, 'test_batch.bin'), cifarRecords([[3], [9]]));
  write(path.join(folder, 'batches.meta.txt'), `${CIFAR10_NAMES.join('  \n')}\n\n`);
  return folder;
}

function writeCifar100Binary(dir: string): string {
  const folder = path.join(dir, 'cifar-100-binary');
  write(path.join(folder, 'train.bin'), cifarRecords([[11, 19], [0, 99], [19, 0]], (r) => r));
  write(path.join(folder, 'test.bin'), cifarRecords([[11, 19]]));
  write(path.join(folder, 'fine_label_names.txt'), `${CIFAR100_FINE_CLASSES.join('\n')}\n`);
  return folder;
}

describe('C19: CIFAR-10 binary records', () => {
  const dir = tempDir();
  const folder = writeCifar10Binary(dir);

  it('2 records, labels [3, 9], byte k = k mod 251 → exact labels and HWC pixels', async () => {
    const ds = await loadCifar10({ root: dir, split: 'test' });
    expect(ds.format).toBe('binary');
    expect(Array.from(ds.labels)).toEqual([3, 9]);
    const img = ds.getImage(0);
    expect(px(img, 0, 0)).toEqual([0, 20, 40]); // R 0, G 1024 mod 251, B 2048 mod 251
    expect(px(img, 0, 1)).toEqual([1, 21, 41]);
    expect(px(img, 31, 31)).toEqual([1023 % 251, 2047 % 251, 3071 % 251]);
    expect(px(img, 31, 31)).toEqual([19, 39, 59]);
    expect(ds.classNames).toEqual(CIFAR10_NAMES); // trailing whitespace trimmed
    expect(ds.imageShape).toEqual([32, 32, 3]);
  });

  it('train concatenates data_batch_1…5 in order', async () => {
    const ds = await loadCifar10({ root: folder, split: 'train' });
    expect(Array.from(ds.labels)).toEqual([1, 8, 2, 7, 3, 6, 4, 5, 5, 4]);
    expect(px(ds.getImage(9), 0, 0)).toEqual([(0 + 1 + 5) % 251, (1024 + 6) % 251, (2048 + 6) % 251]);
  });

  it('a file whose length is not a multiple of 3073 throws naming the file and its length', async () => {
    const bad = path.join(dir, 'bad', 'cifar-10-batches-bin');
    fs.cpSync(folder, bad, { recursive: true });
    fs.truncateSync(path.join(bad, 'data_batch_3.bin'), 3073 * 2 - 1);
    const error = await loadCifar10({ root: bad, split: 'train' }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.code).toBe('BAD_SIZE');
    expect(error.message).toMatch(/data_batch_3\.bin: 6145 bytes is not a positive multiple of the 3073-byte CIFAR-10 record/);
    expect(error.message).toMatch(/30,730,000 bytes/);
  });

  it('missing batches are all listed; a label out of range names the record', async () => {
    const partial = path.join(dir, 'partial');
    write(path.join(partial, 'data_batch_1.bin'), cifarRecords([[1]]));
    write(path.join(partial, 'data_batch_4.bin'), cifarRecords([[1]]));
    const error = await loadCifar10({ root: partial }).catch((e) => e);
    expect(error.code).toBe('MISSING_FILE');
    expect(error.problems.map((p: { file: string }) => p.file)).toEqual(['data_batch_2.bin', 'data_batch_3.bin', 'data_batch_5.bin']);
    await expect(loadCifar10({ root: partial, split: 'test' })).rejects.toThrow(/test_batch\.bin/);
    expect(() => parseCifarRecords(cifarRecords([[0], [10]]), { labelBytes: 1 }, 'x.bin', 10)).toThrow(/x\.bin: record 1 has label 10/);
    await expect(loadCifar10({ root: folder, split: 'valid' })).rejects.toMatchObject({ code: 'MISSING_SPLIT' });
    await expect(loadCifar10({ root: path.join(dir, 'nowhere') })).rejects.toMatchObject({ code: 'MISSING_FILE' });
  });

  it('reads the .tar.gz without extracting, equal to the folder', async () => {
    const archive = path.join(dir, 'arch', 'cifar-10-binary.tar.gz');
    fs.mkdirSync(path.dirname(archive), { recursive: true });
    await tarCreate({ gzip: true, file: archive, cwd: dir }, ['cifar-10-batches-bin']);
    const [fromTar, fromDir, fromParent] = await Promise.all([loadCifar10({ root: archive, split: 'train' }), loadCifar10({ root: folder, split: 'train' }), loadCifar10({ root: path.dirname(archive), split: 'train' })]);
    expect(fromTar.source).toBe(archive);
    expect(Array.from(fromTar.labels)).toEqual(Array.from(fromDir.labels));
    expect(Buffer.from(fromTar.getImage(7)).equals(Buffer.from(fromDir.getImage(7)))).toBe(true);
    expect(fromParent.count).toBe(10);
  });
});

describe('C19: CIFAR-100 binary records', () => {
  const dir = tempDir();
  const folder = writeCifar100Binary(dir);

  it('coarse 11, fine 19 → label 19 (fine by default), coarse 11 kept, pixels from byte offset 2', async () => {
    const ds = await loadCifar100({ root: folder, split: 'test' });
    expect(Array.from(ds.labels)).toEqual([19]);
    expect(Array.from(ds.coarseLabels)).toEqual([11]);
    expect(ds.numClasses).toBe(100);
    expect(ds.classNames[19]).toBe('cattle');
    const img = ds.getImage(0);
    expect(px(img, 0, 0)).toEqual([0, 20, 40]);
    expect(px(img, 31, 31)).toEqual([19, 39, 59]);
  });

  it('labelMode coarse gives the 20 superclasses; fine and coarse lie in range', async () => {
    const fine = await loadCifar100({ root: dir });
    const coarse = await loadCifar100({ root: dir, labelMode: 'coarse' });
    expect(Array.from(fine.labels)).toEqual([19, 99, 0]);
    expect(Array.from(coarse.labels)).toEqual([11, 0, 19]);
    expect(coarse.numClasses).toBe(20);
    expect(coarse.classNames[11]).toBe('large_omnivores_and_herbivores'); // cattle (fine 19) is in superclass 11
    expect(px(fine.getImage(2), 0, 0)).toEqual([2, 22, 42]);
  });

  it('a CIFAR-10 file read as CIFAR-100 (3073-byte records) is rejected by size', async () => {
    const wrong = path.join(dir, 'wrong');
    write(path.join(wrong, 'train.bin'), cifarRecords([[1], [2]]));
    await expect(loadCifar100({ root: wrong })).rejects.toThrow(/train\.bin: 6146 bytes is not a positive multiple of the 3074-byte CIFAR-100 record/);
  });
});

describe('CIFAR python version (Python 2 pickles, what torchvision/StudioGAN read)', () => {
  const dir = tempDir();
  const planar = (n: number, shift: number): Uint8Array => Uint8Array.from({ length: n * 3072 }, (_, i) => ((i % 3072) + shift + Math.floor(i / 3072)) % 251);
  const py10 = path.join(dir, 'cifar-10-batches-py');
  for (let k = 1; k <= 5; k++) write(path.join(py10, `data_batch_${k}`), cifarPythonBatch({ labels: [k, 9 - k] }, planar(2, k)));
  write(path.join(py10, 'test_batch'), cifarPythonBatch({ labels: [3, 9] }, planar(2, 0)));
  write(path.join(py10, 'batches.meta'), cifarPythonMeta({ label_names: CIFAR10_NAMES }));
  const bin10 = path.join(dir, 'bin', 'cifar-10-batches-bin');
  for (let k = 1; k <= 5; k++) write(path.join(bin10, `data_batch_${k}.bin`), cifarRecords([[k], [9 - k]], (r) => r + k));

  it('equals the binary version of the same records', async () => {
    const py = await loadCifar10({ root: dir, format: 'python' });
    const bin = await loadCifar10({ root: bin10 });
    expect(py.format).toBe('python');
    expect(Array.from(py.labels)).toEqual(Array.from(bin.labels));
    for (let i = 0; i < py.count; i++) expect(Buffer.from(py.getImage(i)).equals(Buffer.from(bin.getImage(i)))).toBe(true);
    expect(py.classNames).toEqual(CIFAR10_NAMES);
    const test = await loadCifar10({ root: py10, split: 'test' });
    expect(px(test.getImage(0), 31, 31)).toEqual([19, 39, 59]);
  });

  it('CIFAR-100 python: fine_labels / coarse_labels and the meta names', async () => {
    const py100 = path.join(dir, 'cifar-100-python');
    write(path.join(py100, 'train'), cifarPythonBatch({ fine_labels: [19, 99], coarse_labels: [11, 13] }, planar(2, 0)));
    write(path.join(py100, 'meta'), cifarPythonMeta({ fine_label_names: [...CIFAR100_FINE_CLASSES], coarse_label_names: Array.from({ length: 20 }, (_, i) => `c${i}`) }));
    const ds = await loadCifar100({ root: dir, format: 'python' });
    expect(Array.from(ds.labels)).toEqual([19, 99]);
    expect(Array.from(ds.coarseLabels)).toEqual([11, 13]);
    expect(ds.coarseClassNames[13]).toBe('c13');
    expect(px(ds.getImage(1), 0, 0)).toEqual([1, 21, 41]);
  });

  it('refuses pickles that call other globals, and names broken pickles', async () => {
    const evil = path.join(dir, 'evil', 'cifar-10-batches-py');
    const bytes = Buffer.from(cifarPythonBatch({ labels: [1] }, planar(1, 0)));
    const patched = Buffer.from(bytes.toString('latin1').replace('numpy.core.multiarray\n_reconstruct', 'posix\nsystem\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n'.slice(0, 34)), 'latin1');
    for (let k = 1; k <= 5; k++) write(path.join(evil, `data_batch_${k}`), patched);
    await expect(loadCifar10({ root: evil, format: 'python' })).rejects.toThrow(/data_batch_1: not a readable CIFAR python pickle \(refusing to call the pickled global posix\.system/);
    const broken = path.join(dir, 'broken', 'cifar-10-batches-py');
    for (let k = 1; k <= 5; k++) write(path.join(broken, `data_batch_${k}`), bytes.subarray(0, 500));
    await expect(loadCifar10({ root: broken })).rejects.toThrow(/data_batch_1: not a readable CIFAR python pickle/);
  });
});

const confDir = tempDir();
writeCifar10Binary(confDir);
writeCifar100Binary(confDir);
testDatasetConformance('cifar10 (synthetic binary)', () => loadCifar10({ root: confDir }), { count: 10, numClasses: 10, imageShape: [32, 32, 3] });
testDatasetConformance('cifar100 (synthetic binary)', () => loadCifar100({ root: confDir }), { count: 3, numClasses: 100, imageShape: [32, 32, 3] });
