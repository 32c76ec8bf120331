import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { MetricRng } from '../rng.js';
import { gemmNT, pivotedCholesky, symmetricEigenvalues, transpose } from './dense.js';

const rng = new MetricRng(7);
const randn = (n: number): Float64Array => Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
const toMatrix = (a: ArrayLike<number>, m: number, n: number): Matrix =>
  new Matrix(Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => a[i * n + j])));
/** Random symmetric PSD n × n of rank r (X Xᵀ with X n × r). */
function psd(n: number, r: number): Float64Array {
  const x = randn(n * r);
  return gemmNT(x, n, x, n, r, { symmetric: true });
}

describe('gemmNT', () => {
  it.each([
    [1, 1, 1],
    [3, 5, 2],
    [7, 6, 300],
    [9, 13, 517],
  ])('equals the naive product for m=%i n=%i p=%i (all flag combinations)', (m, n, p) => {
    const a = randn(m * p);
    const b = randn(n * p);
    const naive = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let k = 0; k < p; k++) naive[i * n + j] += a[i * p + k] * b[j * p + k];
    expect(gemmNT(a, m, b, n, p)).toBeAllclose(naive, { atol: 1e-12, rtol: 1e-12 });
    // Upper-trapezoidal A: zero the entries before the diagonal and compare.
    const at = Float64Array.from(a);
    for (let i = 0; i < m; i++) for (let k = 0; k < Math.min(i, p); k++) at[i * p + k] = 0;
    const naiveT = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let k = 0; k < p; k++) naiveT[i * n + j] += at[i * p + k] * b[j * p + k];
    expect(gemmNT(at, m, b, n, p, { upperTrapezoidalA: true })).toBeAllclose(naiveT, { atol: 1e-12, rtol: 1e-12 });
    const sym = gemmNT(a, m, a, m, p, { symmetric: true });
    const naiveS = gemmNT(a, m, a, m, p);
    expect(sym).toBeAllclose(naiveS, { atol: 1e-12, rtol: 1e-12 });
  });

  it('transpose', () => {
    const a = randn(35 * 70);
    const t = transpose(a, 35, 70);
    expect(t[12 * 35 + 30]).toBe(a[30 * 70 + 12]);
  });
});

describe('pivotedCholesky', () => {
  it('reconstructs a full-rank SPD matrix (A[perm[a], perm[b]] = Σ_j Lᵀ[j,a] Lᵀ[j,b])', () => {
    const n = 20;
    const a = psd(n, 40);
    const { lt, perm, rank } = pivotedCholesky(a, n);
    expect(rank).toBe(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += lt[k * n + i] * lt[k * n + j];
        expect(s).toBeCloseTo(a[perm[i] * n + perm[j]], 10);
      }
    }
  });

  it('finds the rank of a singular PSD matrix (n < d samples) and stops there', () => {
    const n = 30;
    const a = psd(n, 7);
    const f = pivotedCholesky(a, n);
    expect(f.rank).toBe(7);
    expect(f.lt.length).toBe(7 * n);
    expect(Math.abs(f.minResidualDiagonal)).toBeLessThan(1e-10 * f.maxDiagonal);
  });

  it('gives rank 0 for the zero matrix', () => {
    expect(pivotedCholesky(new Float64Array(9), 3).rank).toBe(0);
  });
});

describe('symmetricEigenvalues', () => {
  it.each([1, 2, 3, 4, 17, 64])('matches ml-matrix on a random symmetric n × n matrix, n = %i', (n) => {
    const x = randn(n * n);
    const s = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = x[i * n + j] + x[j * n + i];
    const ours = symmetricEigenvalues(s, n);
    const ref = new EigenvalueDecomposition(toMatrix(s, n, n), { assumeSymmetric: true }).realEigenvalues.sort((a, b) => a - b);
    expect(ours).toBeAllclose(ref, { atol: 1e-12 * n, rtol: 1e-10 });
  });

  it('handles repeated eigenvalues, a diagonal matrix and a rank-deficient PSD matrix', () => {
    const d = Float64Array.from([3, 0, 0, 0, 3, 0, 0, 0, -1]);
    expect(symmetricEigenvalues(d, 3)).toBeAllclose([-1, 3, 3], { atol: 1e-14 });
    const n = 40;
    const e = symmetricEigenvalues(psd(n, 5), n);
    expect(e.slice(0, n - 5)).toBeAllclose(new Float64Array(n - 5), { atol: 1e-12 });
    expect(e[n - 5]).toBeGreaterThan(1e-3);
  });

  it('leaves its input untouched', () => {
    const s = psd(6, 6);
    const copy = Float64Array.from(s);
    symmetricEigenvalues(s, 6);
    expect(s).toEqual(copy);
  });
});
