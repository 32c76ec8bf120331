/**
 * The FID variant of InceptionV3: TensorFlow's `inception-2015-12-05` graph as ported to PyTorch by
 * pytorch-fid (`FIDInceptionA/C/E_1/E_2`, `fid_inception_v3`) and used by StudioGAN
 * (`src/metrics/inception_network.py`, backbone `InceptionV3_tf`), written for tfjs in NHWC.
 *
 * Structure (torchvision `Inception3` naming, which the .pth keys follow):
 * Conv2d_1a_3x3 (3→32, 3×3, stride 2) · Conv2d_2a_3x3 (32→32, 3×3) · Conv2d_2b_3x3 (32→64, 3×3, pad 1) ·
 * max-pool 3/2 · Conv2d_3b_1x1 (64→80) · Conv2d_4a_3x3 (80→192, 3×3) · max-pool 3/2 ·
 * Mixed_5b/5c/5d (A; pool features 32/64/64) · Mixed_6a (B) · Mixed_6b–6e (C; 7×7 channels
 * 128/160/160/192) · Mixed_7a (D) · Mixed_7b (E_1) · Mixed_7c (E_2) · global average pool → 2048-d
 * pool features · fc (2048 → 1008, with bias) → logits.
 * FID patches: the 3×3/1 average pools in A, C and E_1 exclude the zero padding from the count
 * (`count_include_pad=False` = TensorFlow's SAME average pool), and E_2 (Mixed_7c) uses a 3×3/1
 * max pool instead of the average pool. Every BasicConv2d is conv (no bias) → BatchNorm (eps 0.001)
 * → ReLU; BatchNorm is folded into the convolution at load time (float64).
 *
 * Input protocol: images in [−1, 1] (the network's normalisation), NHWC, resized to 299×299 with
 * bilinear interpolation, align_corners = false (pytorch-fid's `F.interpolate`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetricInputError } from '../errors.js';
import { readTorchStateDict, type TorchTensor } from '../torch/read-checkpoint.js';
import { sha256Hex } from '../hash.js';
import { preprocessImages, type QuantizeMode, type ResizeMode } from './preprocess.js';
import { extractBatched } from './run-batched.js';
import type { ExtractionResult, ExtractOptions, ExtractorProtocol, FeatureExtractor } from './types.js';

/** Registry name of this extractor. */
export const INCEPTION_V3_FID = 'inception-v3-fid';
/** File name of pytorch-fid's weights (the suffix is the start of its SHA-256). */
export const FID_INCEPTION_WEIGHTS_FILENAME = 'pt_inception-2015-12-05-6726825d.pth';
/** Where pytorch-fid publishes the weights (its `FID_WEIGHTS_URL`). */
export const FID_INCEPTION_WEIGHTS_URL = `https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/${FID_INCEPTION_WEIGHTS_FILENAME}`;
/** The first 8 hex digits of the weight file's SHA-256 (torch.hub's check_hash convention). */
export const FID_INCEPTION_WEIGHTS_SHA256_PREFIX = '6726825d';
/** Input size of the network. */
export const FID_INCEPTION_INPUT_SIZE = 299;

type Padding = 'valid' | 'same';
interface ConvSpec {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  stride: number;
  padding: Padding;
}

const BN_EPS = 1e-3;

function conv(name: string, inChannels: number, outChannels: number, kernel: number | [number, number], stride = 1, padding: Padding = 'valid'): ConvSpec {
  return { name, inChannels, outChannels, kernel: typeof kernel === 'number' ? [kernel, kernel] : kernel, stride, padding };
}

