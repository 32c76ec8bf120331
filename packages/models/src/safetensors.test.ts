import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { repositoryRoot } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, encodeSafetensorsAsync } from './safetensors.js';

function header(bytes: Uint8Array): { length: number; json: Record<string, unknown> } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown> };
}

/** Hand-made file: one tensor of `dtype` with raw little-endian `payload`. */
function handMade(dtype: string, shape: number[], payload: Uint8Array, metadata?: Record<string, string>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ ...(metadata ? { __metadata__: metadata } : {}), t: { dtype, shape, data_offsets: [0, payload.length] } }));
  const out = new Uint8Array(8 + json.length + payload.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(payload, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32, int32 and bool tensors, plain data and metadata', async () => {
    const a = tf.tensor2d([[1.5, -2], [3.25, 1e-8]]);
    const b = tf.tensor1d([7, -9, 2147483647], 'int32');
    const c = tf.tensor1d([true, false, true], 'bool');
    const input = new Map<string, tf.Tensor | { dtype: 'float32'; shape: number[]; data: Float32Array }>([
      ['a', a],
      ['flag', c],
      ['b', b],
      ['plain', { dtype: 'float32', shape: [3], data: new Float32Array([0.5, 1, 2]) }],
      ['scalar', tf.scalar(4)],
    ]);
    const bytes = encodeSafetensors(input, { step: '12', note: 'ü' });
    expect(Array.from(await encodeSafetensorsAsync(input, { step: '12', note: 'ü' }))).toEqual(Array.from(bytes));
    const { length } = header(bytes);
    expect(length % 8).toBe(0);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ step: '12', note: 'ü' });
    expect(decoded.tensors.get('a')).toEqual({ dtype: 'float32', shape: [2, 2], data: new Float32Array([1.5, -2, 3.25, 1e-8]) });
    expect(decoded.tensors.get('b')).toEqual({ dtype: 'int32', shape: [3], data: new Int32Array([7, -9, 2147483647]) });
    expect(decoded.tensors.get('flag')).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
    expect(decoded.tensors.get('plain')!.data).toEqual(new Float32Array([0.5, 1, 2]));
    expect(decoded.tensors.get('scalar')).toEqual({ dtype: 'float32', shape: [], data: new Float32Array([4]) });
    // 4-byte tensors come first so they stay aligned; bool last.
    const offsets = Object.entries(header(bytes).json).filter(([k]) => k !== '__metadata__').map(([, v]) => (v as { data_offsets: number[] }).data_offsets[0]);
    expect(offsets.every((o, i) => i === offsets.length - 1 || o % 4 === 0)).toBe(true);
    tf.dispose([a, b, c, input.get('scalar') as tf.Tensor]);
  });

  it('reads files written by the Python safetensors library (the parity fixtures)', () => {
    const bytes = fs.readFileSync(new URL('./__fixtures__/parity-big_resnet-d2dce.safetensors', import.meta.url));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(JSON.parse(metadata.config).backbone).toBe('big_resnet');
    expect(tensors.get('G.linear0.weight_orig')!.shape).toEqual([16 * 32, 4]);
    expect(tensors.get('input.labels')!.dtype).toBe('int32');
    expect(tensors.get('G.blocks.0.0.bn1.bn.num_batches_tracked')).toEqual({ dtype: 'int32', shape: [], data: new Int32Array([7]) });
  });

  it('decodes F16, BF16, F64, I64 and U8 into float32 / int32', () => {
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x7c00]).buffer); // 1, -2, 0.33325, inf
    expect(Array.from(decodeSafetensors(handMade('F16', [4], f16)).tensors.get('t')!.data)).toEqual([1, -2, 0.333251953125, Infinity]);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer); // 1, -3
    expect(Array.from(decodeSafetensors(handMade('BF16', [2], bf16)).tensors.get('t')!.data)).toEqual([1, -3]);
    const f64 = new Uint8Array(new Float64Array([0.1, -5]).buffer);
    expect(decodeSafetensors(handMade('F64', [2], f64)).tensors.get('t')!.data).toEqual(new Float32Array([0.1, -5]));
    const i64 = new Uint8Array(new BigInt64Array([5n, -3n]).buffer);
    expect(decodeSafetensors(handMade('I64', [2], i64)).tensors.get('t')).toEqual({ dtype: 'int32', shape: [2], data: new Int32Array([5, -3]) });
    expect(() => decodeSafetensors(handMade('I64', [1], new Uint8Array(new BigInt64Array([2n ** 40n]).buffer)))).toThrow(/outside the int32 range/);
    expect(decodeSafetensors(handMade('U8', [2], new Uint8Array([200, 3]))).tensors.get('t')!.data).toEqual(new Int32Array([200, 3]));
  });

  it('rejects truncated and malformed files with messages that say what is wrong', () => {
    const good = encodeSafetensors({ w: { dtype: 'float32', shape: [4], data: new Float32Array(4) } });
    expect(() => decodeSafetensors(good.subarray(0, 5))).toThrow(/too short/);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 3))).toThrow(/'w' has data_offsets \[0,16\] outside the data section \(13 bytes\)/);
    expect(() => decodeSafetensors(good.subarray(0, 12))).toThrow(/header length \d+ exceeds the file/);
    const bad = handMade('F32', [3], new Uint8Array(8));
    expect(() => decodeSafetensors(bad)).toThrow(/'t' spans 8 bytes but F32 \[3\] needs 12/);
    const garbage = new Uint8Array(16);
    new DataView(garbage.buffer).setUint32(0, 4, true);
    garbage.set(new TextEncoder().encode('{{{{'), 8);
    expect(() => decodeSafetensors(garbage)).toThrow(/not valid JSON/);
    expect(() => encodeSafetensors({ x: tf.complex([1], [1]) as unknown as tf.Tensor })).toThrow(/complex64/);
    expect(() => encodeSafetensors({ x: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).toThrow(/\(3 elements\) but 2 values/);
    expect(() => encodeSafetensors({}, { n: 3 as unknown as string })).toThrow(/metadata values must be strings/);
  });

  const python = path.join(repositoryRoot, '.venv-reference', 'bin', 'python');
  it.skipIf(!fs.existsSync(python))('files written here load in the Python safetensors library', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'st-')), 'x.safetensors');
    fs.writeFileSync(file, encodeSafetensors({ w: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }, n: { dtype: 'int32', shape: [], data: new Int32Array([9]) } }, { k: 'v' }));
    const out = execFileSync(python, ['-c', `
from safetensors import safe_open
with safe_open(${JSON.stringify(file)}, "np") as f:
    print(f.metadata()["k"], f.get_tensor("w").sum(), f.get_tensor("w").shape, f.get_tensor("n"), f.get_tensor("n").dtype)
`]).toString().trim();
    expect(out).toBe('v 21.0 (2, 3) 9 int32');
  });
});
