/**
 * `reacgan evaluate`: metrics of generated images against a reference set with @reacgan/metrics, every
 * protocol choice recorded in the result. The generated images come from a checkpoint's generator
 * ({@link evaluateGenerator}) or from a folder of image files made anywhere ({@link evaluateImages}); the
 * reference is a dataset split (the run's, or `dataset` / `root` / `split`), e.g. another image folder.
 *
 * Feature extractors (see `evaluator.ts`): `mnist-judge` (this project's MNIST classifier: FID / KID / PRDC /
 * intra-class FID in its 128-d feature space, class accuracy; the default for MNIST references) or
 * `inception-v3-fid` (pytorch-fid's TF-Inception weights: FID, IS with StudioGAN's splits = 1, KID, PRDC and
 * intra-class FID on the 2048-d pool features).
 *
 * One extraction pass per image set: the reference (its statistics come from @reacgan/metrics' cache after the
 * first time) and the generated images are each run through the extractor once; FID and intra-class FID use the
 * streamed float64 statistics, KID and PRDC the features kept in memory (only when asked for), IS the logits of
 * the same pass.
 */
import { readdir } from 'node:fs/promises';
import { extname, resolve as resolvePath } from 'node:path';
import * as data from '@reacgan/data';
import * as dataNode from '@reacgan/data/node';
import * as metrics from '@reacgan/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { type GenerationStatisticsRequest, type StandingStatisticsRecord, standingStatisticsRecord } from '../train/standing.js';
import { datasetTransforms } from '../train/pipeline.js';
import { assertJudgeDataUsed, classStatistics, type Evaluator, type ExtractorName, JUDGE_EXTRACTORS, judgeDataOptions, openEvaluator, referenceFeatures, referenceSet, type ReferenceSet } from './evaluator.js';
import { classFolderNames, type LoadedGenerator, prepareLoadedGenerator, sampleLoaded } from './generator.js';
import { datasetKind, referenceSplit } from './run.js';

export { EXTRACTOR_NAMES, type ExtractorName } from './evaluator.js';

/** Metrics `evaluate` can compute (class accuracy comes with the mnist-judge extractor whatever the list). */
export type EvaluationMetric = 'fid' | 'is' | 'kid' | 'prdc' | 'ifid';
export const EVALUATION_METRICS: readonly EvaluationMetric[] = ['fid', 'is', 'kid', 'prdc', 'ifid'];
/**
 * Default metrics: FID and IS (what StudioGAN reports in its tables; IS only where the extractor is
 * Inception). KID, PRDC and intra-class FID are opt-in: with 10k samples PRDC holds three 10k×10k float64
 * distance matrices (2.4 GB) and KID's 100 subsets of 1000 cost 100 × 3 Gram matrices (minutes at d = 2048).
 */
export const DEFAULT_EVALUATION_METRICS: readonly EvaluationMetric[] = ['fid', 'is'];

/**
 * Parses a comma-separated metric list ('fid,is,kid,prdc,ifid'), or 'all': every metric the extractor and the
 * images allow (IS needs Inception; intra-class FID needs class labels), the others recorded as skipped.
 * @throws Error naming unknown entries.
 */
export function parseEvaluationMetrics(text: string): EvaluationMetric[] | 'all' {
  const items = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (items.length === 1 && items[0] === 'all') return 'all';
  const unknown = items.filter((m) => !(EVALUATION_METRICS as readonly string[]).includes(m));
  if (unknown.length || !items.length) {
    throw new Error(`--metrics: expected a comma-separated subset of ${EVALUATION_METRICS.join(',')} (or 'all'), received '${text}'`);
  }
  return [...new Set(items as EvaluationMetric[])];
}

