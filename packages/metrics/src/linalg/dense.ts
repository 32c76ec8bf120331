/**
 * Dense float64 kernels for the metric math (row-major `Float64Array`s).
 *
 * Why our own kernels: measured on this project's 2-core machine, ml-matrix 6.15 needs ~4.3 s for a
 * 1024×1024 product and ~14 s for a 1024×1024 symmetric eigendecomposition (O(n³): ~35 s and ~110 s
 * at d = 2048). FID needs only the *eigenvalues* of one symmetric matrix after a pivoted Cholesky
 * factorisation, which these register-blocked loops do in a fraction of that time (see the package
 * README, "FID math: method and time"). ml-matrix stays the independent oracle in the tests.
 */

/** Cache block along the reduction dimension (8 rows × 256 doubles = 16 KiB, fits L1/L2). */
const K_BLOCK = 256;

export interface GemmNTOptions {
  /**
   * Row i of A is zero before column i (upper-trapezoidal A, e.g. Lᵀ of a Cholesky factor): the
   * reduction for rows [i, i + 4) starts at column i. Default false.
   */
  upperTrapezoidalA?: boolean;
  /** The result is symmetric (A·Aᵀ-like): compute j ≥ i only and mirror. Needs m === n. Default false. */
  symmetric?: boolean;
}

/**
 * C = A · Bᵀ for row-major A (m × p) and B (n × p): C[i, j] = Σ_k A[i, k] · B[j, k], as 4 × 2
 * register tiles of dot products over cache-sized blocks of k.
 */
export function gemmNT(a: Float64Array, m: number, b: Float64Array, n: number, p: number, options: GemmNTOptions = {}): Float64Array {
  const { upperTrapezoidalA = false, symmetric = false } = options;
  if (symmetric && m !== n) throw new Error(`gemmNT: symmetric output needs m === n, got ${m} and ${n}`);
  const c = new Float64Array(m * n);
  for (let k0 = 0; k0 < p; k0 += K_BLOCK) {
    const kEnd = Math.min(p, k0 + K_BLOCK);
    for (let i = 0; i < m; i += 4) {
      const rows = Math.min(4, m - i);
      const kStart = upperTrapezoidalA ? Math.max(k0, i) : k0;
      if (kStart >= kEnd) continue;
      const jStart = symmetric ? i - (i % 2) : 0;
      if (rows === 4) {
        const a0 = i * p;
        const a1 = a0 + p;
        const a2 = a1 + p;
        const a3 = a2 + p;
        let j = jStart;
        for (; j + 1 < n; j += 2) {
          const b0 = j * p;
          const b1 = b0 + p;
          let c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0;
          for (let k = kStart; k < kEnd; k++) {
            const x0 = b[b0 + k];
            const x1 = b[b1 + k];
            const y0 = a[a0 + k];
            const y1 = a[a1 + k];
            const y2 = a[a2 + k];
            const y3 = a[a3 + k];
            c00 += y0 * x0; c01 += y0 * x1;
            c10 += y1 * x0; c11 += y1 * x1;
            c20 += y2 * x0; c21 += y2 * x1;
            c30 += y3 * x0; c31 += y3 * x1;
          }
          const o = i * n + j;
          c[o] += c00; c[o + 1] += c01;
          c[o + n] += c10; c[o + n + 1] += c11;
          c[o + 2 * n] += c20; c[o + 2 * n + 1] += c21;
          c[o + 3 * n] += c30; c[o + 3 * n + 1] += c31;
        }
        for (; j < n; j++) {
          const bo = j * p;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let k = kStart; k < kEnd; k++) {
            const x = b[bo + k];
            s0 += a[a0 + k] * x; s1 += a[a1 + k] * x; s2 += a[a2 + k] * x; s3 += a[a3 + k] * x;
          }
          c[i * n + j] += s0; c[(i + 1) * n + j] += s1; c[(i + 2) * n + j] += s2; c[(i + 3) * n + j] += s3;
        }
      } else {
        for (let r = 0; r < rows; r++) {
          const ao = (i + r) * p;
          for (let j = jStart; j < n; j++) {
            const bo = j * p;
            let s = 0;
            for (let k = kStart; k < kEnd; k++) s += a[ao + k] * b[bo + k];
            c[(i + r) * n + j] += s;
          }
        }
      }
    }
  }
  if (symmetric) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) c[j * n + i] = c[i * n + j];
  }
  return c;
}

/** Transpose of a row-major m × n matrix (returns n × m). */
export function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  const B = 32;
  for (let i0 = 0; i0 < m; i0 += B) {
    for (let j0 = 0; j0 < n; j0 += B) {
      const i1 = Math.min(m, i0 + B);
      const j1 = Math.min(n, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) t[j * m + i] = a[i * n + j];
    }
  }
  return t;
}

