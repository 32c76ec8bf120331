import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import {
  CLASSIFIER_DEFINITION,
  classifierDefinitionHash,
  type LabeledImages,
  type TrainClassifierOptions,
  MnistClassifier,
  trainMnistClassifier,
} from '../eval/mnist-classifier.js';
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

/**
 * The MNIST judge classifier: loaded from the cache (`<cacheDir>/mnist-classifier-<definition hash>.safetensors`)
 * or trained on `train` (MNIST training set) and written there atomically, with its test accuracy on `test`.
 * The hash covers {@link CLASSIFIER_DEFINITION}, so a changed architecture or recipe never reuses old weights.
 */
export async function loadOrTrainMnistClassifier(
  train: () => Promise<LabeledImages>,
  test: LabeledImages,
  options: {
    dir?: string;
    log?: (line: string) => void;
    onProgress?: TrainClassifierOptions['onProgress'];
    /** Shorter training for tests (recorded in the cache entry); never set for real evaluations. */
    trainOptions?: Pick<TrainClassifierOptions, 'epochs' | 'limit'>;
  } = {},
): Promise<{ classifier: MnistClassifier; info: ClassifierCacheInfo }> {
  const dir = options.dir ?? cacheDir();
  const hash = classifierDefinitionHash();
  const path = join(dir, `mnist-classifier-${hash}.safetensors`);
  try {
    const bytes = await readFile(path);
    const { tensors, metadata } = models.decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const record = JSON.parse(metadata?.['reacgan.classifier'] ?? '{}') as { testAccuracy?: number; trainSeconds?: number; hash?: string };
    if (record.hash !== hash || typeof record.testAccuracy !== 'number') throw new Error('stale cache entry');
    const weights = new Map<string, tf.Variable>();
    for (const [name, t] of tensors) weights.set(name, tf.tidy(() => tf.variable(tf.tensor(t.data as Float32Array, t.shape, 'float32'), false)));
    options.log?.(`judge classifier: cached (${path}), test accuracy ${(record.testAccuracy * 100).toFixed(2)}%`);
    return { classifier: new MnistClassifier(weights, record.testAccuracy), info: { path, trained: false, trainSeconds: record.trainSeconds ?? 0, testAccuracy: record.testAccuracy, hash } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.log?.(`judge classifier: cache entry unusable (${(error as Error).message}); retraining`);
  }
  options.log?.(`judge classifier: training on the MNIST training set (${CLASSIFIER_DEFINITION.epochs} epochs, first run only)`);
  const t0 = performance.now();
  const classifier = await trainMnistClassifier(await train(), test, { ...options.trainOptions, onProgress: options.onProgress });
  const trainSeconds = (performance.now() - t0) / 1000;
  const tensors = new Map<string, tf.Tensor>(classifier.weights);
  const record = { hash, testAccuracy: classifier.testAccuracy, trainSeconds, definition: CLASSIFIER_DEFINITION, trainOptions: options.trainOptions ?? null, backend: tf.getBackend(), trainedAt: new Date().toISOString() };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path, await models.encodeSafetensorsAsync(tensors, { 'reacgan.classifier': JSON.stringify(record) }));
  options.log?.(`judge classifier: test accuracy ${(classifier.testAccuracy * 100).toFixed(2)}% after ${trainSeconds.toFixed(1)} s; cached at ${path}`);
  return { classifier, info: { path, trained: true, trainSeconds, testAccuracy: classifier.testAccuracy, hash } };
}