function blockA(name: string, cin: number, poolFeatures: number): ConvSpec[] {
  return [
    conv(`${name}.branch1x1`, cin, 64, 1),
    conv(`${name}.branch5x5_1`, cin, 48, 1),
    conv(`${name}.branch5x5_2`, 48, 64, 5, 1, 'same'),
    conv(`${name}.branch3x3dbl_1`, cin, 64, 1),
    conv(`${name}.branch3x3dbl_2`, 64, 96, 3, 1, 'same'),
    conv(`${name}.branch3x3dbl_3`, 96, 96, 3, 1, 'same'),
    conv(`${name}.branch_pool`, cin, poolFeatures, 1),
  ];
}
function blockB(name: string, cin: number): ConvSpec[] {
  return [
    conv(`${name}.branch3x3`, cin, 384, 3, 2),
    conv(`${name}.branch3x3dbl_1`, cin, 64, 1),
    conv(`${name}.branch3x3dbl_2`, 64, 96, 3, 1, 'same'),
    conv(`${name}.branch3x3dbl_3`, 96, 96, 3, 2),
  ];
}
function blockC(name: string, cin: number, c7: number): ConvSpec[] {
  return [
    conv(`${name}.branch1x1`, cin, 192, 1),
    conv(`${name}.branch7x7_1`, cin, c7, 1),
    conv(`${name}.branch7x7_2`, c7, c7, [1, 7], 1, 'same'),
    conv(`${name}.branch7x7_3`, c7, 192, [7, 1], 1, 'same'),
    conv(`${name}.branch7x7dbl_1`, cin, c7, 1),
    conv(`${name}.branch7x7dbl_2`, c7, c7, [7, 1], 1, 'same'),
    conv(`${name}.branch7x7dbl_3`, c7, c7, [1, 7], 1, 'same'),
    conv(`${name}.branch7x7dbl_4`, c7, c7, [7, 1], 1, 'same'),
    conv(`${name}.branch7x7dbl_5`, c7, 192, [1, 7], 1, 'same'),
    conv(`${name}.branch_pool`, cin, 192, 1),
  ];
}
function blockD(name: string, cin: number): ConvSpec[] {
  return [
    conv(`${name}.branch3x3_1`, cin, 192, 1),
    conv(`${name}.branch3x3_2`, 192, 320, 3, 2),
    conv(`${name}.branch7x7x3_1`, cin, 192, 1),
    conv(`${name}.branch7x7x3_2`, 192, 192, [1, 7], 1, 'same'),
    conv(`${name}.branch7x7x3_3`, 192, 192, [7, 1], 1, 'same'),
    conv(`${name}.branch7x7x3_4`, 192, 192, 3, 2),
  ];
}
function blockE(name: string, cin: number): ConvSpec[] {
  return [
    conv(`${name}.branch1x1`, cin, 320, 1),
    conv(`${name}.branch3x3_1`, cin, 384, 1),
    conv(`${name}.branch3x3_2a`, 384, 384, [1, 3], 1, 'same'),
    conv(`${name}.branch3x3_2b`, 384, 384, [3, 1], 1, 'same'),
    conv(`${name}.branch3x3dbl_1`, cin, 448, 1),
    conv(`${name}.branch3x3dbl_2`, 448, 384, 3, 1, 'same'),
    conv(`${name}.branch3x3dbl_3a`, 384, 384, [1, 3], 1, 'same'),
    conv(`${name}.branch3x3dbl_3b`, 384, 384, [3, 1], 1, 'same'),
    conv(`${name}.branch_pool`, cin, 192, 1),
  ];
}

/** Every BasicConv2d of the network, in order. */
export const INCEPTION_V3_FID_CONVS: readonly ConvSpec[] = [
  conv('Conv2d_1a_3x3', 3, 32, 3, 2),
  conv('Conv2d_2a_3x3', 32, 32, 3),
  conv('Conv2d_2b_3x3', 32, 64, 3, 1, 'same'),
  conv('Conv2d_3b_1x1', 64, 80, 1),
  conv('Conv2d_4a_3x3', 80, 192, 3),
  ...blockA('Mixed_5b', 192, 32),
  ...blockA('Mixed_5c', 256, 64),
  ...blockA('Mixed_5d', 288, 64),
  ...blockB('Mixed_6a', 288),
  ...blockC('Mixed_6b', 768, 128),
  ...blockC('Mixed_6c', 768, 160),
  ...blockC('Mixed_6d', 768, 160),
  ...blockC('Mixed_6e', 768, 192),
  ...blockD('Mixed_7a', 768),
  ...blockE('Mixed_7b', 1280),
  ...blockE('Mixed_7c', 2048),
];

/** The state-dict entries the network needs, with their PyTorch shapes. */
export function inceptionV3FidParameterShapes(): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const c of INCEPTION_V3_FID_CONVS) {
    shapes.set(`${c.name}.conv.weight`, [c.outChannels, c.inChannels, c.kernel[0], c.kernel[1]]);
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) shapes.set(`${c.name}.bn.${p}`, [c.outChannels]);
  }
  shapes.set('fc.weight', [1008, 2048]);
  shapes.set('fc.bias', [1008]);
  return shapes;
}

interface FoldedConv {
  spec: ConvSpec;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** The network with BatchNorm folded into its convolutions; owns its tensors (call dispose()). */
export class InceptionV3FidNetwork {
  private readonly convs = new Map<string, FoldedConv>();
  private readonly fcWeight: tf.Tensor2D;
  private readonly fcBias: tf.Tensor1D;

