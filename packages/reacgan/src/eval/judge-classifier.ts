/**
 * The independent judge classifiers: a small convolutional classifier per dataset that judges generated
 * images (class accuracy: does a generated "cat" look like a cat to a network that never saw the GAN?) and
 * provides the feature space of a judge-space FID. Each is trained by this project on the dataset's training
 * split only, with its own seed, and never sees generated images or the GAN's discriminator. One piece of code
 * for all of them: a {@link JudgeDefinition} (layers, input, training recipe) says everything that determines
 * the trained weights, and its hash is the cache key.
 *
 * - {@link MNIST_JUDGE}: input 32×32×1 in [−1, 1] (28×28 digits zero-padded with the background value −1;
 *   3 channels are averaged): conv4×4 s2 (1→16) → ReLU → conv4×4 s2 (16→32) → ReLU → flatten (8·8·32) →
 *   dense 2048→128 → ReLU [the 128-d features] → dense 128→10 [logits]. Adam (lr 2e-3, × 0.2 after half and
 *   after 80 % of the batches; β 0.9/0.999, ε 1e-7), batch 128, 2 epochs, random ±2 px translations.
 *   (Version 1 decayed the rate per epoch: 98.50 % test accuracy; version 2, one epoch with this schedule:
 *   98.01 % in 20 s on an idle 2-core machine, too close to the 98 % target; version 3 is this one.)
 * - {@link CIFAR10_JUDGE}: input 32×32×3: three stages of two conv3×3 + batch norm + ReLU (16, 32, 64
 *   channels) each followed by 2×2 max pooling, flatten (4·4·64) → dense 1024→128 → ReLU [the 128-d features]
 *   → dense 128→10 (narrow so that its one-time training, 3 epochs, fits a few minutes on 2 cores). Adam with the same schedule, batch 128, random ±4 px translations (fill −1, as
 *   torchvision's `RandomCrop(32, padding=4)` on [0, 1] images) and horizontal flips; see its `epochs`.
 *
 * Written with tfjs-core ops and @reacgan/models' kernels and batch norm (no tfjs-layers). Weights are
 * He-normal with a fixed seed, biases 0, batch-norm scale 1 and offset 0.
 */
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../train/adam.js';
import { assertGradientsRegistered } from '../train/fast-gradients.js';

/** Everything that determines a judge's trained weights; the cache key is a hash of this object. */
export interface JudgeDefinition {
  /** e.g. 'reacgan-mnist-classifier'; the cache file is `<name without 'reacgan-'>-<hash>.safetensors`. */
  readonly name: string;
  readonly version: number;
  /** [H, W, C] of the input. */
  readonly input: readonly [number, number, number];
  /**
   * The layers, in order: `conv<k>x<k>s<s>-<c>` (square kernel, stride s, 'same' padding, c channels; with a
   * bias unless a `bn` follows), `bn` (batch norm over N, H, W: eps 1e-4, momentum 0.1, as @reacgan/models'
   * BatchNorm2d), `relu`, `maxpool2`, `dense-<n>` (flattening its input first). The input of the last dense
   * layer is the feature space; its outputs are the logits (one per class).
   */
  readonly layers: readonly string[];
  readonly init: 'he-normal';
  readonly seed: number;
  readonly optimizer: { readonly type: 'adam'; readonly learningRate: number; readonly beta1: number; readonly beta2: number; readonly epsilon: number };
  /**
   * Step schedule over all batches of the run: the learning rate is multiplied by `factor` once the fraction
   * `at[k]` of the batches is done (e.g. at 0.5 and 0.8 of the run).
   */
  readonly lrDecay: { readonly at: readonly number[]; readonly factor: number };
  readonly batchSize: number;
  readonly epochs: number;
  /** 'random-translate-<p>px' (uniform integer shifts in [−p, p] per axis, fill −1), optionally '+hflip'. */
  readonly augmentation: string;
  /** What it is trained and tested on, in words (part of the definition: another dataset is another judge). */
  readonly data?: string;
}

