// run.headDiagnostics: the paper's diagnostics of D's conditioning head, recorded as StudioGAN logged
// misc.compute_gradient (every printEvery steps, on the real batch of the last D update). The math itself is
// tested in @reacgan/losses (by hand, against StudioGAN's function, finite differences); here: the wiring.
import * as losses from '@reacgan/losses';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { configFromCli } from '../src/cli/config-options.js';
import { headPanels } from '../src/report/diagnostics.js';
import { conditioningMethod } from '../src/train/step/methods.js';
import { headDiagnostics } from '../src/train/step/update.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig } from './helpers.js';

const AC_KEYS = ['featureNormMean', 'featureNormStd', 'targetProbabilityMean', 'targetProbabilityStd', 'weightGradientNormMean', 'weightGradientNormStd'];
const D2DCE_KEYS = ['featureNormMean', 'featureNormStd', 'positiveSimilarity', 'negativeSimilarity', 'sameClassSimilarity', 'activePositiveShare', 'activeNegativeShare', 'activePairShare'];
const headKeys = (values: Record<string, number>) => Object.keys(values).filter((k) => k.startsWith('diag/head/')).map((k) => k.slice('diag/head/'.length)).sort();

async function run(overrides: Parameters<typeof tinyConfig>[0], steps: number) {
  const trainer = Trainer.create(tinyConfig(overrides), { dataset: syntheticDataset() });
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) await trainer.trainStep();
  const records = await trainer.flush();
  const leaked = tf.memory().numTensors - before;
  trainer.dispose();
  return { records, leaked };
}

