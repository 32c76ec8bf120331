import { badArgument } from './errors.js';
import { RESIZE_FILTERS, resizeImage, type ResizeFilter } from './resize.js';
import type { Rng } from './rng.js';
import type { DecodedImage, ImageShape } from './types.js';

/**
 * An image transform on uint8 HWC images. Transforms run in order on each image; the batch
 * iterator then normalises the result to float32 in [−1, 1] (`normalizeToMinusOneOne`).
 * Random transforms draw from the `rng` they are given (the batch iterator gives each image its
 * own stream, derived from (seed, epoch, position), so results do not depend on batch size,
 * prefetching or decode order).
 */
export interface ImageTransform {
  /** Name for reports and error messages, e.g. 'pad(2,2,2,2)'. */
  readonly name: string;
  /** Whether `apply` draws from the rng. */
  readonly random: boolean;
  /** Shape of the output for an input of shape `input`; throws if the input does not fit. */
  outputShape(input: ImageShape): ImageShape;
  /** Applies the transform. May return the input unchanged (never modifies it in place). */
  apply(image: DecodedImage, rng: Rng): DecodedImage;
}

/** Python 3 `round` (half to even), used by torchvision's center_crop offsets. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Crops rows [top, top + height) and columns [left, left + width). */
export function cropImage(image: DecodedImage, top: number, left: number, height: number, width: number): DecodedImage {
  const [h, w, c] = image.shape;
  if (top < 0 || left < 0 || top + height > h || left + width > w || height < 1 || width < 1) {
    throw badArgument('crop', `a window inside the ${h}×${w} image`, { top, left, height, width });
  }
  if (top === 0 && left === 0 && height === h && width === w) return image;
  const out = new Uint8Array(height * width * c);
  const rowBytes = width * c;
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * w + left) * c;
    out.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { data: out, shape: [height, width, c] };
}

function shapeString(shape: ImageShape): string {
  return `[${shape.join(', ')}]`;
}

/** Options of `pad`. */
export type PadOptions =
  | {
      /** Pad to this size (a number = square), centred: top = ⌊(H' − H)/2⌋, the odd pixel goes to the bottom/right. */
      to: number | readonly [height: number, width: number];
      /** Fill value for every channel (uint8). Default 0 (background for MNIST-style data). */
      fill?: number;
    }
  | {
      /** Pixels to add: a number (all sides) or [left, top, right, bottom] (torchvision `Pad` order). */
      padding: number | readonly [left: number, top: number, right: number, bottom: number];
      fill?: number;
    };

/**
 * Constant padding, e.g. MNIST 28×28 → 32×32: `pad({ to: 32 })` (= torchvision `Pad(2)`, 2 zero
 * pixels on each side). Throws if the image is larger than the target.
 */
export function pad(options: PadOptions): ImageTransform {
  const fill = options.fill ?? 0;
  if (!Number.isInteger(fill) || fill < 0 || fill > 255) throw badArgument('pad(options.fill)', 'an integer in [0, 255]', fill);
  let sides: (input: ImageShape) => [number, number, number, number];
  let name: string;
  if ('to' in options) {
    const [th, tw] = typeof options.to === 'number' ? [options.to, options.to] : options.to;
    if (!Number.isInteger(th) || !Number.isInteger(tw) || th < 1 || tw < 1) throw badArgument('pad(options.to)', 'a positive integer or [height, width]', options.to);
    name = `pad(to ${th}×${tw})`;
    sides = ([h, w]) => {
      if (h > th || w > tw) throw badArgument(name, `an image no larger than ${th}×${tw}`, `an image of ${h}×${w}`);
      const top = Math.floor((th - h) / 2);
      const left = Math.floor((tw - w) / 2);
      return [left, top, tw - w - left, th - h - top];
    };
  } else {
    const p = options.padding;
    const four: readonly number[] = typeof p === 'number' ? [p, p, p, p] : p;
    if (four.length !== 4 || four.some((v) => !Number.isInteger(v) || v < 0)) throw badArgument('pad(options.padding)', 'a non-negative integer or [left, top, right, bottom]', p);
    name = `pad(${four.join(',')})`;
    sides = () => [four[0], four[1], four[2], four[3]];
  }
  return {
    name,
    random: false,
    outputShape(input) {
      const [l, t, r, b] = sides(input);
      return [input[0] + t + b, input[1] + l + r, input[2]];
    },
    apply(image) {
      const [h, w, c] = image.shape;
      const [l, t, r, b] = sides(image.shape);
      if (l + t + r + b === 0) return image;
      const oh = h + t + b;
      const ow = w + l + r;
      const out = new Uint8Array(oh * ow * c);
      if (fill !== 0) out.fill(fill);
      const rowBytes = w * c;
      for (let y = 0; y < h; y++) out.set(image.data.subarray(y * rowBytes, (y + 1) * rowBytes), ((y + t) * ow + l) * c);
      return { data: out, shape: [oh, ow, c] };
    },
  };
}

