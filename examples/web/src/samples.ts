/**
 * What the page computes besides the network: latents from seeds, the interpolation path, running the
 * generator in batches, and tiling images for a canvas. DOM-free, so it is unit-tested in Node.
 */
import { denormalizeToUint8, Rng, sampleLatents } from '@reacgan/data';
import type { Generator } from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';

export interface LatentOptions {
  prior: 'gaussian' | 'uniform';
  /** Truncation threshold (gaussian prior; null or ≤ 0 = none): entries are redrawn until |z| ≤ t (StudioGAN). */
  truncation: number | null;
}

/** n latents [n·zDim] drawn from `seed` (@reacgan/data's Rng and sampleLatents: the same z as the CLI for a seed). */
export function latentsForSeed(seed: number, n: number, zDim: number, options: LatentOptions): Float32Array {
  const truncation = options.truncation !== null && options.truncation > 0 && options.prior === 'gaussian' ? options.truncation : null;
  return sampleLatents(new Rng(seed), n, zDim, { prior: options.prior, truncation });
}

/**
 * `steps` latents from zA to zB inclusive, linearly interpolated: z_k = (1 − t_k)·zA + t_k·zB, t_k = k/(steps − 1)
 * (StudioGAN's `interpolate` in `src/utils/misc.py` uses the same linear path).
 */
export function interpolateLatents(zA: Float32Array, zB: Float32Array, steps: number): Float32Array {
  if (zA.length !== zB.length) throw new Error(`interpolateLatents: zA has ${zA.length} values but zB has ${zB.length}`);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`interpolateLatents: steps must be an integer >= 2, received ${steps}`);
  const out = new Float32Array(steps * zA.length);
  for (let k = 0; k < steps; k++) {
    const t = k / (steps - 1);
    for (let i = 0; i < zA.length; i++) out[k * zA.length + i] = (1 - t) * zA[i] + t * zB[i];
  }
  return out;
}

export interface GeneratedBatch {
  /** uint8 NHWC images, StudioGAN's [−1, 1] → [0, 255] rounding (@reacgan/data `denormalizeToUint8`). */
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: number;
  /** Milliseconds from the first op to the result on the host (includes GPU work and readback). */
  ms: number;
}

/** Memory the page lets one forward pass's activations take (the budget {@link samplesPerForward} divides). */
export const ACTIVATION_BUDGET_BYTES = 512 * 1024 * 1024;

/**
 * How many images one forward pass may hold so that the activations stay within `budgetBytes`: a sample's live
 * activations are estimated as imgSize² × the network's base width (gConvDim; 64 for deep_conv) × 4 bytes × 16
 * (the widest layers run at the output size with the base width, and about 16 such tensors are alive at once in
 * a residual block). 32 px BigGAN (width 96): 6.3 MB a sample, the whole grid in one pass; ImageNet 128 px
 * BigGAN: 100 MB a sample, 5 per pass. At least 1, at most 64.
 */
export function samplesPerForward(generator: Pick<Generator, 'imgSize' | 'config'>, budgetBytes = ACTIVATION_BUDGET_BYTES): number {
  const width = typeof generator.config.gConvDim === 'number' ? generator.config.gConvDim : 64;
  const perSample = generator.imgSize * generator.imgSize * Math.max(width, 64) * 4 * 16;
  return Math.max(1, Math.min(64, Math.floor(budgetBytes / perSample)));
}

/**
 * Grid and strip sizes that keep one render short for this generator when the URL does not set them: 64 and 10
 * up to 32 px, 36 and 10 up to 64 px, 16 and 6 above (a 128 px BigGAN sample takes seconds on wasm / cpu).
 */
export function defaultSampleCounts(imgSize: number): { grid: number; strip: number } {
  if (imgSize <= 32) return { grid: 64, strip: 10 };
  if (imgSize <= 64) return { grid: 36, strip: 10 };
  return { grid: 16, strip: 6 };
}

/** Files above this size get a warning on the page before and after loading. */
export const LARGE_FILE_BYTES = 32 * 1024 * 1024;