  /**
   * @param stateDict pytorch-fid's state dict (torchvision names). num_batches_tracked entries are
   *   ignored; anything else unexpected, missing or of the wrong shape throws, listing all of them.
   */
  constructor(stateDict: Map<string, TorchTensor>) {
    const shapes = inceptionV3FidParameterShapes();
    const missing: string[] = [];
    const mismatched: string[] = [];
    for (const [name, shape] of shapes) {
      const t = stateDict.get(name);
      if (!t) missing.push(name);
      else if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
        mismatched.push(`${name}: expected [${shape.join(', ')}], found [${t.shape.join(', ')}]`);
      }
    }
    const unexpected = [...stateDict.keys()].filter((k) => !shapes.has(k) && !k.endsWith('num_batches_tracked'));
    if (missing.length || mismatched.length || unexpected.length) {
      const parts = [];
      if (missing.length) parts.push(`missing ${missing.length}: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`);
      if (mismatched.length) parts.push(`shape mismatches: ${mismatched.slice(0, 8).join('; ')}`);
      if (unexpected.length) parts.push(`unexpected ${unexpected.length}: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', …' : ''}`);
      throw new MetricInputError(`inception-v3-fid: the state dict is not pytorch-fid's FID Inception (${parts.join('; ')})`);
    }
    const f32 = (name: string): ArrayLike<number> => {
      const t = stateDict.get(name)!;
      if (t.data instanceof BigInt64Array) throw new MetricInputError(`inception-v3-fid: ${name} has integer dtype ${t.dtype}`);
      return t.data as ArrayLike<number>;
    };
    for (const spec of INCEPTION_V3_FID_CONVS) {
      const w = f32(`${spec.name}.conv.weight`);
      const gamma = f32(`${spec.name}.bn.weight`);
      const beta = f32(`${spec.name}.bn.bias`);
      const mean = f32(`${spec.name}.bn.running_mean`);
      const variance = f32(`${spec.name}.bn.running_var`);
      const { outChannels: o, inChannels: i, kernel } = spec;
      const [kh, kw] = kernel;
      // OIHW → HWIO with the BN scale folded in (float64 arithmetic, stored as float32).
      const filter = new Float32Array(kh * kw * i * o);
      const bias = new Float32Array(o);
      for (let oc = 0; oc < o; oc++) {
        const scale = gamma[oc] / Math.sqrt(variance[oc] + BN_EPS);
        bias[oc] = beta[oc] - mean[oc] * scale;
        for (let ic = 0; ic < i; ic++) {
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) {
              filter[((y * kw + x) * i + ic) * o + oc] = w[((oc * i + ic) * kh + y) * kw + x] * scale;
            }
          }
        }
      }
      this.convs.set(spec.name, { spec, filter: tf.tensor4d(filter, [kh, kw, i, o]), bias: tf.tensor1d(bias) });
    }
    const fcW = f32('fc.weight');
    const fcT = new Float32Array(2048 * 1008);
    for (let r = 0; r < 1008; r++) for (let c = 0; c < 2048; c++) fcT[c * 1008 + r] = fcW[r * 2048 + c];
    this.fcWeight = tf.tensor2d(fcT, [2048, 1008]);
    this.fcBias = tf.tensor1d(Float32Array.from(f32('fc.bias')));
  }

  private c(name: string, x: tf.Tensor4D): tf.Tensor4D {
    const layer = this.convs.get(name);
    if (!layer) throw new Error(`inception-v3-fid: no layer ${name}`);
    const { spec, filter, bias } = layer;
    return tf.fused.conv2d({ x, filter, strides: spec.stride, pad: spec.padding, bias, activation: 'relu' });
  }

  private blockA(n: string, x: tf.Tensor4D): tf.Tensor4D {
    const b1 = this.c(`${n}.branch1x1`, x);
    const b5 = this.c(`${n}.branch5x5_2`, this.c(`${n}.branch5x5_1`, x));
    const b3 = this.c(`${n}.branch3x3dbl_3`, this.c(`${n}.branch3x3dbl_2`, this.c(`${n}.branch3x3dbl_1`, x)));
    // FID patch: SAME average pool excluding the padding (count_include_pad=False).
    const bp = this.c(`${n}.branch_pool`, tf.avgPool(x, 3, 1, 'same'));
    return tf.concat([b1, b5, b3, bp], 3);
  }

  private blockB(n: string, x: tf.Tensor4D): tf.Tensor4D {
    const b3 = this.c(`${n}.branch3x3`, x);
    const bd = this.c(`${n}.branch3x3dbl_3`, this.c(`${n}.branch3x3dbl_2`, this.c(`${n}.branch3x3dbl_1`, x)));
    const bp = tf.maxPool(x, 3, 2, 'valid');
    return tf.concat([b3, bd, bp], 3);
  }

  private blockC(n: string, x: tf.Tensor4D): tf.Tensor4D {
    const b1 = this.c(`${n}.branch1x1`, x);
    const b7 = this.c(`${n}.branch7x7_3`, this.c(`${n}.branch7x7_2`, this.c(`${n}.branch7x7_1`, x)));
    let bd = this.c(`${n}.branch7x7dbl_1`, x);
    for (const k of [2, 3, 4, 5]) bd = this.c(`${n}.branch7x7dbl_${k}`, bd);
    const bp = this.c(`${n}.branch_pool`, tf.avgPool(x, 3, 1, 'same'));
    return tf.concat([b1, b7, bd, bp], 3);
  }

  private blockD(n: string, x: tf.Tensor4D): tf.Tensor4D {
    const b3 = this.c(`${n}.branch3x3_2`, this.c(`${n}.branch3x3_1`, x));
    let b7 = this.c(`${n}.branch7x7x3_1`, x);
    for (const k of [2, 3, 4]) b7 = this.c(`${n}.branch7x7x3_${k}`, b7);
    const bp = tf.maxPool(x, 3, 2, 'valid');
    return tf.concat([b3, b7, bp], 3);
  }

  private blockE(n: string, x: tf.Tensor4D, pool: 'avg' | 'max'): tf.Tensor4D {
    const b1 = this.c(`${n}.branch1x1`, x);
    const t3 = this.c(`${n}.branch3x3_1`, x);
    const b3 = tf.concat([this.c(`${n}.branch3x3_2a`, t3), this.c(`${n}.branch3x3_2b`, t3)], 3);
    const td = this.c(`${n}.branch3x3dbl_2`, this.c(`${n}.branch3x3dbl_1`, x));
    const bd = tf.concat([this.c(`${n}.branch3x3dbl_3a`, td), this.c(`${n}.branch3x3dbl_3b`, td)], 3);
    // FID patch: E_1 averages without the padding, E_2 uses a max pool.
    const pooled = pool === 'avg' ? tf.avgPool(x, 3, 1, 'same') : tf.maxPool(x, 3, 1, 'same');
    const bp = this.c(`${n}.branch_pool`, pooled);
    return tf.concat([b1, b3, bd, bp], 3);
  }

  /**
   * Forward pass on network-ready input: NHWC float32 in [−1, 1], 299×299 (other sizes run too —
   * the network is convolutional — but only 299 gives the standard features).
   * @returns pool: [N, 2048] average-pool features (FID, PRDC); logits: [N, 1008] (IS).
   */
  forward(x: tf.Tensor4D): { pool: tf.Tensor2D; logits: tf.Tensor2D } {
    return tf.tidy(() => {
      let h = this.c('Conv2d_1a_3x3', x);
      h = this.c('Conv2d_2a_3x3', h);
      h = this.c('Conv2d_2b_3x3', h);
      h = tf.maxPool(h, 3, 2, 'valid');
      h = this.c('Conv2d_3b_1x1', h);
      h = this.c('Conv2d_4a_3x3', h);
      h = tf.maxPool(h, 3, 2, 'valid');
      h = this.blockA('Mixed_5b', h);
      h = this.blockA('Mixed_5c', h);
      h = this.blockA('Mixed_5d', h);
      h = this.blockB('Mixed_6a', h);
      for (const n of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) h = this.blockC(n, h);
      h = this.blockD('Mixed_7a', h);
      h = this.blockE('Mixed_7b', h, 'avg');
      h = this.blockE('Mixed_7c', h, 'max');
      const pool = tf.mean(h, [1, 2]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(pool, this.fcWeight), this.fcBias) as tf.Tensor2D;
      return { pool, logits };
    });
  }

  dispose(): void {
    for (const { filter, bias } of this.convs.values()) {
      filter.dispose();
      bias.dispose();
    }
    this.convs.clear();
    this.fcWeight.dispose();
    this.fcBias.dispose();
  }
}

