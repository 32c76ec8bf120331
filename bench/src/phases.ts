/**
 * Wall time per phase of the training step on our side (diagnostic, see docs/performance.md):
 *   node --import ./dist/register-hooks.js dist/phases.js --preset deep_conv/reacgan [--accel fastgrad,bn] [--reps 5]
 * Phases: G forward for D (no tape), D update (2 D forwards + backward), Adam(D), G update
 * (G + D forward + backward), Adam(G), EMA. Uses the bench-local step's code (same ops as the trainer).
 */
import type * as TF from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { findPreset } from './presets.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: { preset: { type: 'string', default: 'deep_conv/reacgan' }, 'batch-size': { type: 'string', default: '64' }, threads: { type: 'string', default: '2' }, reps: { type: 'string', default: '5' }, accel: { type: 'string', default: '' } },
});
process.env.TF_NUM_INTRAOP_THREADS ??= values.threads;
process.env.TF_NUM_INTEROP_THREADS ??= values.threads;
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-node');
const accel = new Set(values.accel.split(',').filter(Boolean));
if (accel.has('filtermm')) (await import('./accel/filter-grad.js')).installMatMulFilterGradient();
if (accel.has('fastgrad')) (await import('./accel/native-gradients.js')).installFastGradients();
const patch = await import('./accel/patch-models.js');
const models = await import('@reacgan/models');
if (accel.has('bn')) patch.patchModelsBatchNorm(models);
if (accel.has('fusedconv')) await patch.patchModelsFusedConv(models);
if (accel.has('snmatmul')) patch.patchModelsDeconvSpectralNorm(models);
const { LocalStep } = await import('./local-step.js');
const runner = new LocalStep(findPreset(values.preset), Number(values['batch-size']));
for (let i = 0; i < 2; i++) await runner.step();
await runner.flush();
const times = await runner.phaseTimes(Number(values.reps));
for (const [name, ms] of Object.entries(times)) console.log(`${name.padEnd(28)} ${median(ms).toFixed(1).padStart(8)} ms   [${ms.map((t) => t.toFixed(0)).join(' ')}]`);
void (tf as typeof TF);
runner.dispose();
