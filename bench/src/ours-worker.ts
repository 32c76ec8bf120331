/**
 * TypeScript side of the benchmark, as a long-lived worker process (one per preset, so that peak RSS is per
 * preset). Same line protocol as bench/python/studiogan_step.py:
 *   {"cmd":"info"} {"cmd":"steps","n":k} {"cmd":"check","n":k} {"cmd":"mem"} {"cmd":"profile","n":k} {"cmd":"quit"}
 * Usage: node bench/dist/ours-worker.js --preset <name> [--batch-size 64] [--threads 2] [--studiogan DIR] [--switch list]
 *   [--backend tensorflow|webgpu|…] (default tensorflow; on webgpu each timed step ends with its losses read back,
 *   which waits for the GPU)
 * TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS default to --threads (set before tfjs-node loads).
 */
import { parseArgs } from 'node:util';
import { serveCommands } from './worker-protocol.js';
import { studioganCheckout, studioganRoot } from './paths.js';
import { findPreset, STUDIOGAN_COMMITS } from './presets.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string' },
    'batch-size': { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    studiogan: { type: 'string' },
    switch: { type: 'string', default: '' },
    backend: { type: 'string', default: 'tensorflow' },
  },
});
/**
 * Off switches of what users get by default, for comparisons (comma-separated):
 *   portable (@reacgan/models' native kernels off: setNativeKernels(false)),
 *   nofiltermm (only the models package's MatMul filter gradient off: setMatMulFilterGradient(false)).
 */
const SWITCHES = ['portable', 'nofiltermm'];
const switches = new Set((values.switch ?? '').split(',').map((s) => s.trim()).filter(Boolean));
for (const s of switches) if (!SWITCHES.includes(s)) throw new Error(`--switch: unknown '${s}' (expected ${SWITCHES.join(', ')})`);
const preset = findPreset(values.preset ?? '');
const batchSize = Number(values['batch-size']);
// Our side reads the preset's StudioGAN YAML from the checkout; without one, reacgan's own preset equal to that
// file stands in where there is one (said in the notes), else the missing checkout is the error.
let checkout: string | null;
const checkoutNotes: string[] = [];
try {
  checkout = studioganCheckout(studioganRoot(values.studiogan), preset.studiogan.commit, STUDIOGAN_COMMITS[preset.studiogan.commit]);
} catch (error) {
  if (!preset.reacganPreset) throw new Error(`${preset.name}: our side reads ${preset.studiogan.config} from StudioGAN at ${preset.studiogan.commit} (also with --no-torch), and ${(error as Error).message}`);
  checkout = null;
  checkoutNotes.push(`no StudioGAN checkout: configured from reacgan's preset ${preset.reacganPreset} (equal to ${preset.studiogan.config} at ${preset.studiogan.commit})`);
}
process.env.TF_NUM_INTRAOP_THREADS ??= values.threads;
process.env.TF_NUM_INTEROP_THREADS ??= values.threads;
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

const tf = await import('@tensorflow/tfjs-core');
// The backend as the CLI initialises it.
const { initBackend } = await import('reacgan');
await initBackend({ backend: values.backend, threads: Number(values.threads) });
const models = await import('@reacgan/models');
const notes: string[] = [...checkoutNotes];
if (switches.has('portable')) {
  models.setNativeKernels(false);
  notes.push('@reacgan/models native kernels OFF (portable tfjs path)');
}
if (switches.has('nofiltermm')) {
  models.setMatMulFilterGradient(false);
  notes.push('@reacgan/models MatMul filter gradient OFF (Conv2DBackpropFilter everywhere)');
}

const { TrainerStep } = await import('./trainer-step.js');
const runner = await TrainerStep.create(preset, checkout, batchSize);
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
      backend: tf.getBackend(),
      tfjs: tf.version_core,
      tensorflow: binding?.TF_Version,
      threads: Number(process.env.TF_NUM_INTRAOP_THREADS),
      interopThreads: Number(process.env.TF_NUM_INTEROP_THREADS),
      node: process.version,
      notes,
      onednn: process.env.TF_ENABLE_ONEDNN_OPTS ?? '(TensorFlow default)',
      env: { GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? null, LD_PRELOAD: process.env.LD_PRELOAD ?? null },
    };
  },
  steps: async ({ n = 1 }) => {
    const ms: number[] = [];
    const cpuMs: number[] = [];
    const minorFaults: number[] = [];
    const sysMs: number[] = [];
    for (let i = 0; i < n; i++) {
      const r0 = process.resourceUsage();
      const t0 = performance.now();
      await runner.step();
      // GPU backends queue the work: wait for it (the losses' read-back) inside the timed step.
      if (gpuBackend) await runner.flush();
      ms.push(performance.now() - t0);
      const r1 = process.resourceUsage();
      cpuMs.push((r1.userCPUTime + r1.systemCPUTime - r0.userCPUTime - r0.systemCPUTime) / 1000);
      sysMs.push((r1.systemCPUTime - r0.systemCPUTime) / 1000);
      minorFaults.push(r1.minorPageFault - r0.minorPageFault);
    }
    await runner.flush();
    return { ms, cpuMs, minorFaults, sysMs, numTensors: tf.memory().numTensors };
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
