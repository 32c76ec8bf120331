import * as tf from '@tensorflow/tfjs-core';
import { permute } from './init.js';
import { BatchNorm2d } from './layers/batch-norm.js';
import { Conv2d, ConvTranspose2d, WeightLayer } from './layers/weight-layers.js';
import type { Module, StateValue, TensorData } from './module.js';

/**
 * How one state-dict entry of this package relates to StudioGAN's PyTorch `state_dict`.
 * Names are identical; only layouts (and one dtype) differ:
 * - `identity`: same shape and order (Linear [out, in], Embedding, biases, BN vectors, `sigma`,
 *   spectral-norm `weight_u`);
 * - `permute`: ours = numpy.transpose(torch, `perm`) — Conv2d OIHW → HWIO and ConvTranspose2d
 *   [I, O, kH, kW] → [kH, kW, O, I], both `perm` = [2, 3, 1, 0];
 * - `spectral-v`: the SN `weight_v` of a (transposed) convolution; ours is ordered (kH, kW, C),
 *   PyTorch's (C, kH, kW): torch = transpose(ours.reshape(kH, kW, C), [2, 0, 1]).reshape(-1);
 * - `counter`: `num_batches_tracked`, int64 scalar in PyTorch, int32 here.
 */
export type LayoutTransform =
  | { kind: 'identity' }
  | { kind: 'permute'; perm: number[] }
  | { kind: 'spectral-v'; kernel: [number, number]; channels: number }
  | { kind: 'counter' };

export interface StudioganKeyMapping {
  /** Our state-dict name. */
  name: string;
  /** StudioGAN's `state_dict` key (identical to `name`). */
  studioganName: string;
  /** Shape here. */
  shape: number[];
  /** Shape in PyTorch. */
  torchShape: number[];
  transform: LayoutTransform;
  /** 'parameter' or 'buffer' (PyTorch's classification). */
  role: 'parameter' | 'buffer';
}

/**
 * The mapping of every entry of `module.stateDict()` onto StudioGAN's state_dict keys and
 * layouts, in state-dict order, as plain data (JSON-serialisable).
 */
export function studioganKeyMap(module: Module): StudioganKeyMapping[] {
  const transforms = new Map<string, { transform: LayoutTransform; torchShape: number[] }>();
  const walk = (m: Module, prefix: string): void => {
    if (m instanceof WeightLayer) {
      const kind = m instanceof Conv2d ? 'conv' : m instanceof ConvTranspose2d ? 'deconv' : 'matrix';
      const weightName = prefix + (m.spectralNorm ? 'weight_orig' : 'weight');
      if (kind === 'matrix') {
        transforms.set(weightName, { transform: { kind: 'identity' }, torchShape: m.torchShape.slice() });
      } else {
        transforms.set(weightName, { transform: { kind: 'permute', perm: [2, 3, 1, 0] }, torchShape: m.torchShape.slice() });
        if (m.spectralNorm) {
          const [kh, kw] = [m.torchShape[2], m.torchShape[3]];
          // The contracted channel axis: Conv2d's input channels, ConvTranspose2d's input channels (torch dim 0).
          const channels = m.torchShape[kind === 'conv' ? 1 : 0];
          transforms.set(prefix + 'weight_v', {
            transform: { kind: 'spectral-v', kernel: [kh, kw], channels },
            torchShape: [channels * kh * kw],
          });
        }
      }
    }
    if (m instanceof BatchNorm2d) transforms.set(prefix + 'num_batches_tracked', { transform: { kind: 'counter' }, torchShape: [] });
    for (const [name, child] of m.namedChildren()) walk(child, `${prefix}${name}.`);
  };
  walk(module, '');
  const parameterNames = new Set(module.namedParameters().keys());
  return [...module.stateDict()].map(([name, variable]) => {
    const known = transforms.get(name);
    return {
      name,
      studioganName: name,
      shape: variable.shape.slice(),
      torchShape: known ? known.torchShape : variable.shape.slice(),
      transform: known ? known.transform : { kind: 'identity' },
      role: parameterNames.has(name) ? 'parameter' : 'buffer',
    };
  });
}

