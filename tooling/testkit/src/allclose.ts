import * as tf from '@tensorflow/tfjs-core';

export interface AllcloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
}

export interface AllcloseReport {
  pass: boolean;
  maxAbsDiff: number;
  rtol: number;
  atol: number;
  message: string;
}

function flatten(value: unknown, name: string): { values: number[]; shape: number[] | null } {
  if (value instanceof tf.Tensor) {
    return { values: Array.from(value.dataSync() as ArrayLike<number>), shape: value.shape };
  }
  if (typeof value === 'number') return { values: [value], shape: [] };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return { values: Array.from(value as unknown as ArrayLike<number>), shape: null };
  }
  if (Array.isArray(value)) {
    const out: number[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'number') out.push(v);
      else throw new TypeError(`${name}: expected numbers, received ${typeof v}`);
    };
    walk(value);
    return { values: out, shape: null };
  }
  throw new TypeError(`${name}: expected a tf.Tensor, number, typed array or nested array, received ${String(value)}`);
}

/** numpy.allclose semantics: |a - b| <= atol + rtol * |b|, NaN never equal, equal infinities equal. */
export function allcloseReport(received: unknown, expected: unknown, options: AllcloseOptions = {}): AllcloseReport {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const a = flatten(received, 'received');
  const b = flatten(expected, 'expected');
  if (a.values.length !== b.values.length) {
    return { pass: false, maxAbsDiff: Infinity, rtol, atol, message: `length ${a.values.length} vs expected ${b.values.length}` };
  }
  let maxAbsDiff = 0;
  let worst = -1;
  let pass = true;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i];
    const y = b.values[i];
    if (x === y) continue;
    const diff = Math.abs(x - y);
    const ok = Number.isFinite(diff) && diff <= atol + rtol * Math.abs(y);
    if (!(diff <= maxAbsDiff)) {
      maxAbsDiff = diff;
      worst = i;
    }
    if (!ok) pass = false;
  }
  const message =
    worst < 0
      ? 'identical'
      : `max abs diff ${maxAbsDiff} at flat index ${worst} (received ${a.values[worst]}, expected ${b.values[worst]})`;
  return { pass, maxAbsDiff, rtol, atol, message };
}
