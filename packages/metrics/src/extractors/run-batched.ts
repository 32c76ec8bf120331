import * as tf from '@tensorflow/tfjs-core';
import { MetricInputError } from '../errors.js';
import { validateRange } from './preprocess.js';
import type { ExtractOptions, ExtractionResult, ExtractorProtocol } from './types.js';

/** Forward output of one batch: [n, dim] features and optional [n, classes] logits. */
export interface ForwardOutput {
  features: tf.Tensor;
  logits?: tf.Tensor;
}

/**
 * Runs `forward` over `images` in chunks of `batchSize`, reading results back asynchronously, and
 * concatenates them into float32 arrays. Non-finite features throw, naming the batch and row.
 */
export async function extractBatched(
  images: tf.Tensor4D,
  options: ExtractOptions,
  defaults: { batchSize: number; protocol: ExtractorProtocol },
  forward: (batch: tf.Tensor4D) => ForwardOutput,
): Promise<ExtractionResult> {
  if (images == null || typeof images !== 'object' || (images as tf.Tensor).rank !== 4) {
    throw new MetricInputError(`extract: images must be a rank-4 NHWC tensor, received ${images == null ? String(images) : `shape [${(images as tf.Tensor).shape?.join(', ')}]`}`);
  }
  if (options == null || options.range === undefined) {
    throw new MetricInputError('extract: options.range is required — declare the pixel range of images as [-1, 1], [0, 1] or [0, 255]');
  }
  const range = validateRange(options.range, 'extract: options.range');
  assertFloat32Backend();
  const batchSize = options.batchSize ?? defaults.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MetricInputError(`extract: batchSize must be a positive integer, received ${batchSize}`);
  const n = images.shape[0];
  const featureChunks: Float32Array[] = [];
  const logitChunks: Float32Array[] = [];
  let dim = 0;
  let logitsDim: number | undefined;
  for (let start = 0, b = 0; start < n; start += batchSize, b++) {
    const size = Math.min(batchSize, n - start);
    const out = tf.tidy(() => {
      const batch = size === n ? images : tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
      const o = forward(batch as tf.Tensor4D);
      const f = o.features.rank === 2 ? o.features : tf.reshape(o.features, [size, -1]);
      const l = o.logits ? (o.logits.rank === 2 ? o.logits : tf.reshape(o.logits, [size, -1])) : undefined;
      return l ? [tf.cast(f, 'float32'), tf.cast(l, 'float32')] : [tf.cast(f, 'float32')];
    });
    try {
      const f = (await out[0].data()) as Float32Array;
      dim = out[0].shape[1] as number;
      for (let i = 0; i < f.length; i++) {
        if (!Number.isFinite(f[i])) {
          throw new MetricInputError(
            `extract: non-finite feature ${f[i]} in batch ${b} (images ${start}..${start + size - 1}), row ${Math.floor(i / dim)}; check the images for NaN/Inf`,
          );
        }
      }
      featureChunks.push(f);
      if (out[1]) {
        logitChunks.push((await out[1].data()) as Float32Array);
        logitsDim = out[1].shape[1] as number;
      }
    } finally {
      out.forEach((t) => t.dispose());
    }
  }
  const features = concat(featureChunks);
  const result: ExtractionResult = {
    features,
    dim,
    count: n,
    protocol: { ...defaults.protocol, featureDim: dim || defaults.protocol.featureDim, inputRange: range },
  };
  if (logitChunks.length > 0) {
    result.logits = concat(logitChunks);
    result.logitsDim = logitsDim;
  }
  return result;
}

function concat(chunks: Float32Array[]): Float32Array {
  if (chunks.length === 1) return chunks[0];
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * C11: refuses to extract features on a WebGL backend that renders to half-float textures (mobile
 * GPUs without WEBGL_RENDER_FLOAT32_ENABLED), where features would be silently off by percent-level
 * amounts. The statistics and metrics themselves always run in float64 on the host.
 * @throws MetricInputError naming the backend and the fix (tf.setBackend('cpu') or 'wasm').
 */
export function assertFloat32Backend(backend: string = tf.getBackend(), env: { getBool(flag: string): boolean } = tf.env()): void {
  if (backend !== 'webgl') return;
  let float32 = true;
  try {
    float32 = env.getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  } catch {
    float32 = true; // flag not registered: not the tfjs WebGL backend we know
  }
  if (!float32) {
    throw new MetricInputError(
      "feature extraction: the 'webgl' backend on this device cannot render float32 textures (WEBGL_RENDER_FLOAT32_ENABLED is false); " +
        "features would be computed in float16. Switch backend first: await tf.setBackend('wasm') or tf.setBackend('cpu')",
    );
  }
}
