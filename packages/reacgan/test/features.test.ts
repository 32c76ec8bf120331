import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as models from '@reacgan/models';
import { describeBackends, loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsupportedFeatures } from '../src/config/resolve.js';
import type { ConfigInput } from '../src/config/schema.js';
import { SeededStepRandom } from '../src/train/step/random.js';
import { composeInputTransforms } from '../src/train/step/transforms.js';
import type { RealBatch } from '../src/train/step/update.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig, trainStraightAndResumed } from './helpers.js';

const backend = nativeInstalled() ? 'tensorflow' : 'cpu';

const FEATURES: Record<string, { overrides: ConfigInput; d: string[]; g: string[] }> = {
  DiffAugment: { overrides: { aug: { applyDiffaug: true, diffaugType: 'diffaug' } }, d: ['adv', 'cond'], g: ['adv', 'cond'] },
  CR: { overrides: { loss: { applyCr: true, crLambda: 10 }, aug: { crAugType: 'cr' } }, d: ['adv', 'cond', 'cr'], g: ['adv', 'cond'] },
  bCR: { overrides: { loss: { applyBcr: true, realLambda: 10, fakeLambda: 10 }, aug: { bcrAugType: 'bcr' } }, d: ['adv', 'cond', 'bcrReal', 'bcrFake'], g: ['adv', 'cond'] },
  zCR: { overrides: { loss: { applyZcr: true, radius: 0.05, gLambda: 0.5, dLambda: 20 } }, d: ['adv', 'cond', 'zcr'], g: ['adv', 'cond', 'zcr'] },
  LeCam: { overrides: { loss: { applyLecam: true, lecamLambda: 0.3, lecamEmaStartIter: 0, lecamEmaDecay: 0.99 } }, d: ['adv', 'cond', 'lecam'], g: ['adv', 'cond'] },
  R1: { overrides: { loss: { applyR1Reg: true, r1Lambda: 1 } }, d: ['adv', 'cond', 'r1'], g: ['adv', 'cond'] },
  'WGAN-GP': { overrides: { loss: { advLoss: 'wasserstein', applyGp: true, gpLambda: 10 } }, d: ['adv', 'cond', 'gp'], g: ['adv', 'cond'] },
  'DiffAugment + CR + LeCam + R1 (ReACGAN-DiffAug with regularisers)': {
    overrides: { aug: { applyDiffaug: true, diffaugType: 'diffaug', crAugType: 'cr' }, loss: { applyCr: true, crLambda: 10, applyLecam: true, lecamLambda: 0.3, lecamEmaStartIter: 0, lecamEmaDecay: 0.99, applyR1Reg: true, r1Lambda: 1 } },
    d: ['adv', 'cond', 'cr', 'lecam', 'r1'],
    g: ['adv', 'cond'],
  },
};
const condLoss: Record<string, ConfigInput> = { AC: { loss: { condLambda: 1 } }, '2C': { loss: { condLambda: 1, temperature: 1 } }, D2DCE: {} };
for (const head of ['AC', '2C', 'D2DCE']) {
  FEATURES[`${head} + ADC`] = { overrides: { model: { dCondMtd: head, auxClsType: 'ADC' }, ...condLoss[head] }, d: ['adv', 'cond', 'adc'], g: ['adv', 'cond', 'adc'] };
  FEATURES[`${head} + TAC`] = {
    overrides: { model: { dCondMtd: head, auxClsType: 'TAC' }, loss: { ...condLoss[head].loss, tacGenLambda: 0.5, tacDisLambda: 0.5 } },
    d: ['adv', 'cond', 'tac'],
    g: ['adv', 'cond', 'tac'],
  };
}

describe(`every feature trains with finite losses and records its terms [${backend}]`, () => {
  beforeAll(async () => {
    if (backend === 'tensorflow') await loadNativeBackend();
    await tf.setBackend(backend);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, { overrides, d, g }] of Object.entries(FEATURES)) {
    it(name, async () => {
      const config = tinyConfig(overrides);
      expect(unsupportedFeatures(config)).toEqual([]);
      const trainer = Trainer.create(config, { dataset: syntheticDataset() });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await trainer.trainStep();
      const records = await trainer.flush();
      expect(tf.memory().numTensors).toBe(before);
      for (const r of records) for (const [k, v] of Object.entries(r.values)) expect(Number.isFinite(v), `${k} at step ${r.step}`).toBe(true);
      const last = Object.keys(records[2].values);
      expect(last.filter((k) => k.startsWith('d/') && k !== 'd/loss')).toEqual(d.map((t) => `d/${t}`));
      expect(last.filter((k) => k.startsWith('g/') && k !== 'g/loss')).toEqual(g.map((t) => `g/${t}`));
      trainer.dispose();
    });
  }
});

