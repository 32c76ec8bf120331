import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { inceptionScore } from './inception-score.js';

/** C12: 1,000 rows over 10 classes, row i puts 0.91 on class ⌊i/100⌋ and 0.01 elsewhere (sorted by class). */
const sorted = Array.from({ length: 1000 }, (_, i) => Array.from({ length: 10 }, (_, c) => (c === Math.floor(i / 100) ? 0.91 : 0.01)));

describe('inceptionScore', () => {
  it('C12.1: splits = 1 → 6.063560', () => {
    const r = inceptionScore(sorted, { splits: 1, from: 'probabilities' });
    expect(r.mean).toBeAllclose(6.06356, { atol: 1e-6, rtol: 0 });
    expect(r.std).toBe(0);
    expect(r).toMatchObject({ splits: 1, count: 1000, shuffleSeed: null, from: 'probabilities' });
  });

  it('C12.2: splits = 10 in order (the documented default) gives 1.000000 on class-sorted input', () => {
    const r = inceptionScore(sorted, { from: 'probabilities' });
    expect(r.splits).toBe(10);
    expect(r.mean).toBeAllclose(1, { atol: 1e-9 });
    expect(r.scores).toHaveLength(10);
  });

  it('C12.3: splits = 10 after a seeded shuffle → about 5.84 (5.7–6.0), reproducible, seed recorded', () => {
    const r = inceptionScore(sorted, { from: 'probabilities', shuffleSeed: 2020 });
    expect(r.mean).toBeGreaterThan(5.7);
    expect(r.mean).toBeLessThan(6.0);
    expect(r.std).toBeGreaterThan(0);
    expect(r.shuffleSeed).toBe(2020);
    expect(inceptionScore(sorted, { from: 'probabilities', shuffleSeed: 2020 }).mean).toBe(r.mean);
  });

  it('C12.4: fewer rows than splits throws "need at least `splits` samples"', () => {
    expect(() => inceptionScore(sorted.slice(0, 5), { from: 'probabilities' })).toThrow(/need at least `splits` samples: received 5 rows for splits = 10/);
  });

  it('C12.5: rows [1,0,0] and [0,1,0] → exactly 2 (0·log 0 = 0, no NaN)', () => {
    const r = inceptionScore(
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      { splits: 1, from: 'probabilities' },
    );
    expect(r.mean).toBeCloseTo(2, 14);
  });

  it('from logits equals from softmax probabilities (float64 log-softmax, stable for large logits)', () => {
    const logits = Array.from({ length: 50 }, (_, i) => Array.from({ length: 7 }, (_, c) => Math.sin(i * 3.1 + c) * 40 + 1000));
    const probs = logits.map((row) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    const a = inceptionScore(logits, { splits: 5 });
    const b = inceptionScore(probs, { splits: 5, from: 'probabilities' });
    expect(a.mean).toBeAllclose(b.mean, { rtol: 1e-10 });
    expect(a.std).toBeAllclose(b.std, { rtol: 1e-8, atol: 1e-12 });
    const t = tf.tensor2d(logits);
    expect(inceptionScore(t, { splits: 5 }).mean).toBeAllclose(a.mean, { rtol: 1e-5 });
    t.dispose();
  });

  it('splits cover all rows: split j is rows ⌊jN/s⌋ … ⌊(j+1)N/s⌋ − 1 (StudioGAN)', () => {
    // 7 rows, 3 splits → sizes 2, 2, 3; the last split holds the only two different rows.
    const rows = [...Array(5).fill([1, 0]), [0, 1], [1, 0]] as number[][];
    const r = inceptionScore(rows, { splits: 3, from: 'probabilities' });
    expect(r.scores[0]).toBeCloseTo(1, 12);
    expect(r.scores[1]).toBeCloseTo(1, 12);
    const p = [2 / 3, 1 / 3];
    expect(r.scores[2]).toBeCloseTo(Math.exp((2 * Math.log(1 / p[0]) + Math.log(1 / p[1])) / 3), 12);
  });

  it('rejects bad input with the argument named', () => {
    expect(() => inceptionScore([[0.5, 0.6]], { splits: 1, from: 'probabilities' })).toThrow(/row 0 sum to 1.1/);
    expect(() => inceptionScore([[-0.1, 1.1]], { splits: 1, from: 'probabilities' })).toThrow(/not a finite non-negative/);
    expect(() => inceptionScore([[NaN, 1]], { splits: 1 })).toThrow(/non-finite logit NaN at row 0, column 0/);
    expect(() => inceptionScore([[1, 0]], { splits: 0 })).toThrow(/splits must be a positive integer/);
  });
});
