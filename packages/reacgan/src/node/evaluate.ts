/**
 * `reacgan evaluate`: metrics of a checkpoint's generator against a dataset split with @reacgan/metrics,
 * every protocol choice recorded in the result.
 *
 * Feature extractors: `mnist-judge` (this project's MNIST classifier: FID / KID / PRDC in its 128-d feature
 * space, class accuracy; the default for MNIST) or `inception-v3-fid` (pytorch-fid's TF-Inception weights,
 * which the user supplies with --inception-weights: FID, IS with StudioGAN's splits = 1, KID, PRDC on the
 * 2048-d pool features).
 *
 * One extraction pass per image set: the reference split and the generated images are each run through
 * the extractor once; FID uses the streamed float64 statistics, KID and PRDC the same features kept in
 * memory (only when asked for), IS the logits of the same pass.
 */
import { readFile } from 'node:fs/promises';
import * as data from '@reacgan/data';
import * as metrics from '@reacgan/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { CLASSIFIER_FEATURE_DIM, classifierDefinitionHash, type MnistClassifier } from '../eval/mnist-classifier.js';
import { datasetTransforms } from '../train/pipeline.js';
import { loadOrTrainMnistClassifier } from './cache.js';
import { type GenerationStatisticsRequest, type StandingStatisticsRecord, standingStatisticsRecord } from '../train/standing.js';
import { type LoadedGenerator, prepareLoadedGenerator, sampleLoaded } from './generator.js';
import { datasetKind, evaluationSplit, openConfiguredDataset } from './run.js';

export type ExtractorName = 'mnist-judge' | 'inception-v3-fid';

/** Metrics `evaluate` can compute (class accuracy comes with the mnist-judge extractor whatever the list). */
export type EvaluationMetric = 'fid' | 'is' | 'kid' | 'prdc';
export const EVALUATION_METRICS: readonly EvaluationMetric[] = ['fid', 'is', 'kid', 'prdc'];
/**
 * Default metrics: FID and IS (what StudioGAN reports in its tables; IS only where the extractor is
 * Inception). KID and PRDC are opt-in: with 10k samples PRDC holds three 10k×10k float64 distance matrices
 * (2.4 GB) and KID's 100 subsets of 1000 cost 100 × 3 Gram matrices (minutes at d = 2048).
 */
export const DEFAULT_EVALUATION_METRICS: readonly EvaluationMetric[] = ['fid', 'is'];

