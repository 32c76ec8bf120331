/**
 * The independent MNIST classifier that judges generated digits (class accuracy) and provides the feature
 * space for the main job's FID. It is trained by this project on the MNIST training set only, with its
 * own seed, and never sees generated images or the GAN's discriminator.
 *
 * Architecture (NHWC, input 32×32×1 in [−1, 1]; 28×28 digits zero-padded with the background value −1):
 *   conv4×4 stride 2 (1→16) → ReLU → conv4×4 stride 2 (16→32) → ReLU → flatten(8·8·32)
 *   → dense(2048→128) → ReLU  [the 128-d features]  → dense(128→10)  [logits]
 * Training: Adam (lr 2e-3, × 0.2 after half and after 80 % of the batches; β 0.9/0.999, ε 1e-7), batch
 * 128, 2 epochs, random ±2 px translations. Weights are He-normal with a fixed seed. (Version 1 decayed the
 * rate per epoch: 98.50 % test accuracy; version 2, one epoch with this schedule: 98.01 % in 20 s on an idle
 * 2-core machine, too close to the 98 % target; version 3 is this one.)
 *
 * Written with tfjs-core ops (conv2d, maxPool, matMul), no tfjs-layers.
 */
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../train/adam.js';
import { assertGradientsRegistered } from '../train/fast-gradients.js';

/** Everything that determines the trained weights; the cache key is a hash of this object. */
export const CLASSIFIER_DEFINITION = {
  name: 'reacgan-mnist-classifier',
  version: 3,
  input: [32, 32, 1],
  layers: ['conv4x4s2-16', 'relu', 'conv4x4s2-32', 'relu', 'dense-128', 'relu', 'dense-10'],
  init: 'he-normal',
  seed: 20211101,
  optimizer: { type: 'adam', learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  /**
   * Step schedule over all batches of the run: the learning rate is multiplied by `factor` once the
   * fraction `at[k]` of the batches is done (e.g. at 0.5 and 0.8 of the run).
   */
  lrDecay: { at: [0.5, 0.8], factor: 0.2 },
  batchSize: 128,
  epochs: 2,
  augmentation: 'random-translate-2px',
} as const;

/** Feature dimension of {@link MnistClassifier.features}. */
export const CLASSIFIER_FEATURE_DIM = 128;

/** Images with labels, as datasets of @reacgan/data expose them (uint8 HWC). */
export interface LabeledImages {
  count: number;
  labels: Int32Array | ArrayLike<number>;
  imageShape: readonly [number, number, number] | readonly number[];
  getImage(index: number): Uint8Array;
}

const SHAPES: Record<string, number[]> = {
  conv1: [4, 4, 1, 16],
  conv1Bias: [16],
  conv2: [4, 4, 16, 32],
  conv2Bias: [32],
  dense1: [8 * 8 * 32, 128],
  dense1Bias: [128],
  dense2: [128, 10],
  dense2Bias: [10],
};

/** A small deterministic PRNG (mulberry32) for the classifier's own shuffling and augmentation. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Converts images to the classifier's input: [N, 32, 32, 1] float32 in [−1, 1]. Accepts NHWC tensors in
 * [−1, 1] of 28 or 32 px with 1 or 3 channels (3 channels are averaged; 28 px are padded with −1).
 */
export function toClassifierInput(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w, c] = images.shape;
    if (c !== 1 && c !== 3) throw new Error(`mnist classifier: images: expected 1 or 3 channels, received shape [${images.shape}]`);
    let x = c === 3 ? (tf.mean(images, 3, true) as tf.Tensor4D) : images;
    if (h === 28 && w === 28) x = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], -1);
    else if (h !== 32 || w !== 32) throw new Error(`mnist classifier: images: expected 28×28 or 32×32, received shape [${images.shape}]`);
    return tf.cast(x, 'float32') as tf.Tensor4D;
  });
}