function inversePermutation(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * A tensor as decoded from a PyTorch file, e.g. by `readTorchStateDict` of @reacgan/metrics: row-major
 * values with PyTorch's dtype name. int64 values come as a BigInt64Array (`num_batches_tracked`), float64
 * as a Float64Array; float16 / bfloat16 are expected widened to a Float32Array.
 */
export interface TorchTensorData {
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
}

/** What {@link fromStudioganStateDict} accepts per entry: a tfjs tensor, this package's tensor data, or PyTorch-decoded data. */
export type StudioganStateValue = StateValue | TorchTensorData;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Plain float32 / int32 data of a state value: tfjs tensors are read; PyTorch floats (float64, widened
 * float16) become float32, PyTorch integers (int64 as BigInt, int16, int8, uint8) int32.
 * @throws Error naming `name` when an integer does not fit int32, or the dtype is not a number type.
 */
function valueData(value: StudioganStateValue, name: string): TensorData {
  if (value instanceof tf.Tensor) {
    const dtype = value.dtype as TensorData['dtype'];
    const raw = value.dataSync();
    return { dtype, shape: value.shape.slice(), data: dtype === 'float32' ? Float32Array.from(raw as Float32Array) : Int32Array.from(raw as Int32Array) };
  }
  const { data, shape } = value;
  if (data instanceof Float32Array) return { dtype: 'float32', shape: shape.slice(), data };
  if (data instanceof Float64Array) return { dtype: 'float32', shape: shape.slice(), data: Float32Array.from(data) };
  if (data instanceof Int32Array) return { dtype: value.dtype === 'bool' ? 'bool' : 'int32', shape: shape.slice(), data };
  if (data instanceof BigInt64Array) {
    const out = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX)) throw new Error(`'${name}': int64 value ${v} at index ${i} does not fit int32`);
      out[i] = Number(v);
    }
    return { dtype: 'int32', shape: shape.slice(), data: out };
  }
  if (data instanceof Int16Array || data instanceof Int8Array || (data instanceof Uint8Array && value.dtype !== 'bool')) {
    return { dtype: 'int32', shape: shape.slice(), data: Int32Array.from(data) };
  }
  if (data instanceof Uint8Array) return { dtype: 'bool', shape: shape.slice(), data };
  throw new Error(`'${name}': unsupported tensor data ${Object.prototype.toString.call(data)} (dtype ${String(value.dtype)})`);
}

/** Applies `mapping.transform` in the PyTorch → ours direction. */
export function fromStudioganLayout(mapping: StudioganKeyMapping, value: StudioganStateValue): TensorData {
  const t = valueData(value, mapping.studioganName);
  const expected = mapping.torchShape;
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`fromStudioganLayout: '${mapping.studioganName}' expected PyTorch shape [${expected.join(', ')}], received [${t.shape.join(', ')}]`);
  }
  const tr = mapping.transform;
  switch (tr.kind) {
    case 'identity':
      return { dtype: t.dtype, shape: mapping.shape.slice(), data: t.data };
    case 'counter':
      return { dtype: 'int32', shape: [], data: Int32Array.from(t.data) };
    case 'permute':
      return { dtype: 'float32', shape: mapping.shape.slice(), data: permute(Float32Array.from(t.data), t.shape, tr.perm) };
    case 'spectral-v': {
      const [kh, kw] = tr.kernel;
      const data = permute(Float32Array.from(t.data), [tr.channels, kh, kw], [1, 2, 0]);
      return { dtype: 'float32', shape: mapping.shape.slice(), data };
    }
  }
}

