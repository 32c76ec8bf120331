/**
 * `reacgan evaluate`: metrics of a checkpoint's generator against a dataset split with @reacgan/metrics,
 * every protocol choice recorded in the result.
 *
 * Feature extractors: `mnist-judge` (this project's MNIST classifier: FID in its feature space, class
 * accuracy; the default for MNIST) or `inception-v3-fid` (pytorch-fid's TF-Inception weights, which the
 * user supplies with --inception-weights: FID, IS with StudioGAN's splits = 1).
 */
import { readFile } from 'node:fs/promises';
import * as data from '@reacgan/data';
import * as metrics from '@reacgan/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { CLASSIFIER_FEATURE_DIM, classifierDefinitionHash, type MnistClassifier } from '../eval/mnist-classifier.js';
import { datasetTransforms } from '../train/pipeline.js';
import { loadOrTrainMnistClassifier } from './cache.js';
import { type LoadedGenerator, sampleLoaded } from './generator.js';
import { datasetKind, evaluationSplit, openConfiguredDataset } from './run.js';

export type ExtractorName = 'mnist-judge' | 'inception-v3-fid';

export interface EvaluateOptions {
  /** Split of the run's dataset used as reference (default: test for MNIST/CIFAR, valid otherwise). */
  split?: data.SplitName;
  /** Generated samples (default: as many as reference images, StudioGAN's protocol). */
  numSamples?: number;
  extractor?: ExtractorName;
  /** pytorch-fid's pt_inception-2015-12-05-6726825d.pth, for inception-v3-fid. */
  inceptionWeights?: string;
  /** 'uint8' quantises images before the extractor (StudioGAN ≥ 2022); default 'none' (v0.3.0). */
  quantize?: 'none' | 'uint8';
  seed?: number;
  truncation?: number | null;
  batchNormStatistics?: 'running' | 'batch';
  /** Images per generator / extractor pass. */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface EvaluationResult {
  checkpoint: string;
  step: number;
  generator: 'ema' | 'G';
  protocol: {
    extractor: string;
    extractorProtocol: unknown;
    referenceDataset: string;
    referenceSplit: string;
    referenceCount: number;
    numGenerated: number;
    labels: 'balanced (class k for samples k·n/C … (k+1)·n/C − 1)';
    batchNormStatistics: 'running' | 'batch';
    truncation: number | null;
    seed: number;
    quantize: 'none' | 'uint8';
    isSplits: number | null;
    fidNote: string;
  };
  metrics: { fid: number; inceptionScore?: { mean: number; std: number; splits: number }; classAccuracy?: number };
  evaluatedAt: string;
  seconds: number;
}

function judgeExtractor(classifier: MnistClassifier): metrics.FeatureExtractor {
  return metrics.featureExtractorFromModel((x: tf.Tensor4D) => classifier.apply(x), {
    name: `reacgan-mnist-judge-${classifierDefinitionHash()}`,
    inputSize: 32,
    inputRange: [-1, 1],
    batchSize: 500,
    weightsHash: classifierDefinitionHash(),
  });
}

/** Evaluates a loaded generator; see the file header. */
export async function evaluateGenerator(loaded: LoadedGenerator, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const t0 = performance.now();
  const config = loaded.config;
  const kind = datasetKind(config.data.name);
  const extractorName: ExtractorName = options.extractor ?? (kind === 'mnist' ? 'mnist-judge' : 'inception-v3-fid');
  const split = options.split ?? evaluationSplit(kind);
  const reference = await openConfiguredDataset(config, split);
  let extractor: metrics.FeatureExtractor;
  let classifier: MnistClassifier | null = null;
  if (extractorName === 'mnist-judge') {
    if (kind !== 'mnist') throw new Error(`--extractor mnist-judge: expected an MNIST run, received data.name '${config.data.name}'`);
    const test = (await openConfiguredDataset(config, 'test')) as data.InMemoryDataset;
    classifier = (await loadOrTrainMnistClassifier(async () => (await openConfiguredDataset(config, 'train')) as data.InMemoryDataset, test, { log: options.log })).classifier;
    extractor = judgeExtractor(classifier);
  } else {
    if (!options.inceptionWeights) {
      throw new Error(
        `--extractor inception-v3-fid needs --inception-weights <file>: pytorch-fid's pt_inception-2015-12-05-6726825d.pth (download it once from pytorch-fid's GitHub releases)`,
      );
    }
    const bytes = await readFile(options.inceptionWeights);
    extractor = await metrics.createInceptionV3FidExtractor({ weights: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), quantize: options.quantize ?? 'none' });
  }
  const batchSize = options.batchSize ?? 100;
  try {
    // Reference features: the split with evaluation transforms (centre crop / resize / pad; no flip).
    const realAcc = new metrics.StatisticsAccumulator({ name: 'reference features' });
    const iterator = data.createBatchIterator(reference, { batchSize, shuffle: false, dropLast: false, transforms: datasetTransforms(config, reference.imageShape, 'eval') });
    for await (const batch of iterator) {
      const x = tf.tensor4d(batch.images, batch.shape);
      const out = await extractor.extract(x, { range: [-1, 1] });
      x.dispose();
      realAcc.add(out);
    }
    const realStats = realAcc.statistics();
    const numGenerated = options.numSamples ?? reference.count;
    const numClasses = config.data.numClasses;
    const labels = new Int32Array(numGenerated);
    for (let k = 0; k < numClasses; k++) labels.fill(k, Math.floor((k * numGenerated) / numClasses), Math.floor(((k + 1) * numGenerated) / numClasses));
    const fakeAcc = new metrics.StatisticsAccumulator({ name: 'generated features' });
    const logits: Float32Array[] = [];
    let logitsDim = 0;
    let correct = 0;
    const rng = new data.Rng(options.seed ?? 0);
    for (let start = 0; start < numGenerated; start += batchSize) {
      const y = labels.subarray(start, Math.min(numGenerated, start + batchSize));
      const images = sampleLoaded(loaded, y, { seed: Number(rng.nextUint32()), truncation: options.truncation ?? null, batchNormStatistics: options.batchNormStatistics });
      const out = await extractor.extract(images, { range: [-1, 1] });
      images.dispose();
      fakeAcc.add(out);
      if (out.logits && out.logitsDim) {
        logits.push(out.logits);
        logitsDim = out.logitsDim;
        if (classifier) {
          for (let i = 0; i < y.length; i++) {
            let arg = 0;
            for (let j = 1; j < out.logitsDim; j++) if (out.logits[i * out.logitsDim + j] > out.logits[i * out.logitsDim + arg]) arg = j;
            if (arg === y[i]) correct++;
          }
        }
      }
    }
    const fakeStats = fakeAcc.statistics();
    const fid = metrics.frechetInceptionDistance(fakeStats, realStats);
    const result: EvaluationResult['metrics'] = { fid };
    let isSplits: number | null = null;
    if (extractorName === 'inception-v3-fid' && logits.length) {
      const all = new Float32Array(logits.reduce((n, l) => n + l.length, 0));
      let o = 0;
      for (const l of logits) {
        all.set(l, o);
        o += l.length;
      }
      isSplits = 1;
      const is = metrics.inceptionScore({ data: all, shape: [all.length / logitsDim, logitsDim] }, { splits: 1, from: 'logits' });
      result.inceptionScore = { mean: is.mean, std: is.std, splits: is.splits };
    }
    if (classifier) result.classAccuracy = correct / numGenerated;
    return {
      checkpoint: loaded.checkpoint,
      step: loaded.step,
      generator: loaded.ema ? 'ema' : 'G',
      protocol: {
        extractor: extractor.name,
        extractorProtocol: extractor.protocol,
        referenceDataset: reference.name,
        referenceSplit: split,
        referenceCount: reference.count,
        numGenerated,
        labels: 'balanced (class k for samples k·n/C … (k+1)·n/C − 1)',
        batchNormStatistics: options.batchNormStatistics ?? (config.run.batchStatistics ? 'batch' : 'running'),
        truncation: options.truncation ?? null,
        seed: options.seed ?? 0,
        quantize: options.quantize ?? 'none',
        isSplits,
        fidNote:
          extractorName === 'mnist-judge'
            ? `FID formula in the ${CLASSIFIER_FEATURE_DIM}-d feature space of this project's MNIST classifier; not Inception FID`
            : 'FID with pytorch-fid\'s TF-Inception weights (StudioGAN v0.3.0 pipeline: float images, bilinear resize to 299)',
      },
      metrics: result,
      evaluatedAt: new Date().toISOString(),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    extractor.dispose();
    classifier?.dispose();
  }
}
