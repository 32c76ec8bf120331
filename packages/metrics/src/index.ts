// @reacgan/metrics — browser-safe entry. Node helpers (files, downloads, disk cache): '@reacgan/metrics/node'.
export { version } from './version.js';
export { MetricInputError } from './errors.js';
export type { DenseFeatures, ExtractedFeatures, FeatureInput, FeatureMatrix, TensorLike2D } from './features.js';
export { toDenseFeatures } from './features.js';
export {
  featuresToStatistics,
  StatisticsAccumulator,
  validateStatistics,
  type FeatureStatistics,
  type StatisticsAccumulatorOptions,
} from './statistics.js';
export {
  defaultWarningHandler,
  frechetDistance,
  frechetDistanceWithDetails,
  frechetInceptionDistance,
  traceSqrtProduct,
  type FrechetDistanceDetails,
  type FrechetDistanceOptions,
  type TraceSqrtResult,
  type WarningHandler,
} from './fid.js';
export { inceptionScore, type InceptionScoreOptions, type InceptionScoreResult } from './inception-score.js';
export { kernelInceptionDistance, type KernelInceptionDistanceOptions, type KernelInceptionDistanceResult } from './kid.js';
export {
  precisionRecallDensityCoverage,
  type PrecisionRecallDensityCoverageOptions,
  type PrecisionRecallDensityCoverageResult,
} from './prdc.js';
export {
  ClassConditionalStatisticsAccumulator,
  intraClassFid,
  type ClassConditionalInput,
  type IntraClassFidOptions,
  type IntraClassFidResult,
} from './intra-class-fid.js';
export { MetricRng } from './rng.js';
export { gemmNT, pivotedCholesky, symmetricEigenvalues, type PivotedCholesky } from './linalg/dense.js';
export {
  convertRange,
  preprocessImages,
  quantizeTensor,
  quantizeToUint8,
  validateRange,
  type PixelRange,
  type PreprocessOptions,
  type QuantizeMode,
  type ResizeMode,
} from './extractors/preprocess.js';
export type { ExtractionResult, ExtractOptions, ExtractorProtocol, FeatureExtractor } from './extractors/types.js';
export { featureExtractorFromModel, type FeatureExtractorFromModelOptions, type ModelLike } from './extractors/from-model.js';
export {
  createInceptionV3FidExtractor,
  FID_INCEPTION_INPUT_SIZE,
  FID_INCEPTION_WEIGHTS_FILENAME,
  FID_INCEPTION_WEIGHTS_SHA256_PREFIX,
  FID_INCEPTION_WEIGHTS_URL,
  INCEPTION_V3_FID,
  INCEPTION_V3_FID_CONVS,
  InceptionV3FidNetwork,
  inceptionV3FidParameterShapes,
  type InceptionV3FidOptions,
} from './extractors/inception-v3-fid.js';
export {
  getFeatureExtractor,
  listFeatureExtractors,
  registerFeatureExtractor,
  unregisterFeatureExtractor,
  type FeatureExtractorFactory,
} from './extractors/registry.js';
export { accumulateFeatures, type AccumulatedFeatures } from './extractors/accumulate.js';
export { assertFloat32Backend } from './extractors/run-batched.js';
export {
  isTorchTensor,
  isTorchTensorInfo,
  readTorchCheckpoint,
  readTorchStateDict,
  readTorchZipEntries,
  TorchCheckpointError,
  TorchOrderedDict,
  type TorchDtype,
  type TorchTensor,
  type TorchTensorInfo,
  type TorchZipEntries,
} from './torch/read-checkpoint.js';
export { canonicalCacheKey, statisticsCacheKey, type StatisticsCacheKey } from './cache/key.js';
export { getOrComputeStatistics, MemoryStatisticsCache, type StatisticsCache } from './cache/cache.js';
export { decodeStatisticsNpz, encodeStatisticsNpz } from './cache/npz.js';
export { decodeNpy, encodeNpy, type NpyArray, type NpyDtype } from './npy.js';
export { sha256Hex } from './hash.js';
