import * as tf from '@tensorflow/tfjs-core';
import type { SpectralView } from './spectral-norm.js';

/**
 * Fused training kernels for the native TensorFlow backend of `@tensorflow/tfjs-node` (backend name
 * `'tensorflow'`), used by the layers of this package when that backend is active. Each one computes
 * exactly what the portable tfjs path computes (same values up to float rounding, same gradients), in
 * fewer kernel launches; on every other backend, or after `setNativeKernels(false)`, the layers use the
 * portable path unchanged.
 *
 * - `ReacganRelu` / `ReacganReluGrad`: ReLU whose gradient is TensorFlow's `ReluGrad` (one kernel)
 *   instead of tfjs-core's `dy · cast(step(x))` (six on tfjs-node: IsNan, Greater, Fill, Select, Cast,
 *   Multiply). NaN inputs get gradient 0 (TensorFlow and PyTorch's `threshold_backward`).
 * - `ReacganConv2DBiasRelu`: relu(conv2d(x, W) + b) as one kernel in training too (tfjs-core's
 *   `tf.fused.conv2d` falls back to conv2d, add and relu while a gradient is recorded). The gradient
 *   computes ReluGrad once and then only the input gradients that are needed:
 *   dx = Conv2DBackpropInput(dz), dW = Conv2DBackpropFilter(x, dz), db = Σ dz.
 * - `ReacganConv2D`: conv2d(x, W) (+ b) as one kernel whose gradient computes only the input gradients
 *   that are needed (tfjs-core's fused conv2d gradient always computes dx, dW and db).
 * - Filter gradients of stride-1 convolutions with many channels (both conv kernels above) as one
 *   slice + one MatMul per kernel offset, dW[i, j] = Σ_{n,h,w} x_pad[n, h + i, w + j, :]ᵀ · dy[n, h, w, :],
 *   instead of TensorFlow's `Conv2DBackpropFilter`: on CPUs without AVX-512, oneDNN runs such shapes at about
 *   half the speed of the forward convolution; with AVX-512 its `jit:avx512_core` filter gradient beats the
 *   MatMuls for kernels larger than 1×1, so there only 1×1 kernels use them ({@link setMatMulFilterGradient}
 *   'pointwise'; docs/performance.md); other shapes keep `Conv2DBackpropFilter`.
 * - `ReacganBatchNormTrain` / `ReacganBatchNormTrainGrad`: training-mode batch normalisation with
 *   TensorFlow's `FusedBatchNormV3` (forward: normalised output, batch mean and unbiased batch variance in
 *   one kernel) and `FusedBatchNormGradV3` (dx, dscale, doffset in one kernel), instead of tf.moments and
 *   the scale/shift arithmetic (≈ 10 kernels forward, ≈ 20 backward).
 * - `ReacganModulatedBatchNorm` / `…Grad`: the conditional batch norm BN(x)·(1 + gain) + bias with per-sample
 *   gain and bias (StudioGAN's cBN) as one kernel each way (6 tfjs kernels forward, ≈ 12 backward before).
 * - `ReacganSpectralNorm` / `…Grad`: spectral normalisation of a weight (power iteration, σ, W/σ; gradient
 *   (G − ⟨G, Ŵ⟩·u vᵀ)/σ) as one kernel each way (≈ 30 tfjs kernels per layer and pass before).
 *
 * The last three run several TensorFlow ops inside one kernel ({@link RawOps}): the intermediate results are
 * backend tensors only, with none of tfjs' per-tensor bookkeeping (tensor objects, tidy scopes, tape entries),
 * and their gradients go through `tf.customGrad` (one output on the tape, see `singleOutputGradient`).
 *
 * The module only talks to the backend object tfjs-node registers; it imports nothing from tfjs-node and
 * is safe to load in browsers (the kernels are then registered for a backend that never exists).
 */

/** Name of tfjs-node's backend ('tensorflow'; `@tensorflow/tfjs-node-gpu` registers the same name). */
export const NATIVE_BACKEND = 'tensorflow';

export const RELU_KERNEL = 'ReacganRelu';
export const RELU_GRAD_KERNEL = 'ReacganReluGrad';
export const CONV2D_BIAS_RELU_KERNEL = 'ReacganConv2DBiasRelu';
export const CONV2D_KERNEL = 'ReacganConv2D';
export const BATCH_NORM_TRAIN_KERNEL = 'ReacganBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD_KERNEL = 'ReacganBatchNormTrainGrad';
export const SPECTRAL_NORM_KERNEL = 'ReacganSpectralNorm';
export const SPECTRAL_NORM_GRAD_KERNEL = 'ReacganSpectralNormGrad';
export const MODULATED_BATCH_NORM_KERNEL = 'ReacganModulatedBatchNorm';
export const MODULATED_BATCH_NORM_GRAD_KERNEL = 'ReacganModulatedBatchNormGrad';

