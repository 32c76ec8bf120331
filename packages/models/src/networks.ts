import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, ModelDataOptions } from './config.js';
import type { InitMethod } from './init.js';
import { BatchNorm2d } from './layers/batch-norm.js';
import { forwardContext, type ApplyOptions, type ForwardContext, type StandingStatisticsCollector } from './layers/context.js';
import { l2NormalizeRows } from './layers/ops.js';
import { Embedding, Linear, type WeightLayerOptions } from './layers/weight-layers.js';
import { Module } from './module.js';
import { randomSeed, type SeededRandom } from './random.js';

/** Resolved construction settings shared by the backbones. */
export interface NetworkSettings {
  config: ModelConfig;
  data: Required<Pick<ModelDataOptions, 'imgSize' | 'imgChannels' | 'numClasses'>> & { seed: number; initialize: boolean };
}

export function resolveSettings(config: ModelConfig, data: ModelDataOptions): NetworkSettings {
  return {
    config,
    data: {
      imgSize: data.imgSize,
      imgChannels: data.imgChannels,
      numClasses: data.numClasses,
      seed: data.seed ?? randomSeed(),
      initialize: data.initialize ?? true,
    },
  };
}

export function weightOptions(spectralNorm: boolean, init: InitMethod | false, rng: SeededRandom, initialize: boolean): WeightLayerOptions {
  return { spectralNorm, init: init === false ? 'default' : init, rng, skipInit: !initialize };
}

function checkLabels(labels: tf.Tensor, n: number, caller: string): void {
  if (!(labels instanceof tf.Tensor)) throw new TypeError(`${caller}: labels must be an int32 tf.Tensor1D, received ${String(labels)}`);
  if (labels.rank !== 1 || labels.shape[0] !== n) {
    throw new Error(`${caller}: labels must have shape [${n}] (one per sample), received [${labels.shape.join(', ')}]`);
  }
  if (labels.dtype !== 'int32') throw new TypeError(`${caller}: labels must be int32, received ${labels.dtype}`);
}

/**
 * A conditional generator: `apply(z [N, zDim], labels int32 [N], { training })` → images
 * [N, imgSize, imgSize, imgChannels], float32 NHWC in [−1, 1] (tanh).
 */
export abstract class Generator extends Module {
  readonly config: ModelConfig;
  readonly dataOptions: NetworkSettings['data'];
  readonly zDim: number;
  readonly imgSize: number;
  readonly imgChannels: number;
  readonly numClasses: number;

  protected constructor(settings: NetworkSettings) {
    super('generator');
    this.config = settings.config;
    this.dataOptions = settings.data;
    this.zDim = settings.config.zDim;
    this.imgSize = settings.data.imgSize;
    this.imgChannels = settings.data.imgChannels;
    this.numClasses = settings.data.numClasses;
  }

  /**
   * Generates images. Training mode uses batch statistics, runs one spectral-norm power
   * iteration per SN layer and (unless `updateStatistics: false`) updates BN running statistics;
   * evaluation mode changes nothing. The result is a new tensor (dispose it); no other tensor
   * is left behind.
   * @param z float32 [N, zDim]
   * @param labels int32 [N], class indices in [0, numClasses)
   * @returns float32 [N, imgSize, imgSize, imgChannels] in [−1, 1]
   */
  apply(z: tf.Tensor2D, labels: tf.Tensor1D, options: ApplyOptions): tf.Tensor4D {
    return this.applyWithContext(z, labels, forwardContext(options));
  }

  /** As {@link apply}, with an explicit context (standing statistics use it). */
  applyWithContext(z: tf.Tensor2D, labels: tf.Tensor1D, ctx: ForwardContext): tf.Tensor4D {
    if (this.isDisposed) throw new Error('Generator.apply: the generator has been disposed');
    if (!(z instanceof tf.Tensor) || z.rank !== 2 || z.shape[1] !== this.zDim) {
      throw new Error(`Generator.apply: z must have shape [N, ${this.zDim}], received ${z instanceof tf.Tensor ? `[${z.shape.join(', ')}]` : String(z)}`);
    }
    checkLabels(labels, z.shape[0], 'Generator.apply');
    return tf.tidy(() => this.forward(z.dtype === 'float32' ? z : tf.cast(z, 'float32'), labels, ctx));
  }

  protected abstract forward(z: tf.Tensor2D, labels: tf.Tensor1D, ctx: ForwardContext): tf.Tensor4D;

  /** Every batch-norm layer (plain and inside conditional BN), in state-dict order. */
  batchNorms(): BatchNorm2d[] {
    const out: BatchNorm2d[] = [];
    const walk = (m: Module): void => {
      if (m instanceof BatchNorm2d) out.push(m);
      for (const [, child] of m.namedChildren()) walk(child);
    };
    walk(this);
    return out;
  }

