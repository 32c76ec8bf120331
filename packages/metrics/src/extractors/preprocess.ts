import * as tf from '@tensorflow/tfjs-core';
import { MetricInputError } from '../errors.js';

/** A declared pixel value range. The API never guesses it from the data. */
export type PixelRange = readonly [-1, 1] | readonly [0, 1] | readonly [0, 255];

/**
 * Quantisation applied before the network:
 * - 'none': float images go in as they are (StudioGAN v0.3.0, the code behind the paper numbers);
 * - 'uint8': round to 8 bits first, q = clamp(floor(255·(x − lo)/(hi − lo) + 0.5), 0, 255) — round
 *   half up, clamped, never wrapped (StudioGAN ≥ 2022-01, `metrics/preparation.py`), i.e. what
 *   saving the images as PNG would do.
 */
export type QuantizeMode = 'none' | 'uint8';

/**
 * Resize to the network's input size:
 * - 'bilinear': bilinear without antialiasing, align_corners = false — PyTorch's
 *   `F.interpolate(mode='bilinear', align_corners=False)` as used inside pytorch-fid/StudioGAN
 *   (`tf.image.resizeBilinear(x, size, false, true)`, half-pixel centres; verified equal).
 * - 'none': no resize; images must already have the input size.
 */
export type ResizeMode = 'bilinear' | 'none';

export function validateRange(range: unknown, argName = 'range'): PixelRange {
  if (Array.isArray(range) && range.length === 2) {
    const [lo, hi] = range as number[];
    if ((lo === -1 && hi === 1) || (lo === 0 && hi === 1) || (lo === 0 && hi === 255)) return range as unknown as PixelRange;
  }
  throw new MetricInputError(`${argName}: declare the pixel range as [-1, 1], [0, 1] or [0, 255]; received ${JSON.stringify(range)}`);
}

/**
 * The one quantisation rule shared by image saving and metrics: value x in `range` →
 * clamp(floor(255·(x − lo)/(hi − lo) + 0.5), 0, 255) as a Uint8Array.
 * For [−1, 1]: −1 → 0, 0 → 128, 0.5 → 191, 1 → 255, 1.02 → 255, −1.02 → 0 (no wrap-around; not
 * Uint8ClampedArray's round-half-to-even). NaN → 0.
 */
export function quantizeToUint8(values: ArrayLike<number>, range: PixelRange = [-1, 1]): Uint8Array {
  const [lo, hi] = validateRange(range);
  const scale = 255 / (hi - lo);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const q = Math.floor((values[i] - lo) * scale + 0.5);
    out[i] = q > 255 ? 255 : q > 0 ? q : 0;
  }
  return out;
}

/** Tensor version of {@link quantizeToUint8}: float32 tensor of integers in [0, 255]. */
export function quantizeTensor(x: tf.Tensor, range: PixelRange = [-1, 1]): tf.Tensor {
  const [lo, hi] = validateRange(range);
  return tf.tidy(() => {
    const scaled = tf.add(tf.mul(tf.sub(tf.cast(x, 'float32'), lo), 255 / (hi - lo)), 0.5);
    return tf.clipByValue(tf.floor(scaled), 0, 255);
  });
}

/** Maps values linearly from one declared range to another (float32). */
export function convertRange(x: tf.Tensor, from: PixelRange, to: PixelRange): tf.Tensor {
  const [flo, fhi] = from;
  const [tlo, thi] = to;
  if (flo === tlo && fhi === thi) return tf.cast(x, 'float32');
  const scale = (thi - tlo) / (fhi - flo);
  return tf.tidy(() => tf.add(tf.mul(tf.sub(tf.cast(x, 'float32'), flo), scale), tlo));
}

export interface PreprocessOptions {
  /** Range the images are in (declared by the caller). */
  range: PixelRange;
  /** Range the network expects. */
  networkRange: PixelRange;
  /** Network input [height, width], or null to keep the image size. */
  inputSize: readonly [number, number] | null;
  quantize: QuantizeMode;
  resize: ResizeMode;
  /** Repeat a single channel to 3 (grayscale → RGB, as StudioGAN does for 1-channel data). Default false. */
  grayscaleToRgb?: boolean;
}

/**
 * images (NHWC, declared range) → quantise? → network range → resize → network input (float32).
 * Resizing is linear, so resizing before or after the range change only differs by float rounding.
 */
export function preprocessImages(images: tf.Tensor4D, options: PreprocessOptions): tf.Tensor4D {
  if (images.rank !== 4) {
    throw new MetricInputError(`images: expected a rank-4 NHWC tensor, received shape [${images.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    let x: tf.Tensor = images;
    let range: PixelRange = options.range;
    if (options.quantize === 'uint8') {
      x = quantizeTensor(x, range);
      range = [0, 255];
    } else if (options.quantize !== 'none') {
      throw new MetricInputError(`quantize: expected 'none' or 'uint8', received ${JSON.stringify(options.quantize)}`);
    }
    x = convertRange(x, range, options.networkRange);
    if (options.grayscaleToRgb && x.shape[3] === 1) x = tf.tile(x, [1, 1, 1, 3]);
    const [, h, w] = x.shape;
    if (options.inputSize && (h !== options.inputSize[0] || w !== options.inputSize[1])) {
      if (options.resize === 'none') {
        throw new MetricInputError(
          `images: size ${h}×${w} differs from the network input ${options.inputSize[0]}×${options.inputSize[1]} and resize is 'none'`,
        );
      }
      if (options.resize !== 'bilinear') throw new MetricInputError(`resize: expected 'bilinear' or 'none', received ${JSON.stringify(options.resize)}`);
      x = tf.image.resizeBilinear(x as tf.Tensor4D, [options.inputSize[0], options.inputSize[1]], false, true);
    }
    return x as tf.Tensor4D;
  });
}