/** The MNIST judge (its definition, and so its cache key, unchanged since version 3). */
export const MNIST_JUDGE = {
  name: 'reacgan-mnist-classifier',
  version: 3,
  input: [32, 32, 1],
  layers: ['conv4x4s2-16', 'relu', 'conv4x4s2-32', 'relu', 'dense-128', 'relu', 'dense-10'],
  init: 'he-normal',
  seed: 20211101,
  optimizer: { type: 'adam', learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  lrDecay: { at: [0.5, 0.8], factor: 0.2 },
  batchSize: 128,
  epochs: 2,
  augmentation: 'random-translate-2px',
} as const satisfies JudgeDefinition;

/** The CIFAR-10 judge (trained on the 50,000 training images, tested on the 10,000 test images). */
export const CIFAR10_JUDGE = {
  name: 'reacgan-cifar10-classifier',
  version: 1,
  input: [32, 32, 3],
  layers: [
    'conv3x3s1-16', 'bn', 'relu', 'conv3x3s1-16', 'bn', 'relu', 'maxpool2',
    'conv3x3s1-32', 'bn', 'relu', 'conv3x3s1-32', 'bn', 'relu', 'maxpool2',
    'conv3x3s1-64', 'bn', 'relu', 'conv3x3s1-64', 'bn', 'relu', 'maxpool2',
    'dense-128', 'relu', 'dense-10',
  ],
  init: 'he-normal',
  seed: 20211102,
  optimizer: { type: 'adam', learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  lrDecay: { at: [0.5, 0.8], factor: 0.2 },
  batchSize: 128,
  epochs: 3,
  augmentation: 'random-translate-4px+hflip',
  data: 'CIFAR-10 (train 50,000 / test 10,000)',
} as const satisfies JudgeDefinition;

/** The judges by dataset kind (the loader names of @reacgan/data). */
export const JUDGES: Readonly<Record<string, JudgeDefinition>> = { mnist: MNIST_JUDGE, cifar10: CIFAR10_JUDGE };

/** Images with labels, as datasets of @reacgan/data expose them (uint8 HWC). */
export interface LabeledImages {
  count: number;
  labels: Int32Array | ArrayLike<number>;
  imageShape: readonly [number, number, number] | readonly number[];
  getImage(index: number): Uint8Array;
}

type Layer =
  | { kind: 'conv'; index: number; kernel: number; stride: number; channels: number; bias: boolean }
  | { kind: 'bn'; index: number; channels: number }
  | { kind: 'relu' }
  | { kind: 'maxpool2' }
  | { kind: 'dense'; index: number; units: number; inputs: number; flatten: boolean };

interface Parsed {
  layers: Layer[];
  /** Parameter names and shapes in creation order (the seeding order of the initialisation). */
  parameters: { name: string; shape: number[]; kind: 'weight' | 'bias' | 'scale' | 'offset' }[];
  featureDim: number;
  numClasses: number;
}

/** Parses a definition's layers, checking shapes; names: conv1, conv1Bias, bn1Scale, bn1Offset, dense1, dense1Bias, … */
export function parseJudgeLayers(def: JudgeDefinition): Parsed {
  let [h, w, c] = def.input;
  let flat: number | null = null;
  const layers: Layer[] = [];
  const parameters: Parsed['parameters'] = [];
  const counts = { conv: 0, bn: 0, dense: 0 };
  let featureDim = 0;
  def.layers.forEach((spec, i) => {
    const conv = /^conv(\d+)x\1s(\d+)-(\d+)$/.exec(spec);
    const dense = /^dense-(\d+)$/.exec(spec);
    if (conv) {
      if (flat !== null) throw new Error(`judge ${def.name}: layer ${i} '${spec}' after a dense layer`);
      const [kernel, stride, channels] = conv.slice(1).map(Number);
      const index = ++counts.conv;
      const bias = def.layers[i + 1] !== 'bn';
      parameters.push({ name: `conv${index}`, shape: [kernel, kernel, c, channels], kind: 'weight' });
      if (bias) parameters.push({ name: `conv${index}Bias`, shape: [channels], kind: 'bias' });
      layers.push({ kind: 'conv', index, kernel, stride, channels, bias });
      h = Math.ceil(h / stride);
      w = Math.ceil(w / stride);
      c = channels;
    } else if (spec === 'bn') {
      const index = ++counts.bn;
      layers.push({ kind: 'bn', index, channels: c });
    } else if (spec === 'relu') {
      layers.push({ kind: 'relu' });
    } else if (spec === 'maxpool2') {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
      layers.push({ kind: 'maxpool2' });
    } else if (dense) {
      const units = Number(dense[1]);
      const inputs = flat ?? h * w * c;
      const index = ++counts.dense;
      parameters.push({ name: `dense${index}`, shape: [inputs, units], kind: 'weight' }, { name: `dense${index}Bias`, shape: [units], kind: 'bias' });
      layers.push({ kind: 'dense', index, units, inputs, flatten: flat === null });
      featureDim = inputs;
      flat = units;
    } else {
      throw new Error(`judge ${def.name}: layer ${i}: expected conv<k>x<k>s<s>-<c>, bn, relu, maxpool2 or dense-<n>, received '${spec}'`);
    }
  });
  const last = layers[layers.length - 1];
  if (last?.kind !== 'dense') throw new Error(`judge ${def.name}: the last layer must be dense-<classes>, received '${def.layers[def.layers.length - 1]}'`);
  return { layers, parameters, featureDim, numClasses: last.units };
}

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

/** The augmentation of a definition: translation range in pixels and horizontal flips. */
function augmentationOf(def: JudgeDefinition): { shift: number; flip: boolean } {
  const m = /^random-translate-(\d+)px(\+hflip)?$/.exec(def.augmentation);
  if (!m) throw new Error(`judge ${def.name}: augmentation: expected 'random-translate-<p>px' or 'random-translate-<p>px+hflip', received '${def.augmentation}'`);
  return { shift: Number(m[1]), flip: !!m[2] };
}

/** Random draws of one training batch: per image a shift (dy, dx) and a flip flag. */
export interface AugmentationDraws {
  shifts: Int8Array;
  flips: Uint8Array | null;
}

/**
 * Converts images to a judge's input: [N, H, W, C] float32 in [−1, 1]. Accepts NHWC tensors in [−1, 1] of the
 * judge's size with 1 or 3 channels (3 → 1 by the channel mean, 1 → 3 by replication), and for a 32 px judge
 * 28 px images (padded with −1, the MNIST background).
 */
export function judgeInput(def: JudgeDefinition, images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w, c] = images.shape;
    const [H, W, C] = def.input;
    if (c !== 1 && c !== 3) throw new Error(`judge ${def.name}: images: expected 1 or 3 channels, received shape [${images.shape}]`);
    let x = c === C ? images : C === 1 ? (tf.mean(images, 3, true) as tf.Tensor4D) : (tf.tile(images, [1, 1, 1, 3]) as tf.Tensor4D);
    if (h === 28 && w === 28 && H === 32 && W === 32) x = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], -1);
    else if (h !== H || w !== W) throw new Error(`judge ${def.name}: images: expected ${H === 32 ? '28×28 or ' : ''}${H}×${W}, received shape [${images.shape}]`);
    return tf.cast(x, 'float32') as tf.Tensor4D;
  });
}

