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

/**
 * Runs the generator once on z [n·zDim] and one label per sample (evaluation mode) and reads the images.
 * Leaves no tensor behind.
 */
export async function generateBatch(
  generator: Generator,
  z: Float32Array,
  labels: Int32Array,
  batchNormStatistics: 'running' | 'batch',
): Promise<GeneratedBatch> {
  const n = labels.length;
  if (z.length !== n * generator.zDim) throw new Error(`generateBatch: z has ${z.length} values, expected ${n} × zDim ${generator.zDim}`);
  const t0 = performance.now();
  const images = tf.tidy(() => generator.apply(tf.tensor2d(z, [n, generator.zDim]), tf.tensor1d(labels, 'int32'), { training: false, batchNormStatistics }));
  let values: Float32Array;
  try {
    values = (await images.data()) as Float32Array;
  } finally {
    images.dispose();
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
