import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from './random.js';

/**
 * Weight initialisation methods (StudioGAN `MODEL.g_init` / `MODEL.d_init`,
 * `src/utils/ops.py:init_weights`):
 * - `'ortho'`: `torch.nn.init.orthogonal_` (biases 0);
 * - `'N02'`: normal(0, 0.02) (biases 0);
 * - `'glorot'` / `'xavier'`: `xavier_uniform_` with PyTorch's fan computation (biases 0);
 * - `'default'`: PyTorch's layer defaults (what StudioGAN gets when `d_init` is falsy):
 *   conv / linear weights and biases U(−1/√fan_in, 1/√fan_in), embeddings N(0, 1).
 */
export type InitMethod = 'ortho' | 'N02' | 'glorot' | 'xavier' | 'default';

export const INIT_METHODS: readonly InitMethod[] = ['ortho', 'N02', 'glorot', 'xavier', 'default'];

/** Layer-level initialisation: a config method, or `'zeros'` (standalone conditional-BN layers start as the identity). */
export type LayerInit = InitMethod | 'zeros';

/** Which PyTorch layer a weight belongs to (decides fans and the default init). */
export type WeightKind = 'linear' | 'conv' | 'deconv' | 'embedding';

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** PyTorch's `_calculate_fan_in_and_fan_out` for a weight of `torchShape`. */
export function torchFans(torchShape: readonly number[]): { fanIn: number; fanOut: number } {
  const receptive = product(torchShape.slice(2));
  return { fanIn: torchShape[1] * receptive, fanOut: torchShape[0] * receptive };
}

/**
 * A weight in PyTorch's layout (row-major over `torchShape`: Linear [out, in], Conv2d [O, I, kH, kW],
 * ConvTranspose2d [I, O, kH, kW], Embedding [num, dim]), initialised as `method` prescribes.
 */
export function initTorchWeight(
  method: LayerInit,
  kind: WeightKind,
  torchShape: readonly number[],
  rng: SeededRandom,
): Float32Array {
  const size = product(torchShape);
  const out = new Float32Array(size);
  switch (method) {
    case 'zeros':
      return out;
    case 'ortho': {
      const rows = torchShape[0];
      const cols = size / rows;
      out.set(orthogonalMatrix(rows, cols, rng));
      return out;
    }
    case 'N02':
      for (let i = 0; i < size; i++) out[i] = 0.02 * rng.normal();
      return out;
    case 'glorot':
    case 'xavier': {
      const { fanIn, fanOut } = torchFans(torchShape);
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * bound;
      return out;
    }
    case 'default': {
      if (kind === 'embedding') {
        for (let i = 0; i < size; i++) out[i] = rng.normal();
        return out;
      }
      // kaiming_uniform_(a=√5) reduces to U(−1/√fan_in, 1/√fan_in).
      const bound = 1 / Math.sqrt(torchFans(torchShape).fanIn);
      for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * bound;
      return out;
    }
    default:
      throw new Error(`initTorchWeight: unknown init method '${String(method)}'`);
  }
}

/** Bias initial values: zeros, except PyTorch's default U(−1/√fan_in, 1/√fan_in). */
export function initBias(method: LayerInit, size: number, fanIn: number, rng: SeededRandom): Float32Array {
  const out = new Float32Array(size);
  if (method === 'default') {
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * bound;
  }
  return out;
}

/**
 * `torch.nn.init.orthogonal_` on a [rows, cols] matrix (row-major, float64): a Gaussian matrix,
 * transposed when rows < cols, QR-decomposed, Q's columns multiplied by sign(diag R), transposed
 * back. Rows are orthonormal when rows ≤ cols, columns otherwise. Householder QR in float64 for
 * small or near-square matrices; CholeskyQR2 with tf.matMul for large tall ones (same Q up to
 * float32 rounding, so weights for a seed can differ in the last bits between backends).
 */
export function orthogonalMatrix(rows: number, cols: number, rng: SeededRandom): Float64Array {
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  // The Gaussian matrix, row-major m×n. The normals are drawn in row-major order of PyTorch's
  // `flattened` [rows, cols], which is transposed when rows < cols.
  const a = new Float64Array(m * n);
  if (transpose) {
    for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) a[c * n + r] = rng.normal();
  } else {
    for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  }
  // The pure-JS cpu backend's matMul is slower than Householder in float64; on the native and wasm backends
  // CholeskyQR2 wins. It reads the Gram matrix back synchronously, which GPU backends (webgpu in Node cannot)
  // must not do: they use Householder too.
  const fast = m >= 2 * n && m * n * n >= 4e6 && SYNC_MATMUL_BACKENDS.has(tf.getBackend());
  const q = (fast ? choleskyQrQ(a, m, n) : null) ?? householderQRowMajor(a, m, n);
  if (!transpose) return q;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = q[i * n + j];
  return out;
}