/**
 * Builds a [N, H, W, C] batch in [−1, 1] from uint8 images of a dataset (the judge's channels; 28 px centred
 * in 32 with −1 around them), optionally shifted by `draws.shifts` (dy, dx per image, fill −1) and flipped.
 */
export function judgeBatchFromUint8(def: JudgeDefinition, dataset: LabeledImages, indices: ArrayLike<number>, draws?: AugmentationDraws): tf.Tensor4D {
  const [h, w, c] = dataset.imageShape;
  const [H, W, C] = def.input;
  if (c !== C) throw new Error(`judge ${def.name}: dataset: expected ${C} channel(s), received imageShape [${dataset.imageShape}]`);
  if (w !== h || (h !== H && !(h === 28 && H === 32)) || W !== H) throw new Error(`judge ${def.name}: dataset: expected ${H === 32 ? '28×28 or ' : ''}${H}×${W} images, received [${dataset.imageShape}]`);
  const pad = (H - h) / 2;
  const n = indices.length;
  const plane = H * W * C;
  const out = new Float32Array(n * plane).fill(-1);
  for (let k = 0; k < n; k++) {
    const img = dataset.getImage(indices[k]);
    const dy = draws ? draws.shifts[2 * k] : 0;
    const dx = draws ? draws.shifts[2 * k + 1] : 0;
    const flip = draws?.flips ? draws.flips[k] === 1 : false;
    const base = k * plane;
    for (let y = 0; y < h; y++) {
      const ty = y + pad + dy;
      if (ty < 0 || ty >= H) continue;
      for (let x = 0; x < w; x++) {
        const tx0 = x + pad + dx;
        if (tx0 < 0 || tx0 >= W) continue;
        const tx = flip ? W - 1 - tx0 : tx0;
        for (let ch = 0; ch < C; ch++) out[base + (ty * W + tx) * C + ch] = img[(y * w + x) * C + ch] / 127.5 - 1;
      }
    }
  }
  return tf.tensor4d(out, [n, H, W, C]);
}

