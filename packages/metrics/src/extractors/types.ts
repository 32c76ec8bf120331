import type * as tf from '@tensorflow/tfjs-core';
import type { PixelRange, QuantizeMode, ResizeMode } from './preprocess.js';

/** Every protocol choice behind a set of features; recorded with each result and in cache keys. */
export interface ExtractorProtocol {
  /** Extractor name (registry name or the name given to featureExtractorFromModel). */
  extractor: string;
  /** SHA-256 (hex) of the weight file, when known. */
  weightsHash: string | null;
  /** Network input [height, width] (null: images keep their size). */
  inputSize: [number, number] | null;
  /** How images are resized to inputSize. */
  resize: ResizeMode;
  /** Quantisation before the network. */
  quantize: QuantizeMode;
  /** Range the network is fed (its normalisation). */
  networkRange: PixelRange;
  /** 1-channel images repeated to 3 channels. */
  grayscaleToRgb: boolean;
  /** Feature dimension (null until known). */
  featureDim: number | null;
}

export interface ExtractOptions {
  /** The value range of `images`, declared (never guessed): [-1, 1], [0, 1] or [0, 255]. */
  range: PixelRange;
  /** Images per forward pass (memory bound). Default: the extractor's batchSize. */
  batchSize?: number;
}

/** Features of a batch of images. */
export interface ExtractionResult {
  /** Row-major [count, dim] float32 features. */
  features: Float32Array;
  dim: number;
  count: number;
  /** Row-major [count, logitsDim] logits, when the extractor has a classifier head. */
  logits?: Float32Array;
  logitsDim?: number;
  /** The protocol that produced these features, with the declared input range. */
  protocol: ExtractorProtocol & { inputRange: PixelRange };
}

/**
 * A feature extractor: images (NHWC tensor, declared range) → float32 features (+ logits).
 * Implementations keep tensors tidy: `extract` leaks nothing; `dispose` frees the weights.
 */
export interface FeatureExtractor {
  readonly name: string;
  /** Network input [height, width], or null when images are used at their own size. */
  readonly inputSize: readonly [number, number] | null;
  /** The extractor's protocol (without the per-call input range). */
  readonly protocol: ExtractorProtocol;
  extract(images: tf.Tensor4D, options: ExtractOptions): Promise<ExtractionResult>;
  dispose(): void;
}
