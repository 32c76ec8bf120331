import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, describeBackends, expectNoTensorLeak, tensorCountsAcross } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import { d2dceReference, randomNormals, rows, studioganShift } from '../test/reference64.js';
import { data2DataCrossEntropyLoss, type D2DCEOptions } from './index.js';

const N = 6;
const D = 5;
const LABELS = [0, 1, 0, 2, 1, 2];

function inputs(seed: number, n = N, d = D): { embed: tf.Tensor2D; proxy: tf.Tensor2D } {
  return {
    embed: tf.tensor2d(randomNormals(seed, n * d), [n, d]),
    proxy: tf.tensor2d(randomNormals(seed + 1, n * d), [n, d]),
  };
}

const value = (t: tf.Tensor): number => t.dataSync()[0];

describeBackends('data2DataCrossEntropyLoss', () => {
  describe('degenerate batches', () => {
    it('an all-same-label batch gives exactly 0 (both variants, every temperature), and zero gradients', () => {
      const { embed, proxy } = inputs(1);
      const labels = tf.tensor1d([4, 4, 4, 4, 4, 4], 'int32');
      for (const variant of ['studiogan', 'paper'] as const) {
        for (const temperature of [1, 0.5, 0.01, 1e-4]) {
          const loss = data2DataCrossEntropyLoss({ embed, proxy, labels }, { variant, temperature });
          expect(value(loss)).toBe(0);
          loss.dispose();
        }
        const g = tf.grads((e: tf.Tensor, p: tf.Tensor) =>
          data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels }, { variant }),
        )([embed, proxy]);
        for (const grad of g) expect(Array.from(grad.dataSync()).every((x) => x === 0)).toBe(true);
        tf.dispose(g);
      }
      tf.dispose([embed, proxy, labels]);
    });

    it('N = 1 gives 0, not NaN, with finite (zero) gradients', () => {
      const { embed, proxy } = inputs(2, 1, 4);
      for (const variant of ['studiogan', 'paper'] as const) {
        const loss = data2DataCrossEntropyLoss({ embed, proxy, labels: [3] }, { variant, temperature: 0.01 });
        expect(value(loss)).toBe(0);
        const g = tf.grad((e: tf.Tensor) => data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy, labels: [3] }, { variant }))(embed);
        expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0]);
        tf.dispose([loss, g]);
      }
      tf.dispose([embed, proxy]);
    });

    it('singleton classes (labels [0,1,1,3]) and a zero embedding row stay finite', () => {
      const embed = tf.tensor2d([[0, 0, 0], [1, 0, 0], [0.5, 0.5, 0], [0, 0, 1]]);
      const proxy = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 0]]);
      for (const variant of ['studiogan', 'paper'] as const) {
        const per = data2DataCrossEntropyLoss({ embed, proxy, labels: [0, 1, 1, 3] }, { variant, reduction: 'none' });
        expect(Array.from(per.dataSync()).every(Number.isFinite)).toBe(true);
        const g = tf.grad((e: tf.Tensor) => data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy, labels: [0, 1, 1, 3] }, { variant }))(embed);
        expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
        tf.dispose([per, g]);
      }
      tf.dispose([embed, proxy]);
    });
  });

  describe('numerical range', () => {
    it('is finite with finite gradients for temperature down to 0.01 (and 1e-3) on aligned and anti-aligned batches', () => {
      // Aligned samples of different classes (cos = 1) and anti-aligned ones (cos = -1): the extremes of
      // the exponent (1 ∓ m_n)/τ that overflow a naive float32 exp at τ = 0.01.
      const embed = tf.tensor2d([[1, 0], [1, 0], [-1, 0], [-1, 1e-3], [0, 1], [0, -1]]);
      const proxy = tf.tensor2d([[-1, 0], [1, 0], [1, 0], [0, 1], [0, -1], [0, 1]]);
      const labels = [0, 1, 2, 3, 4, 5];
      for (const variant of ['studiogan', 'paper'] as const) {
        for (const temperature of [0.01, 1e-3]) {
          for (const positiveMargin of [0.98, 1, 0]) {
            const options: D2DCEOptions = { variant, temperature, positiveMargin };
            const per = data2DataCrossEntropyLoss({ embed, proxy, labels }, { ...options, reduction: 'none' });
            const ref = d2dceReference(
              rows(embed.dataSync(), 6, 2),
              rows(proxy.dataSync(), 6, 2),
              labels,
              { temperature, positiveMargin, negativeMargin: 1 - positiveMargin, variant },
            );
            const values = Array.from(per.dataSync());
            expect(values.every(Number.isFinite), `${variant} tau=${temperature} m_p=${positiveMargin}: ${values}`).toBe(true);
            if (Number.isFinite(ref)) expect(values.reduce((a, b) => a + b) / 6).toBeAllclose(ref, { rtol: 1e-5, atol: 1e-3 });
            const g = tf.grads((e: tf.Tensor, p: tf.Tensor) =>
              data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels }, options),
            )([embed, proxy]);
            for (const grad of g) expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
            tf.dispose([per, ...g]);
          }
        }
      }
      tf.dispose([embed, proxy]);
    });

    it('is invariant to the scale of embed and proxy (cosine similarity inside)', () => {
      const { embed, proxy } = inputs(3);
      const a = data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS });
      const scaledEmbed = tf.mul(embed, 37.5) as tf.Tensor2D;
      const scaledProxy = tf.mul(proxy, 0.02) as tf.Tensor2D;
      const b = data2DataCrossEntropyLoss({ embed: scaledEmbed, proxy: scaledProxy, labels: LABELS });
      expect(b).toBeAllclose(value(a), { rtol: 1e-5 });
      tf.dispose([embed, proxy, a, b, scaledEmbed, scaledProxy]);
    });
  });

  describe('definition', () => {
    it('defaults: temperature 0.5, positiveMargin 0.98, negativeMargin 1 − positiveMargin, variant studiogan', () => {
      const { embed, proxy } = inputs(4);
      const implicit = data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS });
      const explicit = data2DataCrossEntropyLoss(
        { embed, proxy, labels: LABELS },
        { temperature: 0.5, positiveMargin: 0.98, negativeMargin: 0.02, variant: 'studiogan' },
      );
      expect(value(implicit)).toBe(value(explicit));
      const mp = data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS }, { positiveMargin: 0.9 });
      const mpn = data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS }, { positiveMargin: 0.9, negativeMargin: 0.1 });
      expect(value(mp)).toBeCloseTo(value(mpn), 6);
      const paper = data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS }, { variant: 'paper' });
      expect(Math.abs(value(paper) - value(implicit))).toBeGreaterThan(1e-3); // the shift is not a no-op
      tf.dispose([embed, proxy, implicit, explicit, mp, mpn, paper]);
    });

    it('matches the float64 reference on random batches (both variants, several margins)', () => {
      const { embed, proxy } = inputs(5, 8, 7);
      const labels = [0, 1, 2, 0, 1, 2, 3, 3];
      const e64 = rows(embed.dataSync(), 8, 7);
      const p64 = rows(proxy.dataSync(), 8, 7);
      for (const variant of ['studiogan', 'paper'] as const) {
        for (const [temperature, positiveMargin, negativeMargin] of [[0.5, 0.98, 0.02], [0.1, 0.5, 0.3], [0.75, 1, 0], [0.05, -0.2, -0.5]]) {
          const loss = data2DataCrossEntropyLoss({ embed, proxy, labels }, { variant, temperature, positiveMargin, negativeMargin });
          const ref = d2dceReference(e64, p64, labels, { variant, temperature, positiveMargin, negativeMargin });
          expect(loss).toBeAllclose(ref, { rtol: 1e-5, atol: 1e-6 / temperature });
          loss.dispose();
        }
      }
      tf.dispose([embed, proxy]);
    });

    it('falseNegativeMask false keeps same-class samples among the negatives (float64 reference, both variants); equal to the mask when all labels differ', () => {
      const { embed, proxy } = inputs(7, 8, 7);
      const labels = [0, 1, 2, 0, 1, 2, 3, 3];
      const e64 = rows(embed.dataSync(), 8, 7);
      const p64 = rows(proxy.dataSync(), 8, 7);
      for (const variant of ['studiogan', 'paper'] as const) {
        for (const [temperature, positiveMargin, negativeMargin] of [[0.5, 0.98, 0.02], [0.75, 1, 0], [0.1, 0.5, 0.3]]) {
          const o = { variant, temperature, positiveMargin, negativeMargin };
          const unmasked = data2DataCrossEntropyLoss({ embed, proxy, labels }, { ...o, falseNegativeMask: false });
          const masked = data2DataCrossEntropyLoss({ embed, proxy, labels }, { ...o, falseNegativeMask: true });
          expect(unmasked).toBeAllclose(d2dceReference(e64, p64, labels, { ...o, falseNegativeMask: false }), { rtol: 1e-5, atol: 1e-6 / temperature });
          // Extra terms in the denominator can only raise each per-sample loss.
          expect(value(unmasked)).toBeGreaterThan(value(masked));
          const distinct = [0, 1, 2, 3, 4, 5, 6, 7];
          const a = data2DataCrossEntropyLoss({ embed, proxy, labels: distinct }, { ...o, falseNegativeMask: false });
          const b = data2DataCrossEntropyLoss({ embed, proxy, labels: distinct }, o);
          expect(value(a)).toBe(value(b));
          tf.dispose([unmasked, masked, a, b]);
        }
      }
      // An all-same-label batch has negatives again once the mask is off: the loss is no longer 0.
      const same = data2DataCrossEntropyLoss({ embed, proxy, labels: [1, 1, 1, 1, 1, 1, 1, 1] }, { falseNegativeMask: false });
      expect(value(same)).toBeGreaterThan(0);
      expect(() => data2DataCrossEntropyLoss({ embed, proxy, labels }, { falseNegativeMask: 'no' as never })).toThrow(/options.falseNegativeMask must be a boolean; received "no"/);
      tf.dispose([embed, proxy, same]);
    });

    it('paper variant: same-class pairs contribute nothing (moving a same-class sample leaves the other rows unchanged)', () => {
      // Row 0 (label 0) has same-class partner 2. Changing sample 2 must not change loss_0 under the paper
      // formula (its only links to row 0 would be through a same-class pair, masked after exp).
      const { embed, proxy } = inputs(6);
      const moved = tf.tidy(() => {
        const delta = tf.tensor2d([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [3, -2, 1, 0.5, -1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
        return tf.add(embed, delta) as tf.Tensor2D;
      });
      const before = data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS }, { variant: 'paper', reduction: 'none' });
      const after = data2DataCrossEntropyLoss({ embed: moved, proxy, labels: LABELS }, { variant: 'paper', reduction: 'none' });
      expect(after.dataSync()[0]).toBeCloseTo(before.dataSync()[0], 6);
      expect(Math.abs(after.dataSync()[2] - before.dataSync()[2])).toBeGreaterThan(1e-4);
      // The StudioGAN variant does see it: the shift M_0 includes same-class pairs.
      const sgBefore = data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS }, { variant: 'studiogan', reduction: 'none' });
      const sgAfter = data2DataCrossEntropyLoss({ embed: moved, proxy, labels: LABELS }, { variant: 'studiogan', reduction: 'none' });
      const shiftBefore = studioganShift(rows(embed.dataSync(), N, D), 0.5, 0.02)[0];
      const shiftAfter = studioganShift(rows(moved.dataSync(), N, D), 0.5, 0.02)[0];
      if (Math.abs(shiftAfter - shiftBefore) > 1e-3) {
        expect(Math.abs(sgAfter.dataSync()[0] - sgBefore.dataSync()[0])).toBeGreaterThan(1e-5);
      }
      tf.dispose([embed, proxy, moved, before, after, sgBefore, sgAfter]);
    });
  });

  describe('gradients (finite differences against the float64 reference)', () => {
    const cases: { name: string; options: Required<Omit<D2DCEOptions, 'reduction' | 'falseNegativeMask'>> & Pick<D2DCEOptions, 'falseNegativeMask'> }[] = [
      { name: 'paper, defaults', options: { variant: 'paper', temperature: 0.5, positiveMargin: 0.98, negativeMargin: 0.02 } },
      { name: 'paper, tau 0.1, m_p 0.5', options: { variant: 'paper', temperature: 0.1, positiveMargin: 0.5, negativeMargin: 0.5 } },
      { name: 'studiogan, defaults', options: { variant: 'studiogan', temperature: 0.5, positiveMargin: 0.98, negativeMargin: 0.02 } },
      { name: 'studiogan, tau 0.25, m_p 0.9', options: { variant: 'studiogan', temperature: 0.25, positiveMargin: 0.9, negativeMargin: 0.1 } },
      { name: 'studiogan, no false-negative mask', options: { variant: 'studiogan', temperature: 0.5, positiveMargin: 0.98, negativeMargin: 0.02, falseNegativeMask: false } },
      { name: 'paper, no false-negative mask, m_p 1', options: { variant: 'paper', temperature: 0.5, positiveMargin: 1, negativeMargin: 0, falseNegativeMask: false } },
    ];
    for (const { name, options } of cases) {
      it(`${name}: d/d embed and d/d proxy (StudioGAN shift held fixed)`, () => {
        const { embed, proxy } = inputs(11);
        const e64 = rows(embed.dataSync(), N, D);
        const p64 = rows(proxy.dataSync(), N, D);
        // The StudioGAN shift is detached, so its autograd gradient is the derivative with M_i frozen.
        const fixedShift = options.variant === 'studiogan' ? studioganShift(e64, options.temperature, options.negativeMargin) : undefined;
        const ref = { ...options, fixedShift };
        const gEmbed = checkGradient(
          (e) => data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy, labels: LABELS }, options),
          embed,
          { h: 1e-5, reference: (v) => d2dceReference(rows(v, N, D), p64, LABELS, ref) },
        );
        const gProxy = checkGradient(
          (p) => data2DataCrossEntropyLoss({ embed, proxy: p as tf.Tensor2D, labels: LABELS }, options),
          proxy,
          { h: 1e-5, reference: (v) => d2dceReference(e64, rows(v, N, D), LABELS, ref) },
        );
        expect(Math.max(...gEmbed.numeric.map(Math.abs))).toBeGreaterThan(1e-3); // a non-trivial gradient
        expect(gEmbed.maxRelError, `embed: max abs err ${gEmbed.maxAbsError}`).toBeLessThan(1e-4);
        expect(gProxy.maxRelError, `proxy: max abs err ${gProxy.maxAbsError}`).toBeLessThan(1e-4);
        tf.dispose([embed, proxy]);
      });
    }

    it('studiogan: the autograd gradient is NOT the derivative of the value (the shift is detached)', () => {
      const { embed, proxy } = inputs(11);
      const options = { variant: 'studiogan', temperature: 0.5, positiveMargin: 0.98, negativeMargin: 0.02 } as const;
      const withMovingShift = checkGradient(
        (e) => data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy, labels: LABELS }, options),
        embed,
        { h: 1e-5, reference: (v) => d2dceReference(rows(v, N, D), rows(proxy.dataSync(), N, D), LABELS, options) },
      );
      expect(withMovingShift.maxAbsError).toBeGreaterThan(1e-2);
      tf.dispose([embed, proxy]);
    });
  });

  describe('memory', () => {
    it('leaves no tensors behind (value, gradient, array labels, both variants)', async () => {
      const { embed, proxy } = inputs(12);
      const labels = tf.tensor1d(LABELS, 'int32');
      for (const variant of ['studiogan', 'paper'] as const) {
        await expectNoTensorLeak(() => data2DataCrossEntropyLoss({ embed, proxy, labels }, { variant }), `${variant} value`);
        await expectNoTensorLeak(() => data2DataCrossEntropyLoss({ embed, proxy, labels: LABELS }, { variant }), `${variant} array labels`);
        await expectNoTensorLeak(
          () => tf.grads((e: tf.Tensor, p: tf.Tensor) => data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels }, { variant }))([embed, proxy]),
          `${variant} gradient`,
        );
      }
      const counts = await tensorCountsAcross(() => data2DataCrossEntropyLoss({ embed, proxy, labels }), 5);
      expect(new Set(counts).size).toBe(1);
      tf.dispose([embed, proxy, labels]);
    });

    it('a rejected call leaks nothing', async () => {
      const { embed, proxy } = inputs(13);
      await expectNoTensorLeak(() => {
        expect(() => data2DataCrossEntropyLoss({ embed, proxy, labels: [0, 1, 2] })).toThrow(/labels/);
      });
      tf.dispose([embed, proxy]);
    });
  });
});

