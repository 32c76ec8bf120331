/**
 * TypeScript side of the benchmark, as a long-lived worker process (one per preset, so that peak RSS
 * is per preset). Same line protocol as bench/python/torch_step.py:
 *   {"cmd":"info"} {"cmd":"steps","n":k} {"cmd":"check","n":k} {"cmd":"mem"} {"cmd":"profile","n":k} {"cmd":"quit"}
 * Usage: node bench/dist/ours-worker.js --preset <name> [--batch-size 64] [--threads 2] [--step trainer|local]
 *   [--backend tensorflow|webgpu|…] (default tensorflow; on webgpu each timed step ends with its losses read back,
 *   which waits for the GPU)
 * TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS default to --threads (set before tfjs-node loads).
 */
import { parseArgs } from 'node:util';
import { serveCommands } from './worker-protocol.js';
import { findPreset } from './presets.js';
import type { StepRunner } from './step-runner.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string' },
    'batch-size': { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    step: { type: 'string', default: 'auto' },
    accel: { type: 'string', default: '' },
    backend: { type: 'string', default: 'tensorflow' },
  },
});
/**
 * Switches for comparisons (comma-separated). Off switches of what users get by default:
 *   portable (@reacgan/models' native kernels off: setNativeKernels(false)),
 *   nofiltermm (only the models package's MatMul filter gradient off: setMatMulFilterGradient(false)).
 * Bench prototypes (bench/src/accel; most are now in @reacgan/models and on by default): fastgrad (Relu + Tile
 * gradients), tilegrad (Tile only), bn (native fused batch norm), fusedconv (conv + bias + ReLU kernel),
 * snmatmul (deconv SN by matMul), filtermm (the backend's Conv2DBackpropFilter kernel replaced by MatMuls).
 */
const ACCEL = ['portable', 'nofiltermm', 'fastgrad', 'tilegrad', 'bn', 'fusedconv', 'snmatmul', 'filtermm'];
const accel = new Set((values.accel ?? '').split(',').map((s) => s.trim()).filter(Boolean));
for (const a of accel) if (!ACCEL.includes(a)) throw new Error(`--accel: unknown '${a}' (expected ${ACCEL.join(', ')})`);
const preset = findPreset(values.preset ?? '');
const batchSize = Number(values['batch-size']);
process.env.TF_NUM_INTRAOP_THREADS ??= values.threads;
process.env.TF_NUM_INTEROP_THREADS ??= values.threads;
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

const tf = await import('@tensorflow/tfjs-core');
// The backend as the CLI initialises it (reacgan's initBackend), else directly.
let backendVia = 'initBackend';
try {
  const { initBackend } = await import('reacgan');
  await initBackend({ backend: values.backend, threads: Number(values.threads) });
} catch (error) {
  backendVia = `@tensorflow/tfjs-node (reacgan initBackend unavailable: ${(error as Error).message.split('\n')[0]})`;
  await import('@tensorflow/tfjs-node');
  await tf.setBackend('tensorflow');
  await tf.ready();
}
const accelerations: string[] = [];
if (accel.has('portable') || accel.has('nofiltermm')) {
  const models = await import('@reacgan/models');
  if (accel.has('portable')) {
    models.setNativeKernels(false);
    accelerations.push('@reacgan/models native kernels OFF (portable tfjs path)');
  }
  if (accel.has('nofiltermm')) {
    models.setMatMulFilterGradient(false);
    accelerations.push('@reacgan/models MatMul filter gradient OFF (Conv2DBackpropFilter everywhere)');
  }
}
if (accel.has('filtermm')) accelerations.push(...(await import('./accel/filter-grad.js')).installMatMulFilterGradient());
if (accel.has('fastgrad')) {
  const { installFastGradients } = await import('./accel/native-gradients.js');
  accelerations.push(...installFastGradients());
} else if (accel.has('tilegrad')) {
  const { installFastGradients } = await import('./accel/native-gradients.js');
  accelerations.push(...installFastGradients({ relu: false, tile: true }));
}
if (accel.has('bn') || accel.has('fusedconv') || accel.has('snmatmul')) {
  const patch = await import('./accel/patch-models.js');
  const models = await import('@reacgan/models');
  if (accel.has('bn')) accelerations.push(...patch.patchModelsBatchNorm(models));
  if (accel.has('fusedconv')) {
    if (!accel.has('fastgrad')) accelerations.push(...(await import('./accel/native-gradients.js')).installFastGradients());
    accelerations.push(...(await patch.patchModelsFusedConv(models)));
  }
  if (accel.has('snmatmul')) accelerations.push(...patch.patchModelsDeconvSpectralNorm(models));
}

