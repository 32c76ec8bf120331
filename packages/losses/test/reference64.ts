// Plain-JS float64 references of the contrastive losses, written straight from the formulas with
// explicit loops (no tensors). Used as the finite-difference side of the gradient checks, so the
// numeric derivative is not limited by float32 rounding.

export type Matrix = number[][];

function cos(a: number[], b: number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < a.length; k++) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return ab / (Math.max(Math.sqrt(aa), 1e-8) * Math.max(Math.sqrt(bb), 1e-8));
}

export function rows(values: ArrayLike<number>, n: number, d: number): Matrix {
  const out: Matrix = [];
  for (let i = 0; i < n; i++) out.push(Array.from({ length: d }, (_, k) => values[i * d + k]));
  return out;
}

export interface D2DCEReferenceOptions {
  temperature: number;
  positiveMargin: number;
  negativeMargin: number;
  variant: 'studiogan' | 'paper';
  /** Hold the StudioGAN shift M_i at these values instead of recomputing it (the detached shift). */
  fixedShift?: number[];
  /** false: same-class samples stay among the negatives (default true: removed). */
  falseNegativeMask?: boolean;
}

/** StudioGAN row maxima M_i = max_{j≠i} (cos(f_i, f_j) − m_n)/τ. */
export function studioganShift(embed: Matrix, temperature: number, negativeMargin: number): number[] {
  const n = embed.length;
  return embed.map((fi, i) => {
    let m = -Infinity;
    for (let j = 0; j < n; j++) if (j !== i) m = Math.max(m, (cos(fi, embed[j]) - negativeMargin) / temperature);
    return n === 1 ? 0 : m;
  });
}

/** Batch-mean D2D-CE in float64 (reacgan-reference.md 1.2 / 1.3). */
export function d2dceReference(embed: Matrix, proxy: Matrix, labels: number[], o: D2DCEReferenceOptions): number {
  const n = embed.length;
  const shift = o.variant === 'studiogan' ? (o.fixedShift ?? studioganShift(embed, o.temperature, o.negativeMargin)) : new Array<number>(n).fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.max((o.positiveMargin - cos(embed[i], proxy[i])) / o.temperature, 0);
    let neg = 0;
    for (let j = 0; j < n; j++) {
      if (j === i || ((o.falseNegativeMask ?? true) && labels[j] === labels[i])) continue;
      neg += Math.exp(Math.max((cos(embed[i], embed[j]) - o.negativeMargin) / o.temperature, 0) - shift[i]);
    }
    total += a + Math.log(Math.exp(-a) + neg);
  }
  return total / n;
}

/** Batch-mean 2C (ContraGAN) in float64, as a ratio of exponential sums (fine for τ ≳ 0.05). */
export function contrastiveReference(embed: Matrix, proxy: Matrix, labels: number[], temperature: number): number {
  const n = embed.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp(cos(embed[i], proxy[i]) / temperature);
    let num = p;
    let den = p;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const e = Math.exp(cos(embed[i], embed[j]) / temperature);
      den += e;
      if (labels[j] === labels[i]) num += e;
    }
    total += -Math.log(num / den);
  }
  return total / n;
}

/** Batch-mean softmax cross-entropy in float64. */
export function crossEntropyReference(logits: Matrix, labels: number[]): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const m = Math.max(...logits[i]);
    const lse = m + Math.log(logits[i].reduce((s, x) => s + Math.exp(x - m), 0));
    total += lse - logits[i][labels[i]];
  }
  return total / logits.length;
}

/** Deterministic pseudo-random normals (mulberry32 + Box–Muller), for reproducible test inputs. */
export function randomNormals(seed: number, count: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}
