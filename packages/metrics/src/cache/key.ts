import { MetricInputError } from '../errors.js';
import type { ExtractorProtocol } from '../extractors/types.js';

/**
 * Everything that makes two reference statistics comparable. A cached entry is reused only when
 * every field is equal (PR #131 in StudioGAN: a 64 px cache was reused for 128 px when the key was
 * the dataset name alone).
 */
export interface StatisticsCacheKey {
  /** Dataset id, e.g. 'cifar10', 'mnist' (free text, but be consistent). */
  dataset: string;
  /** Split, e.g. 'train', 'test', 'valid'. */
  split: string;
  /** Image size the dataset was prepared at (before the extractor's own resize), [height, width]. */
  imageSize: readonly [number, number];
  /** Extractor resize mode (e.g. 'bilinear'), from the extractor protocol. */
  resize: string;
  /** Quantisation mode ('none' | 'uint8'). */
  quantize: string;
  /** Extractor name. */
  extractor: string;
  /** SHA-256 of the extractor weights (or a caller-chosen version string). */
  weightsHash: string;
  /** Number of samples the statistics were computed from. */
  count: number;
  /** Anything else that matters (e.g. { preResizer: 'lanczos', grayscaleToRgb: 'true' }). */
  extra?: Readonly<Record<string, string | number | boolean>>;
}

/** Builds a key from an extractor protocol plus the dataset facts. */
export function statisticsCacheKey(
  protocol: Pick<ExtractorProtocol, 'extractor' | 'weightsHash' | 'resize' | 'quantize' | 'grayscaleToRgb' | 'inputSize'>,
  data: { dataset: string; split: string; imageSize: readonly [number, number] | number; count: number; extra?: Record<string, string | number | boolean> },
): StatisticsCacheKey {
  const imageSize = typeof data.imageSize === 'number' ? ([data.imageSize, data.imageSize] as const) : data.imageSize;
  return {
    dataset: data.dataset,
    split: data.split,
    imageSize,
    resize: protocol.resize,
    quantize: protocol.quantize,
    extractor: protocol.extractor,
    weightsHash: protocol.weightsHash ?? 'unknown',
    count: data.count,
    extra: {
      grayscaleToRgb: protocol.grayscaleToRgb,
      inputSize: protocol.inputSize ? protocol.inputSize.join('x') : 'native',
      ...(data.extra ?? {}),
    },
  };
}

/** Canonical string of a key (sorted fields), used for equality and file names. */
export function canonicalCacheKey(key: StatisticsCacheKey): string {
  validateKey(key);
  const extra = key.extra ? Object.fromEntries(Object.entries(key.extra).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : {};
  return JSON.stringify({
    dataset: key.dataset,
    split: key.split,
    imageSize: [key.imageSize[0], key.imageSize[1]],
    resize: key.resize,
    quantize: key.quantize,
    extractor: key.extractor,
    weightsHash: key.weightsHash,
    count: key.count,
    extra,
  });
}

function validateKey(key: StatisticsCacheKey): void {
  const strings = ['dataset', 'split', 'resize', 'quantize', 'extractor', 'weightsHash'] as const;
  for (const f of strings) {
    if (typeof key?.[f] !== 'string' || key[f].length === 0) throw new MetricInputError(`statistics cache key: '${f}' must be a non-empty string, received ${JSON.stringify(key?.[f])}`);
  }
  if (!Array.isArray(key.imageSize) || key.imageSize.length !== 2 || !key.imageSize.every((v) => Number.isInteger(v) && v > 0)) {
    throw new MetricInputError(`statistics cache key: imageSize must be [height, width], received ${JSON.stringify(key.imageSize)}`);
  }
  if (!Number.isInteger(key.count) || key.count < 2) throw new MetricInputError(`statistics cache key: count must be an integer ≥ 2, received ${key.count}`);
}
