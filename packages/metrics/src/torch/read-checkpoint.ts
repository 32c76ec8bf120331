/**
 * Reader for PyTorch checkpoints written by `torch.save` (e.g. pytorch-fid's
 * `pt_inception-2015-12-05-6726825d.pth`), browser-safe: bytes in, tensors out.
 *
 * Formats (facts from torch/serialization.py):
 * - zip (torch ≥ 1.6 default): `<archive>/data.pkl` is a pickle whose tensors are
 *   `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`
 *   with `storage` a persistent id `('storage', torch.<T>Storage, key, location, numel)`; the raw
 *   little-endian bytes of storage `key` are the entry `<archive>/data/<key>`; `<archive>/byteorder`
 *   says 'little' or 'big'.
 * - legacy (`_use_new_zipfile_serialization=False`): consecutive pickles — magic number, protocol
 *   version, sys info, the object (persistent ids `('storage', T, key, location, numel, view)`), the
 *   list of storage keys — then per key an int64 element count followed by the raw bytes.
 *
 * Besides tensors, the pickles of training checkpoints (StudioGAN's `model=D-…pth` for instance) hold
 * `collections.OrderedDict` state dicts with a `_metadata` attribute (set by BUILD), optimizer state
 * (`state` keyed by parameter index, `param_groups`), and NumPy scalars (`numpy.core.multiarray.scalar(
 * numpy.dtype(…), bytes)`, e.g. StudioGAN's `best_fid`, a numpy.float64); protocol-2 pickles spell
 * `bytes` as `_codecs.encode(str, 'latin1')`. Each is decoded from its data by a function written here:
 * no constructor named by the file is ever called.
 *
 * Zip parsing uses fflate; pickle parsing uses pickleparser, whose `persistentResolver`,
 * `nameResolver` and exported `BufferReader` give the hooks torch needs (persistent_load, the
 * `torch._utils` rebuild functions, and reading several pickles from one stream).
 */
import { unzipSync } from 'fflate';
import pickleparser from 'pickleparser';

/** Element types of torch storages this reader decodes. */
export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** A decoded tensor: contiguous row-major values. float16/bfloat16 are widened to Float32Array. */
export interface TorchTensor {
  dtype: TorchDtype;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
}

const STORAGE_TYPES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/**
 * A `collections.OrderedDict` of the file (e.g. a `state_dict()`): a Map in the file's order, plus the
 * `_metadata` attribute PyTorch attaches to state dicts (module name → `{version, …}`; undefined when absent).
 */
export class TorchOrderedDict<K = unknown, V = unknown> extends Map<K, V> {
  metadata: unknown = undefined;

  /** pickle BUILD: Python sets the instance dict (`{'_metadata': …}`) on the OrderedDict. */
  __setstate__(state: unknown): void {
    if (state instanceof Map && state.has('_metadata')) this.metadata = state.get('_metadata');
  }
}

/** `numpy.dtype` as pickled: its type string ('f8', 'i8', …) and, once BUILD ran, its byte order. */
class NumpyDtype {
  byteorder = '<';
  constructor(readonly spec: string) {}
  __setstate__(state: unknown): void {
    if (Array.isArray(state) && typeof state[1] === 'string') this.byteorder = state[1];
  }
}

/** Error for unreadable or unsupported checkpoint content. */
export class TorchCheckpointError extends Error {
  override name = 'TorchCheckpointError';
}

class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: TorchDtype,
    readonly bytes: number,
  ) {}
}

class StorageRef {
  constructor(
    readonly type: StorageType,
    readonly key: string,
    readonly numel: number,
    /** Element offset into the underlying storage (legacy storage views). */
    readonly viewOffset: number,
  ) {}
}

/** pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2): PROTO 2, LONG1 10 bytes (little-endian), STOP. */
const LEGACY_MAGIC_PICKLE = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);

/**
 * Decodes a `torch.save` file to plain JS: dicts → Map (OrderedDict → {@link TorchOrderedDict}, with its
 * `_metadata`), lists/tuples → arrays, tensors and nn.Parameters → {@link TorchTensor}, NumPy scalars →
 * number (or BigInt / boolean), Python ints → number (BigInt beyond 2^53). Only the classes checkpoints need
 * are understood (tensors, parameters, OrderedDict, torch dtypes/devices, numpy scalars and dtypes); any other
 * global becomes an inert placeholder object — nothing from the file is ever executed.
 * @throws TorchCheckpointError for files that are neither format, missing storages, big-endian data,
 *   or unsupported storage types.
 */
