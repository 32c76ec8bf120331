/**
 * Per-kernel profile of one preset's training step, ours (tf.profile: kernel times of the trainer's step) and,
 * with --torch, StudioGAN's (torch.profiler: self CPU time per op of its own training step), for
 * docs/performance.md:
 *
 *   node bench/dist/profile.js --preset cifar10/reacgan [--n 1] [--warmup 1] [--top 25] [--shapes]
 *     [--switch list] [--env KEY=VALUE …] [--torch] [--batch-size 64] [--threads 2] [--studiogan DIR]
 *
 * Both sides run with glibc's tuned malloc settings (as `pnpm bench --malloc tuned`), PyTorch with OMP PASSIVE.
 *
 * Prints markdown tables (ms per step, share of the kernel total). Kernel times under tf.profile are
 * measured one kernel at a time (each waits for its result), so their sum is close to the step's wall time.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DIST_DIR, BENCH_DIR, referencePython, studioganCheckout, studioganRoot } from './paths.js';
import { findPreset, presetOverrides, STUDIOGAN_COMMITS } from './presets.js';
import { WorkerClient } from './worker-client.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'deep_conv/reacgan' },
    n: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '1' },
    top: { type: 'string', default: '25' },
    shapes: { type: 'boolean', default: false },
    switch: { type: 'string', default: '' },
    studiogan: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    torch: { type: 'boolean', default: false },
    'batch-size': { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
  },
});

interface Profile {
  wallMsPerStep: number;
  kernelMsPerStep?: number;
  opMsPerStep?: number;
  kernelsPerStep?: number;
  opsPerStep?: number;
  table: { name: string; count: number; ms: number }[];
}

const preset = findPreset(values.preset);
const env: NodeJS.ProcessEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', GLIBC_TUNABLES: 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=0x7fffffffffff' };
const root = studioganRoot(values.studiogan);
for (const kv of values.env ?? []) {
  const i = kv.indexOf('=');
  if (i <= 0) throw new Error(`--env: expected KEY=VALUE, received '${kv}'`);
  env[kv.slice(0, i)] = kv.slice(i + 1);
}
const n = Number(values.n);
const warmup = Number(values.warmup);
const top = Number(values.top);

function table(title: string, p: Profile, total: number): string {
  const lines = [`### ${title}`, '', `wall ${p.wallMsPerStep.toFixed(0)} ms/step under the profiler; listed total ${total.toFixed(0)} ms/step` + (p.kernelsPerStep ? `, ${p.kernelsPerStep.toFixed(0)} kernels/step` : '') + (p.opsPerStep ? `, ${p.opsPerStep.toFixed(0)} aten ops/step` : ''), '', '| kernel / op | calls/step | ms/step | share |', '| --- | ---: | ---: | ---: |'];
  for (const r of p.table.slice(0, top)) lines.push(`| ${r.name} | ${r.count.toFixed(0)} | ${r.ms.toFixed(0)} | ${((100 * r.ms) / total).toFixed(1)} % |`);
  const rest = p.table.slice(top).reduce((a, r) => a + r.ms, 0);
  if (rest > 0) lines.push(`| (${p.table.length - top} others) | | ${rest.toFixed(0)} | ${((100 * rest) / total).toFixed(1)} % |`);
  return lines.join('\n');
}

const ours = new WorkerClient('ours', process.execPath, ['--import', join(DIST_DIR, 'register-hooks.js'), join(DIST_DIR, 'ours-worker.js'), '--preset', preset.name, '--batch-size', values['batch-size'], '--threads', values.threads, '--studiogan', root, '--switch', values.switch], env);
try {
  const info = await ours.request<Record<string, unknown>>({ cmd: 'info' });
  process.stderr.write(`[profile] ours: ${preset.name}, batch ${values['batch-size']}, TF ${String(info.tensorflow)}, oneDNN ${String(info.onednn)}, ${(info.notes as string[]).length ? `; ${(info.notes as string[]).join('; ')}` : ''}\n`);
  await ours.request({ cmd: 'steps', n: warmup });
  const p = await ours.request<Profile>({ cmd: 'profile', n, shapes: values.shapes });
  console.log(table(`ours: ${preset.name}, batch ${values['batch-size']} (tf.profile kernel times)`, p, p.kernelMsPerStep ?? 0));
} finally {
  await ours.close();
}

if (values.torch) {
  const tenv: NodeJS.ProcessEnv = { ...env, OMP_NUM_THREADS: values.threads, OMP_WAIT_POLICY: 'PASSIVE' };
  const checkout = studioganCheckout(root, preset.studiogan.commit, STUDIOGAN_COMMITS[preset.studiogan.commit]);
  const args = [join(BENCH_DIR, 'python', 'studiogan_step.py'), '--checkout', checkout, '--config', preset.studiogan.config, '--overrides', JSON.stringify(presetOverrides(preset, Number(values['batch-size']))), '--threads', values.threads];
  const torch = new WorkerClient('StudioGAN', referencePython(), args, tenv);
  try {
    await torch.request({ cmd: 'steps', n: warmup });
    const p = await torch.request<Profile>({ cmd: 'profile', n, shapes: values.shapes });
    console.log();
    console.log(table(`StudioGAN ${preset.studiogan.commit}: ${preset.name}, batch ${values['batch-size']} (torch.profiler self CPU time)`, p, p.opMsPerStep ?? 0));
  } finally {
    await torch.close();
  }
}
