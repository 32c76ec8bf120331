import fs from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from './native-status.js';

/**
 * Readers for the parity fixtures written by StudioGAN's own code
 * (`packages/models/scripts/studiogan_fixtures.py`; format described in its header). Shared by the models
 * package's forward-parity tests and reacgan's training-step tests.
 */

/** A decoded tensor as `@reacgan/models`' decodeSafetensors returns it. */
export interface FixtureTensor {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export type SafetensorsDecoder = (bytes: Uint8Array) => { tensors: Map<string, FixtureTensor>; metadata: Record<string, string> };

/** Names of the StudioGAN fixtures, in the order of the script's FIXTURES table. */
export const STUDIOGAN_FIXTURES = [
  'deep_conv-reacgan',
  'resnet-reacgan',
  'big_resnet-reacgan',
  'deep_conv-contragan',
  'resnet-contragan',
  'big_resnet-contragan',
  'deep_conv-acgan-mod',
  'resnet-acgan-mod',
  'big_resnet-acgan-mod',
  'deep_conv-biggan-mod',
  'resnet-biggan-mod',
  'big_resnet-biggan-mod',
  'big_resnet-reacgan-64',
  'big_resnet-reacgan-128',
] as const;

export const STUDIOGAN_FIXTURE_DIR = path.join(repositoryRoot, 'packages', 'models', 'src', '__fixtures__', 'studiogan');

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/**
 * The script's `hash_weights`: value[i] = (q_i / 128)·2^scaleExp with q_i ∈ [−128, 127] the top byte of
 * MurmurHash3's finaliser of fnv1a(key) + i·0x9E3779B9 (mod 2³²), minus 128. Exact in float32.
 */
export function hashWeights(key: string, shape: readonly number[], scaleExp: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const base = fnv1a(key);
  const scale = 2 ** scaleExp / 128;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x = (base + Math.imul(i, 0x9e3779b9)) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b) >>> 0;
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35) >>> 0;
    x ^= x >>> 16;
    out[i] = ((x >>> 24) - 128) * scale;
  }
  return out;
}

/** float32(k / 127.5 − 1) for 8-bit codes (the script's `codes_to_images`). */
export function codesToImages(codes: ArrayLike<number>): Float32Array {
  return Float32Array.from(codes, (k) => k / 127.5 - 1);
}

export interface StudioganFixture {
  name: string;
  metadata: Record<string, string>;
  provenance: Record<string, unknown>;
  /** Our model configuration (StudioGAN's MODEL section, camelCase). */
  model: Record<string, unknown>;
  data: { imgSize: number; imgChannels: number; numClasses: number };
  loss: { adv_loss: string; cond_lambda: number | string; m_p: number | string; temperature: number | string };
  optimization: Record<string, number>;
  /** The rows (= columns) of G's images the fixture stores (all of them up to 32 px). */
  imageIndex: number[];
  /** PyTorch's own max |float32 − float64| per recorded result (per entry for results of ≤ 8 values). */
  gaps: Record<string, number | number[]>;
  has(key: string): boolean;
  get(key: string): FixtureTensor;
  /** Entries whose names start with `prefix`, with the prefix removed. */
  pick(prefix: string): Map<string, FixtureTensor>;
  /** The initial state dict of 'G' or 'D' in PyTorch layout, generated tensors included. */
  stateDict(which: 'G' | 'D'): Map<string, FixtureTensor>;
}

/** Reads `<STUDIOGAN_FIXTURE_DIR>/<name>.safetensors`. */
export function loadStudioganFixture(name: string, decode: SafetensorsDecoder): StudioganFixture {
  const bytes = fs.readFileSync(path.join(STUDIOGAN_FIXTURE_DIR, `${name}.safetensors`));
  const { tensors, metadata } = decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const generated = JSON.parse(metadata.generated) as { key: string; shape: number[]; scaleExp: number }[];
  const pick = (prefix: string) =>
    new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v] as [string, FixtureTensor]));
  return {
    name,
    metadata,
    provenance: JSON.parse(metadata.provenance) as Record<string, unknown>,
    model: JSON.parse(metadata.model) as Record<string, unknown>,
    data: JSON.parse(metadata.data) as StudioganFixture['data'],
    loss: JSON.parse(metadata.loss) as StudioganFixture['loss'],
    optimization: JSON.parse(metadata.optimization) as Record<string, number>,
    gaps: JSON.parse(metadata.gaps) as Record<string, number | number[]>,
    imageIndex: JSON.parse(metadata.imageIndex) as number[],
    has: (key) => tensors.has(key),
    get: (key) => {
      const t = tensors.get(key);
      if (!t) throw new Error(`fixture ${name}: no tensor '${key}'`);
      return t;
    },
    pick,
    stateDict: (which) => {
      const state = pick(`${which}.`);
      for (const g of generated) {
        if (g.key.startsWith(`${which}.`)) state.set(g.key.slice(which.length + 1), { dtype: 'float32', shape: g.shape, data: hashWeights(g.key, g.shape, g.scaleExp) });
      }
      return state;
    },
  };
}

/** float32 unit roundoff, 2⁻²⁴. */
const UNIT_ROUNDOFF = 2 ** -24;

