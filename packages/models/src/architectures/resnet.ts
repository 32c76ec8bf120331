import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, BigGANConditionalBatchNorm2d, ConditionalBatchNorm2d, type ConditionalBatchNormLayout } from '../layers/batch-norm.js';
import type { ForwardContext } from '../layers/context.js';
import { activation, averagePool2x, upsampleNearest2x, type ActivationName } from '../layers/ops.js';
import { SelfAttention } from '../layers/self-attention.js';
import { Conv2d, Embedding, Linear, type WeightLayerOptions } from '../layers/weight-layers.js';
import { Module, ModuleList } from '../module.js';
import { Discriminator, Generator, discriminatorSeed, weightOptions, type NetworkSettings } from '../networks.js';
import { SeededRandom } from '../random.js';
import { resnetTables } from './channel-tables.js';

/**
 * StudioGAN's ResNet (SNGAN-style, `src/models/resnet.py`) and BigGAN (`src/models/big_resnet.py`)
 * backbones, v0.3.0. Their discriminators are identical; the generators differ in conditioning:
 * - resnet: the whole z feeds linear0; cBN is `ConditionalBatchNorm2d` (per-class gain/bias
 *   tables, i.e. linears on the one-hot label; `gCbnLayout` picks v0.3.0's or master's parameters);
 * - big_resnet: hierarchical z — z splits into (blocks + 1) chunks, chunk 0 feeds linear0 and
 *   block k's two cBNs read concat(shared(y), chunk k+1), with `shared` a plain class embedding
 *   [C, gSharedDim]; cBN is `BigGANConditionalBatchNorm2d`.
 *
 * G block: (c)BN → act → up×2 → conv3×3 → (c)BN → act → conv3×3, plus up×2 → conv1×1 shortcut.
 * G output: BN → act → conv3×3 → tanh. D: an optimised first block and pre-activation residual
 * blocks with 2×2 average pooling; BN only without SN. With SN and an in-place activation (ReLU,
 * Leaky_ReLU, ELU: StudioGAN builds them with `inplace=True`) the residual blocks' shortcut reads act(x),
 * not x, exactly as StudioGAN computes it (its `x0 = x` aliases the tensor the activation overwrites).
 */

type BlockNorm =
  | { kind: 'bn'; bn1: BatchNorm2d; bn2: BatchNorm2d }
  | { kind: 'cbn'; bn1: ConditionalBatchNorm2d; bn2: ConditionalBatchNorm2d }
  | { kind: 'biggan'; bn1: BigGANConditionalBatchNorm2d; bn2: BigGANConditionalBatchNorm2d };

/** What a G block's conditional BN reads: class labels (resnet) or the affine vector (big_resnet). */
interface BlockCondition {
  labels: tf.Tensor1D;
  affine?: tf.Tensor2D;
}

class ResNetGenBlock extends Module {
  readonly norm: BlockNorm;
  readonly conv2d0: Conv2d;
  readonly conv2d1: Conv2d;
  readonly conv2d2: Conv2d;

  constructor(
    name: string,
    inChannels: number,
    outChannels: number,
    norm: 'bn' | 'cbn' | 'biggan',
    conditionDim: number,
    options: WeightLayerOptions,
    cbnLayout: ConditionalBatchNormLayout,
  ) {
    super(name);
    if (norm === 'bn') {
      this.norm = {
        kind: 'bn',
        bn1: this.addModule('bn1', new BatchNorm2d('bn1', inChannels)),
        bn2: this.addModule('bn2', new BatchNorm2d('bn2', outChannels)),
      };
    } else if (norm === 'cbn') {
      this.norm = {
        kind: 'cbn',
        bn1: this.addModule('bn1', new ConditionalBatchNorm2d('bn1', conditionDim, inChannels, options, cbnLayout)),
        bn2: this.addModule('bn2', new ConditionalBatchNorm2d('bn2', conditionDim, outChannels, options, cbnLayout)),
      };
    } else {
      this.norm = {
        kind: 'biggan',
        bn1: this.addModule('bn1', new BigGANConditionalBatchNorm2d('bn1', conditionDim, inChannels, options)),
        bn2: this.addModule('bn2', new BigGANConditionalBatchNorm2d('bn2', conditionDim, outChannels, options)),
      };
    }
    this.conv2d0 = this.addModule('conv2d0', new Conv2d('conv2d0', inChannels, outChannels, { kernelSize: 1 }, true, options));
    this.conv2d1 = this.addModule('conv2d1', new Conv2d('conv2d1', inChannels, outChannels, { kernelSize: 3, padding: 1 }, true, options));
    this.conv2d2 = this.addModule('conv2d2', new Conv2d('conv2d2', outChannels, outChannels, { kernelSize: 3, padding: 1 }, true, options));
  }