/** What these kernels use of tfjs-node's `NodeJSKernelBackend`. */
interface NativeBinding {
  TF_ATTR_TYPE: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_STRING: number;
  TF_FLOAT: number;
  TF_INT32: number;
}
interface NativeBackend {
  binding: NativeBinding;
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.TensorInfo[]): tf.TensorInfo;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.TensorInfo[], numOutputs: number): tf.TensorInfo[];
  disposeData(dataId: object, force?: boolean): boolean;
  write(values: Float32Array | Int32Array, shape: number[], dtype: 'float32' | 'int32'): object;
  incRef(dataId: object): void;
}

function isNativeBackend(backend: unknown): backend is NativeBackend {
  const b = backend as Partial<NativeBackend> | null;
  return !!b && typeof b.executeSingleOutput === 'function' && typeof b.executeMultipleOutputs === 'function' && typeof b.binding === 'object';
}

/**
 * TensorFlow ops run one after another inside a single tfjs kernel. Their intermediate results exist only as
 * backend tensors (no tfjs tensor, tape entry or tidy scope each) and are freed when the kernel is done, except
 * those handed out with {@link RawOps.output}. Constant operands (shapes, axes, ε) are created once per backend.
 */
class RawOps {
  private readonly scratch: tf.TensorInfo[] = [];
  private readonly float: unknown;

  constructor(private readonly b: NativeBackend) {
    this.float = floatType(b.binding);
  }

  private run(name: string, inputs: tf.TensorInfo[], attrs: unknown[]): tf.TensorInfo {
    const out = this.b.executeSingleOutput(name, attrs, inputs);
    this.scratch.push(out);
    return out;
  }

  /** Marks `t` as a kernel output: not freed by {@link dispose}. */
  output(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.scratch.indexOf(t);
    if (i >= 0) {
      this.scratch.splice(i, 1);
      return t;
    }
    // An input handed out unchanged: a new reference to its data (a tensor object as output would be reused as is).
    this.b.incRef(t.dataId);
    return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
  }

  dispose(): void {
    for (const t of this.scratch) this.b.disposeData(t.dataId, true);
    this.scratch.length = 0;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
    const { TF_ATTR_TYPE, TF_INT32 } = this.b.binding;
    return this.run('Reshape', [x, constant(this.b, 'int32', shape)], [this.float, { name: 'Tshape', type: TF_ATTR_TYPE, value: TF_INT32 }]);
  }

  matMul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
    const { TF_ATTR_BOOL } = this.b.binding;
    return this.run('MatMul', [a, b], [this.float, { name: 'transpose_a', type: TF_ATTR_BOOL, value: transposeA }, { name: 'transpose_b', type: TF_ATTR_BOOL, value: transposeB }]);
  }

  /** Batched matrix product with broadcasting batch dimensions (adjX/adjY transpose the last two axes). */
  batchMatMul(a: tf.TensorInfo, b: tf.TensorInfo, adjX: boolean, adjY: boolean): tf.TensorInfo {
    const { TF_ATTR_BOOL } = this.b.binding;
    return this.run('BatchMatMulV2', [a, b], [this.float, { name: 'adj_x', type: TF_ATTR_BOOL, value: adjX }, { name: 'adj_y', type: TF_ATTR_BOOL, value: adjY }]);
  }

  /** Element-wise binary op with broadcasting: 'Mul', 'Sub', 'RealDiv', 'Maximum', 'AddV2'. */
  binary(name: 'Mul' | 'Sub' | 'RealDiv' | 'Maximum' | 'AddV2', a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run(name, [a, b], [this.float]);
  }

  /** Sum (or the Euclidean norm with 'EuclideanNorm') over `axes`. */
  reduce(name: 'Sum' | 'EuclideanNorm', x: tf.TensorInfo, axes: number[], keepDims = false): tf.TensorInfo {
    const { TF_ATTR_BOOL, TF_ATTR_TYPE, TF_INT32 } = this.b.binding;
    return this.run(name, [x, constant(this.b, 'int32', axes)], [{ name: 'keep_dims', type: TF_ATTR_BOOL, value: keepDims }, this.float, { name: 'Tidx', type: TF_ATTR_TYPE, value: TF_INT32 }]);
  }

  /** An op with several outputs (all freed with the kernel unless handed out with {@link output}). */
  multi(name: string, inputs: tf.TensorInfo[], attrs: unknown[], numOutputs: number): tf.TensorInfo[] {
    const outs = this.b.executeMultipleOutputs(name, attrs, inputs, numOutputs);
    this.scratch.push(...outs);
    return outs;
  }

  /** [N, C] → [N, 1, 1, C] (per-sample, per-channel factors of an NHWC tensor). */
  perSample(t: tf.TensorInfo): tf.TensorInfo {
    return this.reshape(t, [t.shape[0], 1, 1, t.shape[1]]);
  }

  /** Training-mode batch norm without affine over N, H, W of NHWC x: [y, batch mean, unbiased variance, reserve 1–3]. */
  batchNormTrain(x: tf.TensorInfo, epsilon: number): tf.TensorInfo[] {
    const c = x.shape[3];
    const empty = filled(this.b, 0, 0);
    return this.multi('FusedBatchNormV3', [x, filled(this.b, 1, c), filled(this.b, 0, c), empty, empty], batchNormAttrs(this.b.binding, epsilon, true), 6);
  }

  /** dx of {@link batchNormTrain} (scale 1) for the gradient dy at y. */
  batchNormTrainGrad(dy: tf.TensorInfo, x: tf.TensorInfo, reserve: tf.TensorInfo[], epsilon: number): tf.TensorInfo {
    const outs = this.multi('FusedBatchNormGradV3', [dy, x, filled(this.b, 1, x.shape[3]), ...reserve], batchNormAttrs(this.b.binding, epsilon, false), 5);
    return outs[0];
  }

  scalar(value: number): tf.TensorInfo {
    return constant(this.b, 'float32', value);
  }

  /** x / max(‖x‖₂, eps) over all of x (PyTorch's F.normalize of a vector). */
  normalize(x: tf.TensorInfo, eps: number): tf.TensorInfo {
    const axes = x.shape.map((_, i) => i);
    return this.binary('RealDiv', x, this.binary('Maximum', this.reduce('EuclideanNorm', x, axes), this.scalar(eps)));
  }
}

