import * as losses from '@reacgan/losses';
import * as models from '@reacgan/models';
import { readWebGpuStatus } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendReport, formatBackendReport, initBackend } from '../src/backend.js';
import { resolvePreset } from '../src/config/presets.js';
import { Trainer } from '../src/train/trainer.js';
import { syntheticDataset, tinyConfig } from './helpers.js';

// The webgpu backend (tfjs-backend-webgpu 4.22 through Dawn's Node bindings) against the cpu backend: every
// loss, every layer of the three backbones with each conditioning (forward, and the gradient of a loss that
// uses every output with respect to every parameter and the input), and whole training steps. In CI the
// adapter is Mesa's llvmpipe behind Dawn's OpenGL ES backend (scripts/ensure-webgpu-adapter.sh installs it);
// where no adapter can be had the suite is skipped with the reason printed — unless that script reported the
// software adapter installed, in which case failing to get it is an error.
//
// Error model for the comparisons: both backends compute in float32 but sum in different orders (the cpu
// backend sequentially, webgpu in tiles and workgroup reductions). A sum of K terms then differs by at most
// about K·ε·Σ|terms| (ε = 2⁻²⁴ ≈ 6e-8), typically √K·ε·Σ|terms|; the largest reductions here (D's last
// linear layer and the weight gradients over the batch and the pixels) have K ≲ 1e4, i.e. a typical relative
// difference ≲ 1e-5 of the tensor's scale, compounded through a few layers, batch normalisation and the
// spectral norm's power iteration. A sum whose terms cancel (the gradient of a bias that batch normalisation
// follows is 0 in exact arithmetic) keeps a residue of that size relative to its terms, not to its result, so
// the terms' scale enters too: tensors are compared elementwise with atol = 1e-4 × (largest magnitude of the cpu
// tensor) + 1e-5 × (largest magnitude in its group: all G gradients, all D gradients, …) and rtol = 1e-3, about
// ten times those bounds, and still far below any wrong kernel (a wrong index, bias or broadcast shows up as an
// O(1) relative error).

const status = readWebGpuStatus();
let report: BackendReport | undefined;
let skipReason = '';
try {
  report = await initBackend({ backend: 'webgpu' });
  console.info(`[webgpu tests] ${formatBackendReport(report).split('\n').slice(0, 2).join(' | ')}`);
} catch (error) {
  skipReason = (error as Error).message;
  if (status?.ok) throw new Error(`scripts/ensure-webgpu-adapter.sh reported a software adapter installed (${status.detail}), but webgpu did not initialise: ${skipReason}`);
  console.warn(`[webgpu tests] SKIPPED: ${skipReason}${status ? ` (setup: ${status.detail})` : ''}`);
}
await tf.setBackend('cpu');
afterAll(async () => {
  await tf.setBackend('cpu');
});

const describeWebGpu = report ? describe : describe.skip;
const suffix = report ? '' : ` (skipped: ${skipReason})`;

