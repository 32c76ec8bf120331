import * as tf from '@tensorflow/tfjs-core';
import { initBias, initTorchWeight, permute, torchFans, type LayerInit, type WeightKind } from '../init.js';
import { Module } from '../module.js';
import type { SeededRandom } from '../random.js';
import type { ForwardContext } from './context.js';
import { conv2dBias, conv2dBiasRelu, nativeKernelsActive } from './native.js';
import { spectralNormalize, spectralSigmaWithUpdate, spectralVectorSizes, type SpectralView } from './spectral-norm.js';

/** StudioGAN's spectral-norm epsilon (`src/utils/ops.py`: `spectral_norm(..., eps=1e-6)`). */
export const SPECTRAL_NORM_EPS = 1e-6;

/** Options shared by every layer with a weight matrix. */
export interface WeightLayerOptions {
  /** Wrap the weight with spectral normalisation (parameter `weight_orig`, buffers `weight_u`, `weight_v`). */
  spectralNorm: boolean;
  /** Initialisation method (StudioGAN `g_init` / `d_init`, or 'zeros'). */
  init: LayerInit;
  /** Random stream for the initial weights and the SN vectors. */
  rng: SeededRandom;
  /** Spectral-norm epsilon (default 1e-6, StudioGAN). */
  spectralNormEps?: number;
  /** Skip random initialisation (weights zero, u and v unit vectors): for shells that load a state dict. */
  skipInit?: boolean;
}

/** Activations fused into matMul / conv2d (tfjs fused ops have gradients for these two). */
export type FusedActivation = 'linear' | 'relu';

/**
 * Base of Linear, Embedding, Conv2d and ConvTranspose2d: owns `weight` (or `weight_orig` + SN
 * buffers) and the optional `bias`, registered in PyTorch's order (weight, bias; with SN: bias,
 * weight_orig, weight_u, weight_v).
 */
export abstract class WeightLayer extends Module {
  readonly spectralNorm: boolean;
  readonly spectralNormEps: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly u: tf.Variable | null = null;
  readonly v: tf.Variable | null = null;
  /** Shape of the weight in PyTorch's layout. */
  readonly torchShape: number[];
  readonly view: SpectralView;

  protected constructor(
    name: string,
    kind: WeightKind,
    torchShape: number[],
    /** Permutation taking the PyTorch layout to ours (numpy.transpose order), or null for identity. */
    torchToOurs: number[] | null,
    view: SpectralView,
    useBias: boolean,
    options: WeightLayerOptions,
  ) {
    super(name);
    this.spectralNorm = options.spectralNorm;
    this.spectralNormEps = options.spectralNormEps ?? SPECTRAL_NORM_EPS;
    this.torchShape = torchShape;
    this.view = view;
    const ourShape = torchToOurs ? torchToOurs.map((p) => torchShape[p]) : torchShape;
    const size = torchShape.reduce((a, b) => a * b, 1);
    let weightData: Float32Array;
    if (options.skipInit) {
      weightData = new Float32Array(size);
    } else {
      const torchData = initTorchWeight(options.init, kind, torchShape, options.rng);
      weightData = torchToOurs ? permute(torchData, torchShape, torchToOurs) : torchData;
    }
    const outFeatures = kind === 'deconv' ? torchShape[1] : torchShape[0];
    const makeBias = (): tf.Variable =>
      this.addParameter(
        'bias',
        tf.tensor1d(options.skipInit ? new Float32Array(outFeatures) : initBias(options.init, outFeatures, torchFans(torchShape).fanIn, options.rng)),
      );
    if (this.spectralNorm) {
      this.bias = useBias ? makeBias() : null;
      this.weight = this.addParameter('weight_orig', tf.tensor(weightData, ourShape));
      const sizes = spectralVectorSizes(ourShape, view);
      this.u = this.addBuffer('weight_u', tf.tensor1d(unitVector(sizes.u, options)));
      this.v = this.addBuffer('weight_v', tf.tensor1d(unitVector(sizes.v, options)));
    } else {
      this.weight = this.addParameter('weight', tf.tensor(weightData, ourShape));
      this.bias = useBias ? makeBias() : null;
    }
  }

