import * as models from '@reacgan/models';
import { codesToImages, describeBackends, loadStudioganFixture, STUDIOGAN_DIGEST_FIELDS, studioganDigestTolerance, studioganMomentTolerance, studioganTolerance, testBackends, type StudioganFixture } from '@reacgan/testkit';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { mergeConfigInputs } from '../src/config/presets.js';
import { resolveConfig } from '../src/config/resolve.js';
import { parseConfigText } from '../src/config/yaml.js';
import type { BatchSource } from '../src/train/state.js';
import type { StepRandom } from '../src/train/step/random.js';
import { Trainer } from '../src/train/trainer.js';

// One training step against StudioGAN's own WORKER.train_discriminator / train_generator (with its EMA) on the
// same weights, real batches and (z, y) draws: the fixtures of packages/models/scripts/studiogan_fixtures.py
// (StudioGAN v.0.3.0, deep_conv from master 947b35e). Checked: the D and G losses (testkit's studioganTolerance),
// a digest of every state entry of G, D and G_ema after the step (sum, sum of squares, the change's sum, sum of
// squares and largest magnitude, three entries; studioganDigestTolerance) and the sums of Adam's moments
// (studioganMomentTolerance): all 8 × PyTorch's own float32 error on the same step, per entry (the largest over
// its float32 run and three runs from weights moved by one ulp: the step is piecewise smooth, see the script).
// With the old discriminator shortcut (x instead of act(x)) every fixture fails. The `resnet-reacgan-<feature>`
// fixtures add one step with each of the paper's companions switched on through StudioGAN's own config keys
// (DiffAugment, CR, bCR, zCR, LeCam, R1, WGAN-GP, ADC, TAC), with every random draw of StudioGAN's step replayed
// (replayDraws) and, for LeCam, its moving averages compared after the step. REACGAN_PARITY_REPORT=<file>
// appends the losses' |ours − StudioGAN| and the largest |diff| / tolerance per fixture.

function digest(before: ArrayLike<number>, after: ArrayLike<number>): number[] {
  let sum = 0;
  let sumSq = 0;
  let dSum = 0;
  let dSq = 0;
  let dMax = 0;
  for (let i = 0; i < after.length; i++) {
    const a = after[i];
    const d = a - before[i];
    sum += a;
    sumSq += a * a;
    dSum += d;
    dSq += d * d;
    dMax = Math.max(dMax, Math.abs(d));
  }
  const n = after.length;
  return [sum, sumSq, dSum, dSq, dMax, after[0], after[n >> 1], after[n - 1]];
}

function fixtureConfig(f: StudioganFixture) {
  const { input } = parseConfigText(f.metadata.studioganYaml, `${f.name} (StudioGAN YAML)`);
  const o = f.optimization;
  return resolveConfig(
    mergeConfigInputs(input, {
      model: f.model as never,
      optimization: { batchSize: o.batch_size, acmlSteps: o.acml_steps, dUpdatesPerStep: o.d_updates_per_step },
      pre: { applyRflip: false },
      run: { seed: 0 },
    }),
  );
}

/** The fixture's real basket, micro-batch by micro-batch, as StudioGAN's sample_data_basket splits it. */
function basketSource(f: StudioganFixture, batchSize: number): BatchSource {
  const codes = f.get('step.input.real.xCodes');
  const labels = f.get('step.input.real.labels').data;
  const [n, h, w, c] = codes.shape;
  const per = h * w * c;
  const images = codesToImages(codes.data);
  let next = 0;
  return {
    async next() {
      if (next + batchSize > n) throw new Error(`${f.name}: the step asked for more real images than StudioGAN's basket holds (${n})`);
      const start = next;
      next += batchSize;
      return {
        done: false,
        value: {
          images: images.slice(start * per, (start + batchSize) * per),
          labels: Int32Array.from(labels.slice(start, start + batchSize)),
          shape: [batchSize, h, w, c] as [number, number, number, number],
        },
      };
    },
    getState: () => next,
    setState: () => {
      throw new Error('not resumable');
    },
  };
}

/** One of StudioGAN's other draws as the fixture's provenance lists it (`draws`, in the order StudioGAN made them). */
interface RecordedDraw {
  fn: string;
  caller: string;
  shape: number[];
  range?: [number, number];
}