export function readTorchCheckpoint(bytes: Uint8Array | ArrayBuffer): unknown {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length >= 4 && u8[0] === 0x50 && u8[1] === 0x4b && u8[2] === 0x03 && u8[3] === 0x04) return readZipCheckpoint(u8);
  if (u8.length >= 2 && u8[0] === 0x80) return readLegacyCheckpoint(u8);
  throw new TorchCheckpointError('not a PyTorch checkpoint: expected a zip archive (torch ≥ 1.6) or a legacy pickle stream (first byte 0x80)');
}

function readZipCheckpoint(u8: Uint8Array): unknown {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(u8);
  } catch (error) {
    throw new TorchCheckpointError(`cannot read the zip archive: ${(error as Error).message}`);
  }
  const { pklName, prefix } = zipLayout(Object.keys(entries));
  checkByteOrder(entries[`${prefix}byteorder`]);
  const root = makeParser(zipPersistentLoad).parse(entries[pklName]);
  return finalize(root, (p) => materialize(p, zipStorage(prefix, p.storage.key, entries[`${prefix}data/${p.storage.key}`])));
}

/**
 * Random access to the entries of a `torch.save` zip archive: e.g. a file on disk read entry by entry
 * (`readTorchCheckpointFile` of `@reacgan/metrics/node` does it with yauzl), so that a 1 GB checkpoint is
 * never held twice in memory and its scalars can be read without its tensors.
 */
export interface TorchZipEntries {
  /** The entry names of the archive (`<archive>/data.pkl`, `<archive>/data/0`, …). */
  names: readonly string[];
  /** The bytes of one entry. */
  read(name: string): Uint8Array | Promise<Uint8Array>;
}

/** A tensor of a checkpoint read with `tensors: false`: its dtype and shape, no values. */
export interface TorchTensorInfo {
  dtype: TorchDtype;
  shape: number[];
  /** The storage entry it lives in (`data/<storage>`). */
  storage: string;
}

/** True for a value produced for a tensor by {@link readTorchZipEntries} with `tensors: false`. */
export function isTorchTensorInfo(x: unknown): x is TorchTensorInfo {
  return typeof x === 'object' && x !== null && 'dtype' in x && 'shape' in x && 'storage' in x && !('data' in x);
}

/**
 * {@link readTorchCheckpoint} for a zip-format checkpoint given as entries: reads `data.pkl`, then each storage
 * entry that tensors use, one at a time (the storage's bytes are released once its tensors are decoded).
 * @param options.tensors false: do not read any storage; tensors become {@link TorchTensorInfo} (dtype and
 *   shape), for listing keys and shapes or reading a checkpoint's scalars cheaply. Default true.
 * @throws TorchCheckpointError as {@link readTorchCheckpoint}.
 */
export async function readTorchZipEntries(entries: TorchZipEntries, options: { tensors?: boolean } = {}): Promise<unknown> {
  const { pklName, prefix } = zipLayout(entries.names);
  if (entries.names.includes(`${prefix}byteorder`)) checkByteOrder(await entries.read(`${prefix}byteorder`));
  const root = makeParser(zipPersistentLoad).parse(await entries.read(pklName));
  const decoded = new Map<PendingTensor, TorchTensor | TorchTensorInfo>();
  const byStorage = new Map<string, PendingTensor[]>();
  finalize(root, (p) => {
    const list = byStorage.get(p.storage.key) ?? [];
    list.push(p);
    byStorage.set(p.storage.key, list);
    return null;
  });
  for (const [key, pendings] of byStorage) {
    if (options.tensors === false) {
      for (const p of pendings) decoded.set(p, { dtype: p.storage.type.dtype, shape: [...p.shape], storage: key });
      continue;
    }
    const name = `${prefix}data/${key}`;
    const raw = zipStorage(prefix, key, entries.names.includes(name) ? await entries.read(name) : undefined);
    for (const p of pendings) decoded.set(p, materialize(p, raw));
  }
  return finalize(root, (p) => decoded.get(p)!);
}