/** Applies `mapping.transform` in the ours → PyTorch direction. */
export function toStudioganLayout(mapping: StudioganKeyMapping, value: StateValue): TensorData {
  const t = valueData(value, mapping.name);
  const tr = mapping.transform;
  switch (tr.kind) {
    case 'identity':
      return { dtype: t.dtype, shape: mapping.torchShape.slice(), data: t.data };
    case 'counter':
      return { dtype: 'int32', shape: [], data: Int32Array.from(t.data as ArrayLike<number>) };
    case 'permute':
      return { dtype: 'float32', shape: mapping.torchShape.slice(), data: permute(Float32Array.from(t.data as ArrayLike<number>), t.shape, inversePermutation(tr.perm)) };
    case 'spectral-v': {
      const [kh, kw] = tr.kernel;
      const data = permute(Float32Array.from(t.data as ArrayLike<number>), [kh, kw, tr.channels], [2, 0, 1]);
      return { dtype: 'float32', shape: mapping.torchShape.slice(), data };
    }
  }
}

/**
 * Converts a StudioGAN (PyTorch-layout) state dict into this module's layout, e.g. tensors decoded from a
 * StudioGAN `.pth` by `readTorchStateDict` (int64 `num_batches_tracked` → int32, float64 → float32) or from a
 * safetensors export of `Gen.state_dict()`: `module.loadStateDict(fromStudioganStateDict(module, tensors))`.
 * Entries not in the module are passed through (as float32 / int32) so that loadStateDict reports them by name.
 * @param prefix stripped from the input names first (e.g. 'module.' from DataParallel checkpoints); names
 *   without it are skipped
 * @throws Error naming the key when a tensor's PyTorch shape differs from the module's, or an int64 value
 *   does not fit int32
 */
export function fromStudioganStateDict(module: Module, tensors: Map<string, StudioganStateValue>, prefix = ''): Map<string, TensorData> {
  const byName = new Map(studioganKeyMap(module).map((m) => [m.studioganName, m]));
  const out = new Map<string, TensorData>();
  for (const [rawName, value] of tensors) {
    if (!rawName.startsWith(prefix)) continue;
    const name = rawName.slice(prefix.length);
    const mapping = byName.get(name);
    out.set(mapping ? mapping.name : name, mapping ? fromStudioganLayout(mapping, value) : valueData(value, name));
  }
  return out;
}

/** This module's state in StudioGAN's names and PyTorch layouts (for export to PyTorch). */
export function toStudioganStateDict(module: Module): Map<string, TensorData> {
  const state = module.stateDict();
  const out = new Map<string, TensorData>();
  for (const mapping of studioganKeyMap(module)) out.set(mapping.studioganName, toStudioganLayout(mapping, state.get(mapping.name)!));
  return out;
}

/** How a StudioGAN state dict differs from a module's: names in StudioGAN's spelling, shapes in PyTorch's layout. */
export interface StudioganStateDictDiff {
  /** Keys the module has and the state dict lacks. */
  missing: string[];
  /** Keys of the state dict the module does not have. */
  unexpected: string[];
  /** Keys present in both with different shapes. */
  mismatched: { name: string; expected: number[]; received: number[] }[];
}

/**
 * Compares a StudioGAN (PyTorch-layout) state dict with what `module` expects, all keys at once, so that an
 * error can list every missing, unexpected and mis-shaped key by name (e.g. a v0.3.0 `bn1.embed0.weight_orig`
 * where the module has StudioGAN master's `bn1.gain.weight_orig`).
 */
export function diffStudioganStateDict(module: Module, tensors: Map<string, { shape: readonly number[] }>): StudioganStateDictDiff {
  const mappings = studioganKeyMap(module);
  const byName = new Map(mappings.map((m) => [m.studioganName, m]));
  const diff: StudioganStateDictDiff = { missing: [], unexpected: [], mismatched: [] };
  for (const m of mappings) {
    const t = tensors.get(m.studioganName);
    if (!t) diff.missing.push(m.studioganName);
    else if (t.shape.length !== m.torchShape.length || t.shape.some((d, i) => d !== m.torchShape[i])) {
      diff.mismatched.push({ name: m.studioganName, expected: m.torchShape.slice(), received: [...t.shape] });
    }
  }
  for (const name of tensors.keys()) if (!byName.has(name)) diff.unexpected.push(name);
  return diff;
}
