// Golden values: float64 references from scripts/make_golden.py (numpy loops + a torch transcription of
// StudioGAN's computation, which agree to ~1e-13), compared with the float32 TF.js losses on every
// test backend. Tolerances are relative to the float32 rounding of cos/τ (see each block).
import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import {
  adversarialLoss,
  conditionalContrastiveLoss,
  crammerSingerLoss,
  crossEntropyLoss,
  data2DataCrossEntropyLoss,
  type AdversarialLossKind,
  type D2DCEVariant,
} from './index.js';

interface ContrastiveRow {
  case: string;
  embed: number[][];
  proxy: number[][];
  labels: number[];
  temperature: number;
  perSample: number[];
  value: number;
  gradEmbed: number[][] | null;
  gradProxy: number[][] | null;
  referenceDocValue?: number;
  agreesWithReferenceDoc?: boolean;
}
interface D2DCERow extends ContrastiveRow {
  positiveMargin: number;
  negativeMargin: number;
  variant: D2DCEVariant;
}
interface ClassificationRow {
  case: string;
  logits: number[][];
  labels: number[];
  perSample: number[];
  value: number;
  gradLogits: number[][];
}
interface AdversarialRow {
  loss: AdversarialLossKind;
  case: string;
  real: number[];
  fake: number[];
  discriminator: number;
  generator: number;
  gradDiscriminatorReal: number[];
  gradDiscriminatorFake: number[];
  gradGeneratorFake: number[];
}
interface Golden {
  provenance: Record<string, unknown>;
  d2dce: D2DCERow[];
  contrastive: ContrastiveRow[];
  crossEntropy: ClassificationRow[];
  crammerSinger: ClassificationRow[];
  adversarial: AdversarialRow[];
}

const golden = loadFixture<Golden>(import.meta.url, '__fixtures__/golden.json');

/**
 * float32 tolerance for a contrastive value: cos similarities carry ~1e-7 rounding, amplified by 1/τ
 * in every logit, so the absolute error scales like 1e-7/τ (a 5x safety factor on top).
 */
function tolerance(temperature: number): { rtol: number; atol: number } {
  return { rtol: 1e-5, atol: Math.max(1e-6, 5e-7 / temperature) };
}

/** Gradients: compared relative to the largest component (float32 backprop through 1/τ-scaled logits). */
function expectGradientClose(received: tf.Tensor, expected: number[][], temperature: number): void {
  const flat = expected.flat();
  const scale = Math.max(1e-3, ...flat.map(Math.abs));
  expect(received).toBeAllclose(flat, { rtol: 1e-4, atol: scale * Math.max(1e-5, 2e-6 / temperature) });
}

describe('golden fixture provenance', () => {
  it('numpy and torch references agree and match reacgan-reference.md 1.3 to 6 decimals', () => {
    expect(golden.provenance.maxAbsDiffNumpyTorchContrastive as number).toBeLessThan(1e-12);
    expect(golden.provenance.maxDiffNumpyTorchAdversarial as number).toBeLessThan(1e-12);
    const docRows = [...golden.d2dce, ...golden.contrastive].filter((r) => r.referenceDocValue !== undefined);
    expect(docRows).toHaveLength(9); // 4 configurations x 2 variants + 2C
    for (const row of docRows) expect(row.agreesWithReferenceDoc, `${row.case} tau=${row.temperature}`).toBe(true);
  });
});