describe('run.headDiagnostics (cpu backend)', () => {
  it('AC: StudioGAN compute_gradient summaries at steps (step + 1) % printEvery == 0, on the last of 2 D updates; ‖h‖ mean equals diag/dFeatureNormReal of that pass', async () => {
    const { records, leaked } = await run({ model: { dCondMtd: 'AC' }, loss: { condLambda: 1 }, optimization: { dUpdatesPerStep: 2 }, run: { headDiagnostics: true, printEvery: 3 } }, 6);
    expect(leaked).toBe(0);
    for (const r of records) {
      if (r.step % 3 !== 0) {
        expect(headKeys(r.values), `step ${r.step}`).toEqual([]);
        continue;
      }
      expect(headKeys(r.values), `step ${r.step}`).toEqual([...AC_KEYS].sort());
      // Same real batch and pass as the recorded feature norm of the (last) D update.
      expect(r.values['diag/head/featureNormMean']).toBeCloseTo(r.values['diag/dFeatureNormReal'], 4);
      expect(r.values['diag/head/targetProbabilityMean']).toBeGreaterThan(0);
      expect(r.values['diag/head/targetProbabilityMean']).toBeLessThan(1);
      expect(r.values['diag/head/weightGradientNormMean']).toBeGreaterThan(0);
      expect(r.values['diag/head/featureNormStd']).toBeGreaterThanOrEqual(0);
    }
  });

  it('D2D-CE (mask off): similarities in [−1, 1], shares in [0, 1]; off by default; the loss values are the same with or without diagnostics', async () => {
    const overrides = { loss: { falseNegativeMask: false }, run: { printEvery: 2 } };
    const on = await run({ ...overrides, run: { printEvery: 2, headDiagnostics: true } }, 4);
    const off = await run(overrides, 4);
    expect(on.leaked).toBe(0);
    for (const [a, b] of on.records.map((r, i) => [r, off.records[i]] as const)) {
      expect(headKeys(b.values)).toEqual([]);
      expect(headKeys(a.values)).toEqual(a.step % 2 === 0 ? [...D2DCE_KEYS].sort() : []);
      for (const key of ['d/loss', 'd/cond', 'g/loss']) expect(a.values[key], `${key} at step ${a.step}`).toBe(b.values[key]);
      if (a.step % 2) continue;
      for (const key of ['positiveSimilarity', 'negativeSimilarity', 'sameClassSimilarity']) expect(Math.abs(a.values[`diag/head/${key}`])).toBeLessThanOrEqual(1 + 1e-6);
      for (const key of ['activePositiveShare', 'activeNegativeShare', 'activePairShare']) {
        expect(a.values[`diag/head/${key}`]).toBeGreaterThanOrEqual(0);
        expect(a.values[`diag/head/${key}`]).toBeLessThanOrEqual(1);
      }
    }
  });

  it('the D2D-CE entry passes the margins and the mask of the configuration to the diagnostics, and falseNegativeMask to the loss', () => {
    const config = tinyConfig({ loss: { mP: 0.9, falseNegativeMask: false } });
    const method = conditioningMethod('D2DCE');
    const embed = tf.tensor2d([[1, 0, 0, 0], [0.8, 0.6, 0, 0], [0, 1, 0, 0], [0, 0.6, 0.8, 0]]);
    const proxy = tf.tensor2d([[1, 0.2, 0, 0], [1, 0.2, 0, 0], [0, 1, 0.3, 0], [0, 1, 0.3, 0]]);
    const out = { h: tf.ones([4, 3]) as tf.Tensor2D, advOutput: tf.zeros([4]) as tf.Tensor1D, embed: embed as tf.Tensor2D, proxy: proxy as tf.Tensor2D };
    const labels = [0, 0, 1, 1];
    const got = headDiagnostics(method, out, labels, config);
    const expected = losses.d2dceDiagnostics({ embed, proxy, labels }, { positiveMargin: 0.9, negativeMargin: 0.1, falseNegativeMask: false });
    for (const [key, v] of Object.entries(expected)) expect(got[`diag/head/${key}`].dataSync()[0]).toBe(v.dataSync()[0]);
    expect(got['diag/head/featureNormMean'].dataSync()[0]).toBeCloseTo(Math.sqrt(3), 6);
    const loss = method.loss!(out, labels, config.loss, 'main');
    const reference = losses.data2DataCrossEntropyLoss({ embed, proxy, labels }, { temperature: 0.5, positiveMargin: 0.9, falseNegativeMask: false });
    expect(loss.dataSync()[0]).toBe(reference.dataSync()[0]);
    tf.dispose([embed, proxy, out.h, out.advOutput, loss, reference, ...Object.values(got), ...Object.values(expected)]);
  });

  it('diagnostics.svg gets the head panels a run recorded (AC or D2D-CE), none without them', () => {
    const line = (step: number, values: Record<string, number>) => ({ kind: 'train' as const, step, ms: 1, values });
    const ac = headPanels([line(1, { 'd/loss': 1 }), line(2, { 'diag/head/featureNormMean': 3, 'diag/head/featureNormStd': 1, 'diag/head/weightGradientNormMean': 0.2, 'diag/head/weightGradientNormStd': 0.1, 'diag/head/targetProbabilityMean': 0.3, 'diag/head/targetProbabilityStd': 0.1 })]);
    expect(ac.map((p) => p.title)).toEqual([
      "Head diagnostics: norm of D's features ‖h_i‖ (real batch)",
      'Head diagnostics (AC): p(y_i | x_i) of the real batch',
      'Head diagnostics (AC): per-class ‖∂L_CE/∂w_c‖',
    ]);
    expect(ac[2].series.map((s) => s.points)).toEqual([[[2, 0.2]], [[2, 0.1]]]);
    const d2 = headPanels([line(2, { 'diag/head/featureNormMean': 3, 'diag/head/positiveSimilarity': 0.5, 'diag/head/activePairShare': 0.4 })]);
    expect(d2.map((p) => p.title.replace(/:.*/, ''))).toEqual(['Head diagnostics', 'Head diagnostics (D2D-CE)', 'Head diagnostics (D2D-CE)']);
    expect(headPanels([line(1, { 'd/loss': 1 })])).toEqual([]);
  });

  it('the CLI flag --head-diagnostics sets run.headDiagnostics (default false); loss.falseNegativeMask defaults to true', async () => {
    expect((await configFromCli({ preset: 'mnist/acgan', headDiagnostics: true })).config.run.headDiagnostics).toBe(true);
    const plain = (await configFromCli({ preset: 'mnist/reacgan' })).config;
    expect(plain.run.headDiagnostics).toBe(false);
    expect(plain.loss.falseNegativeMask).toBe(true);
    expect((await configFromCli({ preset: 'mnist/reacgan', set: ['LOSS.false_negative_mask=false'] })).config.loss.falseNegativeMask).toBe(false);
  });
});