const constants = new WeakMap<NativeBackend, Map<string, tf.TensorInfo>>();

/** A constant backend tensor, created on first use per backend and key and never freed. */
function cached(b: NativeBackend, key: string, make: () => { data: Float32Array | Int32Array; shape: number[] }): tf.TensorInfo {
  let cache = constants.get(b);
  if (!cache) constants.set(b, (cache = new Map()));
  let t = cache.get(key);
  if (!t) {
    const { data, shape } = make();
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    t = { dataId: b.write(data, shape, dtype), shape, dtype };
    cache.set(key, t);
  }
  return t;
}

/** An int32 vector of `values`, or a float32 scalar `values` (constant, see {@link cached}). */
function constant(b: NativeBackend, dtype: 'int32' | 'float32', values: number[] | number): tf.TensorInfo {
  return cached(b, `${dtype}:${String(values)}`, () =>
    dtype === 'int32' ? { data: Int32Array.from(values as number[]), shape: [(values as number[]).length] } : { data: Float32Array.of(values as number), shape: [] },
  );
}

/** A float32 vector of `length` copies of `value` (constant, see {@link cached}). */
function filled(b: NativeBackend, value: number, length: number): tf.TensorInfo {
  return cached(b, `fill:${value}:${length}`, () => ({ data: new Float32Array(length).fill(value), shape: [length] }));
}

interface SpectralAttrs {
  view: SpectralView;
  eps: number;
  update: boolean;
}

/**
 * Spectral normalisation of one weight as raw ops (see {@link spectralNormalizeNative}): with the matrix P of
 * `torch.nn.utils.spectral_norm` ([U, V]: u over U), when updating v ← normalize(Pᵀu), u ← normalize(P v);
 * then σ = uᵀ(P v) and Ŵ = W/σ. Returns [Ŵ, σ, u, v] (the u and v used).
 */
function spectralNormForward(ops: RawOps, w: tf.TensorInfo, u: tf.TensorInfo, v: tf.TensorInfo, { view, eps, update }: SpectralAttrs): tf.TensorInfo[] {
  const nu = u.shape[0];
  const nv = v.shape[0];
  // v2 / u2: v and u in the 2-D (or 3-D) layouts the products below need; s = P v in u2's layout.
  let v2: tf.TensorInfo;
  let s: tf.TensorInfo;
  let uLayout: number[];
  switch (view) {
    case 'rows': {
      const p = ops.reshape(w, [nu, nv]);
      v2 = update ? ops.normalize(ops.matMul(ops.reshape(u, [1, nu]), p, false, false), eps) : ops.reshape(v, [1, nv]);
      s = ops.matMul(p, v2, false, true); // [U, 1]
      uLayout = [nu, 1];
      break;
    }
    case 'columns': {
      const q = ops.reshape(w, [nv, nu]); // Pᵀ
      v2 = update ? ops.normalize(ops.matMul(q, ops.reshape(u, [nu, 1]), false, false), eps) : ops.reshape(v, [nv, 1]);
      s = ops.matMul(v2, q, true, false); // [1, U]
      uLayout = [1, nu];
      break;
    }
    case 'deconv': {
      const [kh, kw, o, i] = w.shape;
      const w3 = ops.reshape(w, [kh * kw, o, i]);
      v2 = update ? ops.normalize(ops.batchMatMul(ops.reshape(u, [1, 1, nu]), w3, false, false), eps) : ops.reshape(v, [kh * kw, 1, i]);
      s = ops.reduce('Sum', ops.batchMatMul(w3, v2, false, true), [0]); // [U, 1]
      uLayout = [nu, 1];
      break;
    }
  }
  const u2 = update ? ops.normalize(s, eps) : ops.reshape(u, uLayout);
  const sigma = ops.reduce('Sum', ops.binary('Mul', u2, s), [0, 1]);
  const normalized = ops.binary('RealDiv', w, sigma);
  return [normalized, sigma, update ? ops.reshape(u2, [nu]) : u, update ? ops.reshape(v2, [nv]) : v];
}

