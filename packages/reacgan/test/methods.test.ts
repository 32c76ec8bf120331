import * as losses from '@reacgan/losses';
import type * as models from '@reacgan/models';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReacganConfig } from '../src/config/resolve.js';
import type { ConfigInput } from '../src/config/schema.js';
import { CONDITIONING_METHODS, conditioningMethod } from '../src/train/step/methods.js';
import { createLossTerms } from '../src/train/step/registry.js';
import type { DiscriminatorTerm, GeneratorTerm } from '../src/train/step/terms.js';
import { weightedTotal } from '../src/train/step/update.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig } from './helpers.js';

const d2dce = tinyConfig();
const ac = tinyConfig({ model: { dCondMtd: 'AC' }, loss: { condLambda: 1 } });

function output(n: number, seed: number, extra: Partial<models.DiscriminatorOutput> = {}): models.DiscriminatorOutput {
  return {
    h: tf.randomNormal([n, 6], 0, 1, 'float32', seed) as tf.Tensor2D,
    advOutput: tf.randomNormal([n], 0, 1, 'float32', seed + 1) as tf.Tensor1D,
    embed: tf.randomNormal([n, 4], 0, 1, 'float32', seed + 2) as tf.Tensor2D,
    proxy: tf.randomNormal([n, 4], 0, 1, 'float32', seed + 3) as tf.Tensor2D,
    clsOutput: tf.randomNormal([n, 4], 0, 1, 'float32', seed + 4) as tf.Tensor2D,
    ...extra,
  };
}

function scored(out: models.DiscriminatorOutput, labels: Int32Array) {
  const images = tf.zeros([labels.length, 8, 8, 1]) as tf.Tensor4D;
  return { images, transformed: images, labels, labelTensor: tf.tensor1d(labels, 'int32'), output: out, headLabels: labels };
}

const unused = () => {
  throw new Error('not used by these terms');
};

/** A network's loss on given outputs: the configuration's terms of that network, Σ weight · value. */
function composed(config: ReacganConfig, network: 'D' | 'G', batches: { real?: ReturnType<typeof scored>; fake: ReturnType<typeof scored> }) {
  const method = conditioningMethod(config.model.dCondMtd);
  const terms = createLossTerms(config, method).filter((t) => t.network === network) as (DiscriminatorTerm | GeneratorTerm)[];
  const fake = { ...batches.fake, latents: tf.zeros([batches.fake.labels.length, 4]) as tf.Tensor2D, perturbed: null };
  const real = batches.real ? { ...batches.real, inputGradient: null } : null;
  const ctx = { network, config, method, step: 0, random: null as never, discriminate: unused, transform: (x: tf.Tensor4D) => x, real, fake };
  const values: Record<string, tf.Scalar> = {};
  return { total: weightedTotal(terms as { name: string; weight: number; value(c: typeof ctx): tf.Scalar | null }[], ctx, network.toLowerCase(), values), values };
}

const discriminatorLoss = (config: ReacganConfig, real: models.DiscriminatorOutput, yReal: Int32Array, fake: models.DiscriminatorOutput) =>
  composed(config, 'D', { real: scored(real, yReal), fake: scored(fake, yReal) });
const generatorLoss = (config: ReacganConfig, fake: models.DiscriminatorOutput, yFake: Int32Array) => composed(config, 'G', { fake: scored(fake, yFake) });