/** Builds a [N, 32, 32, 1] batch in [−1, 1] from uint8 28×28 (or 32×32) grayscale images. */
export function batchFromUint8(dataset: LabeledImages, indices: ArrayLike<number>, shifts?: Int8Array): tf.Tensor4D {
  const [h, w, c] = dataset.imageShape;
  if (c !== 1) throw new Error(`mnist classifier: dataset: expected 1 channel, received imageShape [${dataset.imageShape}]`);
  const pad = (32 - h) / 2;
  if (w !== h || (h !== 28 && h !== 32)) throw new Error(`mnist classifier: dataset: expected 28×28 or 32×32 images, received [${dataset.imageShape}]`);
  const n = indices.length;
  const out = new Float32Array(n * 32 * 32).fill(-1);
  for (let k = 0; k < n; k++) {
    const img = dataset.getImage(indices[k]);
    const dy = shifts ? shifts[2 * k] : 0;
    const dx = shifts ? shifts[2 * k + 1] : 0;
    const base = k * 1024;
    for (let y = 0; y < h; y++) {
      const ty = y + pad + dy;
      if (ty < 0 || ty >= 32) continue;
      for (let x = 0; x < w; x++) {
        const tx = x + pad + dx;
        if (tx < 0 || tx >= 32) continue;
        out[base + ty * 32 + tx] = img[y * w + x] / 127.5 - 1;
      }
    }
  }
  return tf.tensor4d(out, [n, 32, 32, 1]);
}

export interface ClassifierOutput {
  /** [N, 128] ReLU features (the FID feature space). */
  features: tf.Tensor2D;
  /** [N, 10] logits. */
  logits: tf.Tensor2D;
}

/** The trained classifier. */
export class MnistClassifier {
  constructor(
    /** Weights by name (see SHAPES); owned by the classifier. */
    readonly weights: Map<string, tf.Variable>,
    /** Accuracy on the MNIST test set (10,000 images) measured after training, in [0, 1]. */
    public testAccuracy: number,
  ) {
    for (const [name, shape] of Object.entries(SHAPES)) {
      const w = weights.get(name);
      if (!w) throw new Error(`mnist classifier: missing weight '${name}'`);
      if (!tf.util.arraysEqual(w.shape, shape)) throw new Error(`mnist classifier: weight '${name}': expected shape [${shape}], received [${w.shape}]`);
    }
  }

  /** Features and logits for images NHWC in [−1, 1] (28 or 32 px, 1 or 3 channels). */
  apply(images: tf.Tensor4D): ClassifierOutput {
    return tf.tidy(() => {
      const w = (k: string) => this.weights.get(k)!;
      const x = toClassifierInput(images);
      // relu(conv + b) (one native kernel on tfjs-node, in training too; the same values as the unfused ops).
      let h = models.conv2dBiasRelu(x, w('conv1') as tf.Tensor4D, w('conv1Bias') as tf.Tensor1D, 2, 'same');
      h = models.conv2dBiasRelu(h, w('conv2') as tf.Tensor4D, w('conv2Bias') as tf.Tensor1D, 2, 'same');
      const flat = tf.reshape(h, [h.shape[0], 8 * 8 * 32]) as tf.Tensor2D;
      const features = models.relu(tf.add(tf.matMul(flat, w('dense1') as tf.Tensor2D), w('dense1Bias'))) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(features, w('dense2') as tf.Tensor2D), w('dense2Bias')) as tf.Tensor2D;
      return { features, logits };
    });
  }

  /**
   * Predicted classes, and features, of many images, in batches (reads results back to the host).
   * @param images NHWC in [−1, 1].
   */
  async classify(images: tf.Tensor4D, batchSize = 500): Promise<{ predictions: Int32Array; features: Float32Array; probabilities: Float32Array }> {
    const n = images.shape[0];
    const predictions = new Int32Array(n);
    const features = new Float32Array(n * CLASSIFIER_FEATURE_DIM);
    const probabilities = new Float32Array(n * 10);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const [pred, feat, prob] = tf.tidy(() => {
        const batch = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
        const out = this.apply(batch);
        return [tf.argMax(out.logits, 1), out.features, tf.softmax(out.logits)];
      });
      predictions.set(await pred.data(), start);
      features.set(await feat.data(), start * CLASSIFIER_FEATURE_DIM);
      probabilities.set(await prob.data(), start * 10);
      tf.dispose([pred, feat, prob]);
    }
    return { predictions, features, probabilities };
  }

  /** Accuracy on a labelled uint8 dataset (e.g. the MNIST test set), in [0, 1]. */
  async accuracy(dataset: LabeledImages, batchSize = 1000): Promise<number> {
    let correct = 0;
    for (let start = 0; start < dataset.count; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, dataset.count - start) }, (_, k) => start + k);
      const pred = tf.tidy(() => {
        const x = batchFromUint8(dataset, idx);
        return tf.argMax(this.apply(x).logits, 1);
      });
      const p = await pred.data();
      pred.dispose();
      for (let k = 0; k < idx.length; k++) if (p[k] === Number(dataset.labels[idx[k]])) correct++;
    }
    return correct / dataset.count;
  }

  /** Features of a uint8 dataset (e.g. the MNIST test set, the FID reference). */
  async datasetFeatures(dataset: LabeledImages, batchSize = 1000): Promise<Float32Array> {
    const out = new Float32Array(dataset.count * CLASSIFIER_FEATURE_DIM);
    for (let start = 0; start < dataset.count; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, dataset.count - start) }, (_, k) => start + k);
      const feat = tf.tidy(() => this.apply(batchFromUint8(dataset, idx)).features);
      out.set(await feat.data(), start * CLASSIFIER_FEATURE_DIM);
      feat.dispose();
    }
    return out;
  }

  dispose(): void {
    for (const w of this.weights.values()) w.dispose();
  }
}