/** The data.pkl entry of a zip checkpoint and the archive folder prefix (`archive/`, `<name>/`). */
function zipLayout(names: readonly string[]): { pklName: string; prefix: string } {
  const pklName = names.find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pklName) throw new TorchCheckpointError('zip archive has no data.pkl: not a torch.save file');
  return { pklName, prefix: pklName.slice(0, pklName.length - 'data.pkl'.length) };
}

function checkByteOrder(byteorder: Uint8Array | undefined): void {
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') throw new TorchCheckpointError('big-endian checkpoints are not supported');
}

function zipPersistentLoad(pid: unknown): StorageRef {
  const { type, key, numel } = parsePersistentId(pid);
  return new StorageRef(type, key, numel, 0);
}

function zipStorage(prefix: string, key: string, data: Uint8Array | undefined): Uint8Array {
  if (!data) throw new TorchCheckpointError(`storage '${key}' is missing from the archive (${prefix}data/${key})`);
  return data;
}

function readLegacyCheckpoint(u8: Uint8Array): unknown {
  const reader = new pickleparser.BufferReader(u8);
  const plain = makeParser(() => {
    throw new TorchCheckpointError('unexpected persistent id in the legacy header');
  });
  // The first pickle is the magic number 0x1950a86a20f9469cfc6c, an 80-bit LONG1 that pickleparser
  // 0.2 cannot decode (it reads LONG1 into at most 64 bits), so it is compared byte for byte.
  for (let i = 0; i < LEGACY_MAGIC_PICKLE.length; i++) {
    if (u8[i] !== LEGACY_MAGIC_PICKLE[i]) throw new TorchCheckpointError('legacy checkpoint: wrong magic number (not a torch.save file)');
  }
  reader.skip(LEGACY_MAGIC_PICKLE.length);
  const protocol = plain.read<unknown>(reader);
  if (Number(protocol) !== 1001) throw new TorchCheckpointError(`legacy checkpoint: unsupported protocol version ${String(protocol)}`);
  const sysInfo = plain.read<unknown>(reader) as Map<string, unknown>;
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) throw new TorchCheckpointError('big-endian checkpoints are not supported');
  const storages = new Map<string, { data?: Uint8Array; bytes: number }>();
  /** Storage (or view) key → the key of the root storage that holds its bytes. */
  const rootKeys = new Map<string, string>();
  const persistentLoad = (pid: unknown): StorageRef => {
    const { type, key, numel, view } = parsePersistentId(pid);
    if (!storages.has(key)) storages.set(key, { bytes: type.bytes });
    rootKeys.set(view ? view.key : key, key);
    return new StorageRef(type, view ? view.key : key, view ? view.size : numel, view ? view.offset : 0);
  };
  const main = makeParser(persistentLoad).read<unknown>(reader);
  const keys = plain.read<unknown>(reader);
  if (!Array.isArray(keys)) throw new TorchCheckpointError('legacy checkpoint: the storage key list is missing');
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  let pos = reader.position;
  for (const key of keys as string[]) {
    const s = storages.get(String(key));
    if (!s) throw new TorchCheckpointError(`legacy checkpoint: storage '${key}' is listed but never referenced`);
    if (pos + 8 > u8.length) throw new TorchCheckpointError(`legacy checkpoint: truncated before storage '${key}'`);
    const count = Number(view.getBigInt64(pos, true));
    pos += 8;
    const nbytes = count * s.bytes;
    if (pos + nbytes > u8.length) throw new TorchCheckpointError(`legacy checkpoint: storage '${key}' is truncated`);
    s.data = u8.subarray(pos, pos + nbytes);
    pos += nbytes;
  }
  return finalize(main, (p) => {
    const rootKey = rootKeys.get(p.storage.key) ?? p.storage.key;
    const data = storages.get(rootKey)?.data;
    if (!data) throw new TorchCheckpointError(`storage '${rootKey}' has no data in the file`);
    return materialize(p, data);
  });
}

