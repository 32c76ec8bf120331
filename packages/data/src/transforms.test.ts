import { loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { resizeImage, type ResizeFilter } from './resize.js';
import { Rng } from './rng.js';
import {
  UINT8_TO_MINUS_ONE_ONE,
  applyTransforms,
  centerCrop,
  centerCropLongEdge,
  denormalizeToUint8,
  grayscaleToRgb,
  horizontalFlip,
  normalizeToMinusOneOne,
  pad,
  randomCropLongEdge,
  randomHorizontalFlip,
  resize,
  roundHalfEven,
  transformedShape,
} from './transforms.js';
import type { DecodedImage, ImageShape } from './types.js';

interface Goldens {
  provenance: string;
  resize: { input: [number, number, number]; output: [number, number, number]; filter: ResizeFilter; data: string }[];
  normalize: number[];
}
const goldens = loadFixture<Goldens>(import.meta.url, '__fixtures__/transform-goldens.json');

/** Same formula as scripts/make-transform-goldens.py. */
function pattern([h, w, c]: ImageShape): DecodedImage {
  const data = new Uint8Array(h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + Math.floor(i / c) * 31 + ((i * i) % 251)) % 256;
  return { data, shape: [h, w, c] };
}

/** An image whose pixel (y, x, ch) is 100·ch + 10·y + x (small sizes only). */
function coords(h: number, w: number, c: number): DecodedImage {
  const data = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) data[(y * w + x) * c + ch] = 100 * ch + 10 * y + x;
  return { data, shape: [h, w, c] };
}

const at = (img: DecodedImage, y: number, x: number, ch = 0): number => img.data[(y * img.shape[1] + x) * img.shape[2] + ch];

describe('resize (Pillow-exact)', () => {
  it(`has golden cases (${goldens.provenance})`, () => {
    expect(goldens.resize.length).toBe(24);
  });
  for (const g of goldens.resize) {
    it(`${g.filter}: ${g.input.join('×')} → ${g.output.slice(0, 2).join('×')} equals Pillow byte for byte`, () => {
      const out = resizeImage(pattern(g.input), g.output[0], g.output[1], g.filter);
      expect(out.shape).toEqual(g.output);
      const expected = Uint8Array.from(Buffer.from(g.data, 'base64'));
      let mismatches = 0;
      let maxDiff = 0;
      for (let i = 0; i < expected.length; i++) {
        const d = Math.abs(out.data[i] - expected[i]);
        if (d > 0) mismatches++;
        maxDiff = Math.max(maxDiff, d);
      }
      expect({ mismatches, maxDiff }).toEqual({ mismatches: 0, maxDiff: 0 });
    });
  }

  it('passes an image at the target size through and rejects bad sizes and filters', () => {
    const img = pattern([8, 8, 3]);
    expect(resizeImage(img, 8, 8, 'lanczos')).toBe(img);
    expect(() => resize(0)).toThrow(/resize\(size\)/);
    expect(() => resize(4, { filter: 'area' as never })).toThrow(/filter/);
  });

  it('keeps a constant image constant with every filter (weights sum to one)', () => {
    const flat: DecodedImage = { data: new Uint8Array(30 * 20 * 3).fill(77), shape: [30, 20, 3] };
    for (const f of ['nearest', 'bilinear', 'bicubic', 'lanczos'] as const) {
      const out = resizeImage(flat, 13, 41, f);
      expect(out.data.every((v) => v === 77)).toBe(true);
    }
  });
});

describe('pad', () => {
  it('pads MNIST 28×28 to 32×32 with 2 zero pixels on every side', () => {
    const img: DecodedImage = { data: new Uint8Array(28 * 28).fill(200), shape: [28, 28, 1] };
    const out = pad({ to: 32 }).apply(img, new Rng(0));
    expect(out.shape).toEqual([32, 32, 1]);
    expect(at(out, 0, 0)).toBe(0);
    expect(at(out, 1, 1)).toBe(0);
    expect(at(out, 2, 2)).toBe(200);
    expect(at(out, 29, 29)).toBe(200);
    expect(at(out, 30, 29)).toBe(0);
    expect(at(out, 29, 30)).toBe(0);
    expect(out.data.reduce((a, v) => a + (v === 200 ? 1 : 0), 0)).toBe(784);
  });

  it('puts the odd pixel at the bottom/right, supports explicit [left, top, right, bottom] and a fill value', () => {
    const img = coords(2, 3, 1);
    const odd = pad({ to: [5, 4] }).apply(img, new Rng(0));
    expect(odd.shape).toEqual([5, 4, 1]);
    expect(at(odd, 1, 0)).toBe(0); // top = 1, left = 0
    expect(at(odd, 1, 0 + 0)).toBe(0);
    expect(at(odd, 1, 0)).toBe(at(img, 0, 0));
    const explicit = pad({ padding: [1, 2, 0, 0], fill: 9 }).apply(img, new Rng(0));
    expect(explicit.shape).toEqual([4, 4, 1]);
    expect(at(explicit, 0, 0)).toBe(9);
    expect(at(explicit, 2, 1)).toBe(at(img, 0, 0));
    expect(() => pad({ to: 2 }).outputShape([3, 3, 1])).toThrow(/no larger than 2×2/);
    expect(() => pad({ padding: -1 })).toThrow(/padding/);
  });
});

