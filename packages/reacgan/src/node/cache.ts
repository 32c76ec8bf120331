import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import {
  type JudgeDefinition,
  JudgeClassifier,
  judgeDefinitionHash,
  type LabeledImages,
  type TrainClassifierOptions,
  trainJudgeClassifier,
} from '../eval/judge-classifier.js';
import { writeFileAtomic } from './fs-atomic.js';

/**
 * The cache folder: `REACGAN_CACHE_DIR`, else `$XDG_CACHE_HOME/reacgan`, else `~/.cache/reacgan`
 * (the same folder the native-backend installer uses).
 */
export function cacheDir(): string {
  const env = process.env;
  if (env.REACGAN_CACHE_DIR) return env.REACGAN_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'reacgan');
  return join(homedir(), '.cache', 'reacgan');
}

export interface ClassifierCacheInfo {
  /** Where the weights are. */
  path: string;
  /** True when this call trained the classifier (first run or changed definition). */
  trained: boolean;
  /** Seconds spent training (this call, or the cached run's, from its record). */
  trainSeconds: number;
  testAccuracy: number;
  hash: string;
}

/** The cache file of a judge: `<cacheDir>/<name without 'reacgan-'>-<definition hash>.safetensors` (MNIST: mnist-classifier-<hash>). */
export function judgeCachePath(definition: JudgeDefinition, dir: string = cacheDir()): string {
  return join(dir, `${definition.name.replace(/^reacgan-/, '')}-${judgeDefinitionHash(definition)}.safetensors`);
}

/**
 * A judge classifier (see `JUDGES`): loaded from the cache ({@link judgeCachePath}) or trained on `train` (the
 * dataset's training split, opened only then) and written there atomically with its test accuracy on `test`
 * (the test split, or a function opening it: then opened only when training), the training seconds and what it
 * was trained on. The hash covers the whole definition, so a changed architecture or recipe never reuses old
 * weights. A cached judge needs neither split.
 */
export async function loadOrTrainJudgeClassifier(
  definition: JudgeDefinition,
  train: () => Promise<LabeledImages & { name?: string; source?: string }>,
  test: LabeledImages | (() => Promise<LabeledImages>),
  options: {
    dir?: string;
    log?: (line: string) => void;
    onProgress?: TrainClassifierOptions['onProgress'];
    /** Shorter training for tests (recorded in the cache entry); never set for real evaluations. */
    trainOptions?: Pick<TrainClassifierOptions, 'epochs' | 'limit'>;
  } = {},
): Promise<{ classifier: JudgeClassifier; info: ClassifierCacheInfo }> {
  const dir = options.dir ?? cacheDir();
  const hash = judgeDefinitionHash(definition);
  const path = judgeCachePath(definition, dir);
  try {
    const bytes = await readFile(path);
    const { tensors, metadata } = models.decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const record = JSON.parse(metadata?.['reacgan.classifier'] ?? '{}') as { testAccuracy?: number; trainSeconds?: number; hash?: string };
    if (record.hash !== hash || typeof record.testAccuracy !== 'number') throw new Error('stale cache entry');
    const weights = new Map<string, tf.Variable>();
    const statistics = new Map<string, tf.Tensor>();
    for (const [name, t] of tensors) {
      const value = tf.tensor(t.data as Float32Array, t.shape, 'float32');
      if (/^bn\d+(Mean|Variance)$/.test(name)) statistics.set(name, value);
      else {
        weights.set(name, tf.variable(value, false));
        value.dispose();
      }
    }
    let classifier: JudgeClassifier;
    try {
      classifier = new JudgeClassifier(definition, weights, record.testAccuracy, statistics);
    } finally {
      tf.dispose([...statistics.values()]);
    }
    options.log?.(`judge classifier: cached (${path}), test accuracy ${(record.testAccuracy * 100).toFixed(2)}%`);
    return { classifier, info: { path, trained: false, trainSeconds: record.trainSeconds ?? 0, testAccuracy: record.testAccuracy, hash } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.log?.(`judge classifier: cache entry unusable (${(error as Error).message}); retraining`);
  }
  const data = await train();
  const testSplit = typeof test === 'function' ? await test() : test;
  options.log?.(`judge classifier: training ${definition.name} on ${data.name ?? 'the training split'} (${data.count} images, ${options.trainOptions?.epochs ?? definition.epochs} epochs, first run only)`);
  const t0 = performance.now();
  const classifier = await trainJudgeClassifier(definition, data, testSplit, { ...options.trainOptions, onProgress: options.onProgress });
  const trainSeconds = (performance.now() - t0) / 1000;
  const tensors = new Map<string, tf.Tensor>([...classifier.weights, ...classifier.statistics()]);
  const record = {
    hash,
    testAccuracy: classifier.testAccuracy,
    trainSeconds,
    definition,
    trainedOn: { name: data.name ?? null, source: data.source ?? null, count: data.count },
    trainOptions: options.trainOptions ?? null,
    backend: tf.getBackend(),
    trainedAt: new Date().toISOString(),
  };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path, await models.encodeSafetensorsAsync(tensors, { 'reacgan.classifier': JSON.stringify(record) }));
  options.log?.(`judge classifier: test accuracy ${(classifier.testAccuracy * 100).toFixed(2)}% after ${trainSeconds.toFixed(1)} s; cached at ${path}`);
  return { classifier, info: { path, trained: true, trainSeconds, testAccuracy: classifier.testAccuracy, hash } };
}