  /** Runs a forward pass that reports batch statistics to `collector` (standing statistics). */
  collectStatistics(z: tf.Tensor2D, labels: tf.Tensor1D, collector: StandingStatisticsCollector): void {
    const ctx: ForwardContext = { batchStatistics: true, updateStatistics: false, updateSpectralNorm: false, standing: collector };
    this.applyWithContext(z, labels, ctx).dispose();
  }
}

/**
 * Outputs of a discriminator (StudioGAN's `Discriminator.forward` dictionary, camelCase).
 * - `h` [N, F]: activation then *sum* pooling of the last feature map (L2-normalised for 'AC'
 *   with `normalizeDEmbed`, as StudioGAN returns it);
 * - `advOutput`: the adversarial logit [N]; 'PD' adds ⟨embedding(y), h⟩; 'MD' picks the label's
 *   output; for 'MH' it is the [N, C + 1] multi-hinge logits (the same tensor as `clsOutput`);
 * - `embed`, `proxy` [N, dEmbedDim] for '2C' / 'D2DCE' (L2-normalised when `normalizeDEmbed`);
 * - `clsOutput` [N, C] for 'AC' (C doubled for ADC), [N, C + 1] for 'MH';
 * - `label`: the labels the head used (ADC maps y → 2y, or 2y + 1 with `adcFake`);
 * - `miEmbed`, `miProxy`, `miClsOutput`: the TAC twin head.
 */
export interface DiscriminatorOutput {
  /** (Index signature so that `tf.dispose(output)` type-checks.) */
  [key: string]: tf.Tensor | undefined;
  h: tf.Tensor2D;
  advOutput: tf.Tensor1D;
  embed?: tf.Tensor2D;
  proxy?: tf.Tensor2D;
  clsOutput?: tf.Tensor2D;
  label?: tf.Tensor1D;
  miEmbed?: tf.Tensor2D;
  miProxy?: tf.Tensor2D;
  miClsOutput?: tf.Tensor2D;
}

export interface DiscriminatorApplyOptions extends ApplyOptions {
  /** ADC only: the batch is fake (labels → 2y + 1); default false (labels → 2y). */
  adcFake?: boolean;
}

/**
 * A conditional discriminator: `apply(x NHWC [N, S, S, C] in [−1, 1], labels int32 [N],
 * { training })` → {@link DiscriminatorOutput}. The conditioning heads are StudioGAN's:
 * `linear1` (adversarial, bias), `linear2` (AC: no bias; 2C/D2DCE: embed with bias),
 * `embedding` (PD projection or 2C/D2DCE proxies), `linear_mi` / `embedding_mi` (TAC).
 */
export abstract class Discriminator extends Module {
  readonly config: ModelConfig;
  readonly dataOptions: NetworkSettings['data'];
  readonly imgSize: number;
  readonly imgChannels: number;
  readonly numClasses: number;
  /** Size of the pooled features h. */
  featureDim = 0;
  linear1!: Linear;
  linear2: Linear | null = null;
  embedding: Embedding | null = null;
  linearMi: Linear | null = null;
  embeddingMi: Embedding | null = null;

  protected constructor(settings: NetworkSettings) {
    super('discriminator');
    this.config = settings.config;
    this.dataOptions = settings.data;
    this.imgSize = settings.data.imgSize;
    this.imgChannels = settings.data.imgChannels;
    this.numClasses = settings.data.numClasses;
  }

  /** Registers the heads after the trunk (StudioGAN's registration order). */
  protected buildHeads(featureDim: number, options: WeightLayerOptions): void {
    this.featureDim = featureDim;
    const { dCondMtd, auxClsType, dEmbedDim } = this.config;
    const c = this.numClasses;
    const outputs = dCondMtd === 'MH' ? c + 1 : dCondMtd === 'MD' ? c : 1;
    this.linear1 = this.addModule('linear1', new Linear('linear1', featureDim, outputs, true, options));
    const classes = auxClsType === 'ADC' ? 2 * c : c;
    const embedDim = dEmbedDim as number;
    if (dCondMtd === 'AC') {
      this.linear2 = this.addModule('linear2', new Linear('linear2', featureDim, classes, false, options));
    } else if (dCondMtd === 'PD') {
      this.embedding = this.addModule('embedding', new Embedding('embedding', classes, featureDim, options));
    } else if (dCondMtd === '2C' || dCondMtd === 'D2DCE') {
      this.linear2 = this.addModule('linear2', new Linear('linear2', featureDim, embedDim, true, options));
      this.embedding = this.addModule('embedding', new Embedding('embedding', classes, embedDim, options));
    }
    if (auxClsType === 'TAC') {
      if (dCondMtd === 'AC') {
        this.linearMi = this.addModule('linear_mi', new Linear('linear_mi', featureDim, classes, false, options));
      } else {
        this.linearMi = this.addModule('linear_mi', new Linear('linear_mi', featureDim, embedDim, true, options));
        this.embeddingMi = this.addModule('embedding_mi', new Embedding('embedding_mi', classes, embedDim, options));
      }
    }
  }

