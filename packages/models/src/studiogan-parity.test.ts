import * as tf from '@tensorflow/tfjs-core';
import { codesToImages, describeBackends, loadStudioganFixture, STUDIOGAN_FIXTURES, studioganTolerance, testBackends, type StudioganFixture } from '@reacgan/testkit';
import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import type { ModelConfigInput } from './config.js';
import { createDiscriminator, createGenerator } from './create.js';
import type { ApplyOptions } from './layers/context.js';
import type { DiscriminatorOutput, Discriminator, Generator } from './networks.js';
import { evaluationApplyOptions } from './evaluation.js';
import { decodeSafetensors } from './safetensors.js';
import { fromStudioganStateDict, studioganKeyMap, toStudioganLayout } from './studiogan-map.js';

// Forward parity with StudioGAN's own code: G and D built by StudioGAN (v.0.3.0 for resnet / big_resnet,
// master 947b35e for deep_conv) from its CIFAR10 ReACGAN / ContraGAN / ACGAN-Mod / BigGAN-Mod configs (32 px)
// and Tiny-ImageNet / ImageNet ReACGAN configs (64 / 128 px), narrowed with its own g_conv_dim / d_conv_dim;
// fixtures and their provenance: scripts/studiogan_fixtures.py. References are PyTorch's float64 results;
// tolerances come from PyTorch's own float32 error on the same computation (testkit's studioganTolerance).

const D_OUTPUTS: [string, keyof DiscriminatorOutput][] = [
  ['h', 'h'],
  ['adv_output', 'advOutput'],
  ['embed', 'embed'],
  ['proxy', 'proxy'],
  ['cls_output', 'clsOutput'],
  ['mi_embed', 'miEmbed'],
  ['mi_proxy', 'miProxy'],
  ['mi_cls_output', 'miClsOutput'],
];

/** Max abs differences per fixture, output and backend; printed when REACGAN_PARITY_REPORT is set. */
const report: string[] = [];
function record(name: string, key: string, backend: string, max: number, atol: number): void {
  if (process.env.REACGAN_PARITY_REPORT) report.push(`${backend}\t${name}\t${key}\t${max.toExponential(3)}\t${atol.toExponential(3)}`);
}
afterAll(() => {
  if (report.length) fs.appendFileSync(process.env.REACGAN_PARITY_REPORT!, report.join('\n') + '\n');
});

const tensorOf = (t: { data: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype: string }) => tf.tensor(t.data, t.shape, t.dtype as tf.DataType);

function build(f: StudioganFixture): { G: Generator; D: Discriminator } {
  const data = { ...f.data, initialize: false };
  const G = createGenerator(f.model as ModelConfigInput, data);
  const D = createDiscriminator(f.model as ModelConfigInput, data);
  G.loadStateDict(fromStudioganStateDict(G, f.stateDict('G')));
  D.loadStateDict(fromStudioganStateDict(D, f.stateDict('D')));
  return { G, D };
}

function expectClose(f: StudioganFixture, key: string, received: tf.Tensor | { data: ArrayLike<number> }, backend: string): number {
  const want = f.get(key);
  const got = received instanceof tf.Tensor ? received.dataSync() : received.data;
  const { atol, perEntry } = studioganTolerance(f, key);
  expect(got.length, `${f.name} ${key}: size`).toBe(want.data.length);
  let max = 0;
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got[i] - want.data[i]);
    max = Math.max(max, d);
    const tol = perEntry ? perEntry[i] : atol;
    worst = Math.max(worst, d === 0 ? 0 : d / tol);
  }
  record(f.name, key, backend, max, atol);
  expect(worst, `${f.name} ${key} [${backend}]: max |ours − StudioGAN| = ${max.toExponential(2)}, tolerance ${atol.toExponential(2)}`).toBeLessThanOrEqual(1);
  return max;
}

function expectState(f: StudioganFixture, prefix: string, module: Generator | Discriminator, backend: string, filter: (name: string) => boolean = () => true): void {
  const state = module.stateDict();
  for (const mapping of studioganKeyMap(module)) {
    const key = `${prefix}${mapping.studioganName}`;
    if (!f.has(key) || !filter(mapping.name)) continue;
    expectClose(f, key, toStudioganLayout(mapping, state.get(mapping.name)!), backend);
  }
}

function expectDiscriminator(f: StudioganFixture, mode: string, out: DiscriminatorOutput, backend: string): void {
  for (const [theirs, ours] of D_OUTPUTS) {
    const key = `${mode}.D.${theirs}`;
    if (!f.has(key)) {
      expect(out[ours], `${f.name} ${key} absent in StudioGAN`).toBeUndefined();
      continue;
    }
    expect(out[ours], `${f.name} ${key}`).toBeDefined();
    expect(out[ours]!.shape, `${f.name} ${key} shape`).toEqual(f.get(key).shape);
    expectClose(f, key, out[ours]!, backend);
  }
}

// The 128 px fixture takes minutes on tfjs's pure-JS cpu backend: it runs there only without the native backend.
const native = testBackends().includes('tensorflow');

describeBackends("forward parity with StudioGAN's own code", (backend) => {
  for (const name of STUDIOGAN_FIXTURES.filter((n) => backend !== 'cpu' || !native || !n.endsWith('-128'))) {
    it(`${name}: eval, sampling-mode and train-mode outputs, SN vectors and BN statistics match StudioGAN`, () => {
      const f = loadStudioganFixture(name, decodeSafetensors);
      const { G, D } = build(f);
      const initialG = G.stateDict();
      const snapshot = new Map([...initialG].map(([k, v]) => [k, tf.clone(v)]));
      const z = tensorOf(f.get('input.z')) as tf.Tensor2D;
      const labels = tf.tensor1d(Int32Array.from(f.get('input.labels').data), 'int32');
      const codes = f.get('input.xCodes');
      const x = tf.tensor4d(codesToImages(codes.data), codes.shape as [number, number, number, number]);
      // Images of more than 32 px are stored at the rows / columns of f.imageIndex only.
      const rows = tf.tensor1d(f.imageIndex, 'int32');
      const run = (options: ApplyOptions) => tf.tidy(() => tf.gather(tf.gather(G.apply(z, labels, options), rows, 1), rows, 2));

      const evalImages = run({ training: false });
      expectClose(f, 'eval.G', evalImages, backend);
      const evalD = D.apply(x, labels, { training: false });
      expectDiscriminator(f, 'eval', evalD, backend);

      // StudioGAN's sampling mode: BN in eval (or batch statistics), spectral norm power-iterating.
      for (const mode of ['running', 'batch'] as const) {
        G.loadStateDict(snapshot);
        const images = run(evaluationApplyOptions(mode, 'iterate'));
        expectClose(f, `sample.${mode}.G`, images, backend);
        expectState(f, 'train.after.G.', G, backend, (n) => n.endsWith('weight_u') || n.endsWith('weight_v'));
        images.dispose();
      }

      G.loadStateDict(snapshot);
      const trainImages = run({ training: true });
      expectClose(f, 'train.G', trainImages, backend);
      const trainD = D.apply(x, labels, { training: true });
      expectDiscriminator(f, 'train', trainD, backend);
      expectState(f, 'train.after.G.', G, backend);
      expectState(f, 'train.after.D.', D, backend);

      tf.dispose([evalImages, trainImages, z, labels, x, rows, [...snapshot.values()]]);
      tf.dispose(Object.values(evalD) as tf.Tensor[]);
      tf.dispose(Object.values(trainD) as tf.Tensor[]);
      G.dispose();
      D.dispose();
    }, 600_000);
  }
});