function parsePersistentId(pid: unknown): { type: StorageType; key: string; numel: number; view?: { key: string; offset: number; size: number } } {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
    throw new TorchCheckpointError(`unsupported persistent id ${JSON.stringify(String(pid))}`);
  }
  const type = pid[1];
  if (!(type instanceof StorageType)) throw new TorchCheckpointError(`unsupported storage type ${String(type)}`);
  const view = pid[5];
  return {
    type,
    key: String(pid[2]),
    numel: Number(pid[4]),
    view: Array.isArray(view) ? { key: String(view[0]), offset: Number(view[1]), size: Number(view[2]) } : undefined,
  };
}

/** A tensor before its storage bytes are available (legacy files put the bytes after the pickle). */
class PendingTensor {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

function makeParser(persistentLoad: (pid: unknown) => StorageRef): InstanceType<typeof pickleparser.Parser> {
  const registry = new pickleparser.NameRegistry();
  // torch.<T>Storage globals resolve to markers (not callables): they only travel inside persistent ids.
  const storageTypes = new Map<string, StorageType>();
  for (const [name, info] of Object.entries(STORAGE_TYPES)) storageTypes.set(name, new StorageType(name, info.dtype, info.bytes));
  const rebuildTensor = (storage: StorageRef, offset: number, size: number[], stride: number[]) => {
    if (!(storage instanceof StorageRef)) throw new TorchCheckpointError('_rebuild_tensor: the first argument is not a storage');
    return new PendingTensor(storage, Number(offset), toNumbers(size), toNumbers(stride));
  };
  registry.register('torch._utils', '_rebuild_tensor_v2', (storage: StorageRef, offset: number, size: number[], stride: number[]) =>
    rebuildTensor(storage, offset, size, stride),
  );
  registry.register('torch._utils', '_rebuild_tensor', (storage: StorageRef, offset: number, size: number[], stride: number[]) =>
    rebuildTensor(storage, offset, size, stride),
  );
  registry.register('torch._utils', '_rebuild_parameter', (data: unknown) => data);
  registry.register('torch._utils', '_rebuild_parameter_with_state', (data: unknown) => data);
  registry.register('collections', 'OrderedDict', (items?: unknown) => {
    const map = new TorchOrderedDict<unknown, unknown>();
    if (Array.isArray(items)) for (const pair of items) if (Array.isArray(pair)) map.set(pair[0], pair[1]);
    return map;
  });
  // Protocol 2 has no bytes opcode for Python 3 bytes: they are pickled as _codecs.encode(text, 'latin1').
  registry.register('_codecs', 'encode', (text: unknown, encoding: unknown) => {
    if (typeof text !== 'string') throw new TorchCheckpointError(`_codecs.encode: expected a string, received ${typeof text}`);
    const name = String(encoding ?? 'utf-8').toLowerCase().replace(/[-_]/g, '');
    if (name === 'latin1' || name === 'iso88591') return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    return new TextEncoder().encode(text);
  });
  registry.register('numpy', 'dtype', (spec: unknown) => new NumpyDtype(String(spec)));
  for (const module of ['numpy.core.multiarray', 'numpy._core.multiarray']) registry.register(module, 'scalar', numpyScalar);
  registry.register('torch', 'device', (name: unknown) => ({ device: String(name) }));
  const resolver = {
    resolve(module: string, name: string) {
      const marker = module === 'torch' ? storageTypes.get(name) : undefined;
      if (marker) return marker as unknown as (...args: unknown[]) => unknown;
      return registry.resolve(module, name);
    },
  };
  return new pickleparser.Parser({
    nameResolver: resolver,
    persistentResolver: { resolve: (pid: unknown) => persistentLoad(pid) },
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'array',
  });
}

/**
 * `numpy.core.multiarray.scalar(dtype, bytes)`: the value of a NumPy scalar (np.float64, np.int64, …) from
 * its raw bytes. Floats → number, integers → number (BigInt when an int64/uint64 exceeds 2^53), bool → boolean.
 * @throws TorchCheckpointError for other dtypes (complex, strings, structured) or a byte count that does not fit.
 */
function numpyScalar(dtype: unknown, raw: unknown): number | bigint | boolean {
  if (!(dtype instanceof NumpyDtype)) throw new TorchCheckpointError(`numpy scalar: expected a numpy.dtype, received ${String(dtype)}`);
  if (!(raw instanceof Uint8Array)) throw new TorchCheckpointError(`numpy scalar of dtype ${dtype.spec}: expected its bytes, received ${String(raw)}`);
  const code = dtype.spec.replace(/^[<>=|]/, '');
  const little = dtype.byteorder !== '>';
  const sizes: Record<string, number> = { f8: 8, f4: 4, f2: 2, i8: 8, i4: 4, i2: 2, i1: 1, u8: 8, u4: 4, u2: 2, u1: 1, b1: 1 };
  const size = sizes[code];
  if (size === undefined) throw new TorchCheckpointError(`numpy scalar of dtype '${dtype.spec}' is not supported (only float, int, uint and bool scalars)`);
  if (raw.length !== size) throw new TorchCheckpointError(`numpy scalar of dtype '${dtype.spec}': expected ${size} bytes, received ${raw.length}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const safe = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  switch (code) {
    case 'f8':
      return view.getFloat64(0, little);
    case 'f4':
      return view.getFloat32(0, little);
    case 'f2':
      return halfToFloat(view.getUint16(0, little));
    case 'i8':
      return safe(view.getBigInt64(0, little));
    case 'u8':
      return safe(view.getBigUint64(0, little));
    case 'i4':
      return view.getInt32(0, little);
    case 'u4':
      return view.getUint32(0, little);
    case 'i2':
      return view.getInt16(0, little);
    case 'u2':
      return view.getUint16(0, little);
    case 'i1':
      return view.getInt8(0);
    case 'u1':
      return view.getUint8(0);
    default:
      return view.getUint8(0) !== 0;
  }
}

function toNumbers(x: unknown): number[] {
  if (!Array.isArray(x)) throw new TorchCheckpointError(`expected a tuple of integers, received ${String(x)}`);
  return x.map((v) => Number(v));
}

/**
 * A copy of the parsed tree with each PendingTensor replaced by `resolve(p)` (called once per tensor; shared
 * objects stay shared).
 */
function finalize(value: unknown, resolve: (p: PendingTensor) => unknown, seen = new Map<unknown, unknown>()): unknown {
  if (value instanceof PendingTensor) {
    if (!seen.has(value)) seen.set(value, resolve(value));
    return seen.get(value);
  }
  if (value instanceof Map) {
    if (seen.has(value)) return seen.get(value);
    const out = value instanceof TorchOrderedDict ? new TorchOrderedDict<unknown, unknown>() : new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(k, finalize(v, resolve, seen));
    if (value instanceof TorchOrderedDict) (out as TorchOrderedDict).metadata = finalize(value.metadata, resolve, seen);
    return out;
  }
  if (Array.isArray(value)) {
    if (seen.has(value)) return seen.get(value);
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(finalize(v, resolve, seen));
    return out;
  }
  return value;
}

function materialize(p: PendingTensor, raw: Uint8Array): TorchTensor {
  const { storage, shape, stride } = p;
  const { dtype, bytes: elementBytes } = storage.type;
  const storageElements = Math.floor(raw.length / elementBytes);
  const numel = shape.reduce((a, b) => a * b, 1);
  const base = storage.viewOffset + p.offset;
  // Bounds: the largest element index touched.
  if (numel > 0) {
    let maxIndex = base;
    for (let i = 0; i < shape.length; i++) maxIndex += (shape[i] - 1) * stride[i];
    if (base < 0 || maxIndex >= storageElements) {
      throw new TorchCheckpointError(`tensor of shape [${shape.join(', ')}] reaches element ${maxIndex} of a storage with ${storageElements}`);
    }
  }
  if (isRowMajor(shape, stride) && dtype in DIRECT_ARRAYS) {
    // Contiguous little-endian storage of a type JS has: one copy of the bytes (fast for 100 MB+ files).
    // Uint8Array's slice (a copy), also when `raw` is a Node Buffer (whose own slice shares memory).
    const copy = Uint8Array.prototype.slice.call(raw, base * elementBytes, (base + numel) * elementBytes);
    return { dtype, shape: [...shape], data: new DIRECT_ARRAYS[dtype as keyof typeof DIRECT_ARRAYS]!(copy.buffer, 0, numel) };
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = allocate(dtype, numel);
  const idx = new Array<number>(shape.length).fill(0);
  let src = base;
  for (let n = 0; n < numel; n++) {
    writeElement(out, n, view, src * elementBytes, dtype);
    // Advance the multi-index (row-major) and the strided source position.
    for (let dim = shape.length - 1; dim >= 0; dim--) {
      idx[dim]++;
      src += stride[dim];
      if (idx[dim] < shape[dim]) break;
      src -= stride[dim] * shape[dim];
      idx[dim] = 0;
    }
  }
  return { dtype, shape: [...shape], data: out };
}

/** Storage types whose little-endian bytes are a JS typed array as they are. */
const DIRECT_ARRAYS: Partial<Record<TorchDtype, new (buffer: ArrayBuffer, offset: number, length: number) => TorchTensor['data']>> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
};

/** True when `stride` is the row-major (C-contiguous) stride of `shape` (dimensions of size 1 ignored). */
function isRowMajor(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

function allocate(dtype: TorchDtype, n: number): TorchTensor['data'] {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
  }
}

function writeElement(out: TorchTensor['data'], n: number, view: DataView, byte: number, dtype: TorchDtype): void {
  switch (dtype) {
    case 'float32':
      (out as Float32Array)[n] = view.getFloat32(byte, true);
      return;
    case 'float64':
      (out as Float64Array)[n] = view.getFloat64(byte, true);
      return;
    case 'float16':
      (out as Float32Array)[n] = halfToFloat(view.getUint16(byte, true));
      return;
    case 'bfloat16':
      scratch.setUint32(0, view.getUint16(byte, true) << 16, true);
      (out as Float32Array)[n] = scratch.getFloat32(0, true);
      return;
    case 'int64':
      (out as BigInt64Array)[n] = view.getBigInt64(byte, true);
      return;
    case 'int32':
      (out as Int32Array)[n] = view.getInt32(byte, true);
      return;
    case 'int16':
      (out as Int16Array)[n] = view.getInt16(byte, true);
      return;
    case 'int8':
      (out as Int8Array)[n] = view.getInt8(byte);
      return;
    case 'uint8':
      (out as Uint8Array)[n] = view.getUint8(byte);
      return;
    case 'bool':
      (out as Uint8Array)[n] = view.getUint8(byte) ? 1 : 0;
      return;
  }
}

const scratch = new DataView(new ArrayBuffer(4));

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** True for a value produced by {@link readTorchCheckpoint} for a tensor. */
export function isTorchTensor(x: unknown): x is TorchTensor {
  return typeof x === 'object' && x !== null && 'dtype' in x && 'shape' in x && 'data' in x && ArrayBuffer.isView((x as TorchTensor).data);
}

/**
 * Reads a checkpoint and returns its flat state dict (name → tensor). Accepts a bare state dict or
 * a checkpoint that nests one under `state_dict`, `model` or `state_dict_ema`/`…` (first found);
 * nested dicts are flattened with dotted names. Non-tensor entries are skipped.
 * @param options.key take this top-level entry instead of searching.
 */
export function readTorchStateDict(bytes: Uint8Array | ArrayBuffer, options: { key?: string } = {}): Map<string, TorchTensor> {
  const root = readTorchCheckpoint(bytes);
  let dict: unknown = root;
  if (root instanceof Map) {
    if (options.key !== undefined) {
      if (!root.has(options.key)) throw new TorchCheckpointError(`checkpoint has no top-level key '${options.key}' (keys: ${[...root.keys()].join(', ')})`);
      dict = root.get(options.key);
    } else if (![...root.values()].some(isTorchTensor)) {
      for (const k of ['state_dict', 'model', 'model_state_dict', 'net']) {
        if (root.get(k) instanceof Map) {
          dict = root.get(k);
          break;
        }
      }
    }
  }
  if (!(dict instanceof Map)) throw new TorchCheckpointError('checkpoint does not contain a state dict (a mapping of names to tensors)');
  const out = new Map<string, TorchTensor>();
  const walk = (m: Map<unknown, unknown>, prefix: string): void => {
    for (const [k, v] of m) {
      const name = prefix + String(k);
      if (isTorchTensor(v)) out.set(name, v);
      else if (v instanceof Map) walk(v, `${name}.`);
    }
  };
  walk(dict, '');
  return out;
}