export interface PivotedCholesky {
  /** Lᵀ in pivot order, rank × n row-major: A[perm[a], perm[b]] ≈ Σ_j lt[j·n + a] · lt[j·n + b]; row j is zero before column j. */
  lt: Float64Array;
  /** Pivot order: position → original index. */
  perm: Int32Array;
  /** Numerical rank (number of pivots taken). */
  rank: number;
  /** Largest diagonal entry of the input. */
  maxDiagonal: number;
  /** Smallest remaining Schur-complement diagonal when the factorisation stopped (≤ tolerance; negative for an indefinite input). */
  minResidualDiagonal: number;
  /** Stopping tolerance used. */
  tolerance: number;
}

/**
 * Rank-revealing Cholesky factorisation with diagonal pivoting of a symmetric positive
 * semi-definite n × n matrix (the algorithm of LAPACK's dpstrf): A = P L Lᵀ Pᵀ with L n × rank.
 * Stops when the largest remaining diagonal is ≤ `tolerance` (default n · ε · max diag A, LAPACK's).
 */
export function pivotedCholesky(a: Float64Array, n: number, tolerance?: number): PivotedCholesky {
  const perm = new Int32Array(n);
  const diag = new Float64Array(n);
  let maxDiagonal = 0;
  for (let i = 0; i < n; i++) {
    perm[i] = i;
    diag[i] = a[i * n + i];
    if (diag[i] > maxDiagonal) maxDiagonal = diag[i];
  }
  const tol = tolerance ?? n * Number.EPSILON * maxDiagonal;
  // Rows of Lᵀ are produced one per pivot; allocate lazily in one block of the final size at most n.
  const lt = new Float64Array(n * n);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (diag[i] > diag[p]) p = i;
    if (!(diag[p] > tol)) break;
    if (p !== k) {
      const tp = perm[k]; perm[k] = perm[p]; perm[p] = tp;
      const td = diag[k]; diag[k] = diag[p]; diag[p] = td;
      for (let j = 0; j < k; j++) {
        const o = j * n;
        const t = lt[o + k]; lt[o + k] = lt[o + p]; lt[o + p] = t;
      }
    }
    const row = k * n;
    const pk = perm[k] * n;
    for (let i = k + 1; i < n; i++) lt[row + i] = a[pk + perm[i]];
    // row_k[i] −= Σ_{j<k} Lᵀ[j, k]·Lᵀ[j, i], four previous rows per pass over row k.
    let j = 0;
    for (; j + 3 < k; j += 4) {
      const o0 = j * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      const f0 = lt[o0 + k];
      const f1 = lt[o1 + k];
      const f2 = lt[o2 + k];
      const f3 = lt[o3 + k];
      for (let i = k + 1; i < n; i++) lt[row + i] -= f0 * lt[o0 + i] + f1 * lt[o1 + i] + f2 * lt[o2 + i] + f3 * lt[o3 + i];
    }
    for (; j < k; j++) {
      const o = j * n;
      const f = lt[o + k];
      if (f === 0) continue;
      for (let i = k + 1; i < n; i++) lt[row + i] -= f * lt[o + i];
    }
    const lkk = Math.sqrt(diag[k]);
    lt[row + k] = lkk;
    const inv = 1 / lkk;
    for (let i = k + 1; i < n; i++) {
      const v = lt[row + i] * inv;
      lt[row + i] = v;
      diag[i] -= v * v;
    }
    rank = k + 1;
  }
  let minResidualDiagonal = 0;
  for (let i = rank; i < n; i++) if (i === rank || diag[i] < minResidualDiagonal) minResidualDiagonal = diag[i];
  return { lt: rank === n ? lt : lt.slice(0, rank * n), perm, rank, maxDiagonal, minResidualDiagonal, tolerance: tol };
}

/**
 * Eigenvalues (ascending) of a symmetric n × n matrix: Householder reduction to tridiagonal form
 * (lower triangle only) followed by the implicit QL iteration with Wilkinson shifts.
 * The input is not modified. Throws if the QL iteration does not converge in 60 sweeps per value.
 */