  private normalize(which: 1 | 2, x: tf.Tensor4D, condition: BlockCondition, ctx: ForwardContext): tf.Tensor4D {
    const norm = this.norm;
    if (norm.kind === 'bn') return (which === 1 ? norm.bn1 : norm.bn2).apply(x, ctx);
    if (norm.kind === 'cbn') return (which === 1 ? norm.bn1 : norm.bn2).apply(x, condition.labels, ctx);
    return (which === 1 ? norm.bn1 : norm.bn2).apply(x, condition.affine!, ctx);
  }

  apply(x: tf.Tensor4D, condition: BlockCondition, ctx: ForwardContext, act: ActivationName): tf.Tensor4D {
    let h = activation(this.normalize(1, x, condition, ctx), act) as tf.Tensor4D;
    h = this.conv2d1.apply(upsampleNearest2x(h), ctx);
    h = activation(this.normalize(2, h, condition, ctx), act) as tf.Tensor4D;
    h = this.conv2d2.apply(h, ctx);
    // A 1×1 convolution commutes with nearest upsampling: convolve first (4× fewer pixels).
    const shortcut = upsampleNearest2x(this.conv2d0.apply(x, ctx));
    return tf.add(h, shortcut);
  }
}

export class ResNetGenerator extends Generator {
  readonly linear0: Linear;
  readonly shared: Embedding | null = null;
  readonly blocks: ModuleList;
  readonly bn4: BatchNorm2d;
  readonly conv2d5: Conv2d;
  private readonly inDims: number[];
  private readonly bottom: number;
  private readonly chunkSize: number;
  private readonly hierarchical: boolean;

  constructor(settings: NetworkSettings) {
    super(settings);
    const { config, data } = settings;
    const tables = resnetTables(data.imgSize, config.gConvDim as number, config.dConvDim === 'N/A' ? 64 : config.dConvDim, 'createGenerator');
    const { generatorIn: inDims, generatorOut: outDims, bottom } = tables;
    this.inDims = inDims;
    this.bottom = bottom;
    this.hierarchical = config.backbone === 'big_resnet';
    const numBlocks = inDims.length;
    if (this.hierarchical && config.zDim % (numBlocks + 1) !== 0) {
      throw new Error(
        `createGenerator: big_resnet splits z into ${numBlocks + 1} chunks at imgSize ${data.imgSize} (blocks + 1), so zDim must be divisible by ${numBlocks + 1}, received ${config.zDim}`,
      );
    }
    this.chunkSize = this.hierarchical ? config.zDim / (numBlocks + 1) : config.zDim;
    const rng = new SeededRandom(data.seed);
    const options = weightOptions(config.applyGSn, config.gInit, rng, data.initialize);
    this.linear0 = this.addModule('linear0', new Linear('linear0', this.chunkSize, inDims[0] * bottom * bottom, true, options));
    const sharedDim = config.gSharedDim as number;
    if (this.hierarchical) {
      // ops.embedding: never spectrally normalised, but initialised with g_init.
      this.shared = this.addModule('shared', new Embedding('shared', data.numClasses, sharedDim, { ...options, spectralNorm: false }));
    }
    const norm = config.gCondMtd === 'W/O' ? 'bn' : this.hierarchical ? 'biggan' : 'cbn';
    const conditionDim = this.hierarchical ? this.chunkSize + sharedDim : data.numClasses;
    this.blocks = this.addModule('blocks', new ModuleList('blocks'));
    for (let i = 0; i < numBlocks; i++) {
      this.blocks.push(new ModuleList(String(this.blocks.length), [new ResNetGenBlock('0', inDims[i], outDims[i], norm, conditionDim, options, config.gCbnLayout)]));
      if (config.applyAttn && config.attnGLoc.includes(i + 1)) {
        this.blocks.push(new ModuleList(String(this.blocks.length), [new SelfAttention('0', outDims[i], options)]));
      }
    }
    const last = outDims[outDims.length - 1];
    this.bn4 = this.addModule('bn4', new BatchNorm2d('bn4', last));
    this.conv2d5 = this.addModule('conv2d5', new Conv2d('conv2d5', last, data.imgChannels, { kernelSize: 3, padding: 1 }, true, options));
  }