/**
 * The page's warning for a generator file of `bytes` (null below {@link LARGE_FILE_BYTES}): the download, about
 * twice the file in memory while it is turned into tensors, and slow generation without a GPU.
 */
export function sizeWarning(bytes: number, imgSize?: number): string | null {
  if (bytes < LARGE_FILE_BYTES) return null;
  const mb = (bytes / 1024 / 1024).toFixed(0);
  const slow = imgSize !== undefined && imgSize >= 128 ? ` ${imgSize} px samples take seconds each without a GPU (WebGL on a real GPU is much faster than wasm or cpu).` : '';
  return `Large generator: ${mb} MB. Loading needs about ${((2 * bytes) / 1024 / 1024).toFixed(0)} MB of memory while the weights become tensors.${slow}`;
}

/**
 * Runs the generator on z [n·zDim] and one label per sample (evaluation mode) and reads the images, in passes of
 * at most `maxPerForward` images (default {@link samplesPerForward}: bounded memory for large generators; with
 * batch statistics each pass normalises with its own). Leaves no tensor behind.
 */
export async function generateBatch(
  generator: Generator,
  z: Float32Array,
  labels: Int32Array,
  batchNormStatistics: 'running' | 'batch',
  maxPerForward = samplesPerForward(generator),
): Promise<GeneratedBatch> {
  const n = labels.length;
  const zDim = generator.zDim;
  if (z.length !== n * zDim) throw new Error(`generateBatch: z has ${z.length} values, expected ${n} × zDim ${zDim}`);
  if (!Number.isInteger(maxPerForward) || maxPerForward < 1) throw new Error(`generateBatch: maxPerForward must be a positive integer, received ${maxPerForward}`);
  const t0 = performance.now();
  const perImage = generator.imgSize * generator.imgSize * generator.imgChannels;
  const values = new Float32Array(n * perImage);
  for (let start = 0; start < n; start += maxPerForward) {
    const m = Math.min(maxPerForward, n - start);
    const images = tf.tidy(() =>
      generator.apply(tf.tensor2d(z.subarray(start * zDim, (start + m) * zDim), [m, zDim]), tf.tensor1d(labels.subarray(start, start + m), 'int32'), { training: false, batchNormStatistics }),
    );
    try {
      values.set((await images.data()) as Float32Array, start * perImage);
    } finally {
      images.dispose();
    }
  }
  const ms = performance.now() - t0;
  return { pixels: denormalizeToUint8(values), count: n, size: generator.imgSize, channels: generator.imgChannels, ms };
}

export interface Tiled {
  /** RGBA, row-major, width × height × 4. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

/** Lays out a batch as `columns` tiles per row with `gap` pixels of `background` (RGB) between them. */
export function tileBatch(batch: Pick<GeneratedBatch, 'pixels' | 'count' | 'size' | 'channels'>, columns: number, gap = 2, background: [number, number, number] = [255, 255, 255]): Tiled {
  const { pixels, count, size, channels } = batch;
  if (channels !== 1 && channels !== 3) throw new Error(`tileBatch: images must have 1 or 3 channels, received ${channels}`);
  if (pixels.length !== count * size * size * channels) throw new Error(`tileBatch: ${pixels.length} values do not hold ${count} images of ${size}×${size}×${channels}`);
  const cols = Math.min(columns, count);
  const rows = Math.ceil(count / cols);
  const width = cols * size + (cols - 1) * gap;
  const height = rows * size + (rows - 1) * gap;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = background[0];
    rgba[4 * i + 1] = background[1];
    rgba[4 * i + 2] = background[2];
    rgba[4 * i + 3] = 255;
  }
  for (let k = 0; k < count; k++) {
    const x0 = (k % cols) * (size + gap);
    const y0 = Math.floor(k / cols) * (size + gap);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const src = ((k * size + y) * size + x) * channels;
        const dst = ((y0 + y) * width + x0 + x) * 4;
        rgba[dst] = pixels[src];
        rgba[dst + 1] = pixels[src + (channels === 3 ? 1 : 0)];
        rgba[dst + 2] = pixels[src + (channels === 3 ? 2 : 0)];
      }
    }
  }
  return { rgba, width, height };
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