describeWebGpu(`initBackend({ backend: 'webgpu' })${suffix}`, () => {
  it('reports the adapter (vendor, device, Dawn backend, software or hardware) and its limits', () => {
    expect(report).toMatchObject({ backend: 'webgpu', choice: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', gradients: true, fixes: [] });
    const adapter = report!.adapter!;
    expect(typeof adapter.software).toBe('boolean');
    expect(['vulkan', 'metal', 'd3d12', 'opengles']).toContain(adapter.dawnBackend);
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    if (/llvmpipe/.test(adapter.device)) expect(adapter).toMatchObject({ software: true, dawnBackend: 'opengles', featureLevel: 'compatibility' });
    const text = formatBackendReport(report!);
    expect(text).toMatch(/adapter: .*Dawn (vulkan|metal|d3d12|opengles) \((core|compatibility)\), (software \(CPU rasteriser\)|hardware)/);
    expect(text).toMatch(/limits: maxBufferSize \d+/);
  });

  it('has no synchronous reads in Node (so every path must read asynchronously)', async () => {
    await tf.setBackend('webgpu');
    try {
      // Large enough to be computed on the GPU (tiny ones are forwarded to the CPU and stay readable).
      const t = tf.mul(tf.ones([64, 64]), 2);
      expect(() => t.dataSync()).toThrow();
      expect((await t.data()).every((v) => v === 2)).toBe(true);
      t.dispose();
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

type Outputs = Record<string, tf.Tensor>;

/** Runs `f` on `backend` and reads every output back asynchronously. */
async function runOn(backend: string, f: () => Outputs): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const result = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, t] of Object.entries(out)) result.set(name, { shape: t.shape, values: Float32Array.from(await t.data()) });
  tf.dispose(Object.values(out));
  return result;
}

/** f on cpu and on webgpu; every output compared under the error model above. */
async function expectSameOnWebGpu(f: () => Outputs): Promise<number> {
  const cpu = await runOn('cpu', f);
  const gpu = await runOn('webgpu', f);
  await tf.setBackend('cpu');
  expect([...gpu.keys()].sort()).toEqual([...cpu.keys()].sort());
  const maxAbs = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  // A group is what a name starts with ('dG/…', 'dD/…', 'd/…', 'real/…'): the scale of its sums' terms.
  const group = (name: string) => name.split('/')[0];
  const groupScale = new Map<string, number>();
  for (const [name, t] of cpu) groupScale.set(group(name), Math.max(groupScale.get(group(name)) ?? 0, maxAbs(t.values)));
  let worst = 0;
  for (const [name, expected] of cpu) {
    const got = gpu.get(name)!;
    expect(got.shape, name).toEqual(expected.shape);
    const scale = maxAbs(expected.values);
    const atol = 1e-4 * scale + 1e-5 * groupScale.get(group(name))!;
    let diff = 0;
    for (let i = 0; i < got.values.length; i++) diff = Math.max(diff, Math.abs(got.values[i] - expected.values[i]));
    worst = Math.max(worst, diff / atol);
    expect(got.values, `${name} (shape [${expected.shape}], scale ${scale.toExponential(2)})`).toBeAllclose(expected.values, { atol, rtol: 1e-3 });
  }
  return worst;
}

/** Deterministic pseudo-random floats in [−1, 1) (a linear congruential generator). */
function uniform(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

function labels(n: number, numClasses: number, seed: number): Int32Array {
  return Int32Array.from(uniform(n, seed), (v) => Math.floor(((v + 1) / 2) * numClasses) % numClasses);
}

describeWebGpu(`webgpu against cpu: losses${suffix}`, () => {
  const n = 8;
  const c = 10;
  const y = labels(n, c, 7);
  const withGrads = (inputs: Record<string, Float32Array>, shapes: Record<string, number[]>, loss: (t: Record<string, tf.Tensor>) => tf.Scalar) => (): Outputs => {
    const names = Object.keys(inputs);
    const tensors = names.map((k) => tf.tensor(inputs[k], shapes[k]));
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => loss(Object.fromEntries(names.map((k, i) => [k, xs[i]]))))(tensors);
    return { value, ...Object.fromEntries(names.map((k, i) => [`d/${k}`, grads[i]])) };
  };
  const logits = { real: uniform(n, 1, 3), fake: uniform(n, 2, 3) };
  const shapes1 = { real: [n], fake: [n] };

  it('adversarial losses (hinge, logistic, least squares, Wasserstein), D and G', async () => {
    for (const name of ['hinge', 'logistic', 'least_square', 'wasserstein'] as const) {
      const loss = losses.adversarialLoss(name);
      await expectSameOnWebGpu(withGrads(logits, shapes1, (t) => tf.add(loss.discriminator(t.real, t.fake), loss.generator(t.fake))));
    }
  });

  it('classification: cross-entropy, Crammer–Singer, multi-hinge', async () => {
    const inputs = { logits: uniform(n * c, 3, 4) };
    const shapes = { logits: [n, c] };
    await expectSameOnWebGpu(withGrads(inputs, shapes, (t) => losses.crossEntropyLoss(t.logits as tf.Tensor2D, y)));
    await expectSameOnWebGpu(withGrads(inputs, shapes, (t) => losses.crammerSingerLoss(t.logits as tf.Tensor2D, y)));
    const mh = { real: uniform(n * (c + 1), 4, 2), fake: uniform(n * (c + 1), 5, 2) };
    const mhShapes = { real: [n, c + 1], fake: [n, c + 1] };
    await expectSameOnWebGpu(
      withGrads(mh, mhShapes, (t) =>
        tf.add(losses.multiHingeDiscriminatorLoss(t.real as tf.Tensor2D, y, t.fake as tf.Tensor2D), losses.multiHingeGeneratorLoss(t.fake as tf.Tensor2D, y)),
      ),
    );
  });

  it('contrastive: D2D-CE (studiogan and paper variants) and ContraGAN 2C', async () => {
    const d = 16;
    const inputs = { embed: uniform(n * d, 6), proxy: uniform(n * d, 8) };
    const shapes = { embed: [n, d], proxy: [n, d] };
    for (const variant of losses.D2DCE_VARIANTS) {
      await expectSameOnWebGpu(
        withGrads(inputs, shapes, (t) =>
          losses.data2DataCrossEntropyLoss({ embed: t.embed as tf.Tensor2D, proxy: t.proxy as tf.Tensor2D, labels: y }, { temperature: 0.5, positiveMargin: 0.98, negativeMargin: 0.02, variant }),
        ),
      );
    }
    await expectSameOnWebGpu(withGrads(inputs, shapes, (t) => losses.conditionalContrastiveLoss({ embed: t.embed as tf.Tensor2D, proxy: t.proxy as tf.Tensor2D, labels: y }, { temperature: 0.5 })));
  });
});

/** Architectures whose every layer runs here: each backbone, each conditioning of G and D, SN, attention, TAC/ADC. */
const ARCHITECTURES: { name: string; model: models.ModelConfigInput; data: { imgSize: number; imgChannels: number; numClasses: number } }[] = [
  {
    name: 'mnist/reacgan (deep_conv, cBN, D2D-CE, SN)',
    model: { ...resolvePreset('mnist/reacgan').model, gConvDim: 4, dConvDim: 4 } as models.ModelConfigInput,
    data: { imgSize: 32, imgChannels: 1, numClasses: 10 },
  },
  {
    name: 'cifar10/reacgan (big_resnet, shared embedding + hierarchical z, self-attention, SN, D2D-CE), width 8',
    model: { ...resolvePreset('cifar10/reacgan').model, gConvDim: 8, dConvDim: 8, dEmbedDim: 16, gSharedDim: 16 } as models.ModelConfigInput,
    data: { imgSize: 32, imgChannels: 3, numClasses: 10 },
  },
  {
    name: 'resnet, PD, no SN, glorot',
    model: { backbone: 'resnet', gCondMtd: 'cBN', dCondMtd: 'PD', applyGSn: false, applyDSn: false, zDim: 8, gConvDim: 4, dConvDim: 4, gInit: 'glorot', dInit: 'glorot' },
    data: { imgSize: 16, imgChannels: 3, numClasses: 4 },
  },
  {
    name: 'resnet, AC + TAC, SN, attention',
    model: { backbone: 'resnet', gCondMtd: 'cBN', dCondMtd: 'AC', auxClsType: 'TAC', applyDSn: true, applyGSn: true, applyAttn: true, attnGLoc: [1], attnDLoc: [1], zDim: 8, gConvDim: 4, dConvDim: 4 },
    data: { imgSize: 16, imgChannels: 1, numClasses: 4 },
  },
  {
    name: 'resnet, MH (C + 1 adversarial outputs), SN',
    model: { backbone: 'resnet', gCondMtd: 'cBN', dCondMtd: 'MH', applyDSn: true, applyGSn: true, zDim: 8, gConvDim: 4, dConvDim: 4 },
    data: { imgSize: 16, imgChannels: 3, numClasses: 4 },
  },
];

// The reference is the cpu backend, in this process: loading tfjs-node (TensorFlow) into a process that runs
// Dawn on Mesa's llvmpipe crashed the test worker here, so the native backend cannot be the reference. Batch 2
// keeps the cpu side affordable (its Conv2DBackpropFilter is the slow part: seconds per call at these shapes).
describeWebGpu(`webgpu against cpu: every layer, forward and gradient${suffix}`, () => {
  for (const arch of ARCHITECTURES) {
    it(arch.name, { timeout: 900_000 }, async () => {
      const n = 2;
      const { imgSize, imgChannels, numClasses } = arch.data;
      const xReal = uniform(n * imgSize * imgSize * imgChannels, 11);
      const yReal = labels(n, numClasses, 12);
      const yFake = labels(n, numClasses, 13);
      let zDim = 0;
      const f = (): Outputs => {
        // Built on the active backend from the same seed: identical weights on both.
        const g = models.createGenerator(arch.model, { ...arch.data, seed: 5 });
        const d = models.createDiscriminator(arch.model, { ...arch.data, seed: 6 });
        zDim = g.zDim;
        const z = tf.tensor2d(uniform(n * zDim, 14, 1.5), [n, zDim]);
        const x = tf.tensor4d(xReal, [n, imgSize, imgSize, imgChannels]);
        const yr = tf.tensor1d(yReal, 'int32');
        const yf = tf.tensor1d(yFake, 'int32');
        const gParams = [...g.namedParameters()];
        const dParams = [...d.namedParameters()];
        // A loss that every output of both networks feeds (fixed random weights), so every layer's gradient counts.
        let fakeImages: tf.Tensor | undefined;
        const heads: Record<string, tf.Tensor> = {};
        const { value, grads } = tf.variableGrads(() => {
          const fake = g.apply(z, yf, { training: true });
          fakeImages = tf.keep(fake.clone());
          const outReal = d.apply(x, yr, { training: true });
          const outFake = d.apply(fake, yf, { training: true });
          let total: tf.Tensor = tf.scalar(0);
          let k = 0;
          for (const [side, out] of [['real', outReal], ['fake', outFake]] as const) {
            for (const [key, t] of Object.entries(out)) {
              if (!t || t.dtype !== 'float32') continue;
              heads[`${side}/${key}`] = tf.keep(t.clone());
              const w = tf.tensor(uniform(t.size, 100 + k++), t.shape);
              total = tf.add(total, tf.sum(tf.mul(t, w)));
            }
          }
          return total as tf.Scalar;
        }, [...gParams.map(([, v]) => v), ...dParams.map(([, v]) => v)]);
        const out: Outputs = { loss: value, fake: fakeImages!, ...heads };
        for (const [name, v] of gParams) if (grads[v.name]) out[`dG/${name}`] = grads[v.name];
        for (const [name, v] of dParams) if (grads[v.name]) out[`dD/${name}`] = grads[v.name];
        // Sampling: evaluation mode (running statistics) after the training pass updated them.
        out.sample = g.apply(z, yf, { training: false });
        g.dispose();
        d.dispose();
        return out;
      };
      const worst = await expectSameOnWebGpu(f);
      console.info(`[webgpu tests] ${arch.name}: largest difference ${worst.toFixed(3)} of the tolerance`);
    });
  }
});

describeWebGpu(`webgpu against cpu: training steps${suffix}`, () => {
  it('Trainer: 3 steps of a tiny ReACGAN (resnet, SN, EMA, D2D-CE): losses per step, then every weight', async () => {
    const config = tinyConfig({ model: { gEmaStart: 1 } });
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const trainer = Trainer.create(config, { dataset: syntheticDataset() });
      for (let i = 0; i < 3; i++) await trainer.trainStep();
      const records = await trainer.flush();
      const weights = new Map<string, Float32Array>();
      for (const [prefix, module] of [['G', trainer.generator], ['D', trainer.discriminator], ['G_ema', trainer.generatorEma!]] as const) {
        for (const [name, t] of module.stateDict()) if (t.dtype === 'float32') weights.set(`${prefix}.${name}`, Float32Array.from(await t.data()));
      }
      trainer.dispose();
      return { records, weights };
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    await tf.setBackend('cpu');
    expect(gpu.records.map((r) => r.step)).toEqual([1, 2, 3]);
    for (let i = 0; i < cpu.records.length; i++) {
      for (const [key, value] of Object.entries(cpu.records[i].values)) {
        // Adam's first steps move every weight by ≈ lr·sign(g): a gradient component that is 0 up to rounding
        // may move either way, so later losses differ by more than one step's rounding (still ≪ the loss).
        expect(gpu.records[i].values[key], `step ${i + 1} ${key}`).toBeCloseTo(value, 3);
      }
    }
    for (const [name, values] of cpu.weights) {
      let scale = 0;
      for (const v of values) scale = Math.max(scale, Math.abs(v));
      // Weights move by at most 3·lr = 6e-4 per step under Adam; a sign flip of a zero-ish gradient costs 2·lr.
      expect(gpu.weights.get(name), name).toBeAllclose(values, { atol: 3 * 2 * config.optimization.gLr + 1e-4 * scale, rtol: 1e-3 });
    }
  });
});