describe('DiffAugment as the input transform (cpu)', () => {
  it('the composed transform is models.diffAugment with the step random stream; identity when off', () => {
    const x = tf.randomUniform([3, 8, 8, 1], -1, 1, 'float32', 5) as tf.Tensor4D;
    const on = tinyConfig({ aug: { applyDiffaug: true, diffaugType: 'diffaug' } });
    const a = new SeededStepRandom(1, 4, 4, 'gaussian');
    const b = new SeededStepRandom(1, 4, 4, 'gaussian');
    const out = composeInputTransforms(on, a)(x);
    const expected = models.diffAugment(x, models.sampleDiffAugmentDraws(b, 3, 8, 8));
    expect(out).toBeAllclose(expected, { atol: 0, rtol: 0 });
    expect(composeInputTransforms(tinyConfig(), a)(x)).toBe(x);
    tf.dispose([x, out, expected]);
  });
});

let dir: string;
describe('checkpoints carry every term state and random stream (cpu)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reacgan-features-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('DiffAugment + CR + bCR + zCR + LeCam, 2 micro-batches: N steps + resume + M steps equals N + M steps exactly', async () => {
    const config = tinyConfig({
      optimization: { acmlSteps: 2 },
      aug: { applyDiffaug: true, diffaugType: 'diffaug', crAugType: 'cr', bcrAugType: 'bcr' },
      loss: { applyCr: true, crLambda: 10, applyBcr: true, realLambda: 1, fakeLambda: 1, applyZcr: true, radius: 0.05, gLambda: 0.5, dLambda: 2, applyLecam: true, lecamLambda: 0.3, lecamEmaStartIter: 1, lecamEmaDecay: 0.9 },
    });
    const { straight, resumed, expected, combined } = await trainStraightAndResumed(config, 3, 2, dir, (state) => {
      expect([...state.tensors.keys()].filter((k) => k.startsWith('terms.'))).toEqual(['terms.D.lecam.D_real', 'terms.D.lecam.D_fake']);
    });
    expect(combined.map((r) => r.values)).toEqual(expected.map((r) => r.values));
    const ema = (t: Trainer) => [...t.terms.find((x) => x.name === 'lecam')!.state!.values()].map((v) => v.dataSync()[0]);
    expect(ema(resumed)).toEqual(ema(straight));

    // A checkpoint without the term's state is refused by name.
    const other = Trainer.create(tinyConfig(), { dataset: syntheticDataset() });
    const plain = other.getState();
    expect(() => resumed.loadState(plain)).toThrow(/the state has no terms\.D\.lecam\.D_real, terms\.D\.lecam\.D_fake/);
    tf.dispose([...plain.tensors.values()]);
    other.dispose();
    straight.dispose();
    resumed.dispose();
  });
});

