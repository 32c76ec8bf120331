/**
 * reacgan/node: the Node-only parts — training runs that write a run directory, checkpoints on disk,
 * PNG output, the MNIST judge's cache, checkpoint evaluation — plus everything of the main entry.
 */
export * from './index.js';
export { buildProgram } from './cli/program.js';
export { cacheDir, judgeCachePath, loadOrTrainJudgeClassifier, type ClassifierCacheInfo } from './node/cache.js';
export { checkpointJsonPath, loadCheckpoint, saveCheckpoint, type CheckpointContent, type CheckpointInfo } from './node/checkpoint.js';
export {
  DEFAULT_EVALUATION_METRICS,
  EVALUATION_METRICS,
  evaluateGenerator,
  evaluateImages,
  EXTRACTOR_NAMES,
  parseEvaluationMetrics,
  type EvaluateOptions,
  type EvaluationMetric,
  type EvaluationResult,
  type ExtractorName,
} from './node/evaluate.js';
export { nodeIo, writeFileAtomic, type AtomicWriteIo } from './node/fs-atomic.js';
export {
  checkpointPath,
  classFolderName,
  classFolderNames,
  classGrid,
  disposeLoaded,
  labelsFromNpy,
  latentsFromNpy,
  loadedClassNames,
  loadGenerator,
  prepareLoadedGenerator,
  sampleLoaded,
  writePerClassImages,
  type LoadedGenerator,
  type SampleOptions,
} from './node/generator.js';
export { decodePng, encodePng } from './node/png.js';
export {
  decodeWebGenerator,
  defaultClassNames,
  encodeWebGenerator,
  exportWebGenerator,
  loadWebGenerator,
  runSelfCheck,
  SELF_CHECK_TOLERANCE,
  WEB_GENERATOR_FORMAT,
  type ExportedGeneratorChoice,
  type ExportWebGeneratorOptions,
  type ExportWebGeneratorResult,
  type WebGeneratorDescriptor,
} from './export/web-export.js';
export {
  importStudioganCheckpoint,
  type ImportedFile,
  type ImportStudioganOptions,
  type ImportStudioganResult,
  type StudioganImportRecord,
  type StudioganImportWhich,
  type StudioganNetwork,
} from './node/studiogan-import.js';
export { TrainingProgress, type ProgressPayload } from './node/progress.js';
export {
  datasetKind,
  evaluationSplit,
  openConfiguredDataset,
  perClassLabels,
  sampleGrid,
  studioGanDatasetName,
  referenceSplit,
  trainingReferenceSplit,
  trainRun,
  type TrainEvaluationSettings,
  type TrainingEvaluation,
  type TrainRunOptions,
  type TrainRunResult,
} from './node/run.js';
export { FID_INCEPTION_WEIGHTS_URL, openEvaluator, referenceFeatures, referenceSet, type Evaluator, type OpenEvaluatorOptions, type ReferenceFeatures, type ReferenceSet } from './node/evaluator.js';
export { describeFolder, FOLDER_IMAGE_SIZES, folderFacts, folderPreset, inferredImageSize, strayColourWarning, type FolderFacts } from './node/folder.js';
export { openTensorBoard, type ScalarWriter } from './node/tensorboard.js';
