import { DatasetError, badArgument } from './errors.js';

/**
 * Seeded pseudo-random numbers with a serialisable state.
 *
 * Generator: **xoshiro128\*\*** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", 2018; reference `xoshiro128starstar.c`): 128-bit state of four uint32 words, period
 * 2^128 − 1, one uint32 per step:
 * ```
 * result = rotl(s1 · 5, 7) · 9;  t = s1 << 9
 * s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
 * ```
 * Seeding: the 64-bit seed drives **SplitMix64** (Steele, Lea & Flood 2014; Vigna's `splitmix64.c`);
 * its first two outputs z₁, z₂ give the state [lo(z₁), hi(z₁), lo(z₂), hi(z₂)] (the seeding Vigna
 * recommends). Derived streams (`Rng.derive(seed, ...keys)`) seed from
 * `deriveSeed(seed, ...keys)`, a SplitMix64 mix of the seed and the keys.
 *
 * Floats: `next()` = (a >>> 5 · 2^26 + b >>> 6) / 2^53 from two uint32 draws a, b — uniform on
 * [0, 1) with 53 random bits. Integers: `nextInt(n)` by rejection (no modulo bias).
 * Normals: `normal()` is the basic **Box–Muller** transform: u₁ = 1 − next() ∈ (0, 1],
 * u₂ = next(), r = √(−2 ln u₁), z₀ = r cos 2πu₂ is returned and z₁ = r sin 2πu₂ is kept for the
 * next call (the spare is part of the state).
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** @param seed a safe integer (negative values wrap modulo 2^64) or a bigint. Default 0. */
  constructor(seed: number | bigint = 0) {
    const words = seedWords(toSeed64('seed', seed));
    this.s0 = words[0];
    this.s1 = words[1];
    this.s2 = words[2];
    this.s3 = words[3];
  }

  /** An independent stream for (seed, key1, key2, …), e.g. `Rng.derive(seed, epoch)`. */
  static derive(seed: number | bigint, ...keys: (number | bigint)[]): Rng {
    return new Rng(deriveSeed(seed, ...keys));
  }

  /** A generator positioned at `state` (see `getState`). */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** Next uint32 (0 … 2^32 − 1). */
  nextUint32(): number {
    const s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    const n0 = s0 ^ s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    this.s0 = n0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n), 1 ≤ n ≤ 2^32, without modulo bias (rejection sampling). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw badArgument('nextInt(n)', 'an integer in [1, 2^32]', n);
    if (n === 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal sample (Box–Muller, see the class docs). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.next();
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** In-place Fisher–Yates shuffle (i from the end down to 1, j = nextInt(i + 1)). Returns `array`. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A uniformly random permutation of 0 … n−1 (`shuffle` of the identity). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** The full generator state, JSON-serialisable. */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Restores a state from `getState` (validated). */
  setState(state: RngState): void {
    if (!state || state.algorithm !== 'xoshiro128**' || !Array.isArray(state.s) || state.s.length !== 4) {
      throw badArgument('Rng.setState(state)', "{ algorithm: 'xoshiro128**', s: [4 uint32], spareNormal }", state);
    }
    for (const w of state.s) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw badArgument('Rng.setState(state).s', 'four uint32 words', state.s);
    }
    if (state.s.every((w) => w === 0)) throw new DatasetError('BAD_ARGUMENT', 'Rng.setState(state).s: the all-zero state is invalid for xoshiro128**');
    const spare = state.spareNormal ?? null;
    if (spare !== null && (typeof spare !== 'number' || !Number.isFinite(spare))) {
      throw badArgument('Rng.setState(state).spareNormal', 'a finite number or null', spare);
    }
    [this.s0, this.s1, this.s2, this.s3] = state.s;
    this.spare = spare;
  }

  /** An independent copy at the same position. */
  clone(): Rng {
    return Rng.fromState(this.getState());
  }
}

/** Serialisable state of an `Rng`. */
export interface RngState {
  algorithm: 'xoshiro128**';
  /** The four uint32 state words s0..s3. */
  s: [number, number, number, number];
  /** Box–Muller's cached second normal, or null. */
  spareNormal: number | null;
}

const MASK64 = (1n << 64n) - 1n;
const GAMMA = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function (mix of a 64-bit value). */
export function splitmix64Mix(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** The first `count` outputs of SplitMix64 seeded with `seed` (Vigna's `splitmix64.c`). */
export function splitmix64(seed: number | bigint, count: number): bigint[] {
  let x = toSeed64('seed', seed);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    x = (x + GAMMA) & MASK64;
    out.push(splitmix64Mix(x));
  }
  return out;
}

/**
 * A 64-bit seed for a derived stream: x = seed; for each key k: x = mix(x ⊕ mix(k + γ)) where mix
 * is SplitMix64's output function and γ its increment. Distinct key tuples give unrelated streams.
 */
export function deriveSeed(seed: number | bigint, ...keys: (number | bigint)[]): bigint {
  let x = toSeed64('seed', seed);
  for (const [i, key] of keys.entries()) {
    const k = toSeed64(`keys[${i}]`, key);
    x = splitmix64Mix(x ^ splitmix64Mix((k + GAMMA) & MASK64));
  }
  return x;
}

function toSeed64(name: string, seed: number | bigint): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw badArgument(name, 'a safe integer or a bigint', seed);
  return BigInt.asUintN(64, BigInt(seed));
}

function seedWords(seed: bigint): [number, number, number, number] {
  const [z1, z2] = splitmix64(seed, 2);
  const words: [number, number, number, number] = [
    Number(z1 & 0xffffffffn),
    Number(z1 >> 32n),
    Number(z2 & 0xffffffffn),
    Number(z2 >> 32n),
  ];
  if (words.every((w) => w === 0)) words[0] = 1;
  return words;
}

/** Internal: build an Rng directly from four state words (tests use the reference vector state). */
export function rngFromWords(words: [number, number, number, number]): Rng {
  return Rng.fromState({ algorithm: 'xoshiro128**', s: words, spareNormal: null });
}
