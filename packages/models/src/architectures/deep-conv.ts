import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, ConditionalBatchNorm2d, type ConditionalBatchNormLayout } from '../layers/batch-norm.js';
import type { ForwardContext } from '../layers/context.js';
import { activation } from '../layers/ops.js';
import { SelfAttention } from '../layers/self-attention.js';
import { Conv2d, ConvTranspose2d, Linear, type WeightLayerOptions } from '../layers/weight-layers.js';
import { Module, ModuleList } from '../module.js';
import { Discriminator, Generator, discriminatorSeed, weightOptions, type NetworkSettings } from '../networks.js';
import { SeededRandom } from '../random.js';

/**
 * StudioGAN's DCGAN backbone (`src/models/deep_conv.py`, v0.3.0; 32 px only).
 *
 * G: linear0 (z → 8g·4·4) → 3 × [deconv 4×4 s2 → (c)BN → act] (8g→4g→2g→g) → conv 3×3 → tanh.
 * D: 3 × [conv 3×3 → (BN) → act → conv 4×4 s2 → (BN) → act] (d, 2d, 4d) → conv 3×3 (4d → 8d)
 *    → (BN) → act → sum pooling; BN only without SN.
 *
 * StudioGAN fixes the widths at g = d = 64 (512/256/128/64 and 64/128/256/512) and ignores
 * `g_conv_dim` / `d_conv_dim` (its DCGAN config sets them to 'N/A'); here they scale the widths,
 * with 'N/A' meaning 64, which reproduces StudioGAN exactly. The conditioning heads read the
 * 8d-channel features (StudioGAN commit 43b43f1; v0.3.0 sized them for 4d and fails).
 */

type GenAffine = { kind: 'cbn'; bn: ConditionalBatchNorm2d } | { kind: 'bn'; bn: BatchNorm2d };

class DeepConvGenBlock extends Module {
  readonly deconv0: ConvTranspose2d;
  readonly bn0: GenAffine;

  constructor(
    name: string,
    inChannels: number,
    outChannels: number,
    conditional: boolean,
    numClasses: number,
    options: WeightLayerOptions,
    cbnLayout: ConditionalBatchNormLayout,
  ) {
    super(name);
    this.deconv0 = this.addModule('deconv0', new ConvTranspose2d('deconv0', inChannels, outChannels, { kernelSize: 4, stride: 2, padding: 1 }, true, options));
    this.bn0 = conditional
      ? { kind: 'cbn', bn: this.addModule('bn0', new ConditionalBatchNorm2d('bn0', numClasses, outChannels, options, cbnLayout)) }
      : { kind: 'bn', bn: this.addModule('bn0', new BatchNorm2d('bn0', outChannels)) };
  }

  apply(x: tf.Tensor4D, labels: tf.Tensor1D, ctx: ForwardContext, act: Parameters<typeof activation>[1]): tf.Tensor4D {
    const y = this.deconv0.apply(x, ctx);
    const normalized = this.bn0.kind === 'cbn' ? this.bn0.bn.apply(y, labels, ctx) : this.bn0.bn.apply(y, ctx);
    return activation(normalized, act) as tf.Tensor4D;
  }
}

export class DeepConvGenerator extends Generator {
  readonly linear0: Linear;
  readonly blocks: ModuleList;
  readonly conv4: Conv2d;
  private readonly inDims: number[];

  constructor(settings: NetworkSettings) {
    super(settings);
    const { config, data } = settings;
    if (data.imgSize !== 32) throw new Error(`createGenerator: the deep_conv backbone supports imgSize 32 only (StudioGAN), received ${data.imgSize}`);
    const g = config.gConvDim === 'N/A' ? 64 : config.gConvDim;
    const inDims = [8 * g, 4 * g, 2 * g];
    const outDims = [4 * g, 2 * g, g];
    this.inDims = inDims;
    const rng = new SeededRandom(data.seed);
    const options = weightOptions(config.applyGSn, config.gInit, rng, data.initialize);
    this.linear0 = this.addModule('linear0', new Linear('linear0', config.zDim, inDims[0] * 16, true, options));
    this.blocks = this.addModule('blocks', new ModuleList('blocks'));
    const conditional = config.gCondMtd === 'cBN';
    for (let i = 0; i < inDims.length; i++) {
      this.blocks.push(new ModuleList(String(this.blocks.length), [new DeepConvGenBlock('0', inDims[i], outDims[i], conditional, data.numClasses, options, config.gCbnLayout)]));
      if (config.applyAttn && config.attnGLoc.includes(i + 1)) {
        this.blocks.push(new ModuleList(String(this.blocks.length), [new SelfAttention('0', outDims[i], options)]));
      }
    }
    this.conv4 = this.addModule('conv4', new Conv2d('conv4', outDims[2], data.imgChannels, { kernelSize: 3, padding: 1 }, true, options));
  }