export interface EvaluateOptions {
  /** Reference loader (default: the run's dataset). */
  dataset?: data.DatasetName;
  /** Reference root (default: the run's data.root, or the loader's own location). */
  root?: string;
  /** Reference split (default: test for MNIST/CIFAR, valid (else test) for split folders, the folder itself for one-split folders). */
  split?: data.SplitName;
  /** Generated samples (default: as many as reference images, StudioGAN's protocol). Generator only. */
  numSamples?: number;
  /**
   * Spectral norm while generating: 'fixed' (default: the stored u, v) or 'iterate' (StudioGAN's sampling, one
   * power iteration per forward pass). Generator only; recorded in `protocol.spectralNorm`.
   */
  spectralNorm?: 'iterate' | 'fixed';
  /** Default: mnist-judge for an MNIST reference, else inception-v3-fid. */
  extractor?: ExtractorName;
  /** pytorch-fid's pt_inception-2015-12-05-6726825d.pth, for inception-v3-fid (default: @reacgan/metrics' cache folder). */
  inceptionWeights?: string;
  /** Use an Inception weights file that is not pytorch-fid's (hash recorded). */
  allowUnverifiedWeights?: boolean;
  /**
   * CIFAR-10 for the `cifar10-judge`, read only when the judge is not cached yet (to train it); default: the
   * reference's root when the reference is CIFAR-10, else @reacgan/data's dataset cache (`$REACGAN_DATA_DIR`).
   */
  judgeData?: string;
  /** 'uint8' quantises images before the extractor (StudioGAN ≥ 2022); default 'none' (v0.3.0). */
  quantize?: 'none' | 'uint8';
  /**
   * Metrics to compute (default {@link DEFAULT_EVALUATION_METRICS}), or 'all' (what the extractor and labels
   * allow). 'is' needs inception-v3-fid and 'ifid' class labels: asked for explicitly without them it throws;
   * from the default or 'all' they are skipped (recorded).
   */
  metrics?: readonly EvaluationMetric[] | 'all';
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
  /** Reference statistics through @reacgan/metrics' cache (default true; false = `--no-cache`). */
  cache?: boolean;
  /** Unreadable image files: 'error' (default) or 'skip'. */
  onBadFile?: 'error' | 'skip';
  /** Evaluation size for `evaluateImages` (default: the most frequent size of the generated images). */
  imgSize?: number;
  /** Images per generator / extractor pass. */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface EvaluationResult {
  /** The checkpoint evaluated (null for a folder of images). */
  checkpoint: string | null;
  step: number | null;
  generator: 'ema' | 'G' | null;
  /** Where the generated images came from. */
  generated: { source: 'generator' } | { source: 'images'; folder: string; count: number; labelled: boolean; classNames: string[] | null };
  protocol: {
    extractor: string;
    extractorProtocol: unknown;
    /** The extractor's weights: file, SHA-256, and whether it is the published file (pytorch-fid's for Inception). */
    weights: { file: string | null; sha256: string; verified: boolean };
    referenceDataset: string;
    referenceSplit: string;
    referenceCount: number;
    /** The reference statistics: from the cache ('hit'), computed and stored ('miss'), '--no-cache' ('off'), or not cacheable because KID / PRDC need the features ('bypassed'); and the full key. */
    referenceCache: { state: 'hit' | 'miss' | 'off' | 'bypassed'; file: string | null; key: metrics.StatisticsCacheKey; seconds: number };
    /** Size every image (reference and generated) is brought to before the extractor, [S, S, C]. */
    imageShape: [number, number, number];
    numGenerated: number;
    labels: string;
    /** Metrics computed, in order. */
    metrics: EvaluationMetric[];
    /** Requested metrics that were not computed, with the reason. */
    skipped: Partial<Record<EvaluationMetric, string>>;
    batchNormStatistics: 'running' | 'batch' | 'standing' | null;
    /** Spectral norm while generating: 'fixed' (stored u, v) or 'iterate' (StudioGAN's sampling); null for a folder of images. */
    spectralNorm: 'iterate' | 'fixed' | null;
    /** The standing-statistics pass (null unless batchNormStatistics is 'standing'). */
    standingStatistics: StandingStatisticsRecord | null;
    truncation: number | null;
    seed: number | null;
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
    /** Intra-class FID (Miyato & Koyama 2018): FID per class, and their mean. */
    ifid?: { mean: number; perClass: { class: string; index: number; fid: number; realCount: number; fakeCount: number }[] };
    classAccuracy?: number;
  };
  evaluatedAt: string;
  seconds: number;
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

function validateOptions(options: EvaluateOptions): void {
  const prdc = options.prdc ?? {};
  if (prdc.nearestK !== undefined && (!Number.isInteger(prdc.nearestK) || prdc.nearestK < 1)) throw new Error(`--prdc-k: expected a positive integer, received ${String(prdc.nearestK)}`);
  if (prdc.maxSamples !== undefined && (!Number.isInteger(prdc.maxSamples) || prdc.maxSamples < 2)) throw new Error(`--prdc-samples: expected an integer ≥ 2, received ${String(prdc.maxSamples)}`);
  if (options.numSamples !== undefined && (!Number.isInteger(options.numSamples) || options.numSamples < 2)) {
    throw new Error(`--num-samples: expected an integer ≥ 2, received ${String(options.numSamples)}`);
  }
  if (options.spectralNorm !== undefined && options.spectralNorm !== 'iterate' && options.spectralNorm !== 'fixed') {
    throw new Error(`--spectral-norm: expected 'iterate' or 'fixed', received ${String(options.spectralNorm)}`);
  }
  if (options.metrics !== undefined && options.metrics !== 'all') {
    for (const m of options.metrics) if (!(EVALUATION_METRICS as readonly string[]).includes(m)) throw new Error(`--metrics: expected a subset of ${EVALUATION_METRICS.join(', ')}, received '${String(m)}'`);
  }
}

/** Which metrics to compute for an extractor, and why the others are not. @throws for an explicit request that cannot be met. */
function selectMetrics(requested: EvaluateOptions['metrics'], extractor: ExtractorName, labelled: boolean): { selected: EvaluationMetric[]; skipped: EvaluationResult['protocol']['skipped'] } {
  const explicit = Array.isArray(requested);
  const list = requested === 'all' ? [...EVALUATION_METRICS] : requested ? [...new Set(requested)] : [...DEFAULT_EVALUATION_METRICS];
  const skipped: EvaluationResult['protocol']['skipped'] = {};
  const reasons: Partial<Record<EvaluationMetric, [string, string] | null>> = {
    is: extractor === 'inception-v3-fid' ? null : ['Inception Score needs the inception-v3-fid extractor (the judges are not Inception; their class accuracy is reported instead)', "drop 'is' or pass --extractor inception-v3-fid"],
    ifid: labelled ? null : ['intra-class FID needs the class of every generated image (class subfolders named like the reference classes)', "drop 'ifid', or put the images in class subfolders (as reacgan sample --per-class writes them)"],
  };
  const selected = list.filter((m) => {
    const reason = reasons[m];
    if (!reason) return true;
    if (explicit) throw new Error(`--metrics ${m}: ${reason[0]}; ${reason[1]}`);
    skipped[m] = reason[0];
    return false;
  });
  return { selected, skipped };
}

/** One batch of generated images (NHWC in [−1, 1]; disposed by the consumer) with reference-class labels, or null labels. */
interface GeneratedBatch {
  images: tf.Tensor4D;
  labels: Int32Array | null;
}

/**
 * Opens the reference split: `options.dataset/root/split`, else the run's dataset. Image files are read with
 * `channels` (default 3) and only their headers checked up front (every image is decoded once, for the statistics).
 */
async function openReference(
  options: EvaluateOptions,
  fallback: { kind: data.DatasetName; root: string | null } | null,
  channels: 1 | 3 = 3,
): Promise<{ dataset: data.Dataset; kind: data.DatasetName; split: data.SplitName; root: string | null }> {
  const kind = options.dataset ?? fallback?.kind;
  if (!kind) throw new Error('--images: the generated images need a reference: --dataset <name> (and --root <dir> for your own data; --dataset folder --root <dir> for another folder of images)');
  const root = options.root !== undefined ? resolvePath(options.root) : options.dataset === undefined || options.dataset === fallback?.kind ? (fallback?.root ?? null) : null;
  if (kind === 'folder' && !root) throw new Error("--root: the reference dataset 'folder' needs --root <dir>");
  const split = options.split ?? (await referenceSplit(kind, root));
  const dataset = await dataNode.openDataset({
    dataset: kind,
    split,
    ...(root ? { root } : {}),
    ...(options.onBadFile ? { onBadFile: options.onBadFile } : {}),
    ...(kind === 'folder' || kind === 'tiny-imagenet' ? { verify: 'header' as const, channels } : {}),
    onWarning: options.log,
  });
  return { dataset, kind, split, root };
}

/** Evaluates a loaded generator against its run's dataset (or `options.dataset/root/split`); see the file header. */
export async function evaluateGenerator(loaded: LoadedGenerator, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  validateOptions(options);
  const config = loaded.config;
  const log = options.log ?? (() => undefined);
  // BN statistics before anything expensive (a contradictory request fails at once).
  const statistics = prepareLoadedGenerator(loaded, options.statistics);
  if (statistics.standing) log(`standing statistics: ${statistics.standing.steps} passes of batches up to ${statistics.standing.maxBatch} (seed ${statistics.standing.seed})`);
  const opened = await openReference(options, { kind: datasetKind(config.data.name), root: config.data.root === null ? null : resolvePath(config.data.root) }, config.data.imgChannels);
  const reference = referenceSet(opened.dataset, opened.kind, opened.split, config, opened.root);
  if (reference.dataset.numClasses !== config.data.numClasses) {
    throw new Error(`reference ${reference.dataset.name}: expected ${config.data.numClasses} classes (the generator's data.numClasses), received ${reference.dataset.numClasses}`);
  }
  const numGenerated = options.numSamples ?? reference.dataset.count;
  const numClasses = config.data.numClasses;
  const labels = new Int32Array(numGenerated);
  for (let k = 0; k < numClasses; k++) labels.fill(k, Math.floor((k * numGenerated) / numClasses), Math.floor(((k + 1) * numGenerated) / numClasses));
  const batchSize = options.batchSize ?? 100;
  const rng = new data.Rng(options.seed ?? 0);
  const generateMode = statistics.mode === 'batch' ? 'batch' : 'running';
  async function* batches(): AsyncGenerator<GeneratedBatch> {
    for (let start = 0; start < numGenerated; start += batchSize) {
      const y = labels.slice(start, Math.min(numGenerated, start + batchSize));
      yield { images: sampleLoaded(loaded, y, { seed: Number(rng.nextUint32()), truncation: options.truncation ?? null, batchNormStatistics: generateMode, spectralNorm: options.spectralNorm }), labels: y };
    }
  }
  const warnings: string[] = [];
  if (numGenerated < numClasses) warnings.push(`${numGenerated} generated samples for ${numClasses} classes: some classes have no sample`);
  return evaluateSets(reference, batches(), numGenerated, true, options, {
    checkpoint: loaded.checkpoint,
    step: loaded.step,
    generator: loaded.ema ? 'ema' : 'G',
    generated: { source: 'generator' },
    labelsText: 'balanced (class k for samples k·n/C … (k+1)·n/C − 1)',
    batchNormStatistics: statistics.mode,
    spectralNorm: options.spectralNorm ?? 'fixed',
    standingStatistics: statistics.standing ? standingStatisticsRecord(statistics.standing) : null,
    truncation: options.truncation ?? null,
    seed: options.seed ?? 0,
    warnings,
  });
}

/**
 * Evaluates a folder of generated images (PNG, JPEG, … from anywhere) against a reference set. Images in class
 * subfolders (`<folder>/<class name>/<image>`, as `reacgan sample --per-class` writes them) are labelled by
 * their folder's name, matched to the reference's class names (intra-class FID, class accuracy); images lying
 * directly in the folder are unlabelled. Every image is brought to the evaluation size (`options.imgSize`, else
 * the most frequent size among the generated images) and the reference's channels as training would (pad, or
 * crop to a square and resize).
 */
export async function evaluateImages(folder: string, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  validateOptions(options);
  const root = resolvePath(folder);
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`--images ${folder}: cannot read the folder (${error.code ?? error.message})`);
  });
  const labelled = !entries.some((e) => e.isFile() && dataNode.IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()));
  const open = { root, verify: 'header' as const, ...(options.onBadFile ? { onBadFile: options.onBadFile } : {}), onWarning: options.log };
  // The reference first: its channels decide how the images are read (luma against a greyscale reference).
  const opened = await openReference(options, null);
  const channels: 1 | 3 = opened.dataset.imageShape[2] === 1 ? 1 : 3;
  const images = labelled ? await dataNode.loadImageFolder({ ...open, channels }) : await dataNode.loadImageFiles({ ...open, channels });
  const [most] = images.imageSizes;
  const size = options.imgSize ?? Math.min(most.height, most.width);
  const settings = { data: { imgSize: size, imgChannels: channels }, pre: { applyRflip: false } };
  const reference = referenceSet(opened.dataset, opened.kind, opened.split, settings, opened.root);
  // Class folders match the reference classes by name, or by the folder name `sample --per-class` gives them.
  const refIndex = new Map([...classFolderNames(reference.dataset.classNames).map((name, k) => [name, k] as const), ...reference.dataset.classNames.map((name, k) => [name, k] as const)]);
  let toReference: Int32Array | null = null;
  if (labelled) {
    const unknown = images.classNames.filter((n) => !refIndex.has(n));
    if (unknown.length) {
      throw new Error(
        `--images ${folder}: class folders ${unknown.map((n) => JSON.stringify(n)).join(', ')} are not classes of the reference ${reference.dataset.name} (${reference.dataset.classNames.map((n) => JSON.stringify(n)).join(', ')}); name the folders by class name`,
      );
    }
    toReference = Int32Array.from(images.classNames, (n) => refIndex.get(n)!);
  }
  const iterator = data.createBatchIterator(images, { batchSize: options.batchSize ?? 100, shuffle: false, dropLast: false, transforms: datasetTransforms(settings, images, 'eval') });
  async function* batches(): AsyncGenerator<GeneratedBatch> {
    for await (const batch of iterator) {
      yield { images: tf.tensor4d(batch.images, batch.shape), labels: toReference ? batch.labels.map((l) => toReference![l]) : null };
    }
  }
  const warnings: string[] = [];
  if (labelled) {
    const missing = reference.dataset.classNames.filter((n) => !images.classNames.includes(n));
    if (missing.length) warnings.push(`no generated images of class(es) ${missing.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return evaluateSets(reference, batches(), images.count, labelled, options, {
    checkpoint: null,
    step: null,
    generator: null,
    generated: { source: 'images', folder: root, count: images.count, labelled, classNames: labelled ? [...images.classNames] : null },
    labelsText: labelled ? 'from the class subfolders, matched to the reference classes by name' : 'none (images directly in the folder)',
    batchNormStatistics: null,
    spectralNorm: null,
    standingStatistics: null,
    truncation: null,
    seed: null,
    warnings,
  });
}

interface SetsInfo {
  checkpoint: string | null;
  step: number | null;
  generator: 'ema' | 'G' | null;
  generated: EvaluationResult['generated'];
  labelsText: string;
  batchNormStatistics: EvaluationResult['protocol']['batchNormStatistics'];
  spectralNorm: EvaluationResult['protocol']['spectralNorm'];
  standingStatistics: StandingStatisticsRecord | null;
  truncation: number | null;
  seed: number | null;
  warnings: string[];
}

async function evaluateSets(reference: ReferenceSet, generated: AsyncIterable<GeneratedBatch>, numGenerated: number, labelled: boolean, options: EvaluateOptions, info: SetsInfo): Promise<EvaluationResult> {
  const t0 = performance.now();
  const log = options.log ?? (() => undefined);
  const extractorName: ExtractorName = options.extractor ?? JUDGE_EXTRACTORS[reference.kind] ?? 'inception-v3-fid';
  assertJudgeDataUsed(options.judgeData, extractorName, options.extractor ? '--extractor' : `the default for a ${reference.kind} reference`);
  const { selected, skipped } = selectMetrics(options.metrics, extractorName, labelled);
  const want = (m: EvaluationMetric) => selected.includes(m);
  const keepFeatures = want('kid') || want('prdc');
  const kidOptions = options.kid ?? {};
  const prdcOptions = options.prdc ?? {};
  const evaluator: Evaluator = await openEvaluator(extractorName, {
    inceptionWeights: options.inceptionWeights,
    allowUnverifiedWeights: options.allowUnverifiedWeights,
    quantize: options.quantize,
    log: options.log,
    ...judgeDataOptions(options.judgeData, reference.kind, reference.root, 'the reference CIFAR-10 (--root)'),
  });
  try {
    const real = await referenceFeatures(evaluator, reference, { perClass: want('ifid'), keepFeatures, cache: options.cache === false ? null : undefined, batchSize: options.batchSize, log });
    log(`reference statistics: ${real.cache} in ${real.seconds.toFixed(2)} s`);
    const numClasses = reference.dataset.numClasses;
    const fakeAcc = new metrics.StatisticsAccumulator({ name: 'generated features' });
    const fakeByClass = want('ifid') ? new metrics.ClassConditionalStatisticsAccumulator(numClasses, { name: 'generated features' }) : null;
    const fakeStore = keepFeatures ? new RowStore() : null;
    const logits = new RowStore();
    // Class accuracy: a judge's outputs are its dataset's classes; other references have other classes.
    const judgeClasses = evaluator.classNames !== null && labelled && sameNames(reference.dataset.classNames, evaluator.classNames);
    let featureDim = 0;
    let correct = 0;
    let count = 0;
    for await (const { images, labels } of generated) {
      const out = await evaluator.extractor.extract(images, { range: [-1, 1] });
      images.dispose();
      featureDim = out.dim;
      count += out.count;
      fakeAcc.add(out);
      if (fakeByClass && labels) fakeByClass.add(out, labels);
      fakeStore?.add(out.features, out.dim);
      if (out.logits && out.logitsDim) {
        if (want('is')) logits.add(out.logits, out.logitsDim);
        if (judgeClasses && labels) {
          for (let i = 0; i < labels.length; i++) {
            let arg = 0;
            for (let j = 1; j < out.logitsDim; j++) if (out.logits[i * out.logitsDim + j] > out.logits[i * out.logitsDim + arg]) arg = j;
            if (arg === labels[i]) correct++;
          }
        }
      }
    }
    if (count !== numGenerated) throw new Error(`evaluate: expected ${numGenerated} generated images, extracted ${count}`);
    const warnings = [...info.warnings];
    if (want('fid') && numGenerated <= featureDim) {
      warnings.push(`FID from ${numGenerated} generated samples in a ${featureDim}-d feature space: the sample covariance is singular and FID is strongly biased upward; use well above ${featureDim} samples (the usual protocol: as many as the reference split)`);
    }
    const result: EvaluationResult['metrics'] = {};
    if (want('fid')) result.fid = metrics.frechetInceptionDistance(fakeAcc.statistics(), real.statistics, { onWarning: (m) => log(`warning: @reacgan/metrics: ${m}`) });
    if (fakeByClass && real.perClass) {
      const fakeStats = classStatistics(fakeByClass, reference.dataset.classNames);
      let small = 0;
      const ifid = metrics.intraClassFid(real.perClass, fakeStats, { numClasses, onWarning: () => void small++ });
      if (small) warnings.push(`intra-class FID: some classes have no more samples than the ${featureDim} feature dimensions; their covariances are singular and their FIDs biased upward`);
      result.ifid = { mean: ifid.mean, perClass: ifid.perClass.map((p) => ({ class: reference.dataset.classNames[p.classIndex], index: p.classIndex, fid: p.fid, realCount: p.realCount, fakeCount: p.fakeCount })) };
    }
    let isSplits: number | null = null;
    if (want('is') && logits.rows > 0) {
      isSplits = 1;
      const is = metrics.inceptionScore(logits.matrix(), { splits: 1, from: 'logits' });
      result.inceptionScore = { mean: is.mean, std: is.std, splits: is.splits };
    }
    let kidProtocol: EvaluationResult['protocol']['kid'] = null;
    let prdcProtocol: EvaluationResult['protocol']['prdc'] = null;
    const realFeatures = real.features;
    const fakeFeatures = fakeStore?.matrix();
    if (want('kid') && realFeatures && fakeFeatures) {
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
    if (want('prdc') && realFeatures && fakeFeatures) {
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
    if (judgeClasses) result.classAccuracy = correct / numGenerated;
    for (const w of warnings) log(`warning: ${w}`);
    return {
      checkpoint: info.checkpoint,
      step: info.step,
      generator: info.generator,
      generated: info.generated,
      protocol: {
        extractor: evaluator.extractor.name,
        extractorProtocol: evaluator.extractor.protocol,
        weights: evaluator.weights,
        referenceDataset: reference.dataset.name,
        referenceSplit: reference.split,
        referenceCount: reference.dataset.count,
        referenceCache: { state: real.cache, file: real.cacheFile, key: real.cacheKey, seconds: real.seconds },
        imageShape: reference.imageShape,
        numGenerated,
        labels: info.labelsText,
        metrics: selected,
        skipped,
        batchNormStatistics: info.batchNormStatistics,
        spectralNorm: info.spectralNorm,
        standingStatistics: info.standingStatistics,
        truncation: info.truncation,
        seed: info.seed,
        quantize: options.quantize ?? 'none',
        isSplits,
        kid: kidProtocol,
        prdc: prdcProtocol,
        warnings,
        fidNote:
          evaluator.classifier
            ? `FID (and KID / PRDC / intra-class FID) in the ${evaluator.classifier.featureDim}-d feature space of this project's ${extractorName.replace('-judge', '').toUpperCase()} classifier; not Inception FID`
            : evaluator.weights.verified
              ? "FID with pytorch-fid's TF-Inception weights (StudioGAN v0.3.0 pipeline: float images, bilinear resize to 299)"
              : `FID with unverified Inception weights (SHA-256 ${evaluator.weights.sha256}): not comparable with published FIDs`,
      },
      metrics: result,
      evaluatedAt: new Date().toISOString(),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    evaluator.dispose();
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