  /** The weight used in the forward pass: W, or W/σ with spectral norm (power iteration when asked). */
  effectiveWeight(ctx: Pick<ForwardContext, 'updateSpectralNorm'>): tf.Tensor {
    if (!this.spectralNorm) return this.weight;
    return spectralNormalize(this.weight, this.u!, this.v!, this.view, this.spectralNormEps, ctx.updateSpectralNorm);
  }
}

/** normalize(N(0, I)) as PyTorch initialises u and v; e₀ when the init is skipped. */
function unitVector(n: number, options: WeightLayerOptions): Float32Array {
  const out = new Float32Array(n);
  if (options.skipInit) {
    out[0] = 1;
    return out;
  }
  let norm2 = 0;
  const tmp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tmp[i] = options.rng.normal();
    norm2 += tmp[i] * tmp[i];
  }
  const norm = Math.max(Math.sqrt(norm2), options.spectralNormEps ?? SPECTRAL_NORM_EPS);
  for (let i = 0; i < n; i++) out[i] = tmp[i] / norm;
  return out;
}

/**
 * Fully connected layer, y = x Wᵀ + b, weight [out, in] as PyTorch's `nn.Linear` (no layout
 * transform needed for StudioGAN weights). Input [N, in] → output [N, out].
 */
export class Linear extends WeightLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(name: string, inFeatures: number, outFeatures: number, useBias: boolean, options: WeightLayerOptions) {
    super(name, 'linear', [outFeatures, inFeatures], null, 'rows', useBias, options);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  apply(x: tf.Tensor2D, ctx: ForwardContext, activation: FusedActivation = 'linear'): tf.Tensor2D {
    return tf.fused.matMul({
      a: x,
      b: this.effectiveWeight(ctx) as tf.Tensor2D,
      transposeB: true,
      bias: this.bias ?? undefined,
      activation,
    }) as tf.Tensor2D;
  }
}

/**
 * Embedding table [num, dim] (PyTorch `nn.Embedding`); with spectral norm the matrix is the
 * table itself (u over rows), as `torch.nn.utils.spectral_norm(nn.Embedding(...))`.
 * Input int32 [N] → output [N, dim].
 */
export class Embedding extends WeightLayer {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(name: string, numEmbeddings: number, embeddingDim: number, options: WeightLayerOptions) {
    super(name, 'embedding', [numEmbeddings, embeddingDim], null, 'rows', false, options);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
  }

  apply(labels: tf.Tensor1D, ctx: ForwardContext): tf.Tensor2D {
    if (this.spectralNorm && nativeKernelsActive()) return tf.gather(this.effectiveWeight(ctx), labels) as tf.Tensor2D;
    const rows = tf.gather(this.weight, labels) as tf.Tensor2D;
    if (!this.spectralNorm) return rows;
    // gather(W)/σ equals gather(W/σ) and divides only N rows.
    return tf.div(rows, spectralSigmaWithUpdate(this.weight, this.u!, this.v!, this.view, this.spectralNormEps, ctx.updateSpectralNorm));
  }
}

/**
 * True when TensorFlow's 'same' padding of an input of `size` equals PyTorch's symmetric
 * `padding` (same output size, `padding` pixels before and after).
 */
export function sameEqualsSymmetric(size: number, kernel: number, stride: number, padding: number): boolean {
  const out = Math.ceil(size / stride);
  const torchOut = Math.floor((size + 2 * padding - kernel) / stride) + 1;
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return out === torchOut && before === padding && total - before === padding;
}

export interface Conv2dGeometry {
  kernelSize: number;
  stride?: number;
  /** Symmetric zero padding in pixels (PyTorch `padding`). */
  padding?: number;
}