/** ∂L/∂W = (G − ⟨G, Ŵ⟩·u vᵀ)/σ for Ŵ = W/σ with u, v constants, u vᵀ laid out as W (raw ops). */
function spectralNormBackward(ops: RawOps, dy: tf.TensorInfo, normalized: tf.TensorInfo, sigma: tf.TensorInfo, u: tf.TensorInfo, v: tf.TensorInfo, view: SpectralView): tf.TensorInfo {
  const shape = normalized.shape;
  const nu = u.shape[0];
  const nv = v.shape[0];
  const inner = ops.reduce('Sum', ops.binary('Mul', dy, normalized), shape.map((_, i) => i));
  let outer: tf.TensorInfo;
  switch (view) {
    case 'rows':
      outer = ops.matMul(ops.reshape(u, [nu, 1]), ops.reshape(v, [1, nv]), false, false);
      break;
    case 'columns':
      outer = ops.matMul(ops.reshape(v, [nv, 1]), ops.reshape(u, [1, nu]), false, false);
      break;
    case 'deconv': {
      const [kh, kw, , i] = shape;
      outer = ops.binary('Mul', ops.reshape(v, [kh * kw, 1, i]), ops.reshape(u, [1, nu, 1]));
      break;
    }
  }
  return ops.binary('RealDiv', ops.binary('Sub', dy, ops.binary('Mul', ops.reshape(outer, shape), inner)), sigma);
}

let enabled = true;
let matMulFilterGradient: MatMulFilterGradientMode = true;

/**
 * Switches the native kernels on (default) or off for this process. Off, the layers run the portable
 * tfjs path on the 'tensorflow' backend too (for comparisons and tests).
 */
export function setNativeKernels(on: boolean): void {
  enabled = on;
}

/**
 * Where the MatMul formulation of convolution filter gradients is used: `true` = every shape where
 * {@link matMulFilterGradientApplies}; `'pointwise'` = only 1×1 kernels among those (one MatMul, no patches);
 * `false` = nowhere (TensorFlow's `Conv2DBackpropFilter` for every shape).
 */
export type MatMulFilterGradientMode = boolean | 'pointwise';

/**
 * Sets where the MatMul formulation of convolution filter gradients is used while the native kernels are active
 * (see {@link MatMulFilterGradientMode}; default `true`). Which is faster depends on the CPU: without AVX-512
 * the k² MatMuls of a 3×3 filter gradient took 0.4–0.7× of oneDNN's `Conv2DBackpropFilter` time, with AVX-512
 * 1.0–2.0× (a 1×1 kernel's single MatMul 0.65–0.85× on both; docs/performance.md), so reacgan's `initBackend`
 * picks `'pointwise'` on AVX-512 CPUs. Also for comparisons and benchmarks.
 * @throws Error when `mode` is not true, false or 'pointwise'.
 */
export function setMatMulFilterGradient(mode: MatMulFilterGradientMode): void {
  if (mode !== true && mode !== false && mode !== 'pointwise') throw new Error(`setMatMulFilterGradient: expected true, false or 'pointwise', received ${String(mode)}`);
  matMulFilterGradient = mode;
}

/** The current {@link MatMulFilterGradientMode}. */
export function matMulFilterGradientMode(): MatMulFilterGradientMode {
  return matMulFilterGradient;
}

/**
 * Runs `f` with the native kernels off (the portable tfjs path), then restores the previous setting. For a pass
 * whose gradient must itself be differentiated through a kernel without a second-order gradient (the native
 * batch norm): tfjs-core's portable ops are differentiable to any order.
 */
export function withoutNativeKernels<T>(f: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return f();
  } finally {
    enabled = previous;
  }
}

/** Whether the layers use the native kernels now: enabled, and tfjs-node's 'tensorflow' backend is active. */
export function nativeKernelsActive(): boolean {
  if (!enabled || tf.getBackend() !== NATIVE_BACKEND) return false;
  if (!isNativeBackend(tf.backend())) return false;
  ensureRegistered();
  return true;
}

function floatType(b: NativeBinding, name = 'T'): unknown {
  return { name, type: b.TF_ATTR_TYPE, value: b.TF_FLOAT };
}

function batchNormAttrs(b: NativeBinding, epsilon: number, forward: boolean): unknown[] {
  const out: unknown[] = [
    floatType(b, 'T'),
    floatType(b, 'U'),
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
  ];
  // exponential_avg_factor 1: the mean/variance outputs are the batch's own (no running average inside TF).
  if (forward) out.push({ name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: 1 });
  return out;
}

interface ConvAttrs {
  strides: number;
  pad: 'same' | 'valid';
}

