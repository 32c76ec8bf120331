import * as tf from '@tensorflow/tfjs-core';
import { describeValue, MetricInputError } from '../errors.js';
import { type PixelRange, preprocessImages, type QuantizeMode, type ResizeMode, validateRange } from './preprocess.js';
import { extractBatched, type ForwardOutput } from './run-batched.js';
import type { ExtractionResult, ExtractOptions, ExtractorProtocol, FeatureExtractor } from './types.js';

/** Anything with tfjs `predict` (LayersModel, GraphModel) or a plain function of the batch. */
export type ModelLike =
  | { predict(x: tf.Tensor, config?: unknown): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap; dispose?(): unknown }
  | ((x: tf.Tensor4D) => tf.Tensor | tf.Tensor[] | { features: tf.Tensor; logits?: tf.Tensor });

export interface FeatureExtractorFromModelOptions {
  /** Name recorded in every result and cache key (e.g. 'mnist-classifier-v1'). Required. */
  name: string;
  /** Input size the model expects: a number (square) or [height, width]; omit to feed images at their own size. */
  inputSize?: number | readonly [number, number];
  /** Range the model expects its input in. Default [-1, 1]. */
  inputRange?: PixelRange;
  /** Quantisation before the model. Default 'none'. */
  quantize?: QuantizeMode;
  /** Resize mode when the image size differs from inputSize. Default 'bilinear'. */
  resize?: ResizeMode;
  /** Repeat 1-channel images to 3 channels. Default false. */
  grayscaleToRgb?: boolean;
  /** For models with several outputs: index of the features output. Default 0. */
  featuresOutput?: number;
  /** For models with several outputs: index of a logits output (used by inceptionScore). Default none. */
  logitsOutput?: number;
  /** Images per forward pass. Default 64. */
  batchSize?: number;
  /** Hash of the model's weights, recorded in the protocol (cache keys). Default null. */
  weightsHash?: string | null;
  /** Whether dispose() also disposes the model. Default false (the caller owns it). */
  disposeModel?: boolean;
}

/**
 * Wraps a tfjs model or a function as a {@link FeatureExtractor}: images in a declared range are
 * quantised (optional), mapped to `inputRange`, resized to `inputSize` (bilinear, align_corners =
 * false) and fed through the model; outputs of rank > 2 are flattened per sample.
 *
 * @example MNIST classifier features for FID
 * const extractor = featureExtractorFromModel((x) => classifier.penultimate(x), { name: 'mnist-judge', inputSize: 28, inputRange: [-1, 1] });
 * const real = featuresToStatistics(await extractor.extract(realImages, { range: [-1, 1] }));
 */
export function featureExtractorFromModel(model: ModelLike, options: FeatureExtractorFromModelOptions): FeatureExtractor {
  if (options == null || typeof options.name !== 'string' || options.name.trim() === '') {
    throw new MetricInputError('featureExtractorFromModel: options.name (a non-empty string recorded with every result) is required');
  }
  const call = modelCaller(model, options);
  const inputSize = normaliseSize(options.inputSize);
  const networkRange = validateRange(options.inputRange ?? [-1, 1], 'featureExtractorFromModel: options.inputRange');
  const quantize = options.quantize ?? 'none';
  const resize = options.resize ?? 'bilinear';
  const grayscaleToRgb = options.grayscaleToRgb ?? false;
  const protocol: ExtractorProtocol = {
    extractor: options.name,
    weightsHash: options.weightsHash ?? null,
    inputSize: inputSize ? [inputSize[0], inputSize[1]] : null,
    resize,
    quantize,
    networkRange,
    grayscaleToRgb,
    featureDim: null,
  };
  const batchSize = options.batchSize ?? 64;
  return {
    name: options.name,
    inputSize,
    protocol,
    extract(images: tf.Tensor4D, extractOptions: ExtractOptions): Promise<ExtractionResult> {
      return extractBatched(images, extractOptions, { batchSize, protocol }, (batch) => {
        const x = preprocessImages(batch, {
          range: validateRange(extractOptions.range, 'extract: options.range'),
          networkRange,
          inputSize,
          quantize,
          resize,
          grayscaleToRgb,
        });
        return call(x);
      });
    },
    dispose() {
      if (options.disposeModel && typeof model === 'object' && typeof model.dispose === 'function') model.dispose();
    },
  };
}

function normaliseSize(size: number | readonly [number, number] | undefined): readonly [number, number] | null {
  if (size === undefined) return null;
  const s = typeof size === 'number' ? ([size, size] as const) : size;
  if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) {
    throw new MetricInputError(`featureExtractorFromModel: options.inputSize must be a positive integer or [height, width], received ${JSON.stringify(size)}`);
  }
  return [s[0], s[1]];
}

function modelCaller(model: ModelLike, options: FeatureExtractorFromModelOptions): (x: tf.Tensor4D) => ForwardOutput {
  const featuresOutput = options.featuresOutput ?? 0;
  const logitsOutput = options.logitsOutput;
  const pick = (out: unknown): ForwardOutput => {
    if (out instanceof tf.Tensor) return { features: out };
    if (Array.isArray(out)) {
      const features = out[featuresOutput];
      if (!(features instanceof tf.Tensor)) throw new MetricInputError(`featureExtractorFromModel: the model has no output ${featuresOutput} (it returned ${out.length})`);
      return { features, logits: logitsOutput !== undefined ? out[logitsOutput] : undefined };
    }
    if (out && typeof out === 'object' && 'features' in out) return out as ForwardOutput;
    throw new MetricInputError(`featureExtractorFromModel: the model returned ${describeValue(out)}; expected a tensor, an array of tensors or { features, logits? }`);
  };
  if (typeof model === 'function') return (x) => pick(model(x));
  if (model && typeof model === 'object' && typeof model.predict === 'function') return (x) => pick(model.predict(x));
  throw new MetricInputError(`featureExtractorFromModel: model must be a tfjs LayersModel/GraphModel (with predict) or a function, received ${describeValue(model)}`);
}