/**
 * The error model of the StudioGAN parity tests. A fixture's reference is PyTorch's float64 result; ours is a
 * float32 computation of the same function, whose error against float64 comes from float32 rounding in long
 * accumulations (convolutions, matrix products, BN and pooling sums), amplified by the network exactly as
 * PyTorch's own float32 error is. PyTorch's measured gap g = max|float32 − float64| on the same computation is
 * one sample of that error; ours differs by the summation order and kernels (im2col, Winograd, oneDNN), so the
 * tolerance is
 *   atol = 8·g + 16·u·max(1, max|reference|)       (u = 2⁻²⁴, the float32 unit roundoff),
 * per entry for losses and digests (their gaps are stored per entry), per tensor otherwise. The second term is
 * a floor for results whose PyTorch gap happens to be near zero. Training-step digests use
 * {@link studioganDigestTolerance}.
 */
export function studioganTolerance(f: StudioganFixture, key: string, factor = 8): { atol: number; perEntry: number[] | null } {
  const gap = f.gaps[key];
  if (gap === undefined && f.get(key).dtype !== 'float32') return { atol: 0, perEntry: null }; // integers: exact
  if (gap === undefined) throw new Error(`fixture ${f.name}: no recorded float32 gap for '${key}'`);
  const ref = f.get(key).data;
  const floor = (v: number) => 16 * UNIT_ROUNDOFF * Math.max(1, Math.abs(v));
  if (Array.isArray(gap)) {
    const perEntry = gap.map((g, i) => factor * g + floor(ref[i]));
    return { atol: Math.max(...perEntry), perEntry };
  }
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  return { atol: factor * gap + floor(scale), perEntry: null };
}

/** The fields of a training-step digest (`step.digest.*`), in the order the script stores them. */
export const STUDIOGAN_DIGEST_FIELDS = ['sum', 'sumSq', 'deltaSum', 'deltaSumSq', 'deltaAbsMax', 'first', 'middle', 'last'] as const;

/**
 * Tolerances of a training-step digest `step.digest.<net>.<key>` of a tensor of `n` entries (per field, see
 * {@link STUDIOGAN_DIGEST_FIELDS}). The step's float32 error is per entry e_i (rounding, plus units on the other
 * side of a kink; the fixture's gaps are the largest of PyTorch's plain and one-ulp-perturbed float32 runs). The
 * gaps of the single entries (first, middle, last, deltaAbsMax) estimate the entries' error scale
 * σ = max of those four gaps: one entry's gap alone can be 0 by chance (a gradient that is analytically zero
 * and came out exactly 0 in PyTorch's run, then ±lr·g/(|g| + ε) in another). Errors of independent sign
 * propagate into the sums as √n·σ (sum, deltaSum), 2‖a‖·σ (sumSq, with ‖a‖ = √sumSq) and 2‖d‖·σ + n·σ²
 * (deltaSumSq). Each field's tolerance is factor·max(own gap, propagated σ) + the float32 floor.
 */
export function studioganDigestTolerance(f: StudioganFixture, key: string, n: number, factor = 8): number[] {
  const gap = f.gaps[key];
  if (!Array.isArray(gap) || gap.length !== STUDIOGAN_DIGEST_FIELDS.length) throw new Error(`fixture ${f.name}: expected per-field gaps for the digest '${key}'`);
  const ref = f.get(key).data;
  const sigma = Math.max(gap[4], gap[5], gap[6], gap[7]);
  const propagated = [
    Math.sqrt(n) * sigma,
    2 * Math.sqrt(Math.abs(ref[1])) * sigma,
    Math.sqrt(n) * sigma,
    2 * Math.sqrt(Math.abs(ref[3])) * sigma + n * sigma * sigma,
    sigma,
    sigma,
    sigma,
    sigma,
  ];
  return gap.map((g, i) => factor * Math.max(g, propagated[i]) + 16 * UNIT_ROUNDOFF * Math.max(1, Math.abs(ref[i])));
}

/**
 * Tolerances of an Adam-moment digest `step.adam.<net>.<m|v>.<key>` ([sum, sum of squares] of a moment tensor of
 * `n` entries). Per-entry errors of scale σ change the sum of squares by ≈ 2‖a‖σ + nσ² (‖a‖ = √sumSq), so PyTorch's
 * gap g on it gives σ = (√(‖a‖² + n·g) − ‖a‖)/n, which bounds the sum's error by √n·σ: this matters for moments of
 * gradients that are analytically zero (a bias before a batch norm), whose sum is pure rounding noise and whose
 * own gap can be 0 by chance. Tolerances are factor·max(own gap, propagated) + the float32 floor, as
 * {@link studioganDigestTolerance}.
 * Returns null for a moment of a gradient that is zero in exact arithmetic (the float64 reference's sum of squares
 * is below 1e-20: e.g. the bias of a convolution followed by batch norm): each entry is then float32 rounding
 * noise whose size depends on the summation order of the batch-norm backward pass (measured: TensorFlow's fused
 * kernel ≈ 10× PyTorch's), not a property of the step; such parameters are checked through their state digest.
 */
export function studioganMomentTolerance(f: StudioganFixture, key: string, n: number, factor = 8): number[] | null {
  const gap = f.gaps[key];
  if (!Array.isArray(gap) || gap.length !== 2) throw new Error(`fixture ${f.name}: expected [sum, sumSq] gaps for the moment digest '${key}'`);
  const ref = f.get(key).data;
  if (Math.abs(ref[1]) < 1e-20) return null;
  const norm = Math.sqrt(Math.abs(ref[1]));
  const sigma = (Math.sqrt(norm * norm + n * gap[1]) - norm) / n;
  const propagated = [Math.sqrt(n) * sigma, gap[1]];
  return gap.map((g, i) => factor * Math.max(g, propagated[i]) + 16 * UNIT_ROUNDOFF * Math.max(1, Math.abs(ref[i])));
}