/**
 * 2-D convolution, NHWC input, weight HWIO [kH, kW, in, out] (PyTorch's OIHW permuted by
 * (2, 3, 1, 0)), PyTorch's symmetric `padding`. Input [N, H, W, in] → [N, H', W', out].
 */
export class Conv2d extends WeightLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;

  constructor(name: string, inChannels: number, outChannels: number, geometry: Conv2dGeometry, useBias: boolean, options: WeightLayerOptions) {
    const k = geometry.kernelSize;
    super(name, 'conv', [outChannels, inChannels, k, k], [2, 3, 1, 0], 'columns', useBias, options);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = geometry.stride ?? 1;
    this.padding = geometry.padding ?? 0;
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext, activation: FusedActivation = 'linear'): tf.Tensor4D {
    const filter = this.effectiveWeight(ctx) as tf.Tensor4D;
    let input = x;
    let pad: 'valid' | 'same' = 'valid';
    if (this.padding > 0) {
      if (sameEqualsSymmetric(x.shape[1], this.kernelSize, this.stride, this.padding) && sameEqualsSymmetric(x.shape[2], this.kernelSize, this.stride, this.padding)) {
        pad = 'same';
      } else {
        const p = this.padding;
        input = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
      }
    }
    if (activation === 'relu' && this.bias) {
      // One kernel in training too on the 'tensorflow' backend (tfjs-core unfuses relu under a gradient).
      return conv2dBiasRelu(input, filter, this.bias as tf.Tensor1D, this.stride, pad);
    }
    // One kernel on the 'tensorflow' backend too, whose gradient computes only what is needed (native.ts).
    if (activation === 'linear') return conv2dBias(input, filter, (this.bias as tf.Tensor1D | null) ?? null, this.stride, pad);
    return tf.fused.conv2d({
      x: input,
      filter,
      strides: this.stride,
      pad,
      bias: this.bias ?? undefined,
      activation,
    });
  }
}

/**
 * Transposed 2-D convolution (PyTorch `nn.ConvTranspose2d`), weight [kH, kW, out, in] (tfjs
 * `conv2dTranspose` layout; PyTorch's [in, out, kH, kW] permuted by (2, 3, 1, 0)).
 * Output size (H − 1)·stride − 2·padding + kernel.
 */
export class ConvTranspose2d extends WeightLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;

  constructor(name: string, inChannels: number, outChannels: number, geometry: Conv2dGeometry, useBias: boolean, options: WeightLayerOptions) {
    const k = geometry.kernelSize;
    super(name, 'deconv', [inChannels, outChannels, k, k], [2, 3, 1, 0], 'deconv', useBias, options);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = geometry.stride ?? 2;
    this.padding = geometry.padding ?? 0;
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const outH = (h - 1) * this.stride - 2 * this.padding + this.kernelSize;
    const outW = (w - 1) * this.stride - 2 * this.padding + this.kernelSize;
    const filter = this.effectiveWeight(ctx) as tf.Tensor4D;
    // conv2dTranspose is the adjoint of a convolution of the output; its padding is that
    // convolution's. The native backend only takes 'same' / 'valid'.
    let pad: 'valid' | 'same' | number = 'valid';
    if (this.padding > 0) {
      const same = sameEqualsSymmetric(outH, this.kernelSize, this.stride, this.padding) && sameEqualsSymmetric(outW, this.kernelSize, this.stride, this.padding);
      if (!same) throw new Error(`ConvTranspose2d: padding ${this.padding} with kernel ${this.kernelSize}, stride ${this.stride} and output ${outH}×${outW} is not expressible as 'same'`);
      pad = 'same';
    }
    const y = tf.conv2dTranspose(x, filter, [n, outH, outW, this.outChannels], this.stride, pad);
    return this.bias ? tf.add(y, this.bias) : y;
  }
}
