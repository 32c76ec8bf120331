/**
 * NumPy `.npy` arrays (format versions 1–3): read and write through the `npyjs` package, with the checks a
 * caller needs on top (C order, element count = product of the shape, supported element types), so that a
 * wrong file gives an error naming it instead of a silently wrong array. Browser-safe: bytes in, bytes out.
 */
import { dump, parse } from 'npyjs';
import { MetricInputError } from './errors.js';

/** Element types read and written here, by NumPy's type code (little-endian). */
export type NpyDtype = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

/** A decoded array: row-major values. int64/uint64 come as BigInt64Array/BigUint64Array, bool as 0/1 bytes. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
}

const SUPPORTED = new Set<string>(['f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1']);

/**
 * Reads `.npy` bytes (what `numpy.save` writes).
 * @param name names the array in error messages (a file name or an option such as `--latents`).
 * @throws MetricInputError for bytes that are not an .npy file, Fortran-ordered arrays, big-endian data,
 *   element types other than {@link NpyDtype} (float16, complex, strings, objects), and data shorter or longer
 *   than the shape says.
 */
export function decodeNpy(bytes: Uint8Array, name = 'array'): NpyArray {
  // npyjs views the ArrayBuffer from the header's end: hand it a buffer of its own (a copy, also for a Node
  // Buffer, whose slice() would share the pool's memory).
  const own = new Uint8Array(bytes);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(new TextDecoder('latin1').decode(own.subarray(0, Math.min(own.length, 4096))))?.[1];
  if (descr?.startsWith('>')) throw new MetricInputError(`${name}: big-endian data ('${descr}'); save it little-endian (numpy's default)`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(own.buffer, { convertFloat16: false });
  } catch (error) {
    throw new MetricInputError(`${name}: not a readable .npy array (${(error as Error).message})`);
  }
  const dtype = String(parsed.dtype);
  if (!SUPPORTED.has(dtype)) {
    throw new MetricInputError(`${name}: element type '${descr ?? dtype}' is not supported; expected one of float32, float64, int8/16/32/64, uint8/16/32/64, bool`);
  }
  if (parsed.fortranOrder) throw new MetricInputError(`${name}: the array is Fortran-ordered; save a C-ordered array (numpy.ascontiguousarray)`);
  const shape = parsed.shape.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  let data = parsed.data as unknown as NpyArray['data'] | boolean[];
  if (Array.isArray(data)) data = Uint8Array.from(data, (b) => (b ? 1 : 0));
  if (data.length !== count) {
    throw new MetricInputError(`${name}: the header says shape [${shape.join(', ')}] (${count} elements) but the file holds ${data.length}${data.length < count ? ' (truncated?)' : ''}`);
  }
  return { dtype: dtype as NpyDtype, shape, data };
}

/**
 * Encodes a row-major typed array as `.npy` bytes (format 1.0, C order, little-endian) that `numpy.load` reads.
 * @throws MetricInputError when the shape's element count differs from `data.length`.
 */
export function encodeNpy(data: NpyArray['data'], shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
    throw new MetricInputError(`encodeNpy: shape [${shape.join(', ')}] does not fit ${data.length} values`);
  }
  return new Uint8Array(dump(data, [...shape]));
}
