import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from './module.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON header `{ name: { dtype, shape, data_offsets: [begin, end] },
 * "__metadata__": { string: string } }` (padded with spaces to a multiple of 8), then the raw
 * little-endian tensor bytes. Browser-safe: only ArrayBuffer / Uint8Array / TextEncoder.
 */

/** Tensors accepted by {@link encodeSafetensors}. */
export type SafetensorsInput = Map<string, tf.Tensor | TensorData> | Record<string, tf.Tensor | TensorData>;

/** What {@link decodeSafetensors} returns: plain data (no tfjs memory) plus the string metadata. */
export interface DecodedSafetensors {
  tensors: Map<string, TensorData>;
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const ENCODE_DTYPE: Record<TensorData['dtype'], string> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };
const BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

function entriesOf(input: SafetensorsInput): [string, tf.Tensor | TensorData][] {
  if (input instanceof Map) return [...input.entries()];
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`encodeSafetensors: tensors must be a Map or a plain object, received ${String(input)}`);
  }
  return Object.entries(input);
}

function toTensorData(name: string, value: tf.Tensor | TensorData, data?: ArrayLike<number> | Uint8Array): TensorData {
  if (value instanceof tf.Tensor) {
    const dtype = value.dtype;
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
      throw new TypeError(`encodeSafetensors: tensor '${name}' has dtype ${dtype}; only float32, int32 and bool are supported`);
    }
    const raw = data ?? (value.dataSync() as ArrayLike<number>);
    const typed =
      dtype === 'float32' ? Float32Array.from(raw as ArrayLike<number>) : dtype === 'int32' ? Int32Array.from(raw as ArrayLike<number>) : Uint8Array.from(raw as ArrayLike<number>);
    return { dtype, shape: value.shape.slice(), data: typed };
  }
  if (!value || !Array.isArray(value.shape) || !ArrayBuffer.isView(value.data)) {
    throw new TypeError(`encodeSafetensors: '${name}' must be a tf.Tensor or { dtype, shape, data }, received ${String(value)}`);
  }
  const size = value.shape.reduce((a, b) => a * b, 1);
  if (value.data.length !== size) {
    throw new Error(`encodeSafetensors: '${name}' has shape [${value.shape.join(', ')}] (${size} elements) but ${value.data.length} values`);
  }
  if (!(value.dtype in ENCODE_DTYPE)) throw new TypeError(`encodeSafetensors: '${name}' has unsupported dtype ${String(value.dtype)}`);
  return value;
}

function bytesOf(t: TensorData): Uint8Array {
  const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (LITTLE_ENDIAN || t.dtype === 'bool') return view;
  const out = new Uint8Array(view.length);
  for (let i = 0; i < view.length; i += 4) for (let b = 0; b < 4; b++) out[i + b] = view[i + 3 - b];
  return out;
}

function assemble(entries: [string, TensorData][], metadata: Record<string, string> | undefined): Uint8Array {
  // 4-byte dtypes first, 1-byte ones last, so every 4-byte tensor stays 4-byte aligned.
  const ordered = [...entries.filter(([, t]) => t.dtype !== 'bool'), ...entries.filter(([, t]) => t.dtype === 'bool')];
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`encodeSafetensors: metadata values must be strings, '${k}' is ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of ordered) {
    if (name === '__metadata__') throw new Error("encodeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    const byteLength = t.data.length * (t.dtype === 'bool' ? 1 : 4);
    header[name] = { dtype: ENCODE_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let position = 8 + json.length;
  for (const [, t] of ordered) {
    const bytes = bytesOf(t);
    out.set(bytes, position);
    position += bytes.length;
  }
  return out;
}

/**
 * Encodes tensors (tf.Tensor or plain `{ dtype, shape, data }`) and string metadata as a
 * safetensors byte array. float32 → F32, int32 → I32, bool → BOOL. Reads tensor values with
 * `dataSync` (use {@link encodeSafetensorsAsync} on GPU backends). Disposes nothing.
 * @throws on unsupported dtypes, non-string metadata values, data/shape size mismatches.
 */
export function encodeSafetensors(tensors: SafetensorsInput, metadata?: Record<string, string>): Uint8Array {
  return assemble(entriesOf(tensors).map(([name, value]) => [name, toTensorData(name, value)]), metadata);
}

/** As {@link encodeSafetensors}, reading tensor values with `await tensor.data()`. */
export async function encodeSafetensorsAsync(tensors: SafetensorsInput, metadata?: Record<string, string>): Promise<Uint8Array> {
  const entries: [string, TensorData][] = [];
  for (const [name, value] of entriesOf(tensors)) {
    const data = value instanceof tf.Tensor ? ((await value.data()) as ArrayLike<number>) : undefined;
    entries.push([name, toTensorData(name, value, data)]);
  }
  return assemble(entries, metadata);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decodeValues(name: string, dtype: string, bytes: Uint8Array, count: number): TensorData['data'] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const intRange = (value: number | bigint): number => {
    const n = Number(value);
    if (n > 2147483647 || n < -2147483648) {
      throw new RangeError(`decodeSafetensors: '${name}' (${dtype}) holds ${String(value)}, outside the int32 range of tfjs`);
    }
    return n;
  };
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'I32': {
      if (LITTLE_ENDIAN) return new Int32Array(bytes.slice().buffer);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = tmp.getFloat32(0);
      }
      return out;
    }
    case 'I64':
    case 'U64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = intRange(dtype === 'I64' ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true));
      return out;
    }
    case 'U32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = intRange(view.getUint32(4 * i, true));
      return out;
    }
    case 'I16':
    case 'U16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = dtype === 'I16' ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true);
      return out;
    }
    case 'I8':
    case 'U8': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = dtype === 'I8' ? view.getInt8(i) : view.getUint8(i);
      return out;
    }
    case 'BOOL':
      return bytes.slice();
    default:
      throw new TypeError(`decodeSafetensors: '${name}' has unsupported dtype ${dtype}`);
  }
}