/**
 * StudioGAN's `CenterCropLongEdge` (BigGAN-PyTorch `utils.py`): a square crop of side S = min(H, W)
 * at top = round((H − S)/2), left = round((W − S)/2), Python `round` (half to even) as in
 * torchvision's `center_crop`. Used for evaluation images (and, at StudioGAN @HEAD, training too).
 */
export function centerCropLongEdge(): ImageTransform {
  return {
    name: 'centerCropLongEdge',
    random: false,
    outputShape: ([h, w, c]) => [Math.min(h, w), Math.min(h, w), c],
    apply(image) {
      const [h, w] = image.shape;
      const s = Math.min(h, w);
      return cropImage(image, roundHalfEven((h - s) / 2), roundHalfEven((w - s) / 2), s, s);
    },
  };
}

/**
 * StudioGAN v0.3.0's `RandomCropLongEdge` (training images): a square crop of side S = min(H, W);
 * along the long edge the offset is drawn uniformly from {0, …, L − S − 1} (`rng.nextInt(L − S)`).
 * Porting note: this reproduces the reference's `np.random.randint(low=0, high=L − S)`, whose
 * exclusive upper bound never picks the last offset L − S.
 */
export function randomCropLongEdge(): ImageTransform {
  return {
    name: 'randomCropLongEdge',
    random: true,
    outputShape: ([h, w, c]) => [Math.min(h, w), Math.min(h, w), c],
    apply(image, rng) {
      const [h, w] = image.shape;
      const s = Math.min(h, w);
      const top = h > s ? rng.nextInt(h - s) : 0;
      const left = w > s ? rng.nextInt(w - s) : 0;
      return cropImage(image, top, left, s, s);
    },
  };
}

/**
 * A centred crop to [height, width] (a number = square): top = round((H − h)/2), left =
 * round((W − w)/2), half to even (torchvision `CenterCrop` for images at least as large as the crop).
 * Throws for a smaller image.
 */
export function centerCrop(size: number | readonly [number, number]): ImageTransform {
  const [ch, cw] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(ch) || !Number.isInteger(cw) || ch < 1 || cw < 1) throw badArgument('centerCrop(size)', 'a positive integer or [height, width]', size);
  const name = `centerCrop(${ch}×${cw})`;
  return {
    name,
    random: false,
    outputShape([h, w, c]) {
      if (h < ch || w < cw) throw badArgument(name, `an image at least ${ch}×${cw}`, `an image of ${h}×${w}`);
      return [ch, cw, c];
    },
    apply(image) {
      const [h, w] = image.shape;
      if (h < ch || w < cw) throw badArgument(name, `an image at least ${ch}×${cw}`, `an image of ${h}×${w}`);
      return cropImage(image, roundHalfEven((h - ch) / 2), roundHalfEven((w - cw) / 2), ch, cw);
    },
  };
}

/** Options of `resize`. */
export interface ResizeOptions {
  /**
   * 'bilinear' (default: torchvision `Resize`'s default, what StudioGAN v0.3.0 used), 'nearest',
   * 'bicubic' or 'lanczos' (StudioGAN @HEAD's default `pre_resizer`). All are PIL's filters,
   * antialiased when downsampling; see `resizeImage`.
   */
  filter?: ResizeFilter;
}

/**
 * Resize to exactly [height, width] (a number = square size×size; unlike torchvision's
 * `Resize(int)`, which matches the short edge, so crop to a square first). Images already at the
 * size pass through unchanged.
 */