describe('data2DataCrossEntropyLoss input validation', () => {
  const embed = tf.tensor2d(randomNormals(20, 12), [4, 3]);
  const proxy = tf.tensor2d(randomNormals(21, 12), [4, 3]);
  const labels = [0, 1, 0, 1];
  const call = (inputs: object, options?: object) => () =>
    data2DataCrossEntropyLoss(inputs as Parameters<typeof data2DataCrossEntropyLoss>[0], options as D2DCEOptions);

  it('rejects wrong ranks, dtypes and shape disagreements, naming the argument and the received value', () => {
    const flat = tf.tensor1d([1, 2, 3]);
    const ints = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const wrongRows = tf.tensor2d(randomNormals(22, 9), [3, 3]);
    const wrongCols = tf.tensor2d(randomNormals(22, 8), [4, 2]);
    expect(call({ embed: flat, proxy, labels })).toThrow(/embed must be a float32 tf.Tensor of rank 2.*received rank 1 \(shape \[3\]\)/);
    expect(call({ embed: ints, proxy, labels })).toThrow(/embed must be .*received dtype int32/);
    expect(call({ embed, proxy: wrongRows, labels })).toThrow(/proxy must be of the same shape as embed \(\[4, 3\]\).*received shape \[3, 3\]/);
    expect(call({ embed, proxy: wrongCols, labels })).toThrow(/proxy .*received shape \[4, 2\]/);
    expect(call({ embed, labels })).toThrow(/proxy must be a float32 tf.Tensor.*received undefined/);
    expect(call({ embed, proxy, labels: [0, 1, 0] })).toThrow(/labels must be of length N = 4.*received length 3/);
    expect(call({ embed, proxy, labels: [0, 1.5, 0, 1] })).toThrow(/labels\[1\] must be an integer; received 1.5/);
    expect(call({ embed, proxy, labels: tf.tensor1d([0, 1, 0, 1], 'float32') })).toThrow(/labels must be an int32.*received dtype float32/);
    expect(call({ embed, proxy, labels: tf.tensor2d([[0, 1, 0, 1]], [1, 4], 'int32') })).toThrow(/labels must be .*received rank 2/);
    expect(() => data2DataCrossEntropyLoss(embed as never)).toThrow(/inputs: expected an object \{ embed, proxy, labels \}/);
    tf.dispose([flat, ints, wrongRows, wrongCols]);
  });

  it('rejects bad options, naming the option, the expected range and the value', () => {
    expect(call({ embed, proxy, labels }, { temperature: 0 })).toThrow(/options.temperature must be a finite number in \(0, Infinity\); received 0/);
    expect(call({ embed, proxy, labels }, { temperature: -1 })).toThrow(/temperature.*received -1/);
    expect(call({ embed, proxy, labels }, { temperature: NaN })).toThrow(/temperature.*received NaN/);
    expect(call({ embed, proxy, labels }, { temperature: Infinity })).toThrow(/temperature.*received Infinity/);
    expect(call({ embed, proxy, labels }, { positiveMargin: 1.5 })).toThrow(/options.positiveMargin must be a finite number in \[-1, 1\]; received 1.5/);
    expect(call({ embed, proxy, labels }, { negativeMargin: -2 })).toThrow(/options.negativeMargin .*received -2/);
    expect(call({ embed, proxy, labels }, { positiveMargin: -0.5 })).toThrow(/default options.negativeMargin = 1 − positiveMargin = 1.5 is outside \[-1, 1\]/);
    expect(call({ embed, proxy, labels }, { positiveMargin: -0.5, negativeMargin: 0.5 })).not.toThrow();
    expect(call({ embed, proxy, labels }, { positiveMargin: '0.9' })).toThrow(/positiveMargin .*received "0.9"/);
    expect(call({ embed, proxy, labels }, { variant: 'torch' })).toThrow(/options.variant must be one of 'studiogan', 'paper'; received "torch"/);
    expect(call({ embed, proxy, labels }, { temprature: 0.5 })).toThrow(/unknown option 'temprature'/);
    expect(call({ embed, proxy, labels }, { reduction: 'sum' })).toThrow(/options.reduction must be one of 'mean', 'none'/);
  });

  it('tensors passed positionally: names `inputs`, shows the right call, never reads a tensor as options', async () => {
    const labelTensor = tf.tensor1d([0, 1, 0, 1], 'int32');
    const positional = 'data2DataCrossEntropyLoss: inputs: expected an object { embed, proxy, labels }, received a tf.Tensor of dtype float32, shape [4, 3] (pass the tensors by name: data2DataCrossEntropyLoss({ embed, proxy, labels }, options)).';
    const positionalCall = data2DataCrossEntropyLoss as unknown as (...args: unknown[]) => tf.Tensor;
    await expectNoTensorLeak(() => {
      // the reported call: (embed, proxy, labels) used to fail with "unknown option 'kept'"
      expect(() => positionalCall(embed, proxy, labelTensor)).toThrow(positional);
      expect(() => positionalCall(embed, proxy, labels)).toThrow(positional);
      expect(() => positionalCall(embed, proxy)).toThrow(positional);
      expect(() => positionalCall(embed)).toThrow(positional);
      expect(() => positionalCall(embed, { temperature: 0.5 })).toThrow(positional);
      expect(() => positionalCall([embed, proxy, labels])).toThrow(
        'data2DataCrossEntropyLoss: inputs: expected an object { embed, proxy, labels }, received an array of length 3 (pass the tensors by name: data2DataCrossEntropyLoss({ embed, proxy, labels }, options)).',
      );
      expect(() => positionalCall(null)).toThrow(/inputs: expected an object \{ embed, proxy, labels \}, received null/);
      expect(() => positionalCall(undefined)).toThrow(/inputs: expected an object \{ embed, proxy, labels \}, received undefined/);
      // a tensor where the options object goes (e.g. labels given twice)
      expect(() => positionalCall({ embed, proxy, labels }, labelTensor)).toThrow(
        "data2DataCrossEntropyLoss: options: expected an options object { temperature, positiveMargin, negativeMargin, variant, falseNegativeMask, reduction } or nothing, received a tf.Tensor of dtype int32, shape [4] (the tensors go in the earlier arguments; call it as data2DataCrossEntropyLoss({ embed, proxy, labels }, options)).",
      );
    });
    for (const thrown of [() => positionalCall(embed, proxy, labelTensor), () => positionalCall({ embed, proxy, labels }, proxy)]) {
      expect(thrown).not.toThrow(/unknown option/);
    }
    labelTensor.dispose();
  });

  it('rejects disposed tensors', () => {
    const gone = tf.tensor2d(randomNormals(23, 12), [4, 3]);
    gone.dispose();
    expect(call({ embed: gone, proxy, labels })).toThrow(/embed is a disposed tensor/);
  });
});