describeBackends('golden values', () => {
  describe('data2DataCrossEntropyLoss', () => {
    for (const row of golden.d2dce) {
      const title = `${row.case} variant=${row.variant} tau=${row.temperature} m_p=${row.positiveMargin}`;
      it(`${title}: value, per-sample losses and gradients`, () => {
        const embed = tf.tensor2d(row.embed, undefined, 'float32');
        const proxy = tf.tensor2d(row.proxy, undefined, 'float32');
        const labels = tf.tensor1d(row.labels, 'int32');
        const options = {
          temperature: row.temperature,
          positiveMargin: row.positiveMargin,
          negativeMargin: row.negativeMargin,
          variant: row.variant,
        };
        const loss = data2DataCrossEntropyLoss({ embed, proxy, labels }, options);
        const perSample = data2DataCrossEntropyLoss({ embed, proxy, labels }, { ...options, reduction: 'none' });
        expect(loss.shape).toEqual([]);
        expect(loss).toBeAllclose(row.value, tolerance(row.temperature));
        expect(perSample).toBeAllclose(row.perSample, tolerance(row.temperature));
        if (row.referenceDocValue !== undefined) {
          expect(loss).toBeAllclose(row.referenceDocValue, { rtol: 0, atol: 6e-7 }); // the doc's 6 decimals
        }
        const grads = tf.grads((e: tf.Tensor, p: tf.Tensor) =>
          data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels }, options),
        )([embed, proxy]);
        expectGradientClose(grads[0], row.gradEmbed!, row.temperature);
        expectGradientClose(grads[1], row.gradProxy!, row.temperature);
        tf.dispose([embed, proxy, labels, loss, perSample, ...grads]);
      });
    }
  });

  describe('conditionalContrastiveLoss', () => {
    for (const row of golden.contrastive) {
      it(`${row.case} tau=${row.temperature}: value, per-sample losses and gradients`, () => {
        const embed = tf.tensor2d(row.embed, undefined, 'float32');
        const proxy = tf.tensor2d(row.proxy, undefined, 'float32');
        const labels = tf.tensor1d(row.labels, 'int32');
        const loss = conditionalContrastiveLoss({ embed, proxy, labels }, { temperature: row.temperature });
        const perSample = conditionalContrastiveLoss({ embed, proxy, labels }, { temperature: row.temperature, reduction: 'none' });
        expect(loss).toBeAllclose(row.value, tolerance(row.temperature));
        expect(perSample).toBeAllclose(row.perSample, tolerance(row.temperature));
        expect(Array.from(perSample.dataSync()).every(Number.isFinite)).toBe(true);
        if (row.gradEmbed) {
          const grads = tf.grads((e: tf.Tensor, p: tf.Tensor) =>
            conditionalContrastiveLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels }, { temperature: row.temperature }),
          )([embed, proxy]);
          expectGradientClose(grads[0], row.gradEmbed, row.temperature);
          expectGradientClose(grads[1], row.gradProxy!, row.temperature);
          tf.dispose(grads);
        }
        tf.dispose([embed, proxy, labels, loss, perSample]);
      });
    }
  });

  describe('crossEntropyLoss', () => {
    for (const row of golden.crossEntropy) {
      it(`${row.case}: value and gradient`, () => {
        const logits = tf.tensor2d(row.logits, undefined, 'float32');
        const labels = tf.tensor1d(row.labels, 'int32');
        const loss = crossEntropyLoss(logits, labels);
        expect(loss).toBeAllclose(row.value, { rtol: 1e-5, atol: 1e-6 });
        expect(crossEntropyLoss(logits, labels, { reduction: 'none' })).toBeAllclose(row.perSample, { rtol: 1e-5, atol: 1e-6 });
        const grad = tf.grad((x: tf.Tensor) => crossEntropyLoss(x as tf.Tensor2D, labels))(logits);
        expect(grad).toBeAllclose(row.gradLogits.flat(), { rtol: 1e-5, atol: 1e-6 });
        tf.dispose([logits, labels, loss, grad]);
      });
    }
  });

  describe('crammerSingerLoss', () => {
    for (const row of golden.crammerSinger) {
      it(`${row.case}: value and (sub)gradient`, () => {
        const logits = tf.tensor2d(row.logits, undefined, 'float32');
        const loss = crammerSingerLoss(logits, row.labels);
        expect(loss).toBeAllclose(row.value, { rtol: 1e-5, atol: 1e-6 });
        expect(crammerSingerLoss(logits, row.labels, { reduction: 'none' })).toBeAllclose(row.perSample, { rtol: 1e-5, atol: 1e-6 });
        const grad = tf.grad((x: tf.Tensor) => crammerSingerLoss(x as tf.Tensor2D, row.labels))(logits);
        expect(grad).toBeAllclose(row.gradLogits.flat(), { rtol: 1e-6, atol: 1e-7 });
        tf.dispose([logits, loss, grad]);
      });
    }
  });

  describe('adversarial losses', () => {
    for (const row of golden.adversarial) {
      it(`${row.loss} / ${row.case}: D and G values and gradients`, () => {
        const { discriminator, generator } = adversarialLoss(row.loss);
        const real = tf.tensor1d(row.real, 'float32');
        const fake = tf.tensor1d(row.fake, 'float32');
        const d = discriminator(real, fake);
        const g = generator(fake);
        expect(d).toBeAllclose(row.discriminator, { rtol: 1e-5, atol: 1e-6 });
        expect(g).toBeAllclose(row.generator, { rtol: 1e-5, atol: 1e-6 });
        const [dr, df] = tf.grads((r: tf.Tensor, f: tf.Tensor) => discriminator(r, f))([real, fake]);
        const gf = tf.grad((f: tf.Tensor) => generator(f))(fake);
        expect(dr).toBeAllclose(row.gradDiscriminatorReal, { rtol: 1e-5, atol: 1e-7 });
        expect(df).toBeAllclose(row.gradDiscriminatorFake, { rtol: 1e-5, atol: 1e-7 });
        expect(gf).toBeAllclose(row.gradGeneratorFake, { rtol: 1e-5, atol: 1e-7 });
        tf.dispose([real, fake, d, g, dr, df, gf]);
      });
    }
  });
});
