import { unzipSync, zipSync } from 'fflate';
import { MetricInputError } from '../errors.js';
import { decodeNpy, encodeNpy } from '../npy.js';
import type { FeatureStatistics } from '../statistics.js';

/**
 * NumPy .npz I/O for statistics (mu, sigma): the format of StudioGAN's / pytorch-fid's / TTUR's
 * cached moments (`np.savez(path, mu=mu, sigma=sigma)`), so their files load here and ours load in
 * numpy. Only float32/float64 arrays are read (C order, little-endian; see npy.ts).
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
  const mu = files['mu.npy'] ? floats(files['mu.npy'], 'mu') : undefined;
  const sigma = files['sigma.npy'] ? floats(files['sigma.npy'], 'sigma') : undefined;
  if (!mu || !sigma) throw new MetricInputError(`npz: expected arrays 'mu' and 'sigma', found ${Object.keys(files).join(', ')}`);
  const d = mu.shape[0];
  if (mu.shape.length !== 1 || sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
    throw new MetricInputError(`npz: mu has shape [${mu.shape}] and sigma [${sigma.shape}]; expected [d] and [d, d]`);
  }
  const count = files['count.npy'] ? floats(files['count.npy'], 'count').data[0] : Number.NaN;
  const json = files['key.json'] ? JSON.parse(new TextDecoder().decode(files['key.json'])) : undefined;
  return { statistics: { mu: mu.data, sigma: sigma.data, count, dim: d }, json };
}

/** A float32/float64 member of the archive as float64. */
function floats(bytes: Uint8Array, name: string): { data: Float64Array; shape: number[] } {
  const array = decodeNpy(bytes, `npz: ${name}.npy`);
  if (array.dtype !== 'f4' && array.dtype !== 'f8') throw new MetricInputError(`npz: ${name}.npy has dtype ${array.dtype}; only float32/float64 are supported`);
  return { data: Float64Array.from(array.data as Float32Array | Float64Array), shape: array.shape };
}