/** tfjs-core's Conv2D attributes for a square stride, NHWC, no dilation. */
function conv2dAttrs(strides: number, pad: 'same' | 'valid') {
  return { strides: [strides, strides], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
}

/**
 * Input gradients of conv(x, filter) (+ bias) from `dz`, the gradient at the convolution's output. Functions
 * for every possible input: the engine calls only those of inputs on the gradient path.
 */
function convGradients(x: tf.Tensor4D, filter: tf.Tensor4D, dz: tf.Tensor4D, { strides, pad }: ConvAttrs) {
  return {
    x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter }, { ...conv2dAttrs(strides, pad), inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    filter: () => conv2dFilterGradient(x, dz, filter.shape, strides, pad),
    bias: () => tf.sum(dz, [0, 1, 2]),
  };
}

let registered = false;

/** Registers the kernels and gradients above (idempotent; called on first use). */
function ensureRegistered(): void {
  if (registered) return;
  registered = true;

  tf.registerKernel({
    kernelName: RELU_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as NativeBackend;
      return b.executeSingleOutput('Relu', [floatType(b.binding)], [inputs.x as tf.TensorInfo]);
    },
  });
  tf.registerKernel({
    kernelName: RELU_GRAD_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as NativeBackend;
      // ReluGrad(gradients, features) = gradients · (features > 0); the ReLU output has the same sign pattern.
      return b.executeSingleOutput('ReluGrad', [floatType(b.binding)], [inputs.dy as tf.TensorInfo, inputs.y as tf.TensorInfo]);
    },
  });
  // ReluGrad(dy, y) = dy·[y > 0] is linear in dy with a locally constant mask: its gradient (second-order
  // gradients through D: R1, WGAN-GP) is ReluGrad(ddx, y) for dy and 0 for y.
  tf.registerGradient({
    kernelName: RELU_GRAD_KERNEL,
    inputsToSave: ['y'],
    gradFunc: (ddx, saved) => {
      const [y] = saved;
      return { dy: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: ddx as tf.Tensor, y }) as tf.Tensor, y: () => tf.zerosLike(y) };
    },
  });
  tf.registerGradient({
    kernelName: RELU_KERNEL,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, y }) as tf.Tensor };
    },
  });

  tf.registerKernel({
    kernelName: CONV2D_BIAS_RELU_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      const fused = tf.getKernel('FusedConv2D', NATIVE_BACKEND);
      if (!fused) throw new Error(`${CONV2D_BIAS_RELU_KERNEL}: the '${NATIVE_BACKEND}' backend has no FusedConv2D kernel`);
      const { strides, pad } = args.attrs as unknown as ConvAttrs;
      const attrs = { ...conv2dAttrs(strides, pad), activation: 'relu', leakyreluAlpha: 0 };
      return fused.kernelFunc({ ...args, attrs: attrs as unknown as tf.NamedAttrMap });
    },
  });
  tf.registerGradient({
    kernelName: CONV2D_BIAS_RELU_KERNEL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      // Computed once for all three input gradients; lives until the end of the backward pass.
      const dz = tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, y }) as tf.Tensor4D;
      return convGradients(x, filter, dz, attrs as unknown as ConvAttrs);
    },
  });

  tf.registerKernel({
    kernelName: CONV2D_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      const { strides, pad } = args.attrs as unknown as ConvAttrs;
      const common = conv2dAttrs(strides, pad);
      const name = args.inputs.bias ? 'FusedConv2D' : 'Conv2D';
      const kernel = tf.getKernel(name, NATIVE_BACKEND);
      if (!kernel) throw new Error(`${CONV2D_KERNEL}: the '${NATIVE_BACKEND}' backend has no ${name} kernel`);
      const attrs = args.inputs.bias ? { ...common, activation: 'linear', leakyreluAlpha: 0 } : common;
      return kernel.kernelFunc({ ...args, attrs: attrs as unknown as tf.NamedAttrMap });
    },
  });
  tf.registerGradient({
    kernelName: CONV2D_KERNEL,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      return convGradients(x, filter, dy as tf.Tensor4D, attrs as unknown as ConvAttrs);
    },
  });

  registerRawOpsKernel(SPECTRAL_NORM_KERNEL, (ops, { weight, u, v }, attrs) => spectralNormForward(ops, weight, u, v, attrs as unknown as SpectralAttrs));
  registerRawOpsKernel(SPECTRAL_NORM_GRAD_KERNEL, (ops, { dy, normalized, sigma, u, v }, attrs) => spectralNormBackward(ops, dy, normalized, sigma, u, v, (attrs as unknown as SpectralAttrs).view));
  registerRawOpsKernel(MODULATED_BATCH_NORM_KERNEL, (ops, { x, gain, bias }, attrs) => {
    const [y, mean, variance, ...reserve] = ops.batchNormTrain(x, (attrs as unknown as { epsilon: number }).epsilon);
    // BN(x)·(1 + gain) + bias, gain and bias per sample and channel.
    const out = ops.binary('AddV2', ops.binary('Mul', y, ops.perSample(ops.binary('AddV2', gain, ops.scalar(1)))), ops.perSample(bias));
    return [out, mean, variance, y, ...reserve];
  });
  registerRawOpsKernel(MODULATED_BATCH_NORM_GRAD_KERNEL, (ops, { dy, x, y, gain, reserve1, reserve2, reserve3 }, attrs) => {
    const dBias = ops.reduce('Sum', dy, [1, 2]);
    const dGain = ops.reduce('Sum', ops.binary('Mul', dy, y), [1, 2]);
    const dNormalized = ops.binary('Mul', dy, ops.perSample(ops.binary('AddV2', gain, ops.scalar(1))));
    const dx = ops.batchNormTrainGrad(dNormalized, x, [reserve1, reserve2, reserve3], (attrs as unknown as { epsilon: number }).epsilon);
    return [dx, dGain, dBias];
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAIN_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as NativeBackend;
      const { x, scale, offset } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; offset: tf.TensorInfo };
      const empty = tf.tensor1d([], 'float32');
      try {
        // Outputs: y, batch mean, batch variance (unbiased, n/(n − 1)), reserve spaces 1–3.
        return b.executeMultipleOutputs('FusedBatchNormV3', batchNormAttrs(b.binding, (attrs as unknown as { epsilon: number }).epsilon, true), [x, scale, offset, empty, empty], 6);
      } finally {
        empty.dispose();
      }
    },
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAIN_GRAD_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as NativeBackend;
      const { dy, x, scale, reserve1, reserve2, reserve3 } = inputs as Record<string, tf.TensorInfo>;
      const outs = b.executeMultipleOutputs(
        'FusedBatchNormGradV3',
        batchNormAttrs(b.binding, (attrs as unknown as { epsilon: number }).epsilon, false),
        [dy, x, scale, reserve1, reserve2, reserve3],
        5,
      );
      // dx, dscale, doffset; the two trailing outputs are unused placeholders.
      for (const extra of outs.slice(3)) b.disposeData(extra.dataId, true);
      return outs.slice(0, 3);
    },
  });
}

