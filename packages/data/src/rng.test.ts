import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed, rngFromWords, splitmix64 } from './rng.js';
import { ascendingClassLabels, sampleClassLabels, sampleLatents } from './samplers.js';

describe('Rng (xoshiro128** seeded by SplitMix64)', () => {
  it('reproduces the xoshiro128** 1.1 reference outputs from state {1, 2, 3, 4}', () => {
    // Values of Vigna's xoshiro128starstar.c (also the test vector of Rust's rand_xoshiro).
    const rng = rngFromWords([1, 2, 3, 4]);
    const out = Array.from({ length: 10 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it('reproduces the SplitMix64 reference outputs for seed 1234567', () => {
    expect(splitmix64(1234567, 5)).toEqual([6457827717110365317n, 3203168211198807973n, 9817491932198370423n, 4593380528125082431n, 16408922859458223821n]);
  });

  it('seeds the state from the first two SplitMix64 outputs (lo/hi words)', () => {
    const [z1, z2] = splitmix64(42, 2);
    const rng = new Rng(42);
    expect(rng.getState().s).toEqual([Number(z1 & 0xffffffffn), Number(z1 >> 32n), Number(z2 & 0xffffffffn), Number(z2 >> 32n)]);
  });

  it('is deterministic per seed, differs across seeds, and accepts bigint and negative seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7n);
    const c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
    expect(new Rng(-1).getState()).toEqual(new Rng(2n ** 64n - 1n).getState());
    expect(() => new Rng(1.5)).toThrow(/seed: expected a safe integer/);
  });

  it('restores its exact position from a JSON round trip of getState (including the Box–Muller spare)', () => {
    const rng = new Rng(123);
    for (let i = 0; i < 17; i++) rng.next();
    rng.normal(); // leaves a spare normal in the state
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    expect(saved.spareNormal).not.toBeNull();
    const expected = [rng.normal(), rng.normal(), rng.next(), rng.nextInt(1000)];
    const resumed = Rng.fromState(saved);
    expect([resumed.normal(), resumed.normal(), resumed.next(), resumed.nextInt(1000)]).toEqual(expected);
  });

  it('rejects malformed states', () => {
    const rng = new Rng(1);
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spareNormal: null })).toThrow(/all-zero/);
    expect(() => rng.setState({ algorithm: 'pcg32', s: [1, 2, 3, 4], spareNormal: null } as never)).toThrow(/setState/);
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 2 ** 32], spareNormal: null })).toThrow(/uint32/);
  });

  it('next() is uniform on [0, 1) (mean, variance, decile counts)', () => {
    const rng = new Rng(2024);
    const n = 200_000;
    const bins = new Array(10).fill(0);
    let sum = 0;
    let sq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sq += u * u;
      bins[Math.floor(u * 10)]++;
    }
    expect(outside).toBe(0);
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
    // chi-square with 9 dof: 99.9% quantile is 27.9
    const chi2 = bins.reduce((acc, c) => acc + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('nextInt(n) is unbiased and in range, including n = 2^32 and n not a power of two', () => {
    const rng = new Rng(5);
    const n = 3;
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.nextInt(n)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    const big = rng.nextInt(2 ** 32);
    expect(big >= 0 && big < 2 ** 32).toBe(true);
    expect(() => rng.nextInt(0)).toThrow(/nextInt/);
  });

  it('normal() has mean 0, variance 1, and the normal tail mass', () => {
    const rng = new Rng(99);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sq += z * z;
      if (Math.abs(z) > 2) beyond2++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.015);
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(0.003);
  });

  it('permutation() is a permutation and derived streams are independent of each other', () => {
    const p = new Rng(3).permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
    expect(deriveSeed(1, 0, 1)).not.toBe(deriveSeed(1, 1, 0));
    expect(Rng.derive(1, 5).getState()).toEqual(new Rng(deriveSeed(1, 5)).getState());
  });
});

describe('samplers', () => {
  it('sampleClassLabels is uniform over the classes and seeded', () => {
    const labels = sampleClassLabels(new Rng(11), 50_000, 10);
    expect(labels).toBeInstanceOf(Int32Array);
    const counts = new Array(10).fill(0);
    for (const y of labels) counts[y]++;
    const chi2 = counts.reduce((acc, c) => acc + (c - 5000) ** 2 / 5000, 0);
    expect(chi2).toBeLessThan(27.9);
    expect(sampleClassLabels(new Rng(11), 20, 10)).toEqual(labels.subarray(0, 20));
    expect(() => sampleClassLabels(new Rng(1), 4, 0)).toThrow(/numClasses/);
  });

  it('ascendingClassLabels cycles through the classes', () => {
    expect(Array.from(ascendingClassLabels(7, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('sampleLatents gaussian: N(0,1) entries, [n, zDim] row-major, seeded', () => {
    const z = sampleLatents(new Rng(4), 1000, 128);
    expect(z).toBeInstanceOf(Float32Array);
    expect(z.length).toBe(128_000);
    let sum = 0;
    let sq = 0;
    for (const v of z) {
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / z.length)).toBeLessThan(0.015);
    expect(Math.abs(sq / z.length - 1)).toBeLessThan(0.02);
    const rng = new Rng(4);
    expect(z[0]).toBe(Math.fround(rng.normal()));
  });

  it('sampleLatents truncation keeps |z| <= t and matches the truncated-normal variance', () => {
    const t = 0.5;
    const z = sampleLatents(new Rng(8), 2000, 50, { truncation: t });
    let sq = 0;
    let outside = 0;
    for (const v of z) {
      if (Math.abs(v) > t) outside++;
      sq += v * v;
    }
    expect(outside).toBe(0);
    // Var of N(0,1) truncated to [-t, t]: 1 - 2 t phi(t) / (2 Phi(t) - 1) = 0.0797 for t = 0.5.
    expect(sq / z.length).toBeCloseTo(0.0797, 2);
    expect(sampleLatents(new Rng(8), 2, 3, { truncation: -1 })).toEqual(sampleLatents(new Rng(8), 2, 3));
  });

  it('sampleLatents uniform draws from [-1, 1) with variance 1/3; bad options throw naming them', () => {
    const z = sampleLatents(new Rng(2), 1000, 100, { prior: 'uniform' });
    let sq = 0;
    let outside = 0;
    for (const v of z) {
      if (!(v >= -1 && v < 1)) outside++;
      sq += v * v;
    }
    expect(outside).toBe(0);
    expect(sq / z.length).toBeCloseTo(1 / 3, 2);
    expect(() => sampleLatents(new Rng(1), 2, 3, { prior: 'laplace' as never })).toThrow(/options.prior/);
    expect(() => sampleLatents(new Rng(1), 2, 3, { prior: 'uniform', truncation: 0.5 })).toThrow(/truncation/);
    expect(() => sampleLatents(new Rng(1), 2, 3, { truncation: 0 })).toThrow(/truncation/);
    expect(() => sampleLatents(new Rng(1), 2, 0)).toThrow(/zDim/);
  });
});
