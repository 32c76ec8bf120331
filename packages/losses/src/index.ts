/**
 * @reacgan/losses — the losses of ReACGAN and its StudioGAN relatives for TensorFlow.js.
 * Pure tensor functions; the only (peer) dependency is @tensorflow/tfjs-core. Every loss returns a
 * float32 scalar (batch mean), leaves no tensors behind and validates its arguments.
 */
export { version } from './version.js';

export {
  data2DataCrossEntropyLoss,
  D2DCE_VARIANTS,
  type ContrastiveInputs,
  type D2DCEOptions,
  type D2DCEVariant,
  type Reduction,
} from './d2dce.js';
export { conditionalContrastiveLoss, type ConditionalContrastiveOptions } from './contrastive.js';
export {
  crossEntropyLoss,
  crammerSingerLoss,
  multiHingeDiscriminatorLoss,
  multiHingeGeneratorLoss,
  type ClassificationLossOptions,
} from './classification.js';
export {
  adversarialLoss,
  ADVERSARIAL_LOSS_NAMES,
  discriminatorHingeLoss,
  generatorHingeLoss,
  discriminatorLogisticLoss,
  generatorLogisticLoss,
  discriminatorLeastSquaresLoss,
  generatorLeastSquaresLoss,
  discriminatorWassersteinLoss,
  generatorWassersteinLoss,
  type AdversarialLoss,
  type AdversarialLossKind,
  type AdversarialLossName,
  type DiscriminatorLossFn,
  type GeneratorLossFn,
} from './adversarial.js';
export {
  cosineSimilarity,
  cosineSimilarityMatrix,
  maskedLogSumExp,
  maskedSoftmax,
  negativePairMask,
  positivePairMask,
  stopGradient,
} from './similarity.js';
export {
  classifierGradientDiagnostics,
  d2dceDiagnostics,
  meanAndStd,
  type ClassifierGradientDiagnostics,
  type ClassifierGradientInputs,
  type D2DCEDiagnostics,
  type D2DCEDiagnosticsOptions,
} from './diagnostics.js';
export { consistencyLoss, gradientPenalty, lecamRegularizer, r1Penalty } from './regularizers.js';
export type { LabelsLike } from './validate.js';
