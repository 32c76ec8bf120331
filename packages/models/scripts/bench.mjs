// Speed of @reacgan/models on the native backend: construction (init), G forward (eval), and one
// D + G gradient computation (hinge + D2D-CE-shaped terms, no optimizer), median of N runs.
// Usage: pnpm --filter @reacgan/models bench [-- --batch 64 --repeats 5 --presets tiny,dcgan,biggan]
// Machine-dependent: run it, do not assert on it. Side-by-side with PyTorch: see bench/ (repo root).
import '@tensorflow/tfjs-node';
import * as tf from '@tensorflow/tfjs-core';
import { createDiscriminator, createGenerator } from '../dist/index.js';

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((s) => s.trim().split(/\s+/)));
const batch = Number(args.batch ?? 64);
const repeats = Number(args.repeats ?? 5);
const PRESETS = {
  tiny: { model: { backbone: 'big_resnet', gCondMtd: 'cBN', dCondMtd: 'D2DCE', dEmbedDim: 8, normalizeDEmbed: true, zDim: 12, gSharedDim: 8, gConvDim: 8, dConvDim: 8, applyGSn: true, applyDSn: true, applyAttn: true, attnGLoc: [1], attnDLoc: [1] }, data: { imgSize: 16, imgChannels: 3, numClasses: 4 } },
  dcgan: { model: { backbone: 'deep_conv', gCondMtd: 'cBN', dCondMtd: 'D2DCE', dEmbedDim: 512, normalizeDEmbed: true, zDim: 128, gConvDim: 'N/A', dConvDim: 'N/A', applyGSn: true, applyDSn: true }, data: { imgSize: 32, imgChannels: 3, numClasses: 10 } },
  biggan: { model: { backbone: 'big_resnet', gCondMtd: 'cBN', dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 512, applyGSn: true, applyDSn: true, applyAttn: true, attnGLoc: [2], attnDLoc: [1], zDim: 80, gSharedDim: 128, gConvDim: 96, dConvDim: 96 }, data: { imgSize: 32, imgChannels: 3, numClasses: 10 } },
};
const names = (args.presets ?? 'tiny,dcgan,biggan').split(',');

await tf.setBackend('tensorflow');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
const rows = [];
for (const name of names) {
  const { model, data } = PRESETS[name];
  let G;
  let D;
  const initMs = await time(() => {
    G = createGenerator(model, { ...data, seed: 0 });
    D = createDiscriminator(model, { ...data, seed: 1 });
  });
  const z = tf.randomNormal([batch, model.zDim]);
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % data.numClasses), 'int32');
  const real = tf.randomUniform([batch, data.imgSize, data.imgSize, data.imgChannels], -1, 1);
  const forward = async () => {
    const x = G.apply(z, labels, { training: false });
    await x.data();
    x.dispose();
  };
  const step = async () => {
    const d = tf.variableGrads(() => {
      const fake = G.apply(z, labels, { training: true, updateStatistics: false });
      const r = D.apply(real, labels, { training: true });
      const f = D.apply(fake, labels, { training: true });
      return tf.addN([tf.mean(tf.relu(tf.sub(1, r.advOutput))), tf.mean(tf.relu(tf.add(1, f.advOutput))), tf.mean(tf.sum(tf.mul(r.embed, r.proxy), 1))]);
    }, D.trainableVariables());
    const g = tf.variableGrads(() => {
      const f = D.apply(G.apply(z, labels, { training: true }), labels, { training: true });
      return tf.add(tf.neg(tf.mean(f.advOutput)), tf.mean(tf.sum(tf.mul(f.embed, f.proxy), 1)));
    }, G.trainableVariables());
    await g.value.data();
    tf.dispose([d.value, g.value, Object.values(d.grads), Object.values(g.grads)]);
  };
  await forward();
  await step();
  const f = [];
  const s = [];
  for (let i = 0; i < repeats; i++) f.push(await time(forward));
  for (let i = 0; i < repeats; i++) s.push(await time(step));
  rows.push({ preset: name, G: G.numParameters(), D: D.numParameters(), initMs: Math.round(initMs), gForwardMs: Math.round(median(f)), stepMs: Math.round(median(s)) });
  tf.dispose([z, labels, real]);
  G.dispose();
  D.dispose();
}
console.log(`backend ${tf.getBackend()}, batch ${batch}, median of ${repeats}`);
console.log('| preset | G params | D params | init ms | G forward (eval) ms | D+G gradient step ms |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.preset} | ${r.G.toLocaleString('en')} | ${r.D.toLocaleString('en')} | ${r.initMs} | ${r.gForwardMs} | ${r.stepMs} |`);