describe('crops', () => {
  it('roundHalfEven matches Python 3 round', () => {
    expect([0.5, 1.5, 2.5, 3.5, 1.4, 1.6, 2].map(roundHalfEven)).toEqual([0, 2, 2, 4, 1, 2, 2]);
  });

  it('centerCropLongEdge crops the long edge around the centre (torchvision offsets, half to even)', () => {
    // W = 5, H = 4 → S = 4, left = round(0.5) = 0 (half to even), top = 0.
    const wide = coords(4, 5, 1);
    const a = centerCropLongEdge().apply(wide, new Rng(0));
    expect(a.shape).toEqual([4, 4, 1]);
    expect(at(a, 0, 0)).toBe(0);
    // W = 7, H = 4 → left = round(1.5) = 2.
    const b = centerCropLongEdge().apply(coords(4, 7, 1), new Rng(0));
    expect(at(b, 0, 0)).toBe(2);
    expect(at(b, 3, 3)).toBe(35);
    // Tall: H = 8, W = 4 → top = 2.
    const c = centerCropLongEdge().apply(coords(8, 4, 2), new Rng(0));
    expect(c.shape).toEqual([4, 4, 2]);
    expect(at(c, 0, 0, 1)).toBe(100 + 20);
    // Square images pass through.
    const sq = coords(3, 3, 1);
    expect(centerCropLongEdge().apply(sq, new Rng(0))).toBe(sq);
  });

  it('randomCropLongEdge draws the long-edge offset from {0, …, L − S − 1} (StudioGAN randint)', () => {
    const img = coords(4, 8, 1); // S = 4, offsets 0..3 (never 4)
    const seen = new Set<number>();
    for (let s = 0; s < 400; s++) {
      const out = randomCropLongEdge().apply(img, new Rng(s));
      expect(out.shape).toEqual([4, 4, 1]);
      seen.add(at(out, 0, 0));
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    const rng = new Rng(77);
    const expectedLeft = new Rng(77).nextInt(4);
    expect(at(randomCropLongEdge().apply(img, rng), 0, 0)).toBe(expectedLeft);
  });

  it('centerCrop crops a centred window and rejects a smaller image', () => {
    const out = centerCrop([2, 3]).apply(coords(4, 6, 1), new Rng(0));
    expect(out.shape).toEqual([2, 3, 1]);
    expect(at(out, 0, 0)).toBe(10 + 2); // top = round(1) = 1, left = round(1.5) = 2
    expect(() => centerCrop(8).outputShape([4, 6, 1])).toThrow(/at least 8×8/);
  });
});

describe('flip, greyscale, chains', () => {
  it('horizontalFlip mirrors columns, keeping channel order', () => {
    const img = coords(2, 3, 3);
    const out = horizontalFlip(img);
    expect(at(out, 1, 0, 2)).toBe(at(img, 1, 2, 2));
    expect(at(out, 0, 2, 1)).toBe(at(img, 0, 0, 1));
    expect(horizontalFlip(out).data).toEqual(img.data);
  });

  it('randomHorizontalFlip flips exactly when rng.next() < p, about half the time', () => {
    const img = coords(2, 3, 1);
    let flips = 0;
    for (let s = 0; s < 2000; s++) {
      const willFlip = new Rng(s).next() < 0.5;
      const out = randomHorizontalFlip().apply(img, new Rng(s));
      expect(out.data[0] === img.data[2]).toBe(willFlip);
      if (willFlip) flips++;
    }
    expect(Math.abs(flips - 1000)).toBeLessThan(100);
    expect(randomHorizontalFlip({ p: 0 }).apply(img, new Rng(1))).toBe(img);
    expect(() => randomHorizontalFlip({ p: 2 })).toThrow(/options.p/);
  });

  it('grayscaleToRgb replicates the channel', () => {
    const out = grayscaleToRgb().apply({ data: Uint8Array.from([5, 6]), shape: [1, 2, 1] }, new Rng(0));
    expect(Array.from(out.data)).toEqual([5, 5, 5, 6, 6, 6]);
  });

  it('chains transforms and predicts the output shape', () => {
    const chain = [centerCropLongEdge(), resize(16, { filter: 'lanczos' }), randomHorizontalFlip()];
    expect(transformedShape([30, 40, 3], chain)).toEqual([16, 16, 3]);
    const out = applyTransforms(pattern([30, 40, 3]), chain, new Rng(3));
    expect(out.shape).toEqual([16, 16, 3]);
  });
});

describe('normalisation to [-1, 1]', () => {
  it('equals torchvision ToTensor + Normalize(0.5, 0.5) in float32 for all 256 values', () => {
    expect(Array.from(UINT8_TO_MINUS_ONE_ONE)).toEqual(goldens.normalize);
    expect(UINT8_TO_MINUS_ONE_ONE[0]).toBe(-1);
    expect(UINT8_TO_MINUS_ONE_ONE[255]).toBe(1);
  });

  it('normalizeToMinusOneOne writes at an offset and checks room; denormalize inverts it', () => {
    const out = new Float32Array(6).fill(5);
    normalizeToMinusOneOne(Uint8Array.from([0, 255, 128]), out, 3);
    expect(Array.from(out.subarray(0, 3))).toEqual([5, 5, 5]);
    expect(out[3]).toBe(-1);
    expect(out[4]).toBe(1);
    expect(() => normalizeToMinusOneOne(Uint8Array.from([1, 2]), out, 5)).toThrow(/offset/);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(denormalizeToUint8(normalizeToMinusOneOne(all))).toEqual(all);
    expect(Array.from(denormalizeToUint8([-3, 3, Number.NaN]))).toEqual([0, 255, 0]);
  });
});
