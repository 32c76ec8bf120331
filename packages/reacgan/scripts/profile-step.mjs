// Kernels per training step (load-independent) and ms per step for a preset, on the active backend.
// Usage: node scripts/profile-step.mjs [--preset mnist/reacgan] [--steps 20] [--set key=value ...] [--by-kernel]
// Needs a build (pnpm --filter reacgan build).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, resolvePreset, Trainer } from '../dist/index.js';
import { openConfiguredDataset } from '../dist/node.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const sets = [];
args.forEach((a, i) => a === '--set' && sets.push(args[i + 1]));
const preset = opt('preset', 'mnist/reacgan');
const steps = Number(opt('steps', 20));
const overrides = {};
for (const s of sets) {
  const [key, raw] = s.split('=');
  const path = key.split('.');
  let o = overrides;
  for (const p of path.slice(0, -1)) o = o[p] ??= {};
  o[path.at(-1)] = raw === 'true' ? true : raw === 'false' ? false : raw === 'null' ? null : isNaN(Number(raw)) ? raw : Number(raw);
}
if (process.env.REACGAN_NATIVE === '0') (await import('@reacgan/models')).setNativeKernels(false);
const backend = await initBackend({ backend: opt('backend', 'tensorflow') });
const config = resolvePreset(preset, overrides);
const train = await openConfiguredDataset(config, 'train');
const trainer = Trainer.create(config, { dataset: train });
console.log(`${preset} ${JSON.stringify(overrides)} backend ${backend.backend}; G ${trainer.generator.numParameters()} D ${trainer.discriminator.numParameters()} params`);
for (let i = 0; i < 3; i++) await trainer.trainStep();
await trainer.flush();
const info = await tf.profile(async () => {
  await trainer.trainStep();
  await trainer.flush();
});
const byName = new Map();
for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
console.log(`kernels/step ${info.kernels.length}`);
if (args.includes('--by-kernel')) console.log([...byName].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n}:${c}`).join(' '));
const n0 = tf.memory().numTensors;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await trainer.trainStep();
await trainer.flush();
const ms = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(cpu0);
console.log(`ms/step ${ms.toFixed(1)}  cpu-ms/step ${((cpu.user + cpu.system) / 1000 / steps).toFixed(1)}  tensors ${n0} -> ${tf.memory().numTensors}  load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
trainer.dispose();
if (args.includes('--times')) {
  const t = new Map();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = t.get(k.name) ?? [0, 0];
    e[0] += 1; e[1] += ms;
    t.set(k.name, e);
  }
  const total = [...t.values()].reduce((a, b) => a + b[1], 0);
  console.log(`kernel time total ${total.toFixed(0)} ms`);
  console.log([...t].sort((a, b) => b[1][1] - a[1][1]).slice(0, 30).map(([n, [c, ms]]) => `${n}: ${c} × → ${ms.toFixed(1)} ms`).join('\n'));
}