/**
 * Registers a kernel of the native backend written with {@link RawOps}: `body` computes its output(s) from the
 * inputs; the outputs are handed to the engine (one, or an array: as returned) and every intermediate is freed,
 * also when `body` throws.
 */
function registerRawOpsKernel(
  kernelName: string,
  body: (ops: RawOps, inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap) => tf.TensorInfo | tf.TensorInfo[],
): void {
  tf.registerKernel({
    kernelName,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ops = new RawOps(backend as unknown as NativeBackend);
      try {
        const out = body(ops, inputs as Record<string, tf.TensorInfo>, attrs as tf.NamedAttrMap);
        return Array.isArray(out) ? out.map((t) => ops.output(t)) : ops.output(out);
      } finally {
        ops.dispose();
      }
    },
  });
}

/**
 * relu(x) with the native ReluGrad gradient on the 'tensorflow' backend; `tf.relu` elsewhere.
 * Call inside tf.tidy.
 */
export function relu<T extends tf.Tensor>(x: T): T {
  if (x.dtype !== 'float32' || !nativeKernelsActive()) return tf.relu(x);
  return tf.engine().runKernel(RELU_KERNEL, { x }) as T;
}

/**
 * relu(conv2d(x, filter) + bias) (NHWC, square strides, 'same' or 'valid' padding) as one kernel on the
 * 'tensorflow' backend, in training too; `tf.fused.conv2d` elsewhere. Call inside tf.tidy.
 */
export function conv2dBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, strides: number, pad: 'same' | 'valid'): tf.Tensor4D {
  if (!nativeKernelsActive()) return tf.fused.conv2d({ x, filter, strides, pad, bias, activation: 'relu' });
  return tf.engine().runKernel(CONV2D_BIAS_RELU_KERNEL, { x, filter, bias }, { strides, pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * Training-mode batch normalisation over N, H, W of NHWC `x` with TensorFlow's fused kernels:
 * y = (x − μ_B)·rsqrt(σ²_B + ε)·scale + offset with the biased batch variance σ²_B, plus μ_B and the
 * unbiased variance σ²_B·n/(n − 1) (for running statistics; no gradient flows through them).
 * Only on the 'tensorflow' backend (check {@link nativeKernelsActive}). Call inside tf.tidy.
 */
export function nativeBatchNormTrain(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): { y: tf.Tensor4D; mean: tf.Tensor1D; unbiasedVariance: tf.Tensor1D } {
  let mean!: tf.Tensor1D;
  let unbiasedVariance!: tf.Tensor1D;
  const attrs = { epsilon } as unknown as tf.NamedAttrMap;
  const y = singleOutputGradient((xx: tf.Tensor, s: tf.Tensor, o: tf.Tensor, save: tf.GradSaveFunc) => {
    const [out, m, v, ...reserve] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x: xx, scale: s, offset: o }, attrs) as tf.Tensor[];
    [mean, unbiasedVariance] = [tf.keep(m) as tf.Tensor1D, tf.keep(v) as tf.Tensor1D];
    save([xx, s, ...reserve]);
    return {
      value: out,
      // Only y carries a gradient: the mean and variance outputs feed running statistics, never a loss.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, ss, reserve1, reserve2, reserve3] = saved;
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD_KERNEL, { dy, x: sx, scale: ss, reserve1, reserve2, reserve3 }, attrs) as tf.Tensor[];
      },
    };
  })(x, scale, offset) as tf.Tensor4D;
  return { y, ...escapeCustomGrad(mean, unbiasedVariance) };
}