/** Parses a comma-separated metric list ('fid,is,kid,prdc'; 'all'). @throws Error naming unknown entries. */
export function parseEvaluationMetrics(text: string): EvaluationMetric[] {
  const items = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (items.length === 1 && items[0] === 'all') return [...EVALUATION_METRICS];
  const unknown = items.filter((m) => !(EVALUATION_METRICS as readonly string[]).includes(m));
  if (unknown.length || !items.length) {
    throw new Error(`--metrics: expected a comma-separated subset of ${EVALUATION_METRICS.join(',')} (or 'all'), received '${text}'`);
  }
  return [...new Set(items as EvaluationMetric[])];
}

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
  /**
   * Metrics to compute (default {@link DEFAULT_EVALUATION_METRICS}). 'is' needs the inception-v3-fid
   * extractor: asked for explicitly with mnist-judge it throws; from the default it is skipped (recorded).
   */
  metrics?: readonly EvaluationMetric[];
  /** KID (torch-fidelity defaults: 100 subsets of 1000, cubic kernel γ = 1/d, c = 1, seed 2020). */
  kid?: { subsets?: number; subsetSize?: number; seed?: number };
  /**
   * PRDC (clovaai / StudioGAN: k = 5). Both sets are cut to the same size n = min(reference, generated,
   * `maxSamples`); a set larger than n contributes a seeded random subset of n (seed 2020 unless `seed`).
   */
  prdc?: { nearestK?: number; maxSamples?: number; seed?: number };
  seed?: number;
  truncation?: number | null;
  /**
   * BN statistics of generation: `mode` forces 'running', 'batch' (`--batch-statistics`) or 'standing'
   * (`--standing-statistics`, with `standingStep` / `standingMaxBatch` / `standingSeed` overriding `run.*`);
   * default: the run configuration's mode. Standing statistics are estimated once, in place, on
   * `loaded.generator` (see `prepareLoadedGenerator`).
   */
  statistics?: GenerationStatisticsRequest;
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
    /** Metrics computed, in order. */
    metrics: EvaluationMetric[];
    /** Requested metrics that were not computed, with the reason. */
    skipped: Partial<Record<EvaluationMetric, string>>;
    batchNormStatistics: 'running' | 'batch' | 'standing';
    /** The standing-statistics pass (null unless batchNormStatistics is 'standing'). */
    standingStatistics: StandingStatisticsRecord | null;
    truncation: number | null;
    seed: number;
    quantize: 'none' | 'uint8';
    isSplits: number | null;
    /** KID's protocol (null when not computed). `subsetSizeRequested` appears when the default 1000 was cut to the sample count. */
    kid: (Omit<metrics.KernelInceptionDistanceResult, 'mean' | 'std'> & { subsetSizeRequested?: number }) | null;
    /** PRDC's protocol (null when not computed). */
    prdc: { nearestK: number; realCount: number; fakeCount: number; selection: string; seed: number } | null;
    /** Conditions that make the numbers unreliable (too few samples for FID, classes without samples); empty when none. */
    warnings: string[];
    fidNote: string;
  };
  metrics: {
    fid?: number;
    inceptionScore?: { mean: number; std: number; splits: number };
    kid?: { mean: number; std: number };
    prdc?: { precision: number; recall: number; density: number; coverage: number };
    classAccuracy?: number;
  };
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

/** Row-major float32 rows gathered batch by batch: features when KID or PRDC needs them, logits for IS. */
class RowStore {
  private readonly parts: Float32Array[] = [];
  rows = 0;
  dim = 0;
  /** `data` holds whole rows of `dim` values. */
  add(data: Float32Array, dim: number): void {
    this.parts.push(data);
    this.rows += data.length / dim;
    this.dim = dim;
  }
  matrix(): { data: Float32Array; shape: [number, number] } {
    const all = new Float32Array(this.rows * this.dim);
    let o = 0;
    for (const p of this.parts) {
      all.set(p, o);
      o += p.length;
    }
    return { data: all, shape: [this.rows, this.dim] };
  }
}

/** `n` rows of `m` (all of them in order when n equals its row count, else a seeded random subset in ascending order). */
function selectRows(m: { data: Float32Array; shape: [number, number] }, n: number, rng: metrics.MetricRng): { data: Float32Array; shape: [number, number] } {
  const [rows, dim] = m.shape;
  if (n >= rows) return m;
  const picked = Array.from(rng.sampleWithoutReplacement(rows, n)).sort((a, b) => a - b);
  const out = new Float32Array(n * dim);
  picked.forEach((r, i) => out.set(m.data.subarray(r * dim, (r + 1) * dim), i * dim));
  return { data: out, shape: [n, dim] };
}

