import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import type { ForwardContext } from './context.js';
import { nativeBatchNormTrain, nativeKernelsActive, nativeModulatedBatchNorm } from './native.js';
import { SeededRandom } from '../random.js';
import { Embedding, Linear, type WeightLayerOptions } from './weight-layers.js';

/**
 * Options of a standalone conditional batch norm: defaults are no spectral norm and zero-initialised
 * gain/bias maps, so a fresh layer is exactly BN without affine for every label. The networks pass
 * StudioGAN's `g_init` (orthogonal by default) instead, as StudioGAN's init_weights does.
 */
function conditionalOptions(options: Partial<WeightLayerOptions>): WeightLayerOptions {
  return { spectralNorm: false, init: 'zeros', rng: options.rng ?? new SeededRandom(0), ...options };
}

/** StudioGAN's batch-norm epsilon and momentum (`src/utils/ops.py:batchnorm_2d`). */
export const BATCH_NORM_EPS = 1e-4;
export const BATCH_NORM_MOMENTUM = 0.1;

/**
 * Batch normalisation over N, H, W of NHWC input (PyTorch `nn.BatchNorm2d`, eps 1e-4, momentum
 * 0.1 as StudioGAN's `batchnorm_2d`), with optional affine weight/bias.
 *
 * - Batch statistics: mean and biased variance over N·H·W; running statistics are updated as
 *   PyTorch does: r ← (1 − m)·r + m·s with the *unbiased* variance (n/(n − 1); with n = 1,
 *   where PyTorch raises, the biased variance 0 is used), and `num_batches_tracked` += 1.
 * - Running statistics: normalise with `running_mean` / `running_var`; nothing changes.
 *
 * Buffers: `running_mean` [C], `running_var` [C], `num_batches_tracked` (int32 scalar; int64 in
 * PyTorch).
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly numBatchesTracked: tf.Variable;

  constructor(name: string, numFeatures: number, options: { affine?: boolean; eps?: number; momentum?: number } = {}) {
    super(name);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? BATCH_NORM_EPS;
    this.momentum = options.momentum ?? BATCH_NORM_MOMENTUM;
    const affine = options.affine ?? true;
    this.gamma = affine ? this.addParameter('weight', tf.ones([numFeatures])) : null;
    this.beta = affine ? this.addParameter('bias', tf.zeros([numFeatures])) : null;
    this.runningMean = this.addBuffer('running_mean', tf.zeros([numFeatures]));
    this.runningVar = this.addBuffer('running_var', tf.ones([numFeatures]));
    this.numBatchesTracked = this.addBuffer('num_batches_tracked', tf.scalar(0, 'int32'));
  }

  /** Mean and variance to normalise with, updating running statistics when the context says so. */
  statistics(x: tf.Tensor4D, ctx: ForwardContext): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
    if (!ctx.batchStatistics) return { mean: this.runningMean as tf.Tensor1D, variance: this.runningVar as tf.Tensor1D };
    const { mean, variance } = tf.moments(x, [0, 1, 2]) as { mean: tf.Tensor1D; variance: tf.Tensor1D };
    if (ctx.updateStatistics || ctx.standing) {
      const n = x.shape[0] * x.shape[1] * x.shape[2];
      const factor = n > 1 ? n / (n - 1) : 1;
      tf.tidy(() => this.track(mean, tf.mul(variance, factor) as tf.Tensor1D, ctx));
    }
    return { mean, variance };
  }

  /** Hands batch statistics (mean, unbiased variance) to the standing collector and/or the running statistics. */
  private track(mean: tf.Tensor1D, unbiased: tf.Tensor1D, ctx: ForwardContext): void {
    if (ctx.standing) ctx.standing.add(this, mean, unbiased);
    if (ctx.updateStatistics) {
      tf.tidy(() => {
        const m = this.momentum;
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
        this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, 'int32')));
      });
    }
  }

  /**
   * Whether a batch-statistics forward runs on the native fused kernel (tfjs-node's 'tensorflow'
   * backend, more than one value per channel); see {@link nativeBatchNormTrain}.
   */
  usesNativeKernel(x: tf.Tensor4D, ctx: ForwardContext): boolean {
    return ctx.batchStatistics && x.dtype === 'float32' && x.shape[0] * x.shape[1] * x.shape[2] > 1 && nativeKernelsActive();
  }

  /**
   * (x − μ_B)/√(σ²_B + eps)·scale + offset with batch statistics on the native fused kernel (scale and
   * offset default to 1 and 0), tracking running / standing statistics as {@link statistics} does.
   * Only when {@link usesNativeKernel} is true. Call inside tf.tidy.
   */
  normalizeNative(x: tf.Tensor4D, ctx: ForwardContext, scale: tf.Tensor1D | null, offset: tf.Tensor1D | null): tf.Tensor4D {
    const c = x.shape[3];
    const { y, mean, unbiasedVariance } = nativeBatchNormTrain(x, scale ?? tf.ones([c]), offset ?? tf.zeros([c]), this.eps);
    if (ctx.updateStatistics || ctx.standing) this.track(mean, unbiasedVariance, ctx);
    return y;
  }

  /**
   * BN(x)·(1 + gain) + bias with batch statistics and per-sample gain and bias [N, C] on the native kernel,
   * tracking running / standing statistics as {@link statistics} does. Only when {@link usesNativeKernel} is
   * true. Call inside tf.tidy.
   */
  modulateNative(x: tf.Tensor4D, ctx: ForwardContext, gain: tf.Tensor2D, bias: tf.Tensor2D): tf.Tensor4D {
    const { y, mean, unbiasedVariance } = nativeModulatedBatchNorm(x, gain, bias, this.eps);
    if (ctx.updateStatistics || ctx.standing) this.track(mean, unbiasedVariance, ctx);
    return y;
  }

  /**
   * x [N, H, W, C] → normalised (and affine-transformed) [N, H, W, C], computed as x·s + t with
   * s = γ/√(σ² + eps) and t = β − μ·s (two full-size operations). With batch statistics on tfjs-node's
   * 'tensorflow' backend: TensorFlow's FusedBatchNormV3 / FusedBatchNormGradV3 (one kernel each way;
   * same values up to float rounding; see `setNativeKernels`). Call inside tf.tidy.
   */
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    if (this.usesNativeKernel(x, ctx)) return this.normalizeNative(x, ctx, this.gamma as tf.Tensor1D | null, this.beta as tf.Tensor1D | null);
    const { mean, variance } = this.statistics(x, ctx);
    // Not tf.batchNorm: its gradient breaks without a scale (tfjs 4.22 saves an undefined input).
    const inverse = tf.rsqrt(tf.add(variance, this.eps));
    const scale = this.gamma ? tf.mul(inverse, this.gamma) : inverse;
    const product = tf.mul(mean, scale);
    const shift = this.beta ? tf.sub(this.beta, product) : tf.neg(product);
    return tf.add(tf.mul(x, scale), shift);
  }

  /** Resets running statistics to (0, 1) and the counter to 0 (PyTorch `reset_running_stats`). */
  resetRunningStatistics(): void {
    tf.tidy(() => {
      this.runningMean.assign(tf.zerosLike(this.runningMean));
      this.runningVar.assign(tf.onesLike(this.runningVar));
      this.numBatchesTracked.assign(tf.scalar(0, 'int32'));
    });
  }
}

