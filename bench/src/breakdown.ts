/**
 * Kernel counts and kernel times per phase of the training step (diagnostic for docs/performance.md):
 *   node --import ./dist/register-hooks.js dist/breakdown.js --preset deep_conv/reacgan
 */
import type * as TF from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { findPreset } from './presets.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'deep_conv/reacgan' }, 'batch-size': { type: 'string', default: '64' }, threads: { type: 'string', default: '2' } } });
process.env.TF_NUM_INTRAOP_THREADS ??= values.threads;
process.env.TF_NUM_INTEROP_THREADS ??= values.threads;
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-node');
const models = await import('@reacgan/models');
const losses = await import('@reacgan/losses');
const { LocalStep } = await import('./local-step.js');
const { SyntheticBatches } = await import('./step-runner.js');
const preset = findPreset(values.preset);
const n = Number(values['batch-size']);
const runner = new LocalStep(preset, n);
await runner.step();
await runner.step();
await runner.flush();
const G = runner.generator;
const D = runner.discriminator;
const batches = new SyntheticBatches(preset, n, 5);
const batch = (await batches.next()).value as { images: Float32Array; labels: Int32Array; shape: [number, number, number, number] };
const fake = batches.sampleFake(G.zDim);
const z = tf.tensor2d(fake.z, [n, G.zDim]);
const y = tf.tensor1d(fake.y, 'int32');
const x = tf.tensor4d(batch.images, batch.shape);
const yr = tf.tensor1d(batch.labels, 'int32');

async function phase(name: string, f: () => void): Promise<void> {
  const t0 = performance.now();
  const info = await tf.profile(() => tf.tidy(f));
  const wall = performance.now() - t0;
  const byName = new Map<string, number>();
  let ms = 0;
  for (const k of info.kernels) {
    const t = Number(await k.kernelTimeMs);
    ms += t;
    byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
  }
  const top = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, c]) => `${k}:${c}`).join(' ');
  console.log(`${name.padEnd(34)} kernels ${String(info.kernels.length).padStart(5)}  kernel ms ${ms.toFixed(0).padStart(6)}  wall ${wall.toFixed(0).padStart(6)} ms   ${top}`);
}
const d2dce = (out: { embed?: TF.Tensor2D; proxy?: TF.Tensor2D }, labels: TF.Tensor1D) =>
  losses.data2DataCrossEntropyLoss({ embed: out.embed!, proxy: out.proxy!, labels }, { temperature: 0.5, positiveMargin: 0.98 });
await phase('G forward (train, no stats)', () => { G.apply(z, y, { training: true, updateStatistics: false }); });
await phase('G forward (eval)', () => { G.apply(z, y, { training: false }); });
await phase('D forward (train)', () => { D.apply(x, yr, { training: true }); });
await phase('D forward (eval)', () => { D.apply(x, yr, { training: false }); });
await phase('D2D-CE loss', () => { const o = D.apply(x, yr, { training: false }); d2dce(o, yr); });
await phase('D2D-CE loss + grad wrt embed', () => {
  const o = D.apply(x, yr, { training: false });
  tf.grad((e: TF.Tensor) => d2dce({ embed: e as TF.Tensor2D, proxy: o.proxy }, yr))(o.embed!);
});
await phase('D update grads (2 D fwd + bwd)', () => {
  const xf = G.apply(z, y, { training: true, updateStatistics: false });
  tf.variableGrads(() => {
    const r = D.apply(x, yr, { training: true });
    const f = D.apply(xf, y, { training: true });
    return tf.add(losses.discriminatorHingeLoss(r.advOutput, f.advOutput), tf.mul(d2dce(r, yr), 0.5)) as TF.Scalar;
  }, D.trainableVariables());
});
await phase('G update grads (G+D fwd + bwd)', () => {
  tf.variableGrads(() => {
    const o = D.apply(G.apply(z, y, { training: true }), y, { training: true });
    return tf.add(losses.generatorHingeLoss(o.advOutput), tf.mul(d2dce(o, y), 0.5)) as TF.Scalar;
  }, G.trainableVariables());
});
await phase('whole step (local)', () => { void runner.step(); });
console.log(`G: ${G.trainableVariables().length} variables, ${G.stateDict().size} state entries; D: ${D.trainableVariables().length} variables`);
void models;
runner.dispose();