describe('loss composition (StudioGAN v0.3.0 worker.py)', () => {
  const yReal = new Int32Array([0, 1, 2, 3, 0, 1]);
  const yFake = new Int32Array([3, 3, 1, 0, 2, 2]);

  it('D2DCE: L_D = hinge_D(real, fake) + λ·D2DCE(real embeddings, real labels)', () => {
    const real = output(6, 1);
    const fake = output(6, 10);
    const { total, values } = discriminatorLoss(d2dce, real, yReal, fake);
    const adv = losses.discriminatorHingeLoss(real.advOutput, fake.advOutput);
    const cond = losses.data2DataCrossEntropyLoss({ embed: real.embed!, proxy: real.proxy!, labels: yReal }, { temperature: 0.5, positiveMargin: 0.98 });
    expect(values['d/adv']).toBeAllclose(adv);
    expect(values['d/cond']).toBeAllclose(cond);
    expect(total).toBeAllclose(adv.dataSync()[0] + 0.5 * cond.dataSync()[0], { rtol: 1e-6 });
  });

  it('G: L_G = hinge_G(fake) + λ·D2DCE(fake embeddings, sampled labels)', () => {
    const fake = output(6, 20);
    const { total } = generatorLoss(d2dce, fake, yFake);
    const expected = -tf.mean(fake.advOutput).dataSync()[0] + 0.5 * losses.data2DataCrossEntropyLoss({ embed: fake.embed!, proxy: fake.proxy!, labels: yFake }, { temperature: 0.5, positiveMargin: 0.98 }).dataSync()[0];
    expect(total).toBeAllclose(expected, { rtol: 1e-6 });
  });

  it("ACGAN-Mod (C05): the D loss has exactly zero gradient with respect to the fakes' classifier logits", () => {
    const real = output(6, 30);
    const fakeLogits = tf.randomNormal([6, 4], 0, 1, 'float32', 40) as tf.Tensor2D;
    const fakeAdv = tf.randomNormal([6], 0, 1, 'float32', 41) as tf.Tensor1D;
    // `+ 0·Σ logits` gives tf.grad a path; any contribution of the D loss itself would show up as non-zero.
    const grad = tf.grad((logits: tf.Tensor) =>
      tf.add(discriminatorLoss(ac, real, yReal, { ...output(6, 42), advOutput: fakeAdv, clsOutput: logits as tf.Tensor2D }).total, tf.mul(tf.sum(logits), 0)),
    )(fakeLogits);
    expect(Array.from(grad.dataSync()).every((v) => v === 0)).toBe(true);
    const gradReal = tf.grad((logits: tf.Tensor) => discriminatorLoss(ac, { ...real, clsOutput: logits as tf.Tensor2D }, yReal, output(6, 43)).total)(real.clsOutput!);
    expect(Array.from(gradReal.dataSync()).some((v) => v !== 0)).toBe(true);
  });

  it('MH: D = CS(o_real, y) + CS(o_fake, C); G = λ_MH·CS(o_fake, y) (no separate adversarial term)', () => {
    const mh = tinyConfig({ model: { dCondMtd: 'MH' }, loss: { advLoss: 'MH', mhLambda: 0.05, condLambda: null } });
    const logits = (seed: number) => tf.randomNormal([6, 5], 0, 1, 'float32', seed) as unknown as tf.Tensor1D;
    const real = output(6, 50, { advOutput: logits(51) });
    const fake = output(6, 60, { advOutput: logits(61) });
    const d = discriminatorLoss(mh, real, yReal, fake);
    const cs = (o: tf.Tensor1D, t: Int32Array) => losses.crammerSingerLoss(o as unknown as tf.Tensor2D, t).dataSync()[0];
    expect(d.total).toBeAllclose(cs(real.advOutput, yReal) + cs(fake.advOutput, new Int32Array(6).fill(4)), { rtol: 1e-6 });
    expect(Object.keys(d.values)).toEqual(['d/adv']);
    const g = generatorLoss(mh, fake, yFake);
    expect(g.total).toBeAllclose(0.05 * cs(fake.advOutput, yFake), { rtol: 1e-6 });
  });

  it('PD, MD and W/O: adversarial terms only', () => {
    for (const dCondMtd of ['PD', 'MD', 'W/O']) {
      const config = tinyConfig({ model: { dCondMtd }, loss: { condLambda: null } });
      const terms = createLossTerms(config, conditioningMethod(dCondMtd));
      expect(terms.map((t) => `${t.network}/${t.name}`), dCondMtd).toEqual(['D/adv', 'G/adv']);
    }
  });

  it('one registry: the classifier-based methods are exactly StudioGAN MISC.classifier_based_GAN', () => {
    expect(Object.values(CONDITIONING_METHODS).filter((m) => m.loss).map((m) => m.name)).toEqual(['AC', '2C', 'D2DCE']);
    // The batch-contrastive losses (exactly 0 at batch size 1: train warns) and their names in messages.
    expect(Object.values(CONDITIONING_METHODS).filter((m) => m.batchContrastive).map((m) => [m.name, m.batchContrastive])).toEqual([['2C', '2C'], ['D2DCE', 'D2D-CE']]);
    expect(() => conditioningMethod('XX')).toThrow(/model\.dCondMtd: expected one of 'W\/O', 'AC', '2C', 'D2DCE', 'PD', 'MD', 'MH', received 'XX'/);
  });
});

const backend = nativeInstalled() ? 'tensorflow' : 'cpu';

describe(`every conditioning method trains with finite losses [${backend}]`, () => {
  beforeAll(async () => {
    if (backend === 'tensorflow') await loadNativeBackend();
    await tf.setBackend(backend);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const methods: Record<string, ConfigInput> = {
    'D2DCE (ReACGAN)': {},
    'AC (ACGAN-Mod)': { model: { dCondMtd: 'AC' }, loss: { condLambda: 1 } },
    '2C (ContraGAN)': { model: { dCondMtd: '2C' }, loss: { condLambda: 1, temperature: 1 } },
    'PD (projection)': { model: { dCondMtd: 'PD' }, loss: { condLambda: null } },
    'MD (multiple discriminators)': { model: { dCondMtd: 'MD' }, loss: { condLambda: null } },
    'MH (multi-hinge + feature matching)': { model: { dCondMtd: 'MH' }, loss: { advLoss: 'MH', mhLambda: 0.05, applyFm: true, fmLambda: 1, condLambda: null } },
    'W/O (unconditional D, logistic loss)': { model: { dCondMtd: 'W/O', gCondMtd: 'W/O' }, loss: { advLoss: 'logistic', condLambda: null } },
  };
  for (const [name, overrides] of Object.entries(methods)) {
    it(name, async () => {
      const trainer = Trainer.create(tinyConfig(overrides), { dataset: syntheticDataset() });
      for (let i = 0; i < 2; i++) await trainer.trainStep();
      const records = await trainer.flush();
      for (const r of records) for (const [k, v] of Object.entries(r.values)) expect(Number.isFinite(v), `${k} at step ${r.step}`).toBe(true);
      const keys = Object.keys(records[0].values);
      const conditioned = ['D2DCE (ReACGAN)', 'AC (ACGAN-Mod)', '2C (ContraGAN)'].includes(name);
      expect(keys.includes('d/cond')).toBe(conditioned);
      expect(keys.includes('diag/condHeadGradNorm')).toBe(conditioned);
      if (name.startsWith('MH')) expect(keys).toContain('g/fm');
      trainer.dispose();
    });
  }
});