  /**
   * Scores images. Training mode runs one spectral-norm power iteration per SN layer (and uses
   * batch statistics when D has batch norm, i.e. without SN); evaluation mode changes nothing.
   * All returned tensors are new (dispose them, e.g. `tf.dispose(output)`).
   * @param x float32 [N, imgSize, imgSize, imgChannels], NHWC in [−1, 1]
   * @param labels int32 [N]
   */
  apply(x: tf.Tensor4D, labels: tf.Tensor1D, options: DiscriminatorApplyOptions): DiscriminatorOutput {
    if (this.isDisposed) throw new Error('Discriminator.apply: the discriminator has been disposed');
    const ctx = forwardContext(options);
    const expected = [this.imgSize, this.imgSize, this.imgChannels];
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape.slice(1).some((d, i) => d !== expected[i])) {
      throw new Error(
        `Discriminator.apply: x must be NHWC [N, ${expected.join(', ')}], received ${x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : String(x)}`,
      );
    }
    checkLabels(labels, x.shape[0], 'Discriminator.apply');
    const adcFake = options.adcFake ?? false;
    return tf.tidy(() => this.head(this.features(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), ctx), labels, ctx, adcFake)) as unknown as DiscriminatorOutput;
  }

  /** Trunk + activation + sum pooling: [N, S, S, C] → h [N, featureDim]. */
  protected abstract features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D;

  private head(hIn: tf.Tensor2D, labelsIn: tf.Tensor1D, ctx: ForwardContext, adcFake: boolean): Record<string, tf.Tensor> {
    const { dCondMtd, auxClsType, normalizeDEmbed } = this.config;
    let h = hIn;
    const out: Record<string, tf.Tensor> = {};
    let adv: tf.Tensor = this.linear1.apply(h, ctx);
    if (dCondMtd !== 'MH' && dCondMtd !== 'MD') adv = tf.reshape(adv, [adv.shape[0]]);
    let labels = labelsIn;
    if (auxClsType === 'ADC') {
      // int32 scalars: with plain numbers tfjs would upcast the labels to float32, which gather rejects.
      labels = tf.add(tf.mul(labels, tf.scalar(2, 'int32')), tf.scalar(adcFake ? 1 : 0, 'int32')) as tf.Tensor1D;
      out.label = labels;
    }
    if (dCondMtd === 'AC') {
      // StudioGAN's `for W in linear2.parameters(): W = F.normalize(W)` rebinds a loop variable
      // and normalises nothing; only h is normalised (reacgan-reference.md §8.2).
      if (normalizeDEmbed) h = l2NormalizeRows(h);
      out.clsOutput = this.linear2!.apply(h, ctx);
    } else if (dCondMtd === 'PD') {
      adv = tf.add(adv, tf.sum(tf.mul(this.embedding!.apply(labels, ctx), h), 1));
    } else if (dCondMtd === '2C' || dCondMtd === 'D2DCE') {
      let embed = this.linear2!.apply(h, ctx);
      let proxy = this.embedding!.apply(labels, ctx);
      if (normalizeDEmbed) {
        embed = l2NormalizeRows(embed);
        proxy = l2NormalizeRows(proxy);
      }
      out.embed = embed;
      out.proxy = proxy;
    } else if (dCondMtd === 'MD') {
      adv = tf.sum(tf.mul(adv, tf.oneHot(labels, this.numClasses)), 1);
    } else if (dCondMtd === 'MH') {
      out.clsOutput = adv;
    }
    if (auxClsType === 'TAC') {
      if (dCondMtd === 'AC') {
        out.miClsOutput = this.linearMi!.apply(h, ctx);
      } else {
        let miEmbed = this.linearMi!.apply(h, ctx);
        let miProxy = this.embeddingMi!.apply(labels, ctx);
        if (normalizeDEmbed) {
          miEmbed = l2NormalizeRows(miEmbed);
          miProxy = l2NormalizeRows(miProxy);
        }
        out.miEmbed = miEmbed;
        out.miProxy = miProxy;
      }
    }
    out.h = h;
    out.advOutput = adv;
    return out;
  }

  /**
   * The variables of the conditioning head, for diagnostics (gradient / weight norms):
   * AC: `linear2.weight`; 2C / D2DCE: `linear2` (weight and bias); PD: the projection embedding;
   * MH / MD: `linear1`; W/O: none. With spectral norm, the raw `weight_orig` parameters.
   */
  conditioningHeadVariables(): tf.Variable[] {
    const layer = this.linear2 ?? this.embedding ?? (['MH', 'MD'].includes(this.config.dCondMtd) ? this.linear1 : null);
    return layer ? [...layer.namedParameters().values()] : [];
  }
}

/** D's random stream differs from G's for the same seed. */
export function discriminatorSeed(seed: number): number {
  return (Math.floor(seed) ^ 0x5f3759df) >>> 0;
}