  protected forward(z: tf.Tensor2D, labels: tf.Tensor1D, ctx: ForwardContext): tf.Tensor4D {
    const n = z.shape[0];
    // linear0's outputs are ordered (C, H, W) as PyTorch's view(-1, C, 4, 4); move C last.
    let x = tf.transpose(tf.reshape(this.linear0.apply(z, ctx), [n, this.inDims[0], 4, 4]), [0, 2, 3, 1]) as tf.Tensor4D;
    for (const list of this.blocks.items) {
      const block = (list as ModuleList).items[0];
      x = block instanceof SelfAttention ? block.apply(x, ctx) : (block as DeepConvGenBlock).apply(x, labels, ctx, this.config.gActFn);
    }
    return tf.tanh(this.conv4.apply(x, ctx));
  }
}

class DeepConvDiscBlock extends Module {
  readonly conv0: Conv2d;
  readonly conv1: Conv2d;
  readonly bn0: BatchNorm2d | null = null;
  readonly bn1: BatchNorm2d | null = null;

  constructor(name: string, inChannels: number, outChannels: number, applySn: boolean, options: WeightLayerOptions) {
    super(name);
    this.conv0 = this.addModule('conv0', new Conv2d('conv0', inChannels, outChannels, { kernelSize: 3, padding: 1 }, true, options));
    this.conv1 = this.addModule('conv1', new Conv2d('conv1', outChannels, outChannels, { kernelSize: 4, stride: 2, padding: 1 }, true, options));
    if (!applySn) {
      this.bn0 = this.addModule('bn0', new BatchNorm2d('bn0', outChannels));
      this.bn1 = this.addModule('bn1', new BatchNorm2d('bn1', outChannels));
    }
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext, act: Parameters<typeof activation>[1]): tf.Tensor4D {
    const fuse = act === 'ReLU' && this.bn0 === null;
    let y = this.conv0.apply(x, ctx, fuse ? 'relu' : 'linear');
    if (!fuse) y = activation(this.bn0 ? this.bn0.apply(y, ctx) : y, act) as tf.Tensor4D;
    let z = this.conv1.apply(y, ctx, fuse ? 'relu' : 'linear');
    if (!fuse) z = activation(this.bn1 ? this.bn1.apply(z, ctx) : z, act) as tf.Tensor4D;
    return z;
  }
}

export class DeepConvDiscriminator extends Discriminator {
  readonly blocks: ModuleList;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d | null = null;

  constructor(settings: NetworkSettings) {
    super(settings);
    const { config, data } = settings;
    if (data.imgSize !== 32) throw new Error(`createDiscriminator: the deep_conv backbone supports imgSize 32 only (StudioGAN), received ${data.imgSize}`);
    const d = config.dConvDim === 'N/A' ? 64 : config.dConvDim;
    const inDims = [data.imgChannels, d, 2 * d];
    const outDims = [d, 2 * d, 4 * d];
    const rng = new SeededRandom(discriminatorSeed(data.seed));
    const options = weightOptions(config.applyDSn, config.dInit, rng, data.initialize);
    this.blocks = this.addModule('blocks', new ModuleList('blocks'));
    for (let i = 0; i < inDims.length; i++) {
      this.blocks.push(new ModuleList(String(this.blocks.length), [new DeepConvDiscBlock('0', inDims[i], outDims[i], config.applyDSn, options)]));
      if (config.applyAttn && config.attnDLoc.includes(i + 1)) {
        this.blocks.push(new ModuleList(String(this.blocks.length), [new SelfAttention('0', outDims[i], options)]));
      }
    }
    this.conv1 = this.addModule('conv1', new Conv2d('conv1', 4 * d, 8 * d, { kernelSize: 3, padding: 1 }, true, options));
    if (!config.applyDSn) this.bn1 = this.addModule('bn1', new BatchNorm2d('bn1', 8 * d));
    this.buildHeads(8 * d, options);
  }

  protected features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
    let h = x;
    for (const list of this.blocks.items) {
      const block = (list as ModuleList).items[0];
      h = block instanceof SelfAttention ? block.apply(h, ctx) : (block as DeepConvDiscBlock).apply(h, ctx, this.config.dActFn);
    }
    const fuse = this.config.dActFn === 'ReLU' && this.bn1 === null;
    h = this.conv1.apply(h, ctx, fuse ? 'relu' : 'linear');
    if (!fuse) h = activation(this.bn1 ? this.bn1.apply(h, ctx) : h, this.config.dActFn) as tf.Tensor4D;
    return tf.sum(h, [1, 2]);
  }
}
