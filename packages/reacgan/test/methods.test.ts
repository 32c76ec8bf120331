import * as losses from '@reacgan/losses';
import type * as models from '@reacgan/models';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discriminatorLoss, generatorLoss } from '../src/train/conditioning.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig } from './helpers.js';
import type { ConfigInput } from '../src/config/schema.js';

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

describe('loss composition (StudioGAN v0.3.0 worker.py)', () => {
  const yReal = new Int32Array([0, 1, 2, 3, 0, 1]);
  const yFake = new Int32Array([3, 3, 1, 0, 2, 2]);

  it('D2DCE: L_D = hinge_D(real, fake) + λ·D2DCE(real embeddings, real labels)', () => {
    const real = output(6, 1);
    const fake = output(6, 10);
    const terms = discriminatorLoss(d2dce, real, yReal, fake);
    const adv = losses.discriminatorHingeLoss(real.advOutput, fake.advOutput);
    const cond = losses.data2DataCrossEntropyLoss({ embed: real.embed!, proxy: real.proxy!, labels: yReal }, { temperature: 0.5, positiveMargin: 0.98 });
    expect(terms.parts.adv).toBeAllclose(adv);
    expect(terms.parts.cond).toBeAllclose(cond);
    expect(terms.total).toBeAllclose(adv.dataSync()[0] + 0.5 * cond.dataSync()[0], { rtol: 1e-6 });
  });

  it('G: L_G = hinge_G(fake) + λ·D2DCE(fake embeddings, sampled labels)', () => {
    const fake = output(6, 20);
    const terms = generatorLoss(d2dce, fake, yFake);
    const expected = -tf.mean(fake.advOutput).dataSync()[0] + 0.5 * losses.data2DataCrossEntropyLoss({ embed: fake.embed!, proxy: fake.proxy!, labels: yFake }, { temperature: 0.5, positiveMargin: 0.98 }).dataSync()[0];
    expect(terms.total).toBeAllclose(expected, { rtol: 1e-6 });
  });

  it('ACGAN-Mod (C05): the D loss has exactly zero gradient with respect to the fakes\' classifier logits', () => {
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
    expect(d.parts.cond).toBeUndefined();
    const g = generatorLoss(mh, fake, yFake);
    expect(g.total).toBeAllclose(0.05 * cs(fake.advOutput, yFake), { rtol: 1e-6 });
  });

  it('PD and W/O: adversarial terms only', () => {
    const pd = tinyConfig({ model: { dCondMtd: 'PD' }, loss: { condLambda: null } });
    const terms = discriminatorLoss(pd, output(6, 70), yReal, output(6, 80));
    expect(Object.keys(terms.parts)).toEqual(['adv']);
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