/** Evaluates a loaded generator; see the file header. */
export async function evaluateGenerator(loaded: LoadedGenerator, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const t0 = performance.now();
  const config = loaded.config;
  const log = options.log ?? (() => undefined);
  const kind = datasetKind(config.data.name);
  const extractorName: ExtractorName = options.extractor ?? (kind === 'mnist' ? 'mnist-judge' : 'inception-v3-fid');
  const requested = options.metrics ? [...new Set(options.metrics)] : [...DEFAULT_EVALUATION_METRICS];
  for (const m of requested) if (!(EVALUATION_METRICS as readonly string[]).includes(m)) throw new Error(`evaluateGenerator: metrics must be a subset of ${EVALUATION_METRICS.join(', ')}, received '${String(m)}'`);
  const skipped: EvaluationResult['protocol']['skipped'] = {};
  const selected = requested.filter((m) => {
    if (m !== 'is' || extractorName === 'inception-v3-fid') return true;
    const reason = 'Inception Score needs the inception-v3-fid extractor (the mnist-judge is not Inception; its class accuracy is reported instead)';
    if (options.metrics) throw new Error(`--metrics is: ${reason}; drop 'is' or pass --extractor inception-v3-fid`);
    skipped.is = reason;
    return false;
  });
  const wantFid = selected.includes('fid');
  const wantIs = selected.includes('is');
  const wantKid = selected.includes('kid');
  const wantPrdc = selected.includes('prdc');
  const keepFeatures = wantKid || wantPrdc;
  const kidOptions = options.kid ?? {};
  const prdcOptions = options.prdc ?? {};
  if (prdcOptions.nearestK !== undefined && (!Number.isInteger(prdcOptions.nearestK) || prdcOptions.nearestK < 1)) {
    throw new Error(`--prdc-k: expected a positive integer, received ${String(prdcOptions.nearestK)}`);
  }
  if (prdcOptions.maxSamples !== undefined && (!Number.isInteger(prdcOptions.maxSamples) || prdcOptions.maxSamples < 2)) {
    throw new Error(`--prdc-samples: expected an integer ≥ 2, received ${String(prdcOptions.maxSamples)}`);
  }
  if (options.numSamples !== undefined && (!Number.isInteger(options.numSamples) || options.numSamples < 2)) {
    throw new Error(`--num-samples: expected an integer ≥ 2, received ${String(options.numSamples)}`);
  }

  // BN statistics before anything expensive (a contradictory request fails at once).
  const statistics = prepareLoadedGenerator(loaded, options.statistics);
  const bnMode = statistics.mode;
  if (statistics.standing) log(`standing statistics: ${statistics.standing.steps} passes of batches up to ${statistics.standing.maxBatch} (seed ${statistics.standing.seed})`);

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
    const realStore = keepFeatures ? new RowStore() : null;
    const iterator = data.createBatchIterator(reference, { batchSize, shuffle: false, dropLast: false, transforms: datasetTransforms(config, reference.imageShape, 'eval') });
    for await (const batch of iterator) {
      const x = tf.tensor4d(batch.images, batch.shape);
      const out = await extractor.extract(x, { range: [-1, 1] });
      x.dispose();
      realAcc.add(out);
      realStore?.add(out.features, out.dim);
    }
    const numGenerated = options.numSamples ?? reference.count;
    const numClasses = config.data.numClasses;
    const labels = new Int32Array(numGenerated);
    for (let k = 0; k < numClasses; k++) labels.fill(k, Math.floor((k * numGenerated) / numClasses), Math.floor(((k + 1) * numGenerated) / numClasses));
    const fakeAcc = new metrics.StatisticsAccumulator({ name: 'generated features' });
    const fakeStore = keepFeatures ? new RowStore() : null;
    const logits = new RowStore();
    let featureDim = 0;
    let correct = 0;
    const rng = new data.Rng(options.seed ?? 0);
    const generateMode = bnMode === 'batch' ? 'batch' : 'running';
    for (let start = 0; start < numGenerated; start += batchSize) {
      const y = labels.subarray(start, Math.min(numGenerated, start + batchSize));
      const images = sampleLoaded(loaded, y, { seed: Number(rng.nextUint32()), truncation: options.truncation ?? null, batchNormStatistics: generateMode });
      const out = await extractor.extract(images, { range: [-1, 1] });
      images.dispose();
      featureDim = out.dim;
      fakeAcc.add(out);
      fakeStore?.add(out.features, out.dim);
      if (out.logits && out.logitsDim) {
        if (wantIs) logits.add(out.logits, out.logitsDim);
        if (classifier) {
          for (let i = 0; i < y.length; i++) {
            let arg = 0;
            for (let j = 1; j < out.logitsDim; j++) if (out.logits[i * out.logitsDim + j] > out.logits[i * out.logitsDim + arg]) arg = j;
            if (arg === y[i]) correct++;
          }
        }
      }
    }
    const warnings: string[] = [];
    if (wantFid && numGenerated <= featureDim) {
      warnings.push(`FID from ${numGenerated} generated samples in a ${featureDim}-d feature space: the sample covariance is singular and FID is strongly biased upward; use well above ${featureDim} samples (the usual protocol: as many as the reference split)`);
    }
    if (numGenerated < numClasses) warnings.push(`${numGenerated} generated samples for ${numClasses} classes: some classes have no sample`);
    for (const w of warnings) log(`warning: ${w}`);
    const result: EvaluationResult['metrics'] = {};
    if (wantFid) result.fid = metrics.frechetInceptionDistance(fakeAcc.statistics(), realAcc.statistics());
    let isSplits: number | null = null;
    if (wantIs && logits.rows > 0) {
      isSplits = 1;
      const is = metrics.inceptionScore(logits.matrix(), { splits: 1, from: 'logits' });
      result.inceptionScore = { mean: is.mean, std: is.std, splits: is.splits };
    }
    let kidProtocol: EvaluationResult['protocol']['kid'] = null;
    let prdcProtocol: EvaluationResult['protocol']['prdc'] = null;
    const realFeatures = realStore?.matrix();
    const fakeFeatures = fakeStore?.matrix();
    if (wantKid && realFeatures && fakeFeatures) {
      const smallest = Math.min(realFeatures.shape[0], fakeFeatures.shape[0]);
      let subsetSize = kidOptions.subsetSize ?? 1000;
      let subsetSizeRequested: number | undefined;
      if (kidOptions.subsetSize === undefined && subsetSize > smallest) {
        subsetSizeRequested = subsetSize;
        subsetSize = smallest;
        log(`KID: subset size cut from the default 1000 to ${smallest} (the smaller sample count)`);
      }
      const tk = performance.now();
      const kid = metrics.kernelInceptionDistance(fakeFeatures, realFeatures, { subsets: kidOptions.subsets ?? 100, subsetSize, seed: kidOptions.seed ?? 2020 });
      log(`KID: ${kid.subsets} subsets of ${kid.subsetSize} in ${((performance.now() - tk) / 1000).toFixed(1)} s`);
      const { mean, std, ...protocol } = kid;
      result.kid = { mean, std };
      kidProtocol = { ...protocol, ...(subsetSizeRequested !== undefined ? { subsetSizeRequested } : {}) };
    }
    if (wantPrdc && realFeatures && fakeFeatures) {
      const seed = prdcOptions.seed ?? 2020;
      const n = Math.min(realFeatures.shape[0], fakeFeatures.shape[0], prdcOptions.maxSamples ?? Infinity);
      const prng = new metrics.MetricRng(seed);
      const realSel = selectRows(realFeatures, n, prng);
      const fakeSel = selectRows(fakeFeatures, n, prng);
      const tp = performance.now();
      const prdc = metrics.precisionRecallDensityCoverage(realSel, fakeSel, { nearestK: prdcOptions.nearestK ?? 5 });
      log(`PRDC: ${n} real × ${n} generated, k = ${prdc.nearestK}, in ${((performance.now() - tp) / 1000).toFixed(1)} s`);
      result.prdc = { precision: prdc.precision, recall: prdc.recall, density: prdc.density, coverage: prdc.coverage };
      prdcProtocol = {
        nearestK: prdc.nearestK,
        realCount: prdc.realCount,
        fakeCount: prdc.fakeCount,
        selection: 'each set cut to n = min(reference, generated, maxSamples): all rows when a set has n, else a seeded random subset of n (MetricRng)',
        seed,
      };
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
        metrics: selected,
        skipped,
        batchNormStatistics: bnMode,
        standingStatistics: statistics.standing ? standingStatisticsRecord(statistics.standing) : null,
        truncation: options.truncation ?? null,
        seed: options.seed ?? 0,
        quantize: options.quantize ?? 'none',
        isSplits,
        kid: kidProtocol,
        prdc: prdcProtocol,
        warnings,
        fidNote:
          extractorName === 'mnist-judge'
            ? `FID (and KID / PRDC) in the ${CLASSIFIER_FEATURE_DIM}-d feature space of this project's MNIST classifier; not Inception FID`
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
