/**
 * Judging a class-conditional generator with an independent judge classifier (MNIST, CIFAR-10): class
 * accuracy of generated samples (does a "3" look like a 3 to a network that never saw the GAN?) and the
 * Fréchet distance between generated and real test features in that classifier's feature space.
 *
 * The distance is computed with the FID formula (@reacgan/metrics), but it is NOT the Inception FID of the
 * literature: the features come from this project's small classifier, so its values are only comparable with
 * other numbers computed the same way (same classifier definition hash, same sample counts).
 */
import * as metrics from '@reacgan/metrics';
import type * as tf from '@tensorflow/tfjs-core';
import { type JudgeClassifier, judgeDefinitionHash } from './judge-classifier.js';

export interface JudgeResult {
  /** Generated samples judged (perClass × numClasses). */
  numSamples: number;
  perClass: number;
  /** Fraction of generated samples classified as the class they were generated for, in [0, 1]. */
  classAccuracy: number;
  /** Per class k: fraction of the samples generated for k classified as k. */
  perClassAccuracy: number[];
  /** confusion[k][j]: samples generated for class k and classified as j. */
  confusion: number[][];
  /** Fréchet distance in the classifier's feature space between generated samples and the reference set. */
  fid: number;
  /** Mean max softmax probability of the generated samples (the judge's confidence), in [0, 1]. */
  meanConfidence: number;
  /** What `fid` is, in words (for reports). */
  fidDescription: string;
  referenceCount: number;
  classifierTestAccuracy: number;
  classifierHash: string;
}

/**
 * Generates `perClass` samples of every class with `generate` (labels 0…C−1 repeated, class-major),
 * classifies them and computes the Fréchet distance to `reference` statistics (the test split's features).
 */
export async function judgeGenerator(
  generate: (labels: Int32Array) => tf.Tensor4D,
  classifier: JudgeClassifier,
  reference: metrics.FeatureStatistics,
  options: { perClass?: number; numClasses?: number; /** What the reference statistics are of (default 'test images'). */ referenceName?: string } = {},
): Promise<JudgeResult> {
  const perClass = options.perClass ?? 100;
  const numClasses = options.numClasses ?? 10;
  const labels = new Int32Array(perClass * numClasses);
  for (let k = 0; k < numClasses; k++) labels.fill(k, k * perClass, (k + 1) * perClass);
  const images = generate(labels);
  let out: Awaited<ReturnType<JudgeClassifier['classify']>>;
  try {
    out = await classifier.classify(images);
  } finally {
    images.dispose();
  }
  const k = classifier.numClasses;
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let confidence = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = out.predictions[i];
    confusion[labels[i]][p] += 1;
    if (p === labels[i]) correct++;
    let max = 0;
    for (let j = 0; j < k; j++) max = Math.max(max, out.probabilities[i * k + j]);
    confidence += max;
  }
  const stats = metrics.featuresToStatistics({ features: out.features, dim: classifier.featureDim });
  const hash = judgeDefinitionHash(classifier.definition);
  const what = classifier.definition.name.replace(/^reacgan-(.*)-classifier$/, '$1').toUpperCase();
  const fid = metrics.frechetInceptionDistance(stats, reference);
  return {
    numSamples: labels.length,
    perClass,
    classAccuracy: correct / labels.length,
    perClassAccuracy: confusion.map((row, k) => row[k] / perClass),
    confusion,
    fid,
    meanConfidence: confidence / labels.length,
    fidDescription: `Fréchet distance in the ${classifier.featureDim}-d feature space of this project's ${what} classifier (${hash}), ${labels.length} generated vs ${reference.count} ${options.referenceName ?? `${what} test images`}; not Inception FID`,
    referenceCount: reference.count,
    classifierTestAccuracy: classifier.testAccuracy,
    classifierHash: hash,
  };
}