export function symmetricEigenvalues(input: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return d;
  if (n === 1) {
    d[0] = input[0];
    return d;
  }
  const a = Float64Array.from(input);
  // Householder tridiagonalisation on the lower triangle. The rank-2 update of step k−1
  // (A22 −= v wᵀ + w vᵀ) is applied lazily, fused with step k's product A22·v, so the trailing
  // matrix is streamed once per step instead of twice (this step dominates the FID time).
  let vp = new Float64Array(n);
  let wp = new Float64Array(n);
  let v = new Float64Array(n);
  let w = new Float64Array(n);
  let pending = false;
  for (let k = 0; k < n - 2; k++) {
    if (pending) {
      const vk = vp[k];
      const wk = wp[k];
      for (let i = k; i < n; i++) a[i * n + k] -= vp[i] * wk + wp[i] * vk;
    }
    let alpha = 0;
    for (let i = k + 1; i < n; i++) alpha += a[i * n + k] * a[i * n + k];
    const x0 = a[(k + 1) * n + k];
    d[k] = a[k * n + k];
    let tau = 0;
    if (alpha === 0) {
      e[k] = 0;
      for (let i = k + 1; i < n; i++) v[i] = 0;
    } else {
      const norm = Math.sqrt(alpha);
      const beta0 = x0 >= 0 ? -norm : norm; // the new sub-diagonal entry
      e[k] = beta0;
      // H = I − τ v vᵀ maps x = A[k+1:, k] to beta0·e1 (v = x − beta0·e1, τ = 2 / vᵀv).
      for (let i = k + 1; i < n; i++) v[i] = a[i * n + k];
      v[k + 1] = x0 - beta0;
      let vtv = 0;
      for (let i = k + 1; i < n; i++) vtv += v[i] * v[i];
      tau = 2 / vtv;
    }
    for (let i = k + 1; i < n; i++) w[i] = 0;
    // Fused pass over the lower triangle of A22: apply the pending update, then accumulate A22·v.
    // Rows are taken in pairs so each load/store of v, w, vp, wp serves two matrix elements.
    let i0 = k + 1;
    if (pending) {
      for (; i0 + 1 < n; i0 += 2) {
        const r0 = i0 * n;
        const r1 = r0 + n;
        const v0 = v[i0];
        const v1 = v[i0 + 1];
        const p0 = vp[i0];
        const q0 = wp[i0];
        const p1 = vp[i0 + 1];
        const q1 = wp[i0 + 1];
        let s0 = 0;
        let s1 = 0;
        for (let j = k + 1; j < i0; j++) {
          const vpj = vp[j];
          const wpj = wp[j];
          const vj = v[j];
          const a0 = a[r0 + j] - (p0 * wpj + q0 * vpj);
          const a1 = a[r1 + j] - (p1 * wpj + q1 * vpj);
          a[r0 + j] = a0;
          a[r1 + j] = a1;
          s0 += a0 * vj;
          s1 += a1 * vj;
          w[j] += a0 * v0 + a1 * v1;
        }
        const d0 = a[r0 + i0] - 2 * p0 * q0;
        const e1 = a[r1 + i0] - (p1 * q0 + q1 * p0);
        const d1 = a[r1 + i0 + 1] - 2 * p1 * q1;
        a[r0 + i0] = d0;
        a[r1 + i0] = e1;
        a[r1 + i0 + 1] = d1;
        w[i0] += s0 + d0 * v0 + e1 * v1;
        w[i0 + 1] += s1 + e1 * v0 + d1 * v1;
      }
    }
    for (let i = i0; i < n; i++) {
      const ro = i * n;
      const vi = v[i];
      let s = 0;
      if (pending) {
        const pvi = vp[i];
        const pwi = wp[i];
        for (let j = k + 1; j < i; j++) {
          const aij = a[ro + j] - (pvi * wp[j] + pwi * vp[j]);
          a[ro + j] = aij;
          s += aij * v[j];
          w[j] += aij * vi;
        }
        const aii = a[ro + i] - 2 * pvi * pwi;
        a[ro + i] = aii;
        w[i] += s + aii * vi;
      } else {
        for (let j = k + 1; j < i; j++) {
          const aij = a[ro + j];
          s += aij * v[j];
          w[j] += aij * vi;
        }
        w[i] += s + a[ro + i] * vi;
      }
    }
    if (tau === 0) {
      pending = false;
      continue;
    }
    let ptv = 0;
    for (let i = k + 1; i < n; i++) {
      w[i] *= tau;
      ptv += w[i] * v[i];
    }
    const half = 0.5 * tau * ptv;
    for (let i = k + 1; i < n; i++) w[i] -= half * v[i];
    // The update A22 −= v wᵀ + w vᵀ becomes the pending one.
    const tv = vp; vp = v; v = tv;
    const tw = wp; wp = w; w = tw;
    pending = true;
  }
  if (pending) {
    for (let i = n - 2; i < n; i++) for (let j = n - 2; j <= i; j++) a[i * n + j] -= vp[i] * wp[j] + wp[i] * vp[j];
  }
  d[n - 2] = a[(n - 2) * n + n - 2];
  d[n - 1] = a[(n - 1) * n + n - 1];
  e[n - 2] = a[(n - 1) * n + n - 2];
  e[n - 1] = 0;
  tridiagonalQl(d, e, n);
  d.sort();
  return d;
}

/**
 * Implicit QL iteration with Wilkinson shifts on a symmetric tridiagonal matrix (diagonal d,
 * sub-diagonal e[0..n-2]); eigenvalues are left in d (unsorted). e is destroyed.
 */
function tridiagonalQl(d: Float64Array, e: Float64Array, n: number): void {
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iterations > 60) throw new Error('symmetricEigenvalues: the QL iteration did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}