/** Backends where CholeskyQR2's matMul + synchronous read beats float64 Householder (see orthogonalMatrix). */
const SYNC_MATMUL_BACKENDS = new Set(['tensorflow', 'wasm']);

function householderQRowMajor(rowMajor: Float64Array, m: number, n: number): Float64Array {
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = rowMajor[i * n + j];
  const q = householderQ(a, m, n);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = q[j * m + i];
  return out;
}

/**
 * Q of the QR decomposition (positive diag R, i.e. PyTorch's sign convention) of a tall, well
 * conditioned m×n matrix (m ≥ 2n: a Gaussian matrix then has condition number < 6) by
 * CholeskyQR2: the two m·n² products run as tf.matMul on the active backend, the n×n Cholesky
 * factorisations and triangular inverses in float64 JavaScript. Returns null if a Cholesky
 * factorisation breaks down (the caller falls back to Householder).
 */
function choleskyQrQ(rowMajor: Float64Array, m: number, n: number): Float64Array | null {
  let q: tf.Tensor = tf.tensor2d(Float32Array.from(rowMajor), [m, n]);
  try {
    for (let pass = 0; pass < 2; pass++) {
      const gram = tf.tidy(() => tf.matMul(q, q, true, false));
      const g = Float64Array.from(gram.dataSync());
      gram.dispose();
      const rInverse = upperCholeskyInverse(g, n);
      if (!rInverse) return null;
      const next = tf.tidy(() => tf.matMul(q, tf.tensor2d(Float32Array.from(rInverse), [n, n])));
      q.dispose();
      q = next;
    }
    return Float64Array.from(q.dataSync());
  } finally {
    q.dispose();
  }
}

/** R⁻¹ (row-major n×n, upper triangular) for G = RᵀR with R upper triangular, diag R > 0; null if G is not positive definite. */
function upperCholeskyInverse(g: Float64Array, n: number): Float64Array | null {
  const r = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = g[j * n + j];
    for (let k = 0; k < j; k++) d -= r[k * n + j] * r[k * n + j];
    if (!(d > 0)) return null;
    const rjj = Math.sqrt(d);
    r[j * n + j] = rjj;
    for (let i = j + 1; i < n; i++) {
      let s = g[j * n + i];
      for (let k = 0; k < j; k++) s -= r[k * n + j] * r[k * n + i];
      r[j * n + i] = s / rjj;
    }
  }
  // Inverse of the upper-triangular R, column by column (back substitution).
  const inv = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    inv[c * n + c] = 1 / r[c * n + c];
    for (let i = c - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= c; k++) s += r[i * n + k] * inv[k * n + c];
      inv[i * n + c] = -s / r[i * n + i];
    }
  }
  return inv;
}

/**
 * Q (m×n, column-major, m ≥ n) of the QR decomposition of `a` (m×n column-major, overwritten),
 * with columns scaled by sign(diag R) as PyTorch's orthogonal_ does.
 */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const tau = new Float64Array(n);
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const col = k * m;
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += a[col + i] * a[col + i];
    const norm = Math.sqrt(norm2);
    const x0 = a[col + k];
    const alpha = x0 >= 0 ? -norm : norm;
    diag[k] = alpha;
    const v0 = x0 - alpha;
    a[col + k] = v0;
    const vnorm2 = norm2 - x0 * x0 + v0 * v0;
    const t = vnorm2 > 0 ? 2 / vnorm2 : 0;
    tau[k] = t;
    if (t === 0) continue;
    for (let j = k + 1; j < n; j++) {
      const cj = j * m;
      let s = 0;
      for (let i = k; i < m; i++) s += a[col + i] * a[cj + i];
      s *= t;
      for (let i = k; i < m; i++) a[cj + i] -= s * a[col + i];
    }
  }
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const t = tau[k];
    if (t === 0) continue;
    const col = k * m;
    for (let j = k; j < n; j++) {
      const cj = j * m;
      let s = 0;
      for (let i = k; i < m; i++) s += a[col + i] * q[cj + i];
      s *= t;
      for (let i = k; i < m; i++) q[cj + i] -= s * a[col + i];
    }
  }
  for (let j = 0; j < n; j++) {
    if (diag[j] < 0) {
      const cj = j * m;
      for (let i = 0; i < m; i++) q[cj + i] = -q[cj + i];
    }
  }
  return q;
}

/**
 * Permutes a row-major array of `shape` by `perm` (numpy.transpose semantics): the result has
 * shape `perm.map(p => shape[p])`.
 */
export function permute<T extends Float32Array | Float64Array>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  if (perm.length !== rank) throw new Error(`permute: perm [${perm.join(',')}] does not match rank ${rank}`);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const strides = perm.map((p) => inStrides[p]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < data.length; i++) {
    out[i] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += strides[d];
      if (index[d] < outShape[d]) break;
      src -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}
