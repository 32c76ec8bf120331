import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DatasetError,
  centerCropLongEdge,
  createBatchIterator,
  decodeImage,
  loadClassIndex,
  loadImageFiles,
  loadImageFolder,
  randomHorizontalFlip,
  resize,
  saveClassIndex,
  assertSameClassIndex,
} from '../src/node/index.js';
import { testDatasetConformance } from './dataset-conformance.js';
import { bmpRgb, jpegCmyk, jpegRgb, noiseRgb, rawRgb, webpLossless } from './helpers/images.js';
import { encodePng } from './helpers/png.js';
import { tempDir, write } from './helpers/tmp.js';

const pixel = (data: Uint8Array, width: number, y: number, x: number): number[] => Array.from(data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));

describe('C21: image folders with mixed colour modes', () => {
  const root = tempDir();
  const cls = path.join(root, 'mixed');
  const files = {
    rgbJpeg: 'a-rgb.jpg',
    grey: 'b-grey.png',
    palette: 'c-palette.png',
    rgba: 'd-rgba.png',
    grey16: 'e-grey16.png',
    cmyk: 'f-cmyk.jpeg',
  };
  const setup = (async () => {
    write(path.join(cls, files.rgbJpeg), await jpegRgb(rawRgb(40, 30, [200, 50, 20]), 40, 30));
    write(path.join(cls, files.grey), encodePng({ width: 2, height: 2, colorType: 0, bitDepth: 8, samples: [0, 100, 200, 255] }));
    write(path.join(cls, files.palette), encodePng({ width: 2, height: 1, colorType: 3, bitDepth: 8, samples: [0, 1], palette: [[255, 0, 0], [0, 0, 255]], transparency: [0, 255] }));
    write(path.join(cls, files.rgba), encodePng({ width: 2, height: 1, colorType: 6, bitDepth: 8, samples: [255, 0, 0, 0, 0, 255, 0, 255] }));
    write(path.join(cls, files.grey16), encodePng({ width: 3, height: 1, colorType: 0, bitDepth: 16, samples: [65535, 32768, 255] }));
    write(path.join(cls, files.cmyk), await jpegCmyk(rawRgb(16, 16, [200, 50, 20]), 16, 16));
    write(path.join(cls, 'notes.txt'), 'not an image');
    write(path.join(cls, '.DS_Store'), 'junk');
  })();

  it('reads six images, each uint8 H×W×3; non-image files are ignored', async () => {
    await setup;
    const ds = await loadImageFolder({ root });
    expect(ds.count).toBe(6);
    expect(ds.files).toEqual(Object.values(files).map((f) => `mixed/${f}`));
    for (let i = 0; i < 6; i++) {
      const img = await ds.readImage(i);
      expect(img.shape[2]).toBe(3);
      expect(img.data.length).toBe(img.shape[0] * img.shape[1] * 3);
    }
    expect(ds.uniformShape).toBe(false);
    expect((await ds.readImage(0)).shape).toEqual([30, 40, 3]);
  });

  it('greyscale → 3 equal channels; 16-bit 65535 → 255 (high byte, not the low byte 255 of 255); palette → its colours', async () => {
    await setup;
    const ds = await loadImageFolder({ root });
    const grey = await ds.readImage(1);
    expect(Array.from(grey.data)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
    const g16 = await ds.readImage(4);
    expect(Array.from(g16.data)).toEqual([255, 255, 255, 128, 128, 128, 0, 0, 0]);
    const pal = await ds.readImage(2);
    expect(pixel(pal.data, 2, 0, 1)).toEqual([0, 0, 255]);
  });

  it('alpha policy is explicit: "drop" (default, as PIL convert) keeps (255,0,0); "black" composites to (0,0,0)', async () => {
    await setup;
    const dropped = await loadImageFolder({ root });
    expect(pixel((await dropped.readImage(3)).data, 2, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel((await dropped.readImage(2)).data, 2, 0, 0)).toEqual([255, 0, 0]); // palette entry with tRNS 0
    const black = await loadImageFolder({ root, alpha: 'black' });
    expect(pixel((await black.readImage(3)).data, 2, 0, 0)).toEqual([0, 0, 0]);
    expect(pixel((await black.readImage(3)).data, 2, 0, 1)).toEqual([0, 255, 0]);
    const white = await loadImageFolder({ root, alpha: 'white' });
    expect(pixel((await white.readImage(3)).data, 2, 0, 0)).toEqual([255, 255, 255]);
  });

  it('CMYK and RGB JPEGs decode to RGB near the source colour', async () => {
    await setup;
    const ds = await loadImageFolder({ root });
    for (const i of [0, 5]) {
      const [r, g, b] = pixel((await ds.readImage(i)).data, (await ds.readImage(i)).shape[1], 3, 3);
      expect(Math.abs(r - 200) + Math.abs(g - 50) + Math.abs(b - 20)).toBeLessThan(40);
    }
  });

  it('BMP (bmp-ts) and WebP decode exactly; format is detected by content, not extension', async () => {
    const dir = tempDir();
    const pixels = noiseRgb(5, 3, 7);
    write(path.join(dir, 'c', 'x.bmp'), bmpRgb(pixels, 5, 3));
    write(path.join(dir, 'c', 'y.webp'), await webpLossless(pixels, 5, 3));
    write(path.join(dir, 'c', 'z.jpg'), encodePng({ width: 5, height: 3, colorType: 2, bitDepth: 8, samples: pixels }));
    const ds = await loadImageFolder({ root: dir });
    for (let i = 0; i < 3; i++) expect(Buffer.from(await ds.getImage(i)).equals(pixels)).toBe(true);
  });

  it('streams batches of mixed sizes through centerCropLongEdge + resize, and names the file when no resize is given', async () => {
    await setup;
    const ds = await loadImageFolder({ root });
    const it1 = createBatchIterator(ds, { batchSize: 3, seed: 2, transforms: [centerCropLongEdge(), resize(8, { filter: 'lanczos' }), randomHorizontalFlip()] });
    const batches = [];
    for await (const b of it1) batches.push(b);
    expect(batches.map((b) => b.shape)).toEqual([
      [3, 8, 8, 3],
      [3, 8, 8, 3],
    ]);
    const it2 = createBatchIterator(ds, { batchSize: 6, shuffle: false });
    await expect(it2.next()).rejects.toThrow(/mixed\/b-grey\.png has shape \[2, 2, 3\].*add centerCropLongEdge\(\) and resize\(\)/);
  });
});

describe('C22: corrupt or truncated files', () => {
  const root = tempDir();
  const setup = (async () => {
    for (let i = 0; i < 100; i++) {
      const cls = i % 2 === 0 ? 'cats' : 'dogs';
      write(path.join(root, cls, `img_${String(i).padStart(3, '0')}.png`), encodePng({ width: 4, height: 4, colorType: 2, bitDepth: 8, samples: noiseRgb(4, 4, i) }));
    }
    const jpeg = await jpegRgb(noiseRgb(64, 64, 3), 64, 64);
    expect(jpeg.length).toBeGreaterThan(2000);
    write(path.join(root, 'cats', 'truncated.jpg'), jpeg.subarray(0, 500));
    write(path.join(root, 'dogs', 'empty.png'), new Uint8Array(0));
  })();

  it('strict (default): the pre-flight scan throws before any batch, listing both files relative to the root', async () => {
    await setup;
    const error = await loadImageFolder({ root }).catch((e) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.code).toBe('BAD_IMAGE');
    expect(error.problems.map((p: { file: string }) => p.file).sort()).toEqual(['cats/truncated.jpg', 'dogs/empty.png']);
    expect(error.message).toMatch(/2 of 102 image files/);
    expect(error.message).toMatch(/cats\/truncated\.jpg: corrupt or truncated image data/);
    expect(error.message).toMatch(/dogs\/empty\.png: empty file/);
  });

  it('skip: warns once listing both, and every epoch yields exactly 100 images', async () => {
    await setup;
    const warnings: string[] = [];
    const ds = await loadImageFolder({ root, onBadFile: 'skip', onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipped 2 unreadable/);
    expect(warnings[0]).toContain('cats/truncated.jpg');
    expect(warnings[0]).toContain('dogs/empty.png');
    expect(ds.count).toBe(100);
    expect(ds.skipped.map((p) => p.file).sort()).toEqual(['cats/truncated.jpg', 'dogs/empty.png']);
    const it = createBatchIterator(ds, { batchSize: 32, epochs: 2, seed: 5 });
    let images = 0;
    const seen = new Set<number>();
    for await (const b of it) {
      images += b.shape[0];
      if (b.epoch === 0) b.indices.forEach((i) => seen.add(i));
    }
    expect(images).toBe(200);
    expect(seen.size).toBe(100);
  });

  it("verify 'header' finds the empty file up front; the truncated JPEG throws by name when first read", async () => {
    await setup;
    const warnings: string[] = [];
    const ds = await loadImageFolder({ root, verify: 'header', onBadFile: 'skip', onWarning: (m) => warnings.push(m) });
    expect(ds.count).toBe(101);
    const index = ds.files.indexOf('cats/truncated.jpg');
    await expect(ds.getImage(index)).rejects.toThrow(/cats\/truncated\.jpg: cannot decode image/);
    await expect(decodeImage(new Uint8Array([1, 2, 3]), 'junk.png')).rejects.toThrow(/junk\.png: cannot decode image/);
  });
});

describe('C23: class-folder ordering and evaluation-split fallback', () => {
  const root = tempDir();
  const png = encodePng({ width: 2, height: 2, colorType: 0, bitDepth: 8, samples: [1, 2, 3, 4] });
  for (const c of ['1', '2', '10']) write(path.join(root, 'flat', c, 'x.png'), png);
  afterEach(() => vi.restoreAllMocks());

  it('lexicographic by default {"1":0,"10":1,"2":2}; numeric opt-in {"1":0,"2":1,"10":2}', async () => {
    const lex = await loadImageFolder({ root: path.join(root, 'flat') });
    expect({ ...lex.classToIndex }).toEqual({ '1': 0, '10': 1, '2': 2 });
    const num = await loadImageFolder({ root: path.join(root, 'flat'), classOrder: 'numeric' });
    expect({ ...num.classToIndex }).toEqual({ '1': 0, '2': 1, '10': 2 });
    expect(Array.from(num.labels)).toEqual([0, 1, 2]);
  });

  it('does not depend on directory enumeration order (reversed readdir)', async () => {
    const before = await loadImageFolder({ root: path.join(root, 'flat') });
    const original = fs.promises.readdir;
    vi.spyOn(fs.promises, 'readdir').mockImplementation((async (...args: Parameters<typeof original>) => {
      const out = (await (original as (...a: unknown[]) => Promise<unknown[]>)(...args)) as unknown[];
      return out.reverse();
    }) as typeof original);
    const after = await loadImageFolder({ root: path.join(root, 'flat') });
    expect(fs.promises.readdir).toHaveBeenCalled();
    expect(after.classNames).toEqual(before.classNames);
    expect(after.files).toEqual(before.files);
  });

  it('saves the mapping next to the checkpoint and checks it when resuming', async () => {
    const ds = await loadImageFolder({ root: path.join(root, 'flat') });
    const file = path.join(root, 'run', 'classes.json');
    await saveClassIndex(file, ds);
    const doc = await loadClassIndex(file);
    expect(doc.classToIndex).toEqual({ '1': 0, '10': 1, '2': 2 });
    expect(() => assertSameClassIndex(doc, ds)).not.toThrow();
    const numeric = await loadImageFolder({ root: path.join(root, 'flat'), classOrder: 'numeric' });
    expect(() => assertSameClassIndex(doc, numeric)).toThrow(/labels would change meaning/);
  });

  it('a root without a valid/ folder: the evaluation split throws, or warns exactly once with evalFallback', async () => {
    for (const c of ['a', 'b']) write(path.join(root, 'studio', 'train', c, 'x.png'), png);
    const train = await loadImageFolder({ root: path.join(root, 'studio') });
    expect(train.layout).toBe('splits');
    expect(train.count).toBe(2);
    const error = await loadImageFolder({ root: path.join(root, 'studio'), split: 'valid' }).catch((e) => e);
    expect(error.code).toBe('MISSING_SPLIT');
    expect(error.message).toMatch(/refusing to evaluate on the training split silently/);
    await expect(loadImageFolder({ root: path.join(root, 'flat'), split: 'val' })).rejects.toMatchObject({ code: 'MISSING_SPLIT' });
    const warnings: string[] = [];
    const fallback = await loadImageFolder({ root: path.join(root, 'studio'), split: 'valid', evalFallback: 'train', onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/evaluating on train split/);
    expect(fallback.split).toBe('train');
    for (const c of ['a', 'b']) write(path.join(root, 'studio', 'valid', c, 'y.png'), png);
    const valid = await loadImageFolder({ root: path.join(root, 'studio'), split: 'valid' });
    expect(valid.split).toBe('valid');
    expect(valid.files).toEqual(['a/y.png', 'b/y.png']);
  });

  it('empty class folders and roots without class folders are errors naming them', async () => {
    write(path.join(root, 'holes', 'a', 'x.png'), png);
    write(path.join(root, 'holes', 'b', 'readme.txt'), 'x');
    await expect(loadImageFolder({ root: path.join(root, 'holes') })).rejects.toThrow(/1 class folder\(s\) hold no image files[\s\S]*b\/: no image files/);
    write(path.join(root, 'noclass', 'x.png'), png);
    await expect(loadImageFolder({ root: path.join(root, 'noclass') })).rejects.toMatchObject({ code: 'BAD_LAYOUT' });
    await expect(loadImageFolder({ root: path.join(root, 'missing') })).rejects.toMatchObject({ code: 'MISSING_FILE' });
  });
});

describe('what a folder holds: sizes, greyscale, 1-channel reading, unlabelled folders', () => {
  const root = tempDir();
  // Luma of these RGB pixels by Pillow 12.3.0: Image.new('RGB', (5, 1)); putdata([...]); convert('L') →
  // [76, 150, 29, 124, 71] (ITU-R 601-2 in 16-bit fixed point; .venv-reference, `python -c` in the issue-19 work).
  const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30, 123, 45, 67];
  {
    write(path.join(root, 'colour', 'a', 'p.png'), encodePng({ width: 5, height: 1, colorType: 2, bitDepth: 8, samples: rgb }));
    write(path.join(root, 'colour', 'a', 'q.png'), encodePng({ width: 4, height: 3, colorType: 2, bitDepth: 8, samples: noiseRgb(4, 3, 1) }));
    write(path.join(root, 'colour', 'b', 'r.png'), encodePng({ width: 4, height: 3, colorType: 2, bitDepth: 8, samples: noiseRgb(4, 3, 2) }));
    // Greyscale stored two ways: a grey PNG, and an RGB PNG with R = G = B.
    write(path.join(root, 'grey', 'a', 'g.png'), encodePng({ width: 2, height: 2, colorType: 0, bitDepth: 8, samples: [0, 100, 200, 255] }));
    write(path.join(root, 'grey', 'b', 'h.png'), encodePng({ width: 2, height: 2, colorType: 2, bitDepth: 8, samples: [9, 9, 9, 50, 50, 50, 7, 7, 7, 0, 0, 0] }));
  }

  it('imageSizes lists every size, most frequent first, with examples; greyscale says whether one channel loses anything', async () => {
    const colour = await loadImageFolder({ root: path.join(root, 'colour') });
    expect(colour.imageSizes).toEqual([
      { height: 3, width: 4, count: 2, examples: ['a/q.png', 'b/r.png'] },
      { height: 1, width: 5, count: 1, examples: ['a/p.png'] },
    ]);
    expect(colour.uniformShape).toBe(false);
    expect(colour.greyscale).toBe(false);
    expect(colour.colourImages).toEqual({ count: 3, examples: ['a/p.png', 'a/q.png', 'b/r.png'] });
    const grey = await loadImageFolder({ root: path.join(root, 'grey') });
    expect(grey.greyscale).toBe(true);
    expect(grey.colourImages).toEqual({ count: 0, examples: [] });
    // Headers only: a 1-channel PNG is greyscale, an RGB one cannot be known without its pixels.
    const header = await loadImageFolder({ root: path.join(root, 'grey'), verify: 'header' });
    expect(header.greyscale).toBe(false);
    expect(header.imageSizes).toEqual([{ height: 2, width: 2, count: 2, examples: ['a/g.png', 'b/h.png'] }]);
    const none = await loadImageFolder({ root: path.join(root, 'grey'), verify: 'none' });
    expect(none.greyscale).toBeNull();
    expect(none.colourImages).toBeNull();
    expect(none.imageSizes).toEqual([]);
  });

  it("channels: 1 reads luma as PIL's convert('L'): exact for greyscale pictures", async () => {
    const colour = await loadImageFolder({ root: path.join(root, 'colour'), channels: 1 });
    const p = await colour.readImage(0);
    expect(p.shape).toEqual([1, 5, 1]);
    expect(Array.from(p.data)).toEqual([76, 150, 29, 124, 71]);
    const grey = await loadImageFolder({ root: path.join(root, 'grey'), channels: 1, inMemory: true });
    expect(grey.imageShape).toEqual([2, 2, 1]);
    expect(Array.from(await grey.getImage(0))).toEqual([0, 100, 200, 255]);
    expect(Array.from(await grey.getImage(1))).toEqual([9, 50, 7, 0]);
    await expect(loadImageFolder({ root: path.join(root, 'grey'), channels: 2 as 1 })).rejects.toThrow(/options\.channels: expected 1 or 3, received 2/);
  });

  it('loadImageFiles reads every image under a folder as one unlabelled set', async () => {
    const all = await loadImageFiles({ root: path.join(root, 'colour') });
    expect(all.count).toBe(3);
    expect(all.files).toEqual(['a/p.png', 'a/q.png', 'b/r.png']);
    expect(all.classNames).toEqual(['']);
    expect(Array.from(all.labels)).toEqual([0, 0, 0]);
    await expect(loadImageFiles({ root: path.join(root, 'nowhere') })).rejects.toMatchObject({ code: 'MISSING_FILE' });
    write(path.join(root, 'empty', 'notes.txt'), 'x');
    await expect(loadImageFiles({ root: path.join(root, 'empty') })).rejects.toThrow(/no image files/);
  });
});

const confRoot = tempDir();
for (let i = 0; i < 12; i++) write(path.join(confRoot, ['x', 'y', 'z'][i % 3], `${i}.png`), encodePng({ width: 6, height: 5, colorType: 2, bitDepth: 8, samples: noiseRgb(6, 5, i) }));
testDatasetConformance('image folder (streamed)', () => loadImageFolder({ root: confRoot }), { count: 12, numClasses: 3, imageShape: [5, 6, 3], firstLabels: [0, 0, 0, 0, 1] });
testDatasetConformance('image folder (inMemory)', () => loadImageFolder({ root: confRoot, inMemory: true }), { count: 12, numClasses: 3, imageShape: [5, 6, 3] });