/**
 * StudioGAN's draws, in the order its worker made them: (z, y) per G batch, zCR's ε (`step.input.noise.<i>`) and
 * every other draw (`step.input.draw.<i>`: DiffAugment's and the CR augmentations' torch.rand / randint /
 * uniform_, GP's α), served in order to the trainer's uniform / integers requests. A request of another kind,
 * size or range than StudioGAN's next draw, or any draw StudioGAN did not make, fails the test.
 */
function replayDraws(f: StudioganFixture): StepRandom & { calls: number; noise: number; draws: number } {
  const total = Number(f.provenance.fakeCalls);
  const noiseTotal = Number(f.provenance.noiseCalls ?? 0);
  const recorded = (f.provenance.draws ?? []) as RecordedDraw[];
  const next = (self: { draws: number }, what: string, n: number, fns: readonly string[]) => {
    const i = self.draws;
    const d = recorded[i];
    if (!d) throw new Error(`${f.name}: the step drew ${n} ${what}, StudioGAN's step made no further draw (${recorded.length})`);
    const count = d.shape.reduce((a, b) => a * b, 1);
    if (!fns.includes(d.fn) || count !== n) throw new Error(`${f.name}: draw ${i}: the step drew ${n} ${what}, StudioGAN's was torch ${d.fn} of shape [${d.shape}] in ${d.caller}`);
    self.draws++;
    return { d, values: f.get(`step.input.draw.${i}`).data };
  };
  return {
    calls: 0,
    noise: 0,
    draws: 0,
    latents(n: number) {
      if (this.calls >= total) throw new Error(`${f.name}: the step drew more fake batches than StudioGAN (${total})`);
      const z = Float32Array.from(f.get(`step.input.fake.${this.calls}.z`).data);
      const y = Int32Array.from(f.get(`step.input.fake.${this.calls}.labels`).data);
      if (y.length !== n) throw new Error(`${f.name}: fake batch ${this.calls} has ${y.length} draws, the step asked for ${n}`);
      this.calls++;
      return { z, y };
    },
    latentNoise(n: number) {
      if (this.noise >= noiseTotal) throw new Error(`${f.name}: the step drew z-space noise, which StudioGAN's step did not (beyond ${noiseTotal})`);
      const eps = Float32Array.from(f.get(`step.input.noise.${this.noise}`).data);
      if (eps.length % n !== 0) throw new Error(`${f.name}: noise ${this.noise} has ${eps.length} values, the step asked for ${n} rows`);
      this.noise++;
      return eps;
    },
    uniform(n: number) {
      return Float32Array.from(next(this, 'uniform numbers', n, ['rand', 'uniform_']).values);
    },
    integers(n: number, low: number, high: number) {
      const { d, values } = next(this, `integers in [${low}, ${high})`, n, ['randint']);
      if (d.range && (d.range[0] !== low || d.range[1] !== high)) throw new Error(`${f.name}: draw ${this.draws - 1}: the step drew integers in [${low}, ${high}), StudioGAN's ${d.caller} in [${d.range[0]}, ${d.range[1]})`);
      return Int32Array.from(values);
    },
    getState: () => null,
    setState: () => {},
  };
}

/** Compares `ours` with the fixture's `key` entry by entry; returns the largest |diff| / tolerance. */
let worstEntry = { ratio: 0, what: '' };
function expectEntries(f: StudioganFixture, key: string, ours: number[], tolerance: number[], fields: readonly string[], failures: string[]): number {
  const want = f.get(key).data;
  let worst = 0;
  ours.forEach((v, i) => {
    const d = Math.abs(v - want[i]);
    worst = Math.max(worst, d / tolerance[i]);
    if (d / tolerance[i] > worstEntry.ratio) worstEntry = { ratio: d / tolerance[i], what: `${key} ${fields[i] ?? i}` };
    if (!(d <= tolerance[i])) failures.push(`${key} ${fields[i] ?? i}: ours ${v}, StudioGAN ${want[i]}, |diff| ${d.toExponential(2)} > ${tolerance[i].toExponential(2)}`);
  });
  return worst;
}

/**
 * Entries where the native 'tensorflow' backend's float32 exceeds the error model (8 × PyTorch's own float32 spread)
 * without a behaviour difference, and the factor their tolerance is widened by on that backend only (every other
 * entry, and every entry on cpu, keeps the model's tolerance). Measured (docs/parity.md, "One step with each
 * feature"): resnet-reacgan-bcr's sum of G's first Adam moment of the last block's conv2d2: |ours − StudioGAN|
 * 2.7–2.8e-4 on native (1.15–1.21 × its tolerance), within 0.12 × on cpu, where PyTorch's own float32 runs (its run
 * and eight one-ulp-perturbed ones) stay within 2.7e-5. Running the D updates on cpu and the G update on native
 * gives 0.79 ×, the reverse 0.29 ×: TensorFlow's kernels in the G update, not the step's logic.
 */
