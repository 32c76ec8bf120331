import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import type { ForwardContext } from './context.js';
import { maxPool2x } from './ops.js';
import { Conv2d, type WeightLayerOptions } from './weight-layers.js';

/**
 * SAGAN self-attention (Zhang et al. 2019) as in StudioGAN's `src/utils/ops.py:SelfAttention`:
 * θ, φ (C → C/8), g (C → C/2) and the output projection (C/2 → C) are bias-free 1×1 convolutions
 * (spectral norm when the network's SN is on); φ and g are 2×2 max-pooled; attention is
 * softmax(θᵀφ) over the pooled positions; out = x + σ·attn_conv(g·attnᵀ) with σ a learnable
 * scalar initialised to 0 (so the layer is the identity at initialisation).
 * Needs C divisible by 8 and even H, W.
 */
export class SelfAttention extends Module {
  readonly channels: number;
  readonly theta: Conv2d;
  readonly phi: Conv2d;
  readonly g: Conv2d;
  readonly attn: Conv2d;
  readonly sigma: tf.Variable;

  constructor(name: string, channels: number, options: WeightLayerOptions) {
    super(name);
    if (channels % 8 !== 0) {
      throw new Error(`SelfAttention: channels must be divisible by 8, received ${channels}`);
    }
    this.channels = channels;
    const c8 = channels / 8;
    const c2 = channels / 2;
    this.theta = this.addModule('conv1x1_theta', new Conv2d('conv1x1_theta', channels, c8, { kernelSize: 1 }, false, options));
    this.phi = this.addModule('conv1x1_phi', new Conv2d('conv1x1_phi', channels, c8, { kernelSize: 1 }, false, options));
    this.g = this.addModule('conv1x1_g', new Conv2d('conv1x1_g', channels, c2, { kernelSize: 1 }, false, options));
    this.attn = this.addModule('conv1x1_attn', new Conv2d('conv1x1_attn', c2, channels, { kernelSize: 1 }, false, options));
    // PyTorch registers `sigma` on the module itself after the convolutions.
    this.sigma = this.addParameter('sigma', tf.zeros([1]));
  }

  /** x [N, H, W, C] → [N, H, W, C]. Call inside tf.tidy. */
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    if (h % 2 !== 0 || w % 2 !== 0) {
      throw new Error(`SelfAttention: spatial size must be even, received ${h}×${w}`);
    }
    const hw = h * w;
    const pooled = hw / 4;
    const theta = tf.reshape(this.theta.apply(x, ctx), [n, hw, c / 8]);
    const phi = tf.reshape(maxPool2x(this.phi.apply(x, ctx)), [n, pooled, c / 8]);
    const attention = tf.softmax(tf.matMul(theta, phi, false, true)); // [N, HW, HW/4]
    const g = tf.reshape(maxPool2x(this.g.apply(x, ctx)), [n, pooled, c / 2]);
    const attended = tf.reshape(tf.matMul(attention, g), [n, h, w, c / 2]) as tf.Tensor4D;
    const projected = this.attn.apply(attended, ctx);
    return tf.add(x, tf.mul(this.sigma, projected));
  }
}
