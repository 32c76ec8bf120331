// One conformance suite run against every loader (unstorage's testDriver pattern): whatever the
// format, a dataset must satisfy these invariants.
import { describe, expect, it } from 'vitest';
import { createBatchIterator, datasetInfo, type Dataset } from '../src/index.js';

export interface ConformanceExpectations {
  count?: number;
  numClasses?: number;
  imageShape?: [number, number, number];
  firstLabels?: number[];
}

export function testDatasetConformance(name: string, open: () => Promise<Dataset>, expected: ConformanceExpectations = {}): void {
  describe(`dataset conformance: ${name}`, () => {
    let dataset: Dataset;
    const get = async (): Promise<Dataset> => (dataset ??= await open());

    it('has consistent sizes, labels in range and a class map', async () => {
      const ds = await get();
      expect(ds.count).toBeGreaterThan(0);
      expect(ds.labels).toBeInstanceOf(Int32Array);
      expect(ds.labels.length).toBe(ds.count);
      expect(ds.classNames.length).toBe(ds.numClasses);
      expect(new Set(ds.classNames).size).toBe(ds.numClasses);
      ds.classNames.forEach((n, i) => expect(ds.classToIndex[n]).toBe(i));
      let outside = 0;
      for (const y of ds.labels) if (!(y >= 0 && y < ds.numClasses)) outside++;
      expect(outside).toBe(0);
      const [h, w, c] = ds.imageShape;
      expect(h > 0 && w > 0 && (c === 1 || c === 3)).toBe(true);
      if (expected.count !== undefined) expect(ds.count).toBe(expected.count);
      if (expected.numClasses !== undefined) expect(ds.numClasses).toBe(expected.numClasses);
      if (expected.imageShape) expect([...ds.imageShape]).toEqual(expected.imageShape);
      if (expected.firstLabels) expect(Array.from(ds.labels.subarray(0, expected.firstLabels.length))).toEqual(expected.firstLabels);
    });

    it('returns uint8 HWC images of the declared shape, the same bytes on every read', async () => {
      const ds = await get();
      for (const i of new Set([0, Math.floor(ds.count / 2), ds.count - 1])) {
        const a = await ds.readImage(i);
        const b = await ds.getImage(i);
        expect(a.data).toBeInstanceOf(Uint8Array);
        expect(a.data.length).toBe(a.shape[0] * a.shape[1] * a.shape[2]);
        if (ds.uniformShape) expect([...a.shape]).toEqual([...ds.imageShape]);
        expect(Buffer.from(b).equals(Buffer.from(a.data))).toBe(true);
      }
    });

    it('rejects out-of-range indices with a RangeError', async () => {
      const ds = await get();
      await expect(async () => ds.getImage(ds.count)).rejects.toThrow(RangeError);
      await expect(async () => ds.getImage(-1)).rejects.toThrow(RangeError);
    });

    it('summarises itself through datasetInfo', async () => {
      const ds = await get();
      const info = await datasetInfo(ds);
      expect(info.count).toBe(ds.count);
      expect(info.classCounts.reduce((a, b) => a + b, 0)).toBe(ds.count);
      expect(info.firstLabels).toEqual(Array.from(ds.labels.subarray(0, 10)));
      const first = await ds.getImage(0);
      expect(info.firstImageMean).toBeCloseTo(first.reduce((a, v) => a + v, 0) / first.length, 10);
      expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    });

    it('batches into NHWC float32 in [-1, 1] matching the raw pixels', async () => {
      const ds = await get();
      if (!ds.uniformShape) return;
      const batchSize = Math.min(4, ds.count);
      const it = createBatchIterator(ds, { batchSize, seed: 1, shuffle: true, dropLast: true });
      const { value: batch } = await it.next();
      expect(batch!.shape).toEqual([batchSize, ...ds.imageShape]);
      expect(batch!.images).toBeInstanceOf(Float32Array);
      const size = ds.imageShape[0] * ds.imageShape[1] * ds.imageShape[2];
      for (let k = 0; k < batchSize; k++) {
        const index = batch!.indices[k];
        expect(batch!.labels[k]).toBe(ds.labels[index]);
        const raw = await ds.getImage(index);
        const got = batch!.images.subarray(k * size, (k + 1) * size);
        let bad = 0;
        for (let j = 0; j < size; j++) if (got[j] !== Math.fround(Math.fround(Math.fround(raw[j] / 255) - 0.5) / 0.5)) bad++;
        expect(bad).toBe(0);
      }
      await it.return();
    });
  });
}