export interface InceptionV3FidOptions {
  /**
   * pytorch-fid's weights: the bytes of `pt_inception-2015-12-05-6726825d.pth` (Uint8Array or
   * ArrayBuffer) or an already-decoded state dict. In Node, `loadFidInceptionWeights()` from
   * `@reacgan/metrics/node` reads it from a path or downloads it once into the cache.
   */
  weights?: Uint8Array | ArrayBuffer | Map<string, TorchTensor>;
  /**
   * Where to fetch the weight file when `weights` is not given (browsers: a URL you host the file at;
   * pytorch-fid's release URL does not send CORS headers). Uses `fetch`. Default none.
   */
  weightsUrl?: string;
  /** fetch implementation for `weightsUrl`. Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /**
   * Check that the file's SHA-256 starts with 6726825d (pytorch-fid's file). Default true; turn off
   * only for test weights (the hash is then recorded as computed).
   */
  verifyHash?: boolean;
  /** Quantisation before the network. Default 'none' (StudioGAN v0.3.0); 'uint8' = StudioGAN ≥ 2022. */
  quantize?: QuantizeMode;
  /** Resize to 299×299. Default 'bilinear' (align_corners = false). */
  resize?: ResizeMode;
  /** Repeat 1-channel images to RGB. Default true. */
  grayscaleToRgb?: boolean;
  /** Images per forward pass. Default 16. */
  batchSize?: number;
  /** Hash to record when `weights` is a decoded state dict (else 'unknown'). */
  weightsHash?: string;
}

