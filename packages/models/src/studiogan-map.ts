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

function valueData(value: StateValue): TensorData {
  if (value instanceof tf.Tensor) {
    const dtype = value.dtype as TensorData['dtype'];
    const raw = value.dataSync();
    return { dtype, shape: value.shape.slice(), data: dtype === 'float32' ? Float32Array.from(raw as Float32Array) : Int32Array.from(raw as Int32Array) };
  }
  return value;
}

/** Applies `mapping.transform` in the PyTorch → ours direction. */
export function fromStudioganLayout(mapping: StudioganKeyMapping, value: StateValue): TensorData {
  const t = valueData(value);
  const expected = mapping.torchShape;
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`fromStudioganLayout: '${mapping.studioganName}' expected PyTorch shape [${expected.join(', ')}], received [${t.shape.join(', ')}]`);
  }
  const tr = mapping.transform;
  switch (tr.kind) {
    case 'identity':
      return { dtype: t.dtype, shape: mapping.shape.slice(), data: t.data };
    case 'counter':
      return { dtype: 'int32', shape: [], data: Int32Array.from(t.data as ArrayLike<number>) };
    case 'permute':
      return { dtype: 'float32', shape: mapping.shape.slice(), data: permute(Float32Array.from(t.data as ArrayLike<number>), t.shape, tr.perm) };
    case 'spectral-v': {
      const [kh, kw] = tr.kernel;
      const data = permute(Float32Array.from(t.data as ArrayLike<number>), [tr.channels, kh, kw], [1, 2, 0]);
      return { dtype: 'float32', shape: mapping.shape.slice(), data };
    }
  }
}

/** Applies `mapping.transform` in the ours → PyTorch direction. */
export function toStudioganLayout(mapping: StudioganKeyMapping, value: StateValue): TensorData {
  const t = valueData(value);
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
 * Converts a StudioGAN (PyTorch-layout) state dict into this module's layout, e.g. tensors decoded
 * from a safetensors export of `Gen.state_dict()`: `module.loadStateDict(fromStudioganStateDict(module, tensors))`.
 * Entries not in the module are passed through unchanged (loadStateDict reports them).
 * @param prefix stripped from the input names first (e.g. 'module.' from DataParallel checkpoints)
 */
export function fromStudioganStateDict(module: Module, tensors: Map<string, StateValue>, prefix = ''): Map<string, TensorData> {
  const byName = new Map(studioganKeyMap(module).map((m) => [m.studioganName, m]));
  const out = new Map<string, TensorData>();
  for (const [rawName, value] of tensors) {
    if (!rawName.startsWith(prefix)) continue;
    const name = rawName.slice(prefix.length);
    const mapping = byName.get(name);
    out.set(mapping ? mapping.name : name, mapping ? fromStudioganLayout(mapping, value) : valueData(value));
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
