import { DatasetError } from './errors.js';

/** IDX element types (byte 2 of the magic number). */
const IDX_TYPES: Record<number, { name: IdxDtype; bytes: number }> = {
  0x08: { name: 'uint8', bytes: 1 },
  0x09: { name: 'int8', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
};

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A parsed IDX array. `data` is a view for uint8 (no copy); other types are converted from big-endian. */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/**
 * Parses an IDX file (LeCun's MNIST format; also Fashion-MNIST, KMNIST, EMNIST): bytes 0–1 zero,
 * byte 2 the type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64),
 * byte 3 the number of dimensions d, then d big-endian uint32 sizes, then the data (big-endian,
 * row-major). The payload must be exactly the product of the sizes (no truncation, no trailing bytes).
 *
 * @param file name used in error messages.
 * @throws DatasetError BAD_HEADER (bad magic, gzip data given, unknown type) or BAD_SIZE (length mismatch).
 */
export function parseIdx(bytes: Uint8Array, file = 'IDX file'): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DatasetError('BAD_HEADER', `${file}: this is gzip-compressed data; decompress it first (the Node loaders do this for .gz files)`, { problems: [{ file, problem: 'gzip data where raw IDX was expected' }] });
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || !(bytes[2] in IDX_TYPES) || bytes[3] < 1) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw new DatasetError('BAD_HEADER', `${file}: bad IDX magic number 0x${magic || '(empty file)'}; expected 0x0000TTDD (TT = 08 uint8 … 0E float64, DD = number of dimensions ≥ 1), e.g. 0x00000803 for images and 0x00000801 for labels`, { problems: [{ file, problem: `magic 0x${magic}` }] });
  }
  const type = IDX_TYPES[bytes[2]];
  const ndim = bytes[3];
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) {
    throw new DatasetError('BAD_SIZE', `${file}: truncated IDX header (${bytes.length} bytes, the header alone needs ${headerLength})`, { problems: [{ file, problem: `${bytes.length} bytes` }] });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const elements = shape.reduce((a, b) => a * b, 1);
  const expected = headerLength + elements * type.bytes;
  if (bytes.length !== expected) {
    throw new DatasetError('BAD_SIZE', `${file}: ${bytes.length} bytes, but its header (type ${type.name}, shape [${shape.join(', ')}]) needs exactly ${expected} (${bytes.length < expected ? 'truncated' : 'trailing bytes'})`, { problems: [{ file, problem: `${bytes.length} bytes, expected ${expected}` }] });
  }
  const payload = bytes.subarray(headerLength);
  let data: IdxArray['data'];
  switch (type.name) {
    case 'uint8':
      data = payload;
      break;
    case 'int8':
      data = new Int8Array(payload.buffer, payload.byteOffset, payload.length);
      break;
    default: {
      const pv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      const n = elements;
      if (type.name === 'int16') {
        const a = new Int16Array(n);
        for (let i = 0; i < n; i++) a[i] = pv.getInt16(2 * i, false);
        data = a;
      } else if (type.name === 'int32') {
        const a = new Int32Array(n);
        for (let i = 0; i < n; i++) a[i] = pv.getInt32(4 * i, false);
        data = a;
      } else if (type.name === 'float32') {
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) a[i] = pv.getFloat32(4 * i, false);
        data = a;
      } else {
        const a = new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = pv.getFloat64(8 * i, false);
        data = a;
      }
    }
  }
  return { dtype: type.name, shape, data };
}
