import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, type NpyArray } from './npy.js';

// Fixtures: scripts/make_npy_fixtures.py (numpy.save).
type Expected = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
const expected = loadFixture<Expected & { provenance: object }>(import.meta.url, '__fixtures__/npy/expected.json');
const read = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(new URL(`./__fixtures__/npy/${name}.npy`, import.meta.url)));
const values = (a: NpyArray): (number | string)[] =>
  a.data instanceof BigInt64Array || a.data instanceof BigUint64Array ? Array.from(a.data, (v) => v.toString()) : Array.from(a.data as ArrayLike<number>);

describe('decodeNpy / encodeNpy (npyjs with checks)', () => {
  const names = Object.keys(expected).filter((k) => k !== 'provenance');
  it.each(names)('%s.npy (numpy.save) decodes to its dtype, shape and values', (name) => {
    const e = expected[name];
    // A Node Buffer from the pool: the reader must not depend on byteOffset 0.
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(read(name))]).subarray(3);
    const array = decodeNpy(pooled, name);
    expect(array.dtype).toBe(e.dtype);
    expect(array.shape).toEqual(e.shape);
    expect(values(array)).toEqual(e.values);
  });

  it('refuses Fortran order, big-endian, float16, complex, object arrays, truncated and non-npy bytes, naming the array', () => {
    expect(() => decodeNpy(read('fortran'), 'x.npy')).toThrow(/x\.npy: the array is Fortran-ordered/);
    expect(() => decodeNpy(read('bigendian'), 'x.npy')).toThrow(/x\.npy: big-endian data \('>f4'\)/);
    expect(() => decodeNpy(read('f2'), '--latents')).toThrow(/--latents: element type '<f2' is not supported/);
    expect(() => decodeNpy(read('c8'), 'c')).toThrow(/c: .*not supported|c: not a readable/);
    expect(() => decodeNpy(read('object'), 'o')).toThrow(/o: .*not supported|o: not a readable/);
    const full = read('f4_2d');
    expect(() => decodeNpy(full.subarray(0, full.length - 8), 'cut')).toThrow(/cut: the header says shape \[3, 4\] \(12 elements\) but the file holds 10 \(truncated\?\)/);
    expect(() => decodeNpy(new TextEncoder().encode('hello world'), 'txt')).toThrow(/txt: not a readable \.npy array/);
  });

  it('round-trips every supported type and checks the shape', () => {
    const arrays: [NpyArray['data'], number[]][] = [
      [Float32Array.from([1.5, -2, 3e-8, 4, 5, 6]), [2, 3]],
      [Float64Array.of(Math.PI), []],
      [Int32Array.of(-5, 7), [2]],
      [BigInt64Array.of(-(2n ** 40n), 3n), [2, 1]],
      [Uint8Array.of(0, 255, 1), [3]],
    ];
    for (const [data, shape] of arrays) {
      const back = decodeNpy(encodeNpy(data, shape));
      expect(back.shape).toEqual(shape);
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data as ArrayLike<number>)).toEqual(Array.from(data as ArrayLike<number>));
    }
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/shape \[2, 3\] does not fit 5 values/);
  });

  const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
  const python = path.join(repositoryRoot, '.venv-reference', 'bin', 'python');
  it.skipIf(!fs.existsSync(python))('files written here load in numpy', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-'));
    fs.writeFileSync(path.join(dir, 'a.npy'), encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]));
    fs.writeFileSync(path.join(dir, 'b.npy'), encodeNpy(BigInt64Array.of(7n, -1n), [2]));
    const out = execFileSync(python, ['-c', `
import numpy as np
a = np.load(${JSON.stringify(path.join(dir, 'a.npy'))}); b = np.load(${JSON.stringify(path.join(dir, 'b.npy'))})
print(a.dtype, a.shape, a[1, 2], a.flags['C_CONTIGUOUS'], b.dtype, b.tolist())
`]).toString().trim();
    expect(out).toBe('float32 (2, 3) 6.0 True int64 [7, -1]');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