/**
 * Builds the `inception-v3-fid` extractor: features = 2048-d pool features, logits = 1008-way
 * (softmax over all 1008 for IS, as StudioGAN). Images of any size and declared range go through
 * the protocol: quantise (optional) → [−1, 1] → bilinear resize to 299 → network.
 * @throws MetricInputError for a weight file with another hash (unless verifyHash is false) or a
 *   state dict that is not pytorch-fid's.
 */
export async function createInceptionV3FidExtractor(options: InceptionV3FidOptions): Promise<FeatureExtractor> {
  if (options == null || (options.weights == null && options.weightsUrl == null)) {
    throw new MetricInputError(
      `inception-v3-fid: options.weights is required (the bytes of ${FID_INCEPTION_WEIGHTS_FILENAME}), or options.weightsUrl; in Node use loadFidInceptionWeights() from '@reacgan/metrics/node'`,
    );
  }
  if (options.weights == null) {
    const doFetch = options.fetch ?? globalThis.fetch;
    let bytes: ArrayBuffer;
    try {
      const response = await doFetch(options.weightsUrl!);
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      bytes = await response.arrayBuffer();
    } catch (error) {
      throw new MetricInputError(`inception-v3-fid: could not fetch ${options.weightsUrl} (${(error as Error).message})`);
    }
    options = { ...options, weights: bytes };
  }
  const { verifyHash = true, quantize = 'none', resize = 'bilinear', grayscaleToRgb = true, batchSize = 16 } = options;
  let stateDict: Map<string, TorchTensor>;
  let weightsHash: string;
  const weights = options.weights!;
  if (weights instanceof Map) {
    stateDict = weights;
    weightsHash = options.weightsHash ?? 'unknown';
  } else {
    const bytes = weights instanceof Uint8Array ? weights : new Uint8Array(weights);
    weightsHash = await sha256Hex(bytes);
    if (verifyHash && !weightsHash.startsWith(FID_INCEPTION_WEIGHTS_SHA256_PREFIX)) {
      throw new MetricInputError(
        `inception-v3-fid: the weight file's SHA-256 is ${weightsHash}, expected it to start with ${FID_INCEPTION_WEIGHTS_SHA256_PREFIX} (${FID_INCEPTION_WEIGHTS_FILENAME}); pass verifyHash: false for other weights`,
      );
    }
    stateDict = readTorchStateDict(bytes);
  }
  const network = new InceptionV3FidNetwork(stateDict);
  const inputSize = [FID_INCEPTION_INPUT_SIZE, FID_INCEPTION_INPUT_SIZE] as const;
  const protocol: ExtractorProtocol = {
    extractor: INCEPTION_V3_FID,
    weightsHash,
    inputSize: [inputSize[0], inputSize[1]],
    resize,
    quantize,
    networkRange: [-1, 1],
    grayscaleToRgb,
    featureDim: 2048,
  };
  return {
    name: INCEPTION_V3_FID,
    inputSize,
    protocol,
    extract(images: tf.Tensor4D, extractOptions: ExtractOptions): Promise<ExtractionResult> {
      return extractBatched(images, extractOptions, { batchSize, protocol }, (batch) => {
        if (batch.shape[3] !== 3 && !(grayscaleToRgb && batch.shape[3] === 1)) {
          throw new MetricInputError(`inception-v3-fid: images must have 3 channels${grayscaleToRgb ? ' (or 1)' : ''}, received ${batch.shape[3]}`);
        }
        const x = preprocessImages(batch, { range: extractOptions.range, networkRange: [-1, 1], inputSize, quantize, resize, grayscaleToRgb });
        const { pool, logits } = network.forward(x);
        return { features: pool, logits };
      });
    },
    dispose() {
      network.dispose();
    },
  };
}