/**
 * The batch statistics kept out of a custom gradient's forward (which runs in its own tidy scope) as tensors of
 * the caller's scope: clones tracked there; the kept originals are freed.
 */
function escapeCustomGrad(mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D): { mean: tf.Tensor1D; unbiasedVariance: tf.Tensor1D } {
  const out = { mean: tf.clone(mean), unbiasedVariance: tf.clone(unbiasedVariance) };
  tf.dispose([mean, unbiasedVariance]);
  return out;
}

/**
 * `tf.customGrad` for the native kernels with several outputs of which one carries the gradient: a kernel
 * registered with `registerGradient` gets, for every output without a gradient, a zero tensor filled in
 * JavaScript and uploaded in each backward pass (tfjs-core's tape); a custom gradient has one output and saves
 * what it chooses. `f` runs the kernel(s), saves what the gradient needs and returns { value, gradFunc }.
 */
function singleOutputGradient(f: (...args: never[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/**
 * conv2d(x, filter) (+ bias), NHWC, square strides, 'same' or 'valid' padding, no activation, as one kernel on
 * the 'tensorflow' backend whose gradient computes only the needed input gradients, filter gradients by
 * {@link conv2dFilterGradient}; `tf.fused.conv2d` elsewhere. x [N, H, W, in], filter [kH, kW, in, out],
 * bias [out] or null. Call inside tf.tidy.
 */
export function conv2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | null, strides: number, pad: 'same' | 'valid'): tf.Tensor4D {
  if (!nativeKernelsActive() || x.dtype !== 'float32') return tf.fused.conv2d({ x, filter, strides, pad, bias: bias ?? undefined });
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return tf.engine().runKernel(CONV2D_KERNEL, inputs, { strides, pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * Whether {@link conv2dFilterGradient} uses the MatMul formulation for these shapes: stride 1, 'same' or
 * 'valid' padding, kernel ≤ 3×3, ≥ 64 input and ≥ 64 output channels, N·H_out·W_out ≥ 4096 (measured in
 * bench/: 0.4–0.8× of TensorFlow 2.21's Conv2DBackpropFilter time there; slower than it for strided,
 * few-channel or small shapes). xShape [N, H, W, in], dyShape [N, H_out, W_out, out], filterShape [kH, kW, in, out].
 */
export function matMulFilterGradientApplies(xShape: readonly number[], dyShape: readonly number[], filterShape: readonly number[], strides: number, pad: 'same' | 'valid' | number): boolean {
  const [kh, kw, cin, cout] = filterShape;
  return (
    xShape.length === 4 &&
    dyShape.length === 4 &&
    strides === 1 &&
    (pad === 'same' || pad === 'valid') &&
    kh <= 3 &&
    kw <= 3 &&
    cin >= 64 &&
    cout >= 64 &&
    dyShape[0] * dyShape[1] * dyShape[2] >= 4096
  );
}

/**
 * The filter gradient of conv2d(x, W) (NHWC, square strides, dilation 1): Σ over N, H_out, W_out of the input
 * patches times dy, shape filterShape [kH, kW, in, out]. On the 'tensorflow' backend with the native kernels
 * on and shapes where {@link matMulFilterGradientApplies} (1×1 kernels only in {@link setMatMulFilterGradient}'s
 * 'pointwise' mode): one slice + one MatMul per kernel offset (one slice alive at a time); otherwise the backend's
 * `Conv2DBackpropFilter`. Same values up to float summation order.
 * Source: the adjoint of the convolution; PyTorch's `convolution_backward` weight gradient.
 */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], strides: number, pad: 'same' | 'valid'): tf.Tensor4D {
  const pointwiseOnly = matMulFilterGradient === 'pointwise' && (filterShape[0] !== 1 || filterShape[1] !== 1);
  if (!matMulFilterGradient || pointwiseOnly || x.dtype !== 'float32' || !nativeKernelsActive() || !matMulFilterGradientApplies(x.shape, dy.shape, filterShape, strides, pad)) {
    const attrs = { ...conv2dAttrs(strides, pad), filterShape };
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return filterGradientByMatMul(x, dy, filterShape[0], filterShape[1], pad);
}

/**
 * Stride-1 filter gradient as kH·kW MatMuls on any backend (no shape check; {@link conv2dFilterGradient}
 * decides when to use it). Intermediates are freed as soon as they are used. Internal; exported for tests.
 */
export function filterGradientByMatMul(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, pad: 'same' | 'valid'): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  const [, oh, ow, cout] = dy.shape;
  let xp = x;
  if (pad === 'same') {
    // TensorFlow's 'same': total padding k − 1 at stride 1, the smaller half before.
    const th = Math.max(oh - 1 + kh - h, 0);
    const tw = Math.max(ow - 1 + kw - w, 0);
    if (th > 0 || tw > 0) xp = tf.pad(x, [[0, 0], [Math.floor(th / 2), th - Math.floor(th / 2)], [Math.floor(tw / 2), tw - Math.floor(tw / 2)], [0, 0]]);
  }
  const rows = n * oh * ow;
  const dy2 = tf.reshape(dy, [rows, cout]);
  const parts: tf.Tensor[] = [];
  try {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const whole = i === 0 && j === 0 && xp.shape[1] === oh && xp.shape[2] === ow;
        const patch = whole ? xp : tf.slice(xp, [0, i, j, 0], [n, oh, ow, cin]);
        const flat = tf.reshape(patch, [rows, cin]);
        parts.push(tf.matMul(flat, dy2, true, false));
        flat.dispose();
        if (patch !== xp) patch.dispose();
      }
    }
    if (parts.length === 1) return tf.reshape(parts[0], [kh, kw, cin, cout]);
    const stacked = tf.stack(parts);
    const out = tf.reshape(stacked, [kh, kw, cin, cout]) as tf.Tensor4D;
    stacked.dispose();
    return out;
  } finally {
    tf.dispose(parts);
    dy2.dispose();
    if (xp !== x) xp.dispose();
  }
}

/**
 * Spectral normalisation W/σ of one weight as one kernel on the 'tensorflow' backend (and one for its gradient),
 * the same computation as `spectralNormalize`'s portable path: when `update`, one power iteration
 * v ← normalize(Pᵀu), u ← normalize(P v) (normalize(x) = x / max(‖x‖, eps), PyTorch's F.normalize), written to
 * the `u` and `v` variables; σ = uᵀ P v; gradient (G − ⟨G, Ŵ⟩·u vᵀ)/σ with u, v constants (PyTorch's).
 * Only when {@link nativeKernelsActive} and the weight is float32. Call inside tf.tidy.
 */
export function spectralNormalizeNative(weight: tf.Tensor, u: tf.Variable, v: tf.Variable, view: SpectralView, eps: number, update: boolean): tf.Tensor {
  return singleOutputGradient((w: tf.Tensor, save: tf.GradSaveFunc) => {
    const [normalized, sigma, uUsed, vUsed] = tf.engine().runKernel(SPECTRAL_NORM_KERNEL, { weight: w, u, v }, { view, eps, update } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    if (update) {
      u.assign(uUsed);
      v.assign(vUsed);
    }
    // u and v as they are now: a later power iteration replaces the variables' data, not these.
    save([normalized, sigma, uUsed, vUsed]);
    return {
      value: normalized,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sn, ss, su, sv] = saved;
        return tf.engine().runKernel(SPECTRAL_NORM_GRAD_KERNEL, { dy, normalized: sn, sigma: ss, u: su, v: sv }, { view } as unknown as tf.NamedAttrMap) as tf.Tensor;
      },
    };
  })(weight);
}