export interface ClassifierOutput {
  /** [N, featureDim] features (the input of the last dense layer: the FID feature space). */
  features: tf.Tensor2D;
  /** [N, numClasses] logits. */
  logits: tf.Tensor2D;
}

/** A judge classifier: its definition, weights and (with batch norm) running statistics. */
export class JudgeClassifier {
  readonly featureDim: number;
  readonly numClasses: number;
  private readonly parsed: Parsed;
  private readonly norms = new Map<number, models.BatchNorm2d>();

  constructor(
    readonly definition: JudgeDefinition,
    /** Parameters by name (see {@link parseJudgeLayers}); owned by the classifier. */
    readonly weights: Map<string, tf.Variable>,
    /** Accuracy on the dataset's test split measured after training, in [0, 1]. */
    public testAccuracy: number,
    /** Batch-norm running statistics by name (`bn<k>Mean`, `bn<k>Variance`); absent entries start at (0, 1). */
    statistics: Map<string, tf.Tensor> = new Map(),
  ) {
    this.parsed = parseJudgeLayers(definition);
    this.featureDim = this.parsed.featureDim;
    this.numClasses = this.parsed.numClasses;
    for (const { name, shape } of this.parsed.parameters) {
      const v = weights.get(name);
      if (!v) throw new Error(`judge ${definition.name}: missing weight '${name}'`);
      if (!tf.util.arraysEqual(v.shape, shape)) throw new Error(`judge ${definition.name}: weight '${name}': expected shape [${shape}], received [${v.shape}]`);
    }
    for (const layer of this.parsed.layers) {
      if (layer.kind !== 'bn') continue;
      // @reacgan/models' batch norm (native fused kernels on tfjs-node), without its own affine: the scale and
      // offset are the judge's parameters bn<k>Scale / bn<k>Offset.
      const bn = new models.BatchNorm2d(`bn${layer.index}`, layer.channels, { affine: false });
      for (const [key, variable] of [['Mean', bn.runningMean], ['Variance', bn.runningVar]] as const) {
        const saved = statistics.get(`bn${layer.index}${key}`);
        if (saved) {
          if (!tf.util.arraysEqual(saved.shape, [layer.channels])) throw new Error(`judge ${definition.name}: statistics 'bn${layer.index}${key}': expected shape [${layer.channels}], received [${saved.shape}]`);
          variable.assign(saved);
        }
      }
      this.norms.set(layer.index, bn);
      if (!weights.has(`bn${layer.index}Scale`)) weights.set(`bn${layer.index}Scale`, tf.tidy(() => tf.variable(tf.ones([layer.channels]), true)));
      if (!weights.has(`bn${layer.index}Offset`)) weights.set(`bn${layer.index}Offset`, tf.tidy(() => tf.variable(tf.zeros([layer.channels]), true)));
    }
  }