export function resize(size: number | readonly [number, number], options: ResizeOptions = {}): ImageTransform {
  const [rh, rw] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(rh) || !Number.isInteger(rw) || rh < 1 || rw < 1) throw badArgument('resize(size)', 'a positive integer or [height, width]', size);
  const filter = options.filter ?? 'bilinear';
  if (!RESIZE_FILTERS.includes(filter)) throw badArgument('resize(options.filter)', `one of ${RESIZE_FILTERS.join(', ')}`, filter);
  return {
    name: `resize(${rh}×${rw}, ${filter})`,
    random: false,
    outputShape: ([, , c]) => [rh, rw, c],
    apply: (image) => resizeImage(image, rh, rw, filter),
  };
}

/**
 * Mirrors the image left–right with probability p (default 0.5): flips when `rng.next() < p`
 * (torchvision `RandomHorizontalFlip`; StudioGAN's `RUN.apply_rflip`, on by default in training).
 */
export function randomHorizontalFlip(options: { p?: number } = {}): ImageTransform {
  const p = options.p ?? 0.5;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw badArgument('randomHorizontalFlip(options.p)', 'a probability in [0, 1]', p);
  return {
    name: `randomHorizontalFlip(${p})`,
    random: true,
    outputShape: (input) => input,
    apply(image, rng) {
      if (!(rng.next() < p)) return image;
      return horizontalFlip(image);
    },
  };
}

/** The left–right mirror image. */
export function horizontalFlip(image: DecodedImage): DecodedImage {
  const [h, w, c] = image.shape;
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let x = 0; x < w; x++) {
      const from = row + x * c;
      const to = row + (w - 1 - x) * c;
      for (let ch = 0; ch < c; ch++) out[to + ch] = src[from + ch];
    }
  }
  return { data: out, shape: image.shape };
}

/** Greyscale (C = 1) → RGB by replicating the channel; RGB passes through. */
export function grayscaleToRgb(): ImageTransform {
  return {
    name: 'grayscaleToRgb',
    random: false,
    outputShape([h, w, c]) {
      if (c !== 1 && c !== 3) throw badArgument('grayscaleToRgb', 'an image with 1 or 3 channels', c);
      return [h, w, 3];
    },
    apply(image) {
      const [h, w, c] = image.shape;
      if (c === 3) return image;
      const out = new Uint8Array(h * w * 3);
      for (let i = 0, n = h * w; i < n; i++) {
        const v = image.data[i];
        out[3 * i] = v;
        out[3 * i + 1] = v;
        out[3 * i + 2] = v;
      }
      return { data: out, shape: [h, w, 3] };
    },
  };
}

/** Output shape of a transform chain for an input shape (throws on the first misfit, naming it). */
export function transformedShape(input: ImageShape, transforms: readonly ImageTransform[]): ImageShape {
  let shape = input;
  for (const t of transforms) shape = t.outputShape(shape);
  return shape;
}

/** Applies a transform chain to one image. */
export function applyTransforms(image: DecodedImage, transforms: readonly ImageTransform[], rng: Rng): DecodedImage {
  let out = image;
  for (const t of transforms) out = t.apply(out, rng);
  return out;
}

/**
 * uint8 → float32 lookup: exactly torchvision's `ToTensor` + `Normalize(0.5, 0.5)` in float32,
 * ((v / 255) − 0.5) / 0.5 with every step rounded to float32. 0 → −1, 255 → 1, 128 → 0.0039215684.
 */
export const UINT8_TO_MINUS_ONE_ONE: Float32Array = (() => {
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5);
  return lut;
})();

/**
 * Writes uint8 pixels as float32 in [−1, 1] (`UINT8_TO_MINUS_ONE_ONE`) into `out` at `offset`.
 * @returns `out` (a new Float32Array of data.length when not given).
 */
export function normalizeToMinusOneOne(data: Uint8Array, out?: Float32Array, offset = 0): Float32Array {
  const target = out ?? new Float32Array(data.length);
  if (offset < 0 || offset + data.length > target.length) throw badArgument('normalizeToMinusOneOne(offset)', `room for ${data.length} values`, { offset, length: target.length });
  const lut = UINT8_TO_MINUS_ONE_ONE;
  for (let i = 0; i < data.length; i++) target[offset + i] = lut[data[i]];
  return target;
}

/**
 * float in [−1, 1] → uint8 for saving images: round((x + 1) · 127.5) clamped to [0, 255]
 * (the inverse of the normalisation up to rounding; NaN → 0).
 */
export function denormalizeToUint8(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round((values[i] + 1) * 127.5);
    out[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
  return out;
}

export { shapeString };