/**
 * BN(x)·(1 + gain) + bias, the conditional batch norm of StudioGAN (`ConditionalBatchNorm2d`,
 * `BigGANConditionalBatchNorm2d`) in training mode, as one kernel each way on the 'tensorflow' backend:
 * TensorFlow's FusedBatchNormV3 without affine (batch mean, biased variance for the output) and the per-sample
 * affine map; gradient FusedBatchNormGradV3 plus the sums for gain and bias. x NHWC [N, H, W, C], gain and bias
 * [N, C]. Returns the output, the batch mean and the unbiased batch variance (for running statistics).
 * Only when {@link nativeKernelsActive}. Call inside tf.tidy.
 */
export function nativeModulatedBatchNorm(x: tf.Tensor4D, gain: tf.Tensor2D, bias: tf.Tensor2D, epsilon: number): { y: tf.Tensor4D; mean: tf.Tensor1D; unbiasedVariance: tf.Tensor1D } {
  let mean!: tf.Tensor1D;
  let unbiasedVariance!: tf.Tensor1D;
  const attrs = { epsilon } as unknown as tf.NamedAttrMap;
  const y = singleOutputGradient((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [out, m, v, normalized, ...reserve] = tf.engine().runKernel(MODULATED_BATCH_NORM_KERNEL, { x: xx, gain: g, bias: b }, attrs) as tf.Tensor[];
    [mean, unbiasedVariance] = [tf.keep(m) as tf.Tensor1D, tf.keep(v) as tf.Tensor1D];
    save([xx, g, normalized, ...reserve]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sy, reserve1, reserve2, reserve3] = saved;
        return tf.engine().runKernel(MODULATED_BATCH_NORM_GRAD_KERNEL, { dy, x: sx, y: sy, gain: sg, reserve1, reserve2, reserve3 }, attrs) as tf.Tensor[];
      },
    };
  })(x, gain, bias) as tf.Tensor4D;
  return { y, ...escapeCustomGrad(mean, unbiasedVariance) };
}
