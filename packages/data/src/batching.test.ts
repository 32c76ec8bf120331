import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchToTensors, createBatchIterator, type Batch } from './batching.js';
import { createInMemoryDataset } from './in-memory.js';
import { datasetInfo } from './info.js';
import { Rng, deriveSeed } from './rng.js';
import { pad, randomHorizontalFlip, UINT8_TO_MINUS_ONE_ONE } from './transforms.js';
import type { DecodedImage, StreamedDataset } from './types.js';

/** 10 images of 2×3×1 whose pixels all equal the image index (so every value identifies its image). */
function tinyDataset(count = 10) {
  const images = new Uint8Array(count * 6);
  for (let i = 0; i < count; i++) images.fill(i, i * 6, (i + 1) * 6);
  return createInMemoryDataset({ name: 'tiny', images, labels: Array.from({ length: count }, (_, i) => i % 3), imageShape: [2, 3, 1], classNames: ['a', 'b', 'c'] });
}

async function collect(it: AsyncIterable<Batch>, limit = Infinity): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) {
    out.push(b);
    if (out.length >= limit) break;
  }
  return out;
}

describe('createBatchIterator', () => {
  it('one epoch visits every image exactly once; images and labels travel together', async () => {
    const ds = tinyDataset();
    const batches = await collect(createBatchIterator(ds, { batchSize: 4, seed: 3 }));
    expect(batches.map((b) => b.shape[0])).toEqual([4, 4, 2]);
    const seen = batches.flatMap((b) => Array.from(b.indices));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const b of batches) {
      for (let k = 0; k < b.shape[0]; k++) {
        expect(b.labels[k]).toBe(b.indices[k] % 3);
        expect(b.images[k * 6]).toBe(UINT8_TO_MINUS_ONE_ONE[b.indices[k]]);
      }
    }
  });

  it('the epoch order is the documented permutation Rng.derive(seed, "SHUFF", epoch)', async () => {
    const ds = tinyDataset();
    const [b] = await collect(createBatchIterator(ds, { batchSize: 10, seed: 42 }), 1);
    const expected = new Rng(deriveSeed(42n, 0x5348554646n, 0)).permutation(10);
    expect(Array.from(b.indices)).toEqual(Array.from(expected));
  });

  it('is seeded: same seed → same batches, other seed → other order; shuffle false keeps file order', async () => {
    const ds = tinyDataset();
    const a = await collect(createBatchIterator(ds, { batchSize: 5, seed: 1, epochs: 2 }));
    const b = await collect(createBatchIterator(ds, { batchSize: 5, seed: 1, epochs: 2 }));
    const c = await collect(createBatchIterator(ds, { batchSize: 5, seed: 2, epochs: 2 }));
    expect(a.map((x) => Array.from(x.indices))).toEqual(b.map((x) => Array.from(x.indices)));
    expect(a.map((x) => Array.from(x.indices))).not.toEqual(c.map((x) => Array.from(x.indices)));
    expect(Array.from(a[0].indices).concat(Array.from(a[1].indices))).not.toEqual(Array.from(a[2].indices).concat(Array.from(a[3].indices))); // reshuffled per epoch
    const ordered = await collect(createBatchIterator(ds, { batchSize: 4, shuffle: false }));
    expect(ordered.flatMap((x) => Array.from(x.indices))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('dropLast drops the partial batch; infinite never ends and crosses epochs', async () => {
    const ds = tinyDataset();
    const dropped = await collect(createBatchIterator(ds, { batchSize: 4, dropLast: true }));
    expect(dropped.map((b) => b.shape[0])).toEqual([4, 4]);
    const it = createBatchIterator(ds, { batchSize: 4, dropLast: true, infinite: true, seed: 9 });
    const many = await collect(it, 7);
    expect(many.map((b) => [b.epoch, b.batchIndex])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1], [3, 0]]);
    expect(it.batchesPerEpoch).toBe(2);
    expect(() => createBatchIterator(ds, { batchSize: 11, dropLast: true })).toThrow(/batchSize/);
    expect(() => createBatchIterator(ds, { batchSize: 0 })).toThrow(/batchSize/);
  });

  it('resumes exactly from getState (JSON round trip), whatever was prefetched', async () => {
    const ds = tinyDataset(23);
    const opts = { batchSize: 4, seed: 77, infinite: true, dropLast: true, transforms: [randomHorizontalFlip()], prefetch: 3 };
    const reference = await collect(createBatchIterator(ds, opts), 12);
    const first = createBatchIterator(ds, opts);
    await collect(first, 7);
    const state = JSON.parse(JSON.stringify(first.getState()));
    expect(state).toMatchObject({ epoch: 1, batchIndex: 2, seed: '77' });
    const resumed = createBatchIterator(ds, opts);
    resumed.setState(state);
    const rest = await collect(resumed, 5);
    rest.forEach((b, i) => {
      expect(Array.from(b.indices)).toEqual(Array.from(reference[7 + i].indices));
      expect(b.images).toEqual(reference[7 + i].images);
    });
    expect(() => createBatchIterator(ds, { ...opts, seed: 78 }).setState(state)).toThrow(/another iterator.*seed/);
    expect(() => createBatchIterator(tinyDataset(24), opts).setState(state)).toThrow(/dataset size/);
  });

  it('random transforms depend only on (seed, epoch, position): batch size and prefetch do not change the images', async () => {
    const ds = tinyDataset(12);
    const transforms = [pad({ to: [4, 5] }), randomHorizontalFlip()];
    const a = await collect(createBatchIterator(ds, { batchSize: 3, seed: 5, transforms, prefetch: 0 }));
    const b = await collect(createBatchIterator(ds, { batchSize: 6, seed: 5, transforms, prefetch: 4 }));
    const flatA = a.flatMap((x) => Array.from(x.images));
    const flatB = b.flatMap((x) => Array.from(x.images));
    expect(flatA).toEqual(flatB);
    expect(a[0].shape).toEqual([3, 4, 5, 1]);
    const it = createBatchIterator(ds, { batchSize: 3, seed: 5, transforms });
    expect((await it.batchAt(0, 1)).images).toEqual(a[1].images);
    expect(it.batchShape).toEqual([3, 4, 5, 1]);
  });

  it('a streamed dataset batches identically to the same images in memory, with bounded concurrency', async () => {
    const mem = tinyDataset(9);
    let active = 0;
    let peak = 0;
    const streamed: StreamedDataset = {
      ...mem,
      streamed: true,
      fileOf: (i) => `img${i}.png`,
      readImage: async (i): Promise<DecodedImage> => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        return mem.readImage(i);
      },
      getImage: async (i) => mem.getImage(i),
    };
    const opts = { batchSize: 4, seed: 8, transforms: [randomHorizontalFlip()], concurrency: 2 };
    const a = await collect(createBatchIterator(mem, opts));
    const b = await collect(createBatchIterator(streamed, opts));
    expect(b.map((x) => Array.from(x.images))).toEqual(a.map((x) => Array.from(x.images)));
    expect(peak).toBeLessThanOrEqual(2 * 3); // concurrency × (prefetch + 1) batches in flight
    const info = await datasetInfo(streamed);
    expect(info.firstImageMean).toBe(0);
  });

  it('errors surface on next() and stop the iterator; transform misfits are caught at creation', async () => {
    const ds = tinyDataset();
    const failing = { ...ds, readImage: (i: number) => (i === 3 ? (() => { throw new Error('boom at 3'); })() : ds.readImage(i)) };
    const it = createBatchIterator(failing, { batchSize: 10, shuffle: false });
    await expect(it.next()).rejects.toThrow(/boom at 3/);
    expect((await it.next()).done).toBe(true);
    expect(() => createBatchIterator(ds, { batchSize: 2, transforms: [pad({ to: 1 })] })).toThrow(/no larger than 1×1/);
  });

  it('a streamed batch with several bad images names the first in batch order, whatever order the decodes finish in', async () => {
    const mem = tinyDataset(8);
    // Later images decode sooner, so the bad images late in the batch finish before the early ones.
    const streamedWith = (bad: (i: number) => DecodedImage | Error | undefined): StreamedDataset => ({
      ...mem,
      streamed: true,
      fileOf: (i) => `img${i}.png`,
      readImage: async (i): Promise<DecodedImage> => {
        await new Promise((r) => setTimeout(r, (8 - i) * 4));
        const replaced = bad(i);
        if (replaced instanceof Error) throw replaced;
        return replaced ?? mem.readImage(i);
      },
      getImage: async (i) => mem.getImage(i),
    });
    const wrongShape: DecodedImage = { data: new Uint8Array(4), shape: [2, 2, 1] };
    const shapes = streamedWith((i) => (i === 2 || i === 5 || i === 7 ? wrongShape : undefined));
    for (const concurrency of [1, 3, 8]) {
      await expect(createBatchIterator(shapes, { batchSize: 8, shuffle: false, concurrency }).next()).rejects.toThrow(/tiny: img2\.png has shape \[2, 2, 1\]/);
    }
    const mixed = streamedWith((i) => (i === 1 ? new Error('corrupt img1') : i === 6 ? wrongShape : undefined));
    await expect(createBatchIterator(mixed, { batchSize: 8, shuffle: false, concurrency: 8 }).next()).rejects.toThrow(/corrupt img1/);
    // Shuffled: the first bad image in the batch's order (its `indices`), not the lowest index.
    const order = (await createBatchIterator(mem, { batchSize: 8, seed: 4 }).next()).value!.indices;
    const [firstBad, laterBad] = [order[2], order[6]];
    const shuffled = streamedWith((i) => (i === firstBad || i === laterBad ? wrongShape : undefined));
    await expect(createBatchIterator(shuffled, { batchSize: 8, seed: 4, concurrency: 8 }).next()).rejects.toThrow(new RegExp(`img${firstBad}\\.png`));
  });

  it('batchToTensors makes NHWC float32 and int32 tensors', async () => {
    const [b] = await collect(createBatchIterator(tinyDataset(), { batchSize: 4 }), 1);
    const t = batchToTensors(b, tf);
    expect(t.images.shape).toEqual([4, 2, 3, 1]);
    expect(t.images.dtype).toBe('float32');
    expect(t.labels.dtype).toBe('int32');
    expect(Array.from(await t.labels.data())).toEqual(Array.from(b.labels));
    tf.dispose([t.images, t.labels]);
  });
});

describe('createInMemoryDataset', () => {
  it('validates sizes and labels', () => {
    expect(() => createInMemoryDataset({ name: 'x', images: new Uint8Array(7), labels: [0], imageShape: [2, 3, 1], numClasses: 1 })).toThrow(/multiple of H·W·C = 6/);
    expect(() => createInMemoryDataset({ name: 'x', images: new Uint8Array(6), labels: [0, 1], imageShape: [2, 3, 1], numClasses: 2 })).toThrow(/1 labels/);
    expect(() => createInMemoryDataset({ name: 'x', images: new Uint8Array(6), labels: [2], imageShape: [2, 3, 1], numClasses: 2 })).toThrow(/label 2 of image 0/);
  });
});