describeBackends('R1 and WGAN-GP through the trainer: D-update gradients match central finite differences', () => {
  for (const [label, dSn] of [
    ['spectral norm in D (native kernels on tensorflow)', true],
    ['batch norm in D (portable kernels for the twice-differentiated passes)', false],
  ] as const) {
    for (const reg of ['R1', 'WGAN-GP'] as const) {
      it(`${reg}, ${label}`, async () => {
        const config = tinyConfig({
          model: { applyDSn: dSn },
          loss: reg === 'R1' ? { advLoss: 'logistic', applyR1Reg: true, r1Lambda: 10 } : { advLoss: 'wasserstein', applyGp: true, gpLambda: 10 },
        });
        const random = new SeededStepRandom(4, config.model.zDim, config.data.numClasses, 'gaussian');
        const trainer = Trainer.create(config, { dataset: syntheticDataset(), random });
        expect([...trainer.discriminator.namedBuffers().keys()].some((k) => k.endsWith('running_mean'))).toBe(!dSn);
        const batches = (trainer as unknown as { batches: { next(): Promise<IteratorResult<RealBatch>> } }).batches;
        const micro = [(await batches.next()).value as RealBatch];
        const dState = new Map([...trainer.discriminator.stateDict()].map(([k, v]) => [k, tf.clone(v)]));
        const randomState = random.getState();
        const name = [...trainer.discriminator.namedParameters().keys()].find((k) => k.startsWith('linear1.weight'))!;
        const param = trainer.discriminator.namedParameters().get(name)!;
        const base = Float32Array.from(param.dataSync());
        // D's loss as a function of the adversarial head's weights, from the same D state, batch and draws each
        // time (the penalty is smooth in them: no ReLU kink upstream depends on them).
        const evaluate = (values: Float32Array) => {
          trainer.discriminator.loadStateDict(dState);
          param.assign(tf.tensor(values, param.shape));
          random.setState(randomState);
          const { grads, values: recorded } = trainer.updates.discriminatorGradients(micro, 3);
          const loss = recorded['d/loss'].dataSync()[0];
          const grad = Float64Array.from(grads.get(name)!.dataSync());
          tf.dispose([...grads.values(), ...Object.values(recorded)]);
          return { loss, grad };
        };
        const { grad } = evaluate(base);
        const h = 1e-2;
        let maxError = 0;
        for (let i = 0; i < base.length; i++) {
          const plus = Float32Array.from(base);
          const minus = Float32Array.from(base);
          plus[i] += h;
          minus[i] -= h;
          const numeric = (evaluate(plus).loss - evaluate(minus).loss) / (2 * h);
          maxError = Math.max(maxError, Math.abs(numeric - grad[i]));
        }
        const scale = Math.max(...Array.from(grad, Math.abs));
        // Smooth in these weights: R1 runs with the logistic loss (no kink; with hinge, h = 1e-2 crossed the kink of
        // a logit near ±1 once D's shortcut became act(x)), WGAN-GP with the Wasserstein loss (linear). Float32
        // rounding of the loss (~3) over 2h: ≈ 1e-5.
        expect(scale).toBeGreaterThan(1e-2);
        expect(maxError / scale).toBeLessThan(5e-3);
        tf.dispose([...dState.values()]);
        trainer.dispose();
      });
    }
  }
});

describe('refusals name the feature and happen before anything is built', () => {
  it('ADA, APA, unimplemented augmentation types and lazy R1 are refused; W/O augmentation types are config errors', () => {
    expect(unsupportedFeatures(tinyConfig({ aug: { applyAda: true } }))).toEqual(['aug.applyAda']);
    expect(unsupportedFeatures(tinyConfig({ aug: { applyApa: true } }))).toEqual(['aug.applyApa']);
    expect(unsupportedFeatures(tinyConfig({ aug: { applyDiffaug: true, diffaugType: 'simclr_basic' } }))).toEqual(['aug.diffaugType (simclr_basic; implemented: diffaug, cr, bcr)']);
    expect(unsupportedFeatures(tinyConfig({ loss: { applyR1Reg: true, r1Lambda: 1, r1Place: 'outside_loop' } }))).toEqual(["loss.r1Place ('outside_loop': StyleGAN2's lazy R1 after the D update)"]);
    expect(() => tinyConfig({ loss: { applyCr: true, crLambda: 1 } })).toThrow(/aug\.crAugType: expected an augmentation type \(required by loss\.applyCr\), received "W\/O"/);
    expect(() => tinyConfig({ loss: { applyLecam: true, lecamLambda: 0.3 } })).toThrow(/loss\.lecamEmaStartIter: expected a non-negative integer \(required by loss\.applyLecam\), received null/);
    expect(() => tinyConfig({ model: { auxClsType: 'ADC' }, optimization: { fuseRealFake: true } })).toThrow(/optimization\.fuseRealFake: expected false with model\.auxClsType 'ADC'/);
    const before = tf.memory().numTensors;
    expect(() => Trainer.create(tinyConfig({ aug: { applyAda: true } }), { dataset: syntheticDataset() })).toThrow(/trainer: not implemented: aug\.applyAda/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