/**
 * Parameter layout of the class-conditional batch norm of StudioGAN's DCGAN and ResNet generators,
 * which changed in StudioGAN commit 43b43f1 (2022-01-25):
 * - `'embed'` (v0.3.0, the ReACGAN paper's code): `bnK.embed0` / `bnK.embed1` = Embedding
 *   [numClasses, C] (`sn_embedding` with `apply_g_sn`: spectral norm of the [numClasses, C] table,
 *   u over classes);
 * - `'linear'` (master): `bnK.gain` / `bnK.bias` = Linear on the one-hot label without bias, weight
 *   [C, numClasses] (`snlinear` with `apply_g_sn`: spectral norm of the [C, numClasses] matrix, u over
 *   features).
 * Without spectral norm the two are the same map (weight transposed). With it, σ is the same but the
 * power iteration runs on Wᵀ instead of W, so the stored u/v differ (swapped) and a sampling-mode forward
 * (one iteration) gives slightly different σ (≈ 1e-3 on images); a checkpoint is reproduced exactly
 * only in its own layout.
 */
export type ConditionalBatchNormLayout = 'embed' | 'linear';

/**
 * Class-conditional batch norm of StudioGAN's DCGAN and ResNet backbones
 * (`src/utils/ops.py:ConditionalBatchNorm2d`): out = BN(x)·(1 + gain(y)) + bias(y), with BN
 * without affine (eps 1e-4, momentum 0.1) and two per-class maps to [features] (spectral norm when
 * `apply_g_sn`), in either of StudioGAN's layouts ({@link ConditionalBatchNormLayout}): class
 * embeddings `embed0` / `embed1` (v0.3.0) or linears on the one-hot label `gain` / `bias` (master).
 * Running statistics are shared by all classes. A standalone layer starts with zero tables (exactly BN
 * without affine); inside the networks the tables get StudioGAN's `g_init`.
 */
export class ConditionalBatchNorm2d extends Module {
  readonly bn: BatchNorm2d;
  readonly layout: ConditionalBatchNormLayout;
  readonly numClasses: number;
  /** The gain map: `embed0` (Embedding [numClasses, C]) or `gain` (Linear, weight [C, numClasses]). */
  readonly gain: Embedding | Linear;
  /** The bias map: `embed1` or `bias`, as {@link gain}. */
  readonly bias: Embedding | Linear;