  protected forward(z: tf.Tensor2D, labels: tf.Tensor1D, ctx: ForwardContext): tf.Tensor4D {
    const n = z.shape[0];
    let first = z;
    let affines: tf.Tensor2D[] = [];
    if (this.hierarchical) {
      const chunks = tf.split(z, this.zDim / this.chunkSize, 1) as tf.Tensor2D[];
      first = chunks[0];
      if (this.config.gCondMtd === 'cBN') {
        const shared = this.shared!.apply(labels, ctx);
        affines = chunks.slice(1).map((chunk) => tf.concat([shared, chunk], 1) as tf.Tensor2D);
      }
    }
    const c0 = this.inDims[0];
    const s = this.bottom;
    // linear0's outputs are ordered (C, H, W) as PyTorch's view(-1, C, 4, 4); move C last.
    let x = tf.transpose(tf.reshape(this.linear0.apply(first, ctx), [n, c0, s, s]), [0, 2, 3, 1]) as tf.Tensor4D;
    let counter = 0;
    for (const list of this.blocks.items) {
      const block = (list as ModuleList).items[0];
      if (block instanceof SelfAttention) {
        x = block.apply(x, ctx);
      } else {
        x = (block as ResNetGenBlock).apply(x, { labels, affine: affines[counter] }, ctx, this.config.gActFn);
        counter++;
      }
    }
    x = activation(this.bn4.apply(x, ctx), this.config.gActFn) as tf.Tensor4D;
    return tf.tanh(this.conv2d5.apply(x, ctx));
  }
}

class DiscOptBlock extends Module {
  readonly conv2d0: Conv2d;
  readonly conv2d1: Conv2d;
  readonly conv2d2: Conv2d;
  readonly bn0: BatchNorm2d | null = null;
  readonly bn1: BatchNorm2d | null = null;

  constructor(name: string, inChannels: number, outChannels: number, applySn: boolean, options: WeightLayerOptions) {
    super(name);
    this.conv2d0 = this.addModule('conv2d0', new Conv2d('conv2d0', inChannels, outChannels, { kernelSize: 1 }, true, options));
    this.conv2d1 = this.addModule('conv2d1', new Conv2d('conv2d1', inChannels, outChannels, { kernelSize: 3, padding: 1 }, true, options));
    this.conv2d2 = this.addModule('conv2d2', new Conv2d('conv2d2', outChannels, outChannels, { kernelSize: 3, padding: 1 }, true, options));
    if (!applySn) {
      this.bn0 = this.addModule('bn0', new BatchNorm2d('bn0', inChannels));
      this.bn1 = this.addModule('bn1', new BatchNorm2d('bn1', outChannels));
    }
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext, act: ActivationName): tf.Tensor4D {
    let h: tf.Tensor4D;
    if (this.bn1 === null && act === 'ReLU') {
      h = this.conv2d1.apply(x, ctx, 'relu');
    } else {
      h = this.conv2d1.apply(x, ctx);
      h = activation(this.bn1 ? this.bn1.apply(h, ctx) : h, act) as tf.Tensor4D;
    }
    h = averagePool2x(this.conv2d2.apply(h, ctx));
    let shortcut = averagePool2x(x);
    if (this.bn0) shortcut = this.bn0.apply(shortcut, ctx);
    return tf.add(h, this.conv2d0.apply(shortcut, ctx));
  }
}

/** The activations StudioGAN's `config.py` builds with `inplace=True` (GELU has no in-place form). */
const IN_PLACE_ACTIVATIONS: ReadonlySet<ActivationName> = new Set(['ReLU', 'Leaky_ReLU', 'ELU']);

class DiscBlock extends Module {
  readonly conv2d0: Conv2d | null = null;
  readonly bn0: BatchNorm2d | null = null;
  readonly conv2d1: Conv2d;
  readonly conv2d2: Conv2d;
  readonly bn1: BatchNorm2d | null = null;
  readonly bn2: BatchNorm2d | null = null;
  readonly downsample: boolean;