const NATIVE_ALLOWANCE: Record<string, number> = {
  'resnet-reacgan-bcr step.adam.G.m.blocks.3.0.conv2d2.weight_orig': 1.5,
};

const report: string[] = [];
afterAll(() => {
  if (report.length && process.env.REACGAN_PARITY_REPORT) fs.appendFileSync(process.env.REACGAN_PARITY_REPORT, report.join('\n') + '\n');
});

// Which fixtures: ReACGAN on the three backbones at 32 px and big_resnet at 64 px, and the narrow 32 px resnet /
// big_resnet fixtures of the other losses (ContraGAN's 2C, ACGAN-Mod's CE with BN in D, BigGAN-Mod's PD); the
// full-width deep_conv (StudioGAN fixes its widths) of the other losses and the 128 px model add minutes and
// no code path the others do not run. On the native 'tensorflow' backend when it is installed (seconds per
// fixture); without it, on tfjs's pure-JS cpu backend (about a minute per narrow fixture), ReACGAN's resnet
// and big_resnet only. REACGAN_STEP_FIXTURES (comma-separated names) overrides the list.
// The feature fixtures (`resnet-reacgan-<feature>`, step only, 1–3 s each on the native backend) run with the native
// backend; on cpu they take about a minute each and run on request:
//   REACGAN_TEST_BACKENDS=cpu REACGAN_STEP_FIXTURES=resnet-reacgan-diffaug,resnet-reacgan-cr,… (all nine pass).
const native = testBackends().includes('tensorflow');
const FEATURE_STEP_FIXTURES = ['diffaug', 'cr', 'bcr', 'zcr', 'lecam', 'r1', 'gp', 'adc', 'tac'].map((feature) => `resnet-reacgan-${feature}`);
const STEP_FIXTURES = process.env.REACGAN_STEP_FIXTURES?.split(',').filter(Boolean) ?? (native
  ? ['deep_conv-reacgan', 'resnet-reacgan', 'big_resnet-reacgan', 'big_resnet-reacgan-64', 'resnet-contragan', 'big_resnet-contragan', 'resnet-acgan-mod', 'big_resnet-acgan-mod', 'resnet-biggan-mod', 'big_resnet-biggan-mod', ...FEATURE_STEP_FIXTURES]
  : ['resnet-reacgan', 'big_resnet-reacgan']);