  constructor(name: string, numClasses: number, numFeatures: number, layerOptions: Partial<WeightLayerOptions> = {}, layout: ConditionalBatchNormLayout = 'embed') {
    super(name);
    if (layout !== 'embed' && layout !== 'linear') throw new Error(`ConditionalBatchNorm2d: layout must be 'embed' or 'linear', received ${String(layout)}`);
    const options = conditionalOptions(layerOptions);
    this.layout = layout;
    this.numClasses = numClasses;
    this.bn = this.addModule('bn', new BatchNorm2d('bn', numFeatures, { affine: false }));
    if (layout === 'embed') {
      this.gain = this.addModule('embed0', new Embedding('embed0', numClasses, numFeatures, options));
      this.bias = this.addModule('embed1', new Embedding('embed1', numClasses, numFeatures, options));
    } else {
      this.gain = this.addModule('gain', new Linear('gain', numClasses, numFeatures, false, options));
      this.bias = this.addModule('bias', new Linear('bias', numClasses, numFeatures, false, options));
    }
  }

  /** The per-sample gain and bias [N, C] for labels int32 [N] (before the 1 + gain). Call inside tf.tidy. */
  modulation(labels: tf.Tensor1D, ctx: ForwardContext): { gain: tf.Tensor2D; bias: tf.Tensor2D } {
    if (this.gain instanceof Embedding) return { gain: this.gain.apply(labels, ctx), bias: (this.bias as Embedding).apply(labels, ctx) };
    const oneHot = tf.cast(tf.oneHot(labels, this.numClasses), 'float32') as tf.Tensor2D;
    return { gain: this.gain.apply(oneHot, ctx), bias: (this.bias as Linear).apply(oneHot, ctx) };
  }

  /** x [N, H, W, C], labels int32 [N]. Call inside tf.tidy. */
  apply(x: tf.Tensor4D, labels: tf.Tensor1D, ctx: ForwardContext): tf.Tensor4D {
    const { gain, bias } = this.modulation(labels, ctx);
    return modulate(this.bn, x, gain, bias, ctx);
  }
}

/**
 * BigGAN's conditional batch norm (`src/utils/ops.py:BigGANConditionalBatchNorm2d`):
 * out = BN(x)·(1 + gain(a)) + bias(a), with BN without affine (eps 1e-4, momentum 0.1) and
 * `gain`, `bias` linear layers without bias (spectral norm when `apply_g_sn`) on the affine input
 * a = concat(shared(y), z_chunk).
 */
export class BigGANConditionalBatchNorm2d extends Module {
  readonly bn: BatchNorm2d;
  readonly gain: Linear;
  readonly bias: Linear;

  constructor(name: string, inFeatures: number, numFeatures: number, layerOptions: Partial<WeightLayerOptions> = {}) {
    super(name);
    const options = conditionalOptions(layerOptions);
    this.bn = this.addModule('bn', new BatchNorm2d('bn', numFeatures, { affine: false }));
    this.gain = this.addModule('gain', new Linear('gain', inFeatures, numFeatures, false, options));
    this.bias = this.addModule('bias', new Linear('bias', inFeatures, numFeatures, false, options));
  }

  /** x [N, H, W, C], affine [N, inFeatures]. Call inside tf.tidy. */
  apply(x: tf.Tensor4D, affine: tf.Tensor2D, ctx: ForwardContext): tf.Tensor4D {
    const gain = this.gain.apply(affine, ctx);
    const bias = this.bias.apply(affine, ctx);
    return modulate(this.bn, x, gain, bias, ctx);
  }
}

/**
 * BN(x)·(1 + gain) + bias with per-sample gain and bias [N, C], computed as x·s + t with
 * s = (1 + gain)/√(σ² + eps) and t = bias − μ·s ([N, C] each; two full-size operations). With
 * gain = bias = 0 this is bit-identical to BatchNorm2d without affine. With batch statistics on the
 * 'tensorflow' backend: one native kernel each way (`nativeModulatedBatchNorm`: BN(x) on TensorFlow's fused
 * kernel, then y·(1 + gain) + bias).
 */
function modulate(bn: BatchNorm2d, x: tf.Tensor4D, gain: tf.Tensor2D, bias: tf.Tensor2D, ctx: ForwardContext): tf.Tensor4D {
  const [n, , , c] = x.shape;
  // One native kernel each way: BN(x) on TensorFlow's fused batch norm, then the per-sample affine map.
  if (bn.usesNativeKernel(x, ctx)) return bn.modulateNative(x, ctx, gain, bias);
  const { mean, variance } = bn.statistics(x, ctx);
  const inverse = tf.rsqrt(tf.add(variance, bn.eps));
  const scale = tf.mul(tf.add(gain, 1), inverse);
  const shift = tf.sub(bias, tf.mul(mean, scale));
  return tf.add(tf.mul(x, tf.reshape(scale, [n, 1, 1, c])), tf.reshape(shift, [n, 1, 1, c]));
}
