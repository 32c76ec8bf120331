/**
 * reacgan: the ReACGAN meta-package. Re-exports the published @reacgan/* packages as namespaces and holds
 * the wiring: backend selection, the configuration schema and presets, the trainer, the MNIST judge and
 * report builders (browser-safe). File-system parts (run directories, checkpoints on disk, PNG, the
 * classifier cache, evaluation of checkpoints) are in `reacgan/node`; the CLI is `reacgan`.
 */
import * as data from '@reacgan/data';
import * as losses from '@reacgan/losses';
import * as metrics from '@reacgan/metrics';
import * as models from '@reacgan/models';
import { versions } from './versions.js';

export { data, losses, metrics, models };
export {
  BACKEND_CHOICES,
  formatBackendReport,
  initBackend,
  parseBackendChoice,
  setBackendImporter,
  type BackendAttempt,
  type BackendChoice,
  type BackendReport,
  type InitBackendOptions,
} from './backend.js';
export { isSoftwareAdapter, setupNodeWebGpu, type SetupNodeWebGpuOptions, type WebGpuAdapterReport } from './webgpu-node.js';

// Configuration
export {
  configSchemaWithoutModel,
  dataSchema,
  lossSchema,
  optimizationSchema,
  preSchema,
  augSchema,
  stylegan2Schema,
  runSchema,
  type AugConfig,
  type ConfigInput,
  type DataConfig,
  type LossConfig,
  type OptimizationConfig,
  type PreConfig,
  type RunConfig,
  type Stylegan2Config,
} from './config/schema.js';
export { ConfigError, assertTrainable, formatZodIssues, resolveConfig, unsupportedFeatures, type ReacganConfig, type ResolveConfigOptions, type ResolvedModelConfig } from './config/resolve.js';
export { camelToSnake, snakeToCamel, transformStudioGanKeys, type KeyOrigins } from './config/keys.js';
export { parseConfigText, resolveConfigText } from './config/yaml.js';
export { DEFAULT_PRESET, PRESETS, getPreset, mergeConfigInputs, presetNames, resolvePreset, type Preset } from './config/presets.js';

// Training
export { Adam, type AdamOptions, type AdamState } from './train/adam.js';
export { datasetTransforms } from './train/pipeline.js';
export { assertGradientsRegistered, installFastGradients, tileGradient } from './train/fast-gradients.js';
export { Trainer } from './train/trainer.js';
export type { BatchSource, TrainerOptions, TrainingState, TrainingStateMeta } from './train/state.js';
export { generateImages, type GenerateOptions } from './train/generate.js';
export { NonFiniteLossError, StepRecorder, type StepRecord } from './train/records.js';
// The training step: conditioning methods, loss terms, input transforms, gradient accumulation, updates
export { CONDITIONING_METHODS, conditioningMethod, isClassifierBased, type ConditioningHead, type ConditioningMethod } from './train/step/methods.js';
export { LOSS_TERM_DEFINITIONS } from './train/step/terms/index.js';
export { INPUT_TRANSFORM_DEFINITIONS, composeInputTransforms, type InputTransform, type InputTransformDefinition } from './train/step/transforms.js';
export { createLossTerms, implementedSwitches, registryProblems } from './train/step/registry.js';
export { accumulateGradients, type MicroBatchInputs, type MicroBatchLoss } from './train/step/accumulate.js';
export { SeededStepRandom, type StepRandom, type StepRandomState } from './train/step/random.js';
export { StepUpdates, weightedTotal, type RealBatch, type UpdateEnvironment } from './train/step/update.js';
export type {
  BatchTensors,
  DiscriminatorContext,
  DiscriminatorTerm,
  GeneratorContext,
  GeneratorTerm,
  LossTerm,
  LossTermDefinition,
  ScoredBatch,
  StepContextBase,
  TermNeeds,
} from './train/step/terms.js';
export {
  STANDING_STATISTICS_MOMENTUM,
  applyStandingStatisticsInPlace,
  resolveGenerationStatistics,
  standingStatisticsCopy,
  standingStatisticsRecord,
  type BatchNormStatisticsMode,
  type GenerationStatistics,
  type GenerationStatisticsRequest,
  type StandingStatisticsRecord,
  type StandingStatisticsSettings,
} from './train/standing.js';

// Evaluation with the judge classifiers (MNIST, CIFAR-10)
export {
  CIFAR10_JUDGE,
  JUDGES,
  JudgeClassifier,
  MNIST_JUDGE,
  initJudgeWeights,
  judgeBatchFromUint8,
  judgeDefinitionHash,
  judgeInput,
  parseJudgeLayers,
  trainJudgeClassifier,
  type AugmentationDraws,
  type ClassifierOutput,
  type JudgeDefinition,
  type LabeledImages,
  type TrainClassifierOptions,
} from './eval/judge-classifier.js';
export { judgeGenerator, type JudgeResult } from './eval/judge.js';

// Reports
export { imagesFromNhwc, tileImages, toUint8, type Uint8Image } from './report/images.js';
export { niceTicks, renderPanelsSvg, smooth, type Panel, type Series } from './report/plot.js';
export { comparisonSvg, diagnosticsPanels, diagnosticsSvg, headPanels, type EvalLine, type TrainLine } from './report/diagnostics.js';
export { renderReportMarkdown, type RunReport } from './report/report.js';

/** Versions of this package and of the packages it wires together (tfjs umbrella pattern). */
export const version = versions;