describeBackends("one training step equals StudioGAN's worker", (backend) => {
  for (const name of STEP_FIXTURES) {
    it(`${name}: losses, every updated tensor of G, D and G_ema, and Adam's moments`, async () => {
      const f = loadStudioganFixture(name, models.decodeSafetensors);
      const config = fixtureConfig(f);
      const n = config.optimization.batchSize;
      const random = replayDraws(f);
      const trainer = Trainer.create(config, { batches: basketSource(f, n), random, initialize: false });
      const G = trainer.generator;
      const D = trainer.discriminator;
      G.loadStateDict(models.fromStudioganStateDict(G, f.stateDict('G')));
      D.loadStateDict(models.fromStudioganStateDict(D, f.stateDict('D')));
      trainer.generatorEma?.loadStateDict(G.stateDict());
      // The step's options (the script's STEP_OPTIONS): StudioGAN's current_step and the LeCam moving averages its
      // worker resumed from.
      const options = (f.provenance.stepOptions ?? {}) as { current_step?: number; lecam_emas?: Record<string, number> };
      trainer.step = options.current_step ?? 0;
      const lecam = trainer.terms.find((t) => t.name === 'lecam')?.state;
      if (options.lecam_emas) for (const key of ['D_real', 'D_fake']) lecam!.get(key)!.assign(tf.scalar(options.lecam_emas[key]));
      await trainer.trainStep();
      const [record] = await trainer.flush();
      expect(random.calls, 'fake batches drawn').toBe(Number(f.provenance.fakeCalls));
      expect(random.noise, 'zCR noise batches drawn').toBe(Number(f.provenance.noiseCalls ?? 0));
      expect(random.draws, "StudioGAN's other draws used").toBe(((f.provenance.draws ?? []) as unknown[]).length);

      const failures: string[] = [];
      worstEntry = { ratio: 0, what: '' };
      const worst = { loss: 0, digest: 0, adam: 0 };
      const lossDiffs: string[] = [];
      let zeroMoments = 0;
      if (config.optimization.acmlSteps === 1) {
        // StudioGAN returns the last D update's loss and its real-image conditioning loss, and the G loss.
        const loss = (key: string, value: number) => {
          worst.loss = Math.max(worst.loss, expectEntries(f, key, [value], studioganTolerance(f, key).perEntry!, ['value'], failures));
          lossDiffs.push(`${key.slice('step.loss.'.length)} ${Math.abs(value - f.get(key).data[0]).toExponential(2)}`);
        };
        loss('step.loss.d', record.values['d/loss']);
        if (f.has('step.loss.dCond')) loss('step.loss.dCond', record.values['d/cond']);
        loss('step.loss.g', record.values['g/loss']);
      }
      // LeCam's moving averages after the step (StudioGAN: ops.LeCamEMA's D_real / D_fake).
      for (const key of ['D_real', 'D_fake']) {
        if (!f.has(`step.lecam.${key}`)) continue;
        const value = lecam!.get(key)!.dataSync()[0];
        worst.loss = Math.max(worst.loss, expectEntries(f, `step.lecam.${key}`, [value], studioganTolerance(f, `step.lecam.${key}`).perEntry!, ['value'], failures));
        lossDiffs.push(`lecam.${key} ${Math.abs(value - f.get(`step.lecam.${key}`).data[0]).toExponential(2)}`);
      }
      const initial = { G: f.stateDict('G'), D: f.stateDict('D'), G_ema: f.stateDict('G') };
      for (const [prefix, module] of [['G', G], ['D', D], ['G_ema', trainer.generatorEma]] as const) {
        if (!module) {
          expect(f.pick(`step.digest.${prefix}.`).size, `${prefix} absent in StudioGAN too`).toBe(0);
          continue;
        }
        const state = module.stateDict();
        for (const mapping of models.studioganKeyMap(module)) {
          const key = `step.digest.${prefix}.${mapping.studioganName}`;
          expect(f.has(key), key).toBe(true);
          const after = models.toStudioganLayout(mapping, state.get(mapping.name)!).data;
          const tolerance = studioganDigestTolerance(f, key, after.length);
          worst.digest = Math.max(worst.digest, expectEntries(f, key, digest(initial[prefix].get(mapping.studioganName)!.data, after), tolerance, STUDIOGAN_DIGEST_FIELDS, failures));
        }
      }
      for (const [prefix, module, optimizer] of [['G', G, trainer.optimizerG], ['D', D, trainer.optimizerD]] as const) {
        const state = optimizer.getState();
        const mappings = new Map(models.studioganKeyMap(module).map((m) => [m.name, m]));
        for (const [slot, moments] of [['m', state.m], ['v', state.v]] as const) {
          for (const [paramName, t] of moments) {
            const mapping = mappings.get(paramName)!;
            const values = models.toStudioganLayout({ ...mapping, transform: mapping.transform.kind === 'counter' ? { kind: 'identity' } : mapping.transform }, t).data;
            const d = digest(new Float32Array(values.length), values).slice(0, 2);
            const key = `step.adam.${prefix}.${slot}.${mapping.studioganName}`;
            const allowance = backend === 'tensorflow' ? (NATIVE_ALLOWANCE[`${name} ${key}`] ?? 1) : 1;
            const tolerance = studioganMomentTolerance(f, key, values.length)?.map((t) => t * allowance) ?? null;
            if (tolerance) worst.adam = Math.max(worst.adam, expectEntries(f, key, d, tolerance, ['sum', 'sumSq'], failures));
            else zeroMoments++;
          }
          tf.dispose([...moments.values()]);
        }
      }
      report.push(`step\t${backend}\t${name}\tlosses |diff| ${lossDiffs.join(', ') || 'n/a'}\tworst |diff|/tolerance: losses ${worst.loss.toFixed(3)}, digests ${worst.digest.toFixed(3)}, Adam ${worst.adam.toFixed(3)} (largest: ${worstEntry.what}); ${zeroMoments} moments of analytically zero gradients not compared`);
      expect(failures, `${name} [${backend}]`).toEqual([]);
      trainer.dispose();
    }, 300_000);
  }
}, native ? ['tensorflow'] : ['cpu']);