function outputDtype(dtype: string): TensorData['dtype'] {
  if (dtype === 'BOOL') return 'bool';
  if (dtype.startsWith('F') || dtype === 'BF16') return 'float32';
  return 'int32';
}

/**
 * Decodes a safetensors byte array into plain tensor data (float types → float32, integer types
 * → int32 with a range check, BOOL → bool) and its string metadata. Creates no tf tensors.
 * @throws on a truncated file, a malformed header, out-of-range or overlapping offsets, or a
 *   byte length that does not match dtype × shape (the message names the tensor).
 */
export function decodeSafetensors(input: Uint8Array | ArrayBuffer): DecodedSafetensors {
  // A plain Uint8Array view: Node's Buffer overrides slice() to share memory.
  const bytes = input instanceof Uint8Array ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  if (bytes.length < 8) throw new Error(`decodeSafetensors: ${bytes.length} bytes is too short for a safetensors file (needs an 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new Error(`decodeSafetensors: header length ${headerLength} exceeds the file (${bytes.length} bytes): truncated or not safetensors`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`decodeSafetensors: the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('decodeSafetensors: the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorData>();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((entry ?? {}) as Record<string, unknown>)) metadata[k] = String(v);
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: string; shape?: number[]; data_offsets?: number[] };
    if (typeof dtype !== 'string' || !(dtype in BYTES)) throw new Error(`decodeSafetensors: '${name}' has unknown dtype ${String(dtype)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`decodeSafetensors: '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !(offsets[0] <= offsets[1]) || offsets[1] > dataLength) {
      throw new Error(`decodeSafetensors: '${name}' has data_offsets ${JSON.stringify(offsets)} outside the data section (${dataLength} bytes): truncated file?`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (offsets[1] - offsets[0] !== count * BYTES[dtype]) {
      throw new Error(
        `decodeSafetensors: '${name}' spans ${offsets[1] - offsets[0]} bytes but ${dtype} [${shape.join(', ')}] needs ${count * BYTES[dtype]}`,
      );
    }
    ranges.push([offsets[0], offsets[1], name]);
    const slice = bytes.subarray(dataStart + offsets[0], dataStart + offsets[1]);
    tensors.set(name, { dtype: outputDtype(dtype), shape: shape.slice(), data: decodeValues(name, dtype, slice, count) });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw new Error(`decodeSafetensors: tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap`);
  }
  return { tensors, metadata };
}

/** Creates tf tensors from decoded data (the caller owns and disposes them). */
export function tensorsFromData(data: Map<string, TensorData>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, t] of data) out.set(name, tf.tensor(t.data, t.shape, t.dtype));
  return out;
}