  /** Batch-norm running statistics by name (`bn<k>Mean`, `bn<k>Variance`), the classifier's own variables. */
  statistics(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [index, bn] of this.norms) {
      out.set(`bn${index}Mean`, bn.runningMean);
      out.set(`bn${index}Variance`, bn.runningVar);
    }
    return out;
  }

  /**
   * Features and logits for images NHWC in [−1, 1] (see {@link judgeInput}). `training` uses batch statistics
   * in batch norm and updates its running statistics (the training loop); default false.
   */
  apply(images: tf.Tensor4D, options: { training?: boolean } = {}): ClassifierOutput {
    const ctx = models.forwardContext({ training: options.training ?? false });
    return tf.tidy(() => {
      const w = (k: string) => this.weights.get(k)!;
      let h: tf.Tensor = judgeInput(this.definition, images);
      let features: tf.Tensor2D | null = null;
      const layers = this.parsed.layers;
      for (let i = 0; i < layers.length; i++) {
        const layer = layers[i];
        const fuseRelu = layers[i + 1]?.kind === 'relu';
        switch (layer.kind) {
          case 'conv':
            if (layer.bias && fuseRelu) {
              // relu(conv + b) (one native kernel on tfjs-node, in training too; the same values as the unfused ops).
              h = models.conv2dBiasRelu(h as tf.Tensor4D, w(`conv${layer.index}`) as tf.Tensor4D, w(`conv${layer.index}Bias`) as tf.Tensor1D, layer.stride, 'same');
              i++;
            } else {
              h = models.conv2dBias(h as tf.Tensor4D, w(`conv${layer.index}`) as tf.Tensor4D, layer.bias ? (w(`conv${layer.index}Bias`) as tf.Tensor1D) : null, layer.stride, 'same');
            }
            break;
          case 'bn': {
            const bn = this.norms.get(layer.index)!;
            const scale = w(`bn${layer.index}Scale`) as tf.Tensor1D;
            const offset = w(`bn${layer.index}Offset`) as tf.Tensor1D;
            const x = h as tf.Tensor4D;
            if (bn.usesNativeKernel(x, ctx)) h = bn.normalizeNative(x, ctx, scale, offset);
            else {
              const { mean, variance } = bn.statistics(x, ctx);
              const s = tf.mul(tf.rsqrt(tf.add(variance, bn.eps)), scale);
              h = tf.add(tf.mul(x, s), tf.sub(offset, tf.mul(mean, s)));
            }
            break;
          }
          case 'relu':
            h = models.relu(h);
            break;
          case 'maxpool2':
            h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
            break;
          case 'dense': {
            if (layer.flatten) h = tf.reshape(h, [h.shape[0], layer.inputs]);
            const last = i === layers.length - 1;
            if (last) features = h as tf.Tensor2D;
            const z = tf.add(tf.matMul(h as tf.Tensor2D, w(`dense${layer.index}`) as tf.Tensor2D), w(`dense${layer.index}Bias`));
            if (fuseRelu) {
              h = models.relu(z);
              i++;
            } else h = z;
            break;
          }
        }
      }
      return { features: features!, logits: h as tf.Tensor2D };
    });
  }

  /**
   * Predicted classes, features and probabilities of many images, in batches (reads results back to the host).
   * @param images NHWC in [−1, 1].
   */
  async classify(images: tf.Tensor4D, batchSize = 500): Promise<{ predictions: Int32Array; features: Float32Array; probabilities: Float32Array }> {
    const n = images.shape[0];
    const predictions = new Int32Array(n);
    const features = new Float32Array(n * this.featureDim);
    const probabilities = new Float32Array(n * this.numClasses);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const [pred, feat, prob] = tf.tidy(() => {
        const batch = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
        const out = this.apply(batch);
        return [tf.argMax(out.logits, 1), out.features, tf.softmax(out.logits)];
      });
      predictions.set(await pred.data(), start);
      features.set(await feat.data(), start * this.featureDim);
      probabilities.set(await prob.data(), start * this.numClasses);
      tf.dispose([pred, feat, prob]);
    }
    return { predictions, features, probabilities };
  }

  /** Accuracy on a labelled uint8 dataset (e.g. the test split), in [0, 1]. */
  async accuracy(dataset: LabeledImages, batchSize = 1000): Promise<number> {
    let correct = 0;
    await this.overDataset(dataset, batchSize, (out) => tf.argMax(out.logits, 1), (predicted, idx) => {
      for (let k = 0; k < idx.length; k++) if (predicted[k] === Number(dataset.labels[idx[k]])) correct++;
    });
    return correct / dataset.count;
  }

  /** Features of a uint8 dataset (e.g. the test split, the FID reference). */
  async datasetFeatures(dataset: LabeledImages, batchSize = 1000): Promise<Float32Array> {
    const out = new Float32Array(dataset.count * this.featureDim);
    await this.overDataset(dataset, batchSize, (o) => o.features, (features, _idx, start) => out.set(features, start * this.featureDim));
    return out;
  }

  /** One pass over a uint8 dataset in batches (in order): `pick` chooses from the judge's outputs what `use` gets on the host. */
  private async overDataset(
    dataset: LabeledImages,
    batchSize: number,
    pick: (out: { features: tf.Tensor2D; logits: tf.Tensor2D }) => tf.Tensor,
    use: (values: tf.TypedArray, idx: number[], start: number) => void,
  ): Promise<void> {
    for (let start = 0; start < dataset.count; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, dataset.count - start) }, (_, k) => start + k);
      const picked = tf.tidy(() => pick(this.apply(judgeBatchFromUint8(this.definition, dataset, idx))));
      const values = await picked.data();
      picked.dispose();
      use(values, idx, start);
    }
  }

  dispose(): void {
    for (const w of this.weights.values()) w.dispose();
    for (const bn of this.norms.values()) bn.dispose();
  }
}

