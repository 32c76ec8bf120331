/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median absolute deviation / median, a robust relative spread. */
export function relativeSpread(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m))) / m;
}
