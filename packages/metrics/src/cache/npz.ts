import { unzipSync, zipSync } from 'fflate';
import { MetricInputError } from '../errors.js';
import type { FeatureStatistics } from '../statistics.js';

/**
 * NumPy .npz I/O for statistics (mu, sigma): the format of StudioGAN's / pytorch-fid's / TTUR's
 * cached moments (`np.savez(path, mu=mu, sigma=sigma)`), so their files load here and ours load in
 * numpy. Only little-endian float32/float64 C-order arrays are read.
 */
export function encodeStatisticsNpz(statistics: FeatureStatistics, extraJson?: unknown): Uint8Array {
  const files: Record<string, Uint8Array> = {
    'mu.npy': encodeNpy(statistics.mu, [statistics.dim]),
    'sigma.npy': encodeNpy(statistics.sigma, [statistics.dim, statistics.dim]),
    'count.npy': encodeNpy(Float64Array.of(statistics.count), []),
  };
  if (extraJson !== undefined) files['key.json'] = new TextEncoder().encode(JSON.stringify(extraJson));
  return zipSync(files, { level: 0 });
}

/** Reads `mu` and `sigma` (and our `count`, `key.json` when present) from .npz bytes. */
export function decodeStatisticsNpz(bytes: Uint8Array): { statistics: FeatureStatistics; json?: unknown } {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new MetricInputError(`npz: not a zip archive (${(error as Error).message})`);
  }
  const mu = files['mu.npy'] ? decodeNpy(files['mu.npy'], 'mu') : undefined;
  const sigma = files['sigma.npy'] ? decodeNpy(files['sigma.npy'], 'sigma') : undefined;
  if (!mu || !sigma) throw new MetricInputError(`npz: expected arrays 'mu' and 'sigma', found ${Object.keys(files).join(', ')}`);
  const d = mu.shape[0];
  if (mu.shape.length !== 1 || sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
    throw new MetricInputError(`npz: mu has shape [${mu.shape}] and sigma [${sigma.shape}]; expected [d] and [d, d]`);
  }
  const count = files['count.npy'] ? decodeNpy(files['count.npy'], 'count').data[0] : Number.NaN;
  const json = files['key.json'] ? JSON.parse(new TextDecoder().decode(files['key.json'])) : undefined;
  return { statistics: { mu: mu.data, sigma: sigma.data, count, dim: d }, json };
}

function encodeNpy(data: Float64Array, shape: number[]): Uint8Array {
  const shapeText = shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 8);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  return out;
}

function decodeNpy(bytes: Uint8Array, name: string): { data: Float64Array; shape: number[] } {
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new MetricInputError(`npz: ${name}.npy is not a .npy file`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new MetricInputError(`npz: cannot parse the header of ${name}.npy: ${header}`);
  if (fortran === 'True') throw new MetricInputError(`npz: ${name}.npy is Fortran-ordered; save C-ordered arrays`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  const data = new Float64Array(n);
  if (descr === '<f8') for (let i = 0; i < n; i++) data[i] = dv.getFloat64(offset + i * 8, true);
  else if (descr === '<f4') for (let i = 0; i < n; i++) data[i] = dv.getFloat32(offset + i * 4, true);
  else throw new MetricInputError(`npz: ${name}.npy has dtype ${descr}; only little-endian float32/float64 are supported`);
  return { data, shape };
}