/** Fresh He-normal weights (seeded: seed + k for the k-th tensor in creation order) and zero biases. */
export function initJudgeWeights(def: JudgeDefinition, seed: number = def.seed): Map<string, tf.Variable> {
  const weights = new Map<string, tf.Variable>();
  parseJudgeLayers(def).parameters.forEach(({ name, shape, kind }, k) => {
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const value = tf.tidy(() => tf.variable(kind === 'weight' ? tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed + k), Math.sqrt(2 / fanIn)) : tf.zeros(shape), true));
    weights.set(name, value);
  });
  return weights;
}

export interface TrainClassifierOptions {
  /** Called after each logged batch with (epoch, batch, batches per epoch, loss). */
  onProgress?: (info: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** Override epochs (tests); changes the definition, so such a classifier is not cached as the real one. */
  epochs?: number;
  /** Use only the first `limit` training images (tests). */
  limit?: number;
}

/**
 * Trains a judge on the training split (uint8 HWC images) and measures its accuracy on the test split.
 * Deterministic for a given backend (fixed seed for init, shuffling and augmentation).
 */
export async function trainJudgeClassifier(def: JudgeDefinition, train: LabeledImages, test: LabeledImages, options: TrainClassifierOptions = {}): Promise<JudgeClassifier> {
  assertGradientsRegistered('trainJudgeClassifier');
  const weights = initJudgeWeights(def, def.seed);
  const classifier = new JudgeClassifier(def, weights, Number.NaN);
  const optimizer = new Adam(weights, {
    learningRate: def.optimizer.learningRate,
    beta1: def.optimizer.beta1,
    beta2: def.optimizer.beta2,
    epsilon: def.optimizer.epsilon,
  });
  const augmentation = augmentationOf(def);
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
        for (let s = 0; s < shifts.length; s++) shifts[s] = Math.floor(rand() * (2 * augmentation.shift + 1)) - augmentation.shift;
        const flips = augmentation.flip ? Uint8Array.from(idx, () => (rand() < 0.5 ? 1 : 0)) : null;
        const labels = Int32Array.from(idx, (i) => Number(train.labels[i]));
        const lossValue = tf.tidy(() => {
          const x = judgeBatchFromUint8(def, train, idx, { shifts, flips });
          const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classifier.numClasses);
          const { value, grads } = tf.variableGrads(() => {
            const logits = classifier.apply(x, { training: true }).logits;
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

/** The cache key of a judge definition (default: the MNIST judge). */
export function judgeDefinitionHash(def: JudgeDefinition = MNIST_JUDGE): string {
  return fnv1a64(stableStringify(def));
}
