import type * as tf from '@tensorflow/tfjs-core';
import { StatisticsAccumulator, type FeatureStatistics } from '../statistics.js';
import type { PixelRange } from './preprocess.js';
import type { ExtractorProtocol, FeatureExtractor } from './types.js';

/** Statistics (and optionally logits) of everything an image source yielded. */
export interface AccumulatedFeatures {
  statistics: FeatureStatistics;
  /** Row-major [count, logitsDim] logits, when `keepLogits` and the extractor has them. */
  logits?: Float32Array;
  logitsDim?: number;
  /** Row-major [count, dim] features, when `keepFeatures`. */
  features?: Float32Array;
  count: number;
  protocol: ExtractorProtocol & { inputRange: PixelRange };
}

/**
 * Streams image batches through an extractor into a float64 {@link StatisticsAccumulator}; the
 * features are not kept unless asked (50k × 2048 floats are 400 MB).
 *
 * @param batches NHWC tensors (disposed here after use when `disposeBatches`), sync or async iterable.
 * @example
 * const { statistics, logits } = await accumulateFeatures(extractor, fakeBatches(), { range: [-1, 1], keepLogits: true });
 * const fid = frechetInceptionDistance(realStatistics, statistics);
 * const is = inceptionScore({ data: logits!, shape: [statistics.count, 1008] }, { splits: 1 });
 */
export async function accumulateFeatures(
  extractor: FeatureExtractor,
  batches: Iterable<tf.Tensor4D> | AsyncIterable<tf.Tensor4D>,
  options: { range: PixelRange; batchSize?: number; keepLogits?: boolean; keepFeatures?: boolean; disposeBatches?: boolean; name?: string },
): Promise<AccumulatedFeatures> {
  const acc = new StatisticsAccumulator({ name: options.name ?? `${extractor.name} features` });
  const logits: Float32Array[] = [];
  const features: Float32Array[] = [];
  let logitsDim: number | undefined;
  let protocol: AccumulatedFeatures['protocol'] = { ...extractor.protocol, inputRange: options.range };
  for await (const batch of batches as AsyncIterable<tf.Tensor4D>) {
    try {
      const out = await extractor.extract(batch, { range: options.range, batchSize: options.batchSize });
      acc.add(out);
      protocol = out.protocol;
      if (options.keepLogits && out.logits) {
        logits.push(out.logits);
        logitsDim = out.logitsDim;
      }
      if (options.keepFeatures) features.push(out.features);
    } finally {
      if (options.disposeBatches) batch.dispose();
    }
  }
  const result: AccumulatedFeatures = { statistics: acc.statistics(), count: acc.count, protocol };
  if (options.keepLogits && logits.length) {
    result.logits = concat(logits);
    result.logitsDim = logitsDim;
  }
  if (options.keepFeatures) result.features = concat(features);
  return result;
}

function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
