import { BufferReader, Parser } from 'pickleparser';
import { DatasetError } from '../errors.js';

/**
 * Python 2 `str` values (SHORT_BINSTRING / BINSTRING) are raw bytes; decode them as Latin-1 so
 * every byte maps to one char code and back (Python 3's `pickle.load(f, encoding='latin1')`, what
 * torchvision uses for CIFAR). pickleparser's default 'ascii' TextDecoder is windows-1252.
 */
class Latin1Reader extends BufferReader {
  override string(size: number, encoding: 'ascii' | 'utf-8'): string {
    if (encoding === 'utf-8') return super.string(size, encoding);
    const bytes = this.bytes(size);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

/** A numpy dtype as pickled (`numpy.dtype('u1', 0, 1)` + state). */
export class NumpyDtype {
  readonly code: string;
  byteOrder = '|';
  constructor(code: string) {
    this.code = code;
  }
  __setstate__(state: unknown[]): void {
    if (Array.isArray(state) && typeof state[1] === 'string') this.byteOrder = state[1];
  }
}

/** A numpy ndarray as pickled by `numpy.core.multiarray._reconstruct` + BUILD. */
export class NumpyArray {
  shape: number[] = [];
  dtype: NumpyDtype | null = null;
  fortranOrder = false;
  data: Uint8Array | null = null;
  __setstate__(state: unknown[]): void {
    if (!Array.isArray(state) || state.length < 5) throw new Error('unexpected ndarray state');
    const [, shape, dtype, fortran, raw] = state as [number, number[], NumpyDtype, boolean, unknown];
    this.shape = shape.map(Number);
    this.dtype = dtype;
    this.fortranOrder = Boolean(fortran);
    if (typeof raw === 'string') this.data = Uint8Array.from(Buffer.from(raw, 'latin1'));
    else if (raw instanceof Uint8Array) this.data = raw;
    else throw new Error('ndarray data is not a byte string (object arrays are not supported)');
  }
}

const latin1Bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

const GLOBALS: Record<string, (...args: unknown[]) => unknown> = {
  'numpy.core.multiarray._reconstruct': () => new NumpyArray(),
  'numpy._core.multiarray._reconstruct': () => new NumpyArray(),
  'numpy.dtype': (code) => new NumpyDtype(String(code)),
  'numpy.ndarray': () => 'numpy.ndarray',
  // Python 3 writes bytes in protocol 2 as _codecs.encode(text, 'latin1').
  '_codecs.encode': (text, encoding) => {
    if (encoding !== 'latin1' && encoding !== 'latin-1') throw new Error(`_codecs.encode with encoding ${String(encoding)}`);
    return latin1Bytes(String(text));
  },
  '__builtin__.bytes': () => new Uint8Array(0),
  'builtins.bytes': () => new Uint8Array(0),
};

/**
 * Unpickles a CIFAR "python version" file (a Python 2 protocol-2 pickle of a dict holding a numpy
 * uint8 array and lists), with pickleparser for the opcodes and a whitelist of globals: numpy's
 * `_reconstruct`/`dtype`/`ndarray` and `_codecs.encode`. Any other global throws (pickles can call
 * arbitrary functions; nothing else is ever constructed). Dicts become `Map`s.
 *
 * @throws DatasetError BAD_HEADER naming `file` for malformed pickles or unexpected globals.
 */
export function unpickleCifar(bytes: Uint8Array, file: string): Map<string, unknown> {
  const parser = new Parser({
    unpicklingTypeOfDictionary: 'Map',
    nameResolver: {
      resolve: (module: string, name: string) => {
        const fn = GLOBALS[`${module}.${name}`];
        if (!fn) throw new Error(`refusing to call the pickled global ${module}.${name}`);
        return fn;
      },
    },
  });
  let value: unknown;
  try {
    value = parser.read(new Latin1Reader(bytes));
  } catch (error) {
    throw new DatasetError('BAD_HEADER', `${file}: not a readable CIFAR python pickle (${(error as Error).message})`, { problems: [{ file, problem: (error as Error).message }], cause: error });
  }
  if (!(value instanceof Map)) throw new DatasetError('BAD_HEADER', `${file}: the pickle holds ${typeof value}, expected a dict`, { problems: [{ file, problem: 'not a dict' }] });
  return value as Map<string, unknown>;
}
