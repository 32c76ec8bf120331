export { version } from './version.js';
export {
  Module,
  ModuleList,
  StateDictError,
  gradientsRegistered,
  isTensorData,
  type LoadStateDictOptions,
  type NamedVariable,
  type StateValue,
  type TensorData,
} from './module.js';
export {
  DEFAULT_MODEL_CONFIG,
  ModelConfigError,
  validateModelConfig,
  type AuxiliaryClassifierType,
  type Backbone,
  type DiscriminatorConditioning,
  type GeneratorConditioning,
  type ModelConfig,
  type ModelConfigInput,
  type ModelDataOptions,
} from './config.js';
export { createDiscriminator, createGenerator } from './create.js';
export {
  Discriminator,
  Generator,
  type DiscriminatorApplyOptions,
  type DiscriminatorOutput,
} from './networks.js';
export { forwardContext, type ApplyOptions, type ForwardContext, type StandingStatisticsCollector } from './layers/context.js';
export { powerIteration, spectralNormalize, spectralSigma, spectralSigmaWithUpdate, spectralVectorSizes, type SpectralView } from './layers/spectral-norm.js';
export {
  Conv2d,
  ConvTranspose2d,
  Embedding,
  Linear,
  SPECTRAL_NORM_EPS,
  WeightLayer,
  sameEqualsSymmetric,
  type Conv2dGeometry,
  type FusedActivation,
  type WeightLayerOptions,
} from './layers/weight-layers.js';
export {
  BATCH_NORM_EPS,
  BATCH_NORM_MOMENTUM,
  BatchNorm2d,
  BigGANConditionalBatchNorm2d,
  ConditionalBatchNorm2d,
  type ConditionalBatchNormLayout,
} from './layers/batch-norm.js';
export { SelfAttention } from './layers/self-attention.js';
export {
  BATCH_NORM_TRAIN_GRAD_KERNEL,
  BATCH_NORM_TRAIN_KERNEL,
  CONV2D_BIAS_RELU_KERNEL,
  CONV2D_KERNEL,
  NATIVE_BACKEND,
  RELU_GRAD_KERNEL,
  RELU_KERNEL,
  conv2dBias,
  conv2dBiasRelu,
  conv2dFilterGradient,
  matMulFilterGradientApplies,
  matMulFilterGradientMode,
  nativeBatchNormTrain,
  nativeKernelsActive,
  relu,
  setMatMulFilterGradient,
  setNativeKernels,
  withoutNativeKernels,
  type MatMulFilterGradientMode,
} from './layers/native.js';
export { installHigherOrderGradients } from './layers/higher-order.js';
export { WASM_BACKEND, WASM_KERNEL_FIXES, installWasmKernelFixes, installedWasmKernelFixes, uninstallWasmKernelFixes } from './layers/wasm-fixes.js';
export { activation, averagePool2x, l2NormalizeRows, maxPool2x, upsampleNearest2x, type ActivationName } from './layers/ops.js';
export { INIT_METHODS, initTorchWeight, orthogonalMatrix, permute, type InitMethod, type LayerInit, type WeightKind } from './init.js';
export { SeededRandom } from './random.js';
export { RESNET_IMAGE_SIZES } from './architectures/channel-tables.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  encodeSafetensorsAsync,
  tensorsFromData,
  type DecodedSafetensors,
  type SafetensorsInput,
} from './safetensors.js';
export {
  fromStudioganLayout,
  fromStudioganStateDict,
  studioganKeyMap,
  toStudioganLayout,
  toStudioganStateDict,
  type LayoutTransform,
  type StudioganKeyMapping,
  diffStudioganStateDict,
  type StudioganStateDictDiff,
  type StudioganStateValue,
  type TorchTensorData,
} from './studiogan-map.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_KEY,
  CHECKPOINT_JSON_KEY,
  collectStateDicts,
  decodeCheckpoint,
  encodeCheckpoint,
  encodeCheckpointAsync,
  parameterNamesByVariable,
  restoreStateDicts,
  type Checkpoint,
  type CheckpointInput,
} from './checkpoint.js';
export { GeneratorEma, type GeneratorEmaOptions } from './ema.js';
export {
  DIFF_AUGMENT_POLICY,
  crAugment,
  diffAugment,
  sampleCrAugmentDraws,
  sampleDiffAugmentDraws,
  type AugmentRandom,
  type CrAugmentDraws,
  type DiffAugmentDraws,
  type DiffAugmentPolicy,
} from './augment.js';
export {
  EVALUATION_MODES,
  applyStandingStatistics,
  evaluationApplyOptions,
  SPECTRAL_NORM_SAMPLING,
  type SpectralNormSampling,
  generateImages,
  type EvaluationMode,
  type StandingStatisticsOptions,
} from './evaluation.js';
export { variableGrads } from './gradients.js';