  constructor(name: string, inChannels: number, outChannels: number, applySn: boolean, downsample: boolean, options: WeightLayerOptions) {
    super(name);
    this.downsample = downsample;
    if (inChannels !== outChannels || downsample) {
      this.conv2d0 = this.addModule('conv2d0', new Conv2d('conv2d0', inChannels, outChannels, { kernelSize: 1 }, true, options));
      if (!applySn) this.bn0 = this.addModule('bn0', new BatchNorm2d('bn0', inChannels));
    }
    this.conv2d1 = this.addModule('conv2d1', new Conv2d('conv2d1', inChannels, outChannels, { kernelSize: 3, padding: 1 }, true, options));
    this.conv2d2 = this.addModule('conv2d2', new Conv2d('conv2d2', outChannels, outChannels, { kernelSize: 3, padding: 1 }, true, options));
    if (!applySn) {
      this.bn1 = this.addModule('bn1', new BatchNorm2d('bn1', inChannels));
      this.bn2 = this.addModule('bn2', new BatchNorm2d('bn2', outChannels));
    }
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext, act: ActivationName): tf.Tensor4D {
    const activated = activation(this.bn1 ? this.bn1.apply(x, ctx) : x, act) as tf.Tensor4D;
    let h = activated;
    if (this.bn2 === null && act === 'ReLU') {
      h = this.conv2d1.apply(h, ctx, 'relu');
    } else {
      h = this.conv2d1.apply(h, ctx);
      h = activation(this.bn2 ? this.bn2.apply(h, ctx) : h, act) as tf.Tensor4D;
    }
    h = this.conv2d2.apply(h, ctx);
    if (this.downsample) h = averagePool2x(h);
    // StudioGAN's DiscBlock keeps `x0 = x` and then applies its activation in place (ReLU, LeakyReLU and ELU
    // are built with inplace=True; GELU is not). Without bn1 (spectral norm on) the activation rewrites x
    // itself, so the shortcut carries act(x); with bn1 it acts on BN's new tensor and the shortcut keeps x.
    let shortcut = this.bn1 === null && IN_PLACE_ACTIVATIONS.has(act) ? activated : x;
    if (this.conv2d0) {
      if (this.bn0) shortcut = this.bn0.apply(shortcut, ctx);
      // A 1×1 convolution commutes with average pooling: pool first (4× fewer pixels).
      if (this.downsample) shortcut = averagePool2x(shortcut);
      shortcut = this.conv2d0.apply(shortcut, ctx);
    }
    return tf.add(h, shortcut);
  }
}

export class ResNetDiscriminator extends Discriminator {
  readonly blocks: ModuleList;

  constructor(settings: NetworkSettings) {
    super(settings);
    const { config, data } = settings;
    const tables = resnetTables(data.imgSize, config.gConvDim === 'N/A' ? 64 : config.gConvDim, config.dConvDim as number, 'createDiscriminator');
    const inDims = [data.imgChannels, ...tables.discriminatorIn];
    const outDims = tables.discriminatorOut;
    const rng = new SeededRandom(discriminatorSeed(data.seed));
    const options = weightOptions(config.applyDSn, config.dInit, rng, data.initialize);
    this.blocks = this.addModule('blocks', new ModuleList('blocks'));
    for (let i = 0; i < inDims.length; i++) {
      const block =
        i === 0
          ? new DiscOptBlock('0', inDims[i], outDims[i], config.applyDSn, options)
          : new DiscBlock('0', inDims[i], outDims[i], config.applyDSn, tables.discriminatorDown[i], options);
      this.blocks.push(new ModuleList(String(this.blocks.length), [block]));
      if (config.applyAttn && config.attnDLoc.includes(i + 1)) {
        this.blocks.push(new ModuleList(String(this.blocks.length), [new SelfAttention('0', outDims[i], options)]));
      }
    }
    this.buildHeads(outDims[outDims.length - 1], options);
  }

  protected features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
    let h = x;
    for (const list of this.blocks.items) {
      const block = (list as ModuleList).items[0];
      if (block instanceof SelfAttention) h = block.apply(h, ctx);
      else h = (block as DiscOptBlock | DiscBlock).apply(h, ctx, this.config.dActFn);
    }
    return tf.sum(activation(h, this.config.dActFn), [1, 2]);
  }
}