/** Fresh He-normal weights (seeded) and zero biases. */
export function initClassifierWeights(seed: number = CLASSIFIER_DEFINITION.seed): Map<string, tf.Variable> {
  const weights = new Map<string, tf.Variable>();
  let k = 0;
  for (const [name, shape] of Object.entries(SHAPES)) {
    const fanIn = shape.length === 1 ? 1 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const value = tf.tidy(() =>
      tf.variable(shape.length === 1 ? tf.zeros(shape) : tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed + k), Math.sqrt(2 / fanIn)), true),
    );
    k += 1;
    weights.set(name, value);
  }
  return weights;
}

export interface TrainClassifierOptions {
  /** Called after each logged batch with (epoch, batch, batches per epoch, loss). */
  onProgress?: (info: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** Override epochs (tests); changes the definition, so such a classifier is not cached. */
  epochs?: number;
  /** Use only the first `limit` training images (tests). */
  limit?: number;
}

/**
 * Trains the classifier on MNIST training images (uint8 28×28×1) and measures its test accuracy.
 * Deterministic for a given backend (fixed seed for init, shuffling and augmentation).
 */
export async function trainMnistClassifier(train: LabeledImages, test: LabeledImages, options: TrainClassifierOptions = {}): Promise<MnistClassifier> {
  assertGradientsRegistered('trainMnistClassifier');
  const def = CLASSIFIER_DEFINITION;
  const weights = initClassifierWeights(def.seed);
  const optimizer = new Adam(weights, {
    learningRate: def.optimizer.learningRate,
    beta1: def.optimizer.beta1,
    beta2: def.optimizer.beta2,
    epsilon: def.optimizer.epsilon,
  });
  const classifier = new MnistClassifier(weights, Number.NaN);
  const rand = mulberry32(def.seed);
  const n = Math.min(options.limit ?? train.count, train.count);
  const epochs = options.epochs ?? def.epochs;
  const batches = Math.floor(n / def.batchSize);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const varList = [...weights.values()];
  const names = [...weights.keys()];
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let b = 0; b < batches; b++) {
        const done = (epoch * batches + b) / (epochs * batches);
        optimizer.setLearningRate(def.optimizer.learningRate * def.lrDecay.factor ** def.lrDecay.at.filter((at) => done >= at).length);
        const idx = order.subarray(b * def.batchSize, (b + 1) * def.batchSize);
        const shifts = new Int8Array(idx.length * 2);
        for (let s = 0; s < shifts.length; s++) shifts[s] = Math.floor(rand() * 5) - 2;
        const labels = Int32Array.from(idx, (i) => Number(train.labels[i]));
        const lossValue = tf.tidy(() => {
          const x = batchFromUint8(train, idx, shifts);
          const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
          const { value, grads } = tf.variableGrads(() => {
            const logits = classifier.apply(x).logits;
            return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, y), 1))) as tf.Scalar;
          }, varList);
          const byName = new Map(names.map((name, k) => [name, grads[varList[k].name]] as [string, tf.Tensor]));
          optimizer.applyGradients(byName);
          return value;
        });
        if (options.onProgress && (b % 50 === 0 || b === batches - 1)) {
          options.onProgress({ epoch, batch: b, batches, loss: (await lossValue.data())[0] });
        }
        lossValue.dispose();
      }
    }
  } finally {
    optimizer.dispose();
  }
  classifier.testAccuracy = await classifier.accuracy(test);
  return classifier;
}

/** Stable JSON (sorted keys) of a value, for hashing definitions. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a 64-bit hash (hex) of a string: the cache key of a classifier definition. */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** The cache key of the current {@link CLASSIFIER_DEFINITION}. */
export function classifierDefinitionHash(): string {
  return fnv1a64(stableStringify(CLASSIFIER_DEFINITION));
}
