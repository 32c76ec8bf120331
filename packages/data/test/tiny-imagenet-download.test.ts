import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { create as tarCreate } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { DatasetError, downloadDataset, loadCifar10, loadTinyImageNet, openDataset, datasetInfo } from '../src/node/index.js';
import { testDatasetConformance } from './dataset-conformance.js';
import { cifarRecords } from './helpers/cifar.js';
import { jpegRgb, rawRgb } from './helpers/images.js';
import { encodePng } from './helpers/png.js';
import { tempDir, write } from './helpers/tmp.js';

/** A synthetic tiny-imagenet-200 tree: wnids in file order n2, n1 (unsorted), 2 train images each, 3 val images. */
async function writeTinyTree(base: string): Promise<string> {
  const root = path.join(base, 'tiny-imagenet-200');
  write(path.join(root, 'wnids.txt'), 'n02124075\nn01443537\n');
  write(path.join(root, 'words.txt'), 'n01443537\tgoldfish, Carassius auratus\nn02124075\tEgyptian cat\nn09999999\tother\n');
  const jpg = await jpegRgb(rawRgb(8, 8, [10, 200, 30]), 8, 8);
  const grey = encodePng({ width: 8, height: 8, colorType: 0, bitDepth: 8, samples: new Array(64).fill(90) });
  for (const wnid of ['n01443537', 'n02124075']) {
    write(path.join(root, 'train', wnid, 'images', `${wnid}_0.JPEG`), jpg);
    write(path.join(root, 'train', wnid, 'images', `${wnid}_1.JPEG`), grey); // a greyscale file with a .JPEG name
    write(path.join(root, 'train', wnid, `${wnid}_boxes.txt`), `${wnid}_0.JPEG\t0\t0\t7\t7\n`);
  }
  write(path.join(root, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn02124075\t0\t32\t44\t62\nval_1.JPEG\tn01443537\t1\t2\t3\t4\nval_2.JPEG\tn02124075\t0\t0\t8\t8\n');
  for (let k = 0; k < 3; k++) write(path.join(root, 'val', 'images', `val_${k}.JPEG`), jpg);
  write(path.join(root, 'test', 'images', 'test_0.JPEG'), jpg);
  return root;
}

describe('C20: Tiny-ImageNet labels', () => {
  const base = tempDir();
  const ready = writeTinyTree(base);

  it('train: class index = position in the sorted wnids; greyscale files become RGB', async () => {
    await ready;
    const ds = await loadTinyImageNet({ root: base });
    expect(ds.classNames).toEqual(['n01443537', 'n02124075']);
    expect(ds.wnids).toEqual(['n02124075', 'n01443537']);
    expect(Array.from(ds.labels)).toEqual([0, 0, 1, 1]);
    expect(ds.files).toEqual(['n01443537/images/n01443537_0.JPEG', 'n01443537/images/n01443537_1.JPEG', 'n02124075/images/n02124075_0.JPEG', 'n02124075/images/n02124075_1.JPEG']);
    expect(ds.imageShape).toEqual([8, 8, 3]);
    expect(Array.from((await ds.getImage(1)).subarray(0, 3))).toEqual([90, 90, 90]);
    expect(ds.classDescriptions.n01443537).toBe('goldfish, Carassius auratus');
  });

  it('val: exact labels from val_annotations.txt, the same wnid → index map as train', async () => {
    const root = await ready;
    const [train, val] = await Promise.all([loadTinyImageNet({ root }), loadTinyImageNet({ root, split: 'val' })]);
    expect(Array.from(val.labels)).toEqual([1, 0, 1]);
    expect(val.files).toEqual(['images/val_0.JPEG', 'images/val_1.JPEG', 'images/val_2.JPEG']);
    expect({ ...val.classToIndex }).toEqual({ ...train.classToIndex });
    expect((await loadTinyImageNet({ root, split: 'valid' })).count).toBe(3);
  });

  it('test has no labels → throws; annotation errors are listed', async () => {
    const root = await ready;
    await expect(loadTinyImageNet({ root, split: 'test' })).rejects.toMatchObject({ code: 'MISSING_SPLIT' });
    const broken = path.join(base, 'broken');
    fs.cpSync(root, broken, { recursive: true });
    fs.appendFileSync(path.join(broken, 'val', 'val_annotations.txt'), 'val_9.JPEG\tn07777777\t0\t0\t1\t1\nval_1.JPEG\tn01443537\t0\t0\t1\t1\n');
    write(path.join(broken, 'val', 'images', 'val_5.JPEG'), 'x');
    const error = await loadTinyImageNet({ root: broken, split: 'val' }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.problems.map((p: { problem: string }) => p.problem)).toEqual([
      'wnid n07777777 of val_9.JPEG is not in wnids.txt',
      'val_1.JPEG is annotated twice',
      'no entry in val_annotations.txt',
    ]);
    fs.rmSync(path.join(broken, 'train', 'n01443537'), { recursive: true });
    await expect(loadTinyImageNet({ root: broken })).rejects.toThrow(/train\/n01443537\/images\/: missing/);
  });

  it("reads StudioGAN's re-organised layout {train,valid}/<wnid>/ as an image folder", async () => {
    const studio = path.join(base, 'studio');
    const png = encodePng({ width: 4, height: 4, colorType: 0, bitDepth: 8, samples: new Array(16).fill(1) });
    for (const s of ['train', 'valid']) for (const w of ['n2', 'n1']) write(path.join(studio, s, w, 'a.png'), png);
    const ds = await loadTinyImageNet({ root: studio, split: 'valid' });
    expect(ds.classNames).toEqual(['n1', 'n2']);
    expect(ds.split).toBe('valid');
  });
});

describe('downloads (local HTTP server on 127.0.0.1 only)', () => {
  const dir = tempDir();
  const served = new Map<string, Buffer>();
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const body = served.get(req.url ?? '');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/cifar-10-binary.tar.gz' }).end();
        return;
      }
      if (!body) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.unref();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const src = path.join(dir, 'src');
    for (let k = 1; k <= 5; k++) write(path.join(src, 'cifar-10-batches-bin', `data_batch_${k}.bin`), cifarRecords([[k]]));
    write(path.join(src, 'cifar-10-batches-bin', 'test_batch.bin'), cifarRecords([[3], [9]]));
    await tarCreate({ gzip: true, file: path.join(dir, 'c10.tgz'), cwd: src }, ['cifar-10-batches-bin']);
    served.set('/cifar-10-binary.tar.gz', fs.readFileSync(path.join(dir, 'c10.tgz')));
    await writeTinyTree(src);
    const zip = new yazl.ZipFile();
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) walk(full);
        else zip.addFile(full, path.relative(src, full));
      }
    };
    walk(path.join(src, 'tiny-imagenet-200'));
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream) chunks.push(c as Buffer);
    served.set('/tiny-imagenet-200.zip', Buffer.concat(chunks));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

  it('downloads CIFAR-10, verifies the checksum, caches it, and the loader reads it (redirect followed)', async () => {
    const cacheDir = path.join(dir, 'cache1');
    const progress: number[] = [];
    const archive = served.get('/cifar-10-binary.tar.gz')!;
    const ds = await loadCifar10({ split: 'test', download: true, cacheDir, downloadOptions: { url: `${base}/redirect`, md5: md5(archive), onProgress: (r) => progress.push(r) } });
    expect(Array.from(ds.labels)).toEqual([3, 9]);
    expect(progress.at(-1)).toBe(archive.length);
    expect(fs.readdirSync(cacheDir)).toEqual(['cifar-10-binary.tar.gz']);
    const again = await loadCifar10({ cacheDir, split: 'train' }); // from the cache, no download option
    expect(again.count).toBe(5);
  });

  it('a checksum mismatch deletes the file and throws with both digests', async () => {
    const cacheDir = path.join(dir, 'cache2');
    const error = await downloadDataset('cifar10', { cacheDir, url: `${base}/cifar-10-binary.tar.gz`, md5: '0'.repeat(32) }).catch((e) => e);
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toContain(md5(served.get('/cifar-10-binary.tar.gz')!));
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  it('HTTP errors are reported with the status', async () => {
    await expect(downloadDataset('cifar100', { cacheDir: path.join(dir, 'cache3'), url: `${base}/missing.tar.gz` })).rejects.toThrow(/HTTP 404/);
  });

  it('downloads and unzips Tiny-ImageNet, then loads it; openDataset + datasetInfo give the CLI summary', async () => {
    const cacheDir = path.join(dir, 'cache4');
    const zip = served.get('/tiny-imagenet-200.zip')!;
    const root = await downloadDataset('tiny-imagenet', { cacheDir, url: `${base}/tiny-imagenet-200.zip`, md5: md5(zip) });
    expect(root).toBe(path.join(cacheDir, 'tiny-imagenet-200'));
    const ds = await openDataset({ dataset: 'tiny-imagenet', cacheDir, split: 'val' });
    const info = await datasetInfo(ds);
    expect(info).toMatchObject({ count: 3, numClasses: 2, classNames: ['n01443537', 'n02124075'], classCounts: [1, 2], imageShape: [8, 8, 3], firstLabels: [1, 0, 1] });
    expect(info.firstImageMean).toBeGreaterThan(70);
  });
});

const confBase = tempDir();
const confReady = writeTinyTree(confBase);
testDatasetConformance('tiny-imagenet (synthetic, train)', async () => (await confReady, loadTinyImageNet({ root: confBase })), { count: 4, numClasses: 2, imageShape: [8, 8, 3] });