async function makeRunner(kind: string): Promise<{ runner: StepRunner; kind: string }> {
  if (kind === 'trainer' || kind === 'auto') {
    try {
      const { TrainerStep } = await import('./trainer-step.js');
      return { runner: await TrainerStep.create(preset, batchSize), kind: 'trainer' };
    } catch (error) {
      if (kind === 'trainer') throw error;
      process.stderr.write(`[bench] the trainer is not usable yet (${(error as Error).message.split('\n')[0]}); using the bench-local step\n`);
    }
  }
  const { LocalStep } = await import('./local-step.js');
  return { runner: new LocalStep(preset, batchSize), kind: 'local' };
}

const { runner, kind } = await makeRunner(values.step ?? 'auto');
const gpuBackend = tf.getBackend() === 'webgpu' || tf.getBackend() === 'webgl';

async function profile(n: number, withShapes: boolean): Promise<unknown> {
  const byKernel = new Map<string, { count: number; ms: number }>();
  let kernelMs = 0;
  let wallMs = 0;
  let kernels = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await runner.step();
    });
    wallMs += performance.now() - t0;
    for (const k of info.kernels) {
      const ms = Number(await k.kernelTimeMs);
      const key = withShapes ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
      const entry = byKernel.get(key) ?? { count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += ms;
      byKernel.set(key, entry);
      kernelMs += ms;
      kernels += 1;
    }
    await runner.flush();
  }
  const table = [...byKernel.entries()].map(([name, e]) => ({ name, count: e.count / n, ms: e.ms / n })).sort((a, b) => b.ms - a.ms);
  return { kernelsPerStep: kernels / n, kernelMsPerStep: kernelMs / n, wallMsPerStep: wallMs / n, table };
}

await serveCommands<{ cmd: string; n?: number; shapes?: boolean }>({
  info: () => {
    const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    return {
      params: runner.parameterCounts,
      step: kind,
      backend: tf.getBackend(),
      tfjs: tf.version_core,
      tensorflow: binding?.TF_Version,
      threads: Number(process.env.TF_NUM_INTRAOP_THREADS),
      interopThreads: Number(process.env.TF_NUM_INTEROP_THREADS),
      node: process.version,
      backendVia,
      accelerations,
      onednn: process.env.TF_ENABLE_ONEDNN_OPTS ?? '(TensorFlow default)',
    };
  },
  steps: async ({ n = 1 }) => {
    const ms: number[] = [];
    const cpuMs: number[] = [];
    for (let i = 0; i < n; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await runner.step();
      // GPU backends queue the work: wait for it (the losses' read-back) inside the timed step.
      if (gpuBackend) await runner.flush();
      ms.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuMs.push((c.user + c.system) / 1000);
    }
    await runner.flush();
    return { ms, cpuMs, numTensors: tf.memory().numTensors };
  },
  check: async ({ n = 1 }) => {
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      await runner.step();
      counts.push(tf.memory().numTensors);
    }
    const lossValues = await runner.flush();
    return { losses: lossValues, numTensors: counts, afterFlush: tf.memory().numTensors };
  },
  profile: ({ n = 1, shapes = false }) => profile(n, shapes),
});
runner.dispose();
