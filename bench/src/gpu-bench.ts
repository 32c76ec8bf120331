/**
 * The GPU measurement (scripts/gpu/run.sh runs it from the bundle on the GPU machine; it also runs from
 * bench/dist anywhere): the cifar10/reacgan training step (StudioGAN CIFAR10/ReACGAN.yaml: big_resnet, ch 96,
 * attention, D2D-CE) through reacgan's Trainer on one backend (default webgpu), at each batch size, next to the
 * same step in PyTorch (bench/python/torch_step.py: the models package's PyTorch transcription, which runs on CUDA;
 * `pnpm bench` on CPU runs StudioGAN's own code instead) on the same machine's GPU
 * and CPU. Each measured step ends with its losses read back (`flush`), which waits for the GPU: the wall time
 * is the step's. ms/step is the median over the repetitions after the warm-up.
 *
 *   node bench/dist/gpu-bench.js --out DIR [--backend webgpu] [--batch-sizes 64,128] [--warmup 3] [--reps 12]
 *     [--python python3] [--torch-devices cuda,cpu] [--cpu-reps 5] [--profile-batch 64]
 *
 * Writes DIR/gpu-bench.json and DIR/gpu-bench.md.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendReport, initBackend } from 'reacgan';
import { findPreset } from './presets.js';
import { median } from './stats.js';
import { TrainerStep } from './trainer-step.js';
import { WorkerClient } from './worker-client.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    backend: { type: 'string', default: 'webgpu' },
    preset: { type: 'string', default: 'cifar10/reacgan' },
    'batch-sizes': { type: 'string', default: '64,128' },
    warmup: { type: 'string', default: '3' },
    reps: { type: 'string', default: '12' },
    python: { type: 'string', default: process.env.REACGAN_BENCH_PYTHON ?? 'python3' },
    'torch-script': { type: 'string' },
    'torch-devices': { type: 'string', default: 'cuda,cpu' },
    'cpu-reps': { type: 'string', default: '5' },
    'profile-batch': { type: 'string', default: '64' },
  },
});
if (!values.out) {
  process.stderr.write('gpu-bench: --out DIR is required\n');
  process.exit(2);
}
const out = values.out;
const batchSizes = values['batch-sizes'].split(',').map(Number);
const warmup = Number(values.warmup);
const reps = Number(values.reps);
const preset = findPreset(values.preset);
const log = (line: string) => process.stderr.write(`[gpu-bench] ${line}\n`);

interface Side {
  side: string;
  batchSize: number;
  msPerStep: number | null;
  samples: number[];
  detail?: Record<string, unknown>;
  error?: string;
}

const report = await initBackend({ backend: values.backend });
log(formatBackendReport(report).replace(/\n/g, '\n[gpu-bench] '));
const results: Side[] = [];
const profiles: Record<string, unknown> = {};

async function measureOurs(): Promise<void> {
  for (const batchSize of batchSizes) {
    const t0 = performance.now();
    try {
      const runner = await TrainerStep.create(preset, null, batchSize);
      const step = async () => {
        const s = performance.now();
        await runner.step();
        const losses = await runner.flush();
        if (!losses.every((l) => l.every(Number.isFinite))) throw new Error(`non-finite losses ${JSON.stringify(losses)}`);
        return performance.now() - s;
      };
      for (let i = 0; i < warmup; i++) log(`ours ${report.backend} batch ${batchSize}: warm-up ${i + 1}/${warmup}: ${(await step()).toFixed(0)} ms`);
      const tensors0 = tf.memory().numTensors;
      const samples: number[] = [];
      for (let i = 0; i < reps; i++) samples.push(await step());
      const growth = (tf.memory().numTensors - tensors0) / reps;
      log(`ours ${report.backend} batch ${batchSize}: median ${median(samples).toFixed(1)} ms/step over ${reps} (${samples.map((s) => s.toFixed(0)).join(' ')})`);
      if (batchSize === Number(values['profile-batch'])) {
        const info = await tf.profile(async () => {
          await runner.step();
          await runner.flush();
        });
        const byKernel = new Map<string, { count: number; ms: number }>();
        for (const k of info.kernels) {
          const ms = Number(await k.kernelTimeMs);
          const e = byKernel.get(k.name) ?? { count: 0, ms: 0 };
          e.count += 1;
          e.ms += Number.isFinite(ms) ? ms : 0;
          byKernel.set(k.name, e);
        }
        const table = [...byKernel].map(([name, e]) => ({ name, count: e.count, ms: Math.round(e.ms * 100) / 100 })).sort((a, b) => b.ms - a.ms);
        profiles[`${report.backend}/${batchSize}`] = { kernels: info.kernels.length, kernelMsTotal: table.reduce((a, r) => a + r.ms, 0), table: table.slice(0, 30) };
      }
      results.push({ side: `ours (${report.backend})`, batchSize, msPerStep: median(samples), samples, detail: { params: runner.parameterCounts, tensorsGrowthPerStep: growth, setupSeconds: (performance.now() - t0) / 1000 } });
      runner.dispose();
    } catch (error) {
      log(`ours batch ${batchSize} FAILED: ${(error as Error).stack ?? String(error)}`);
      results.push({ side: `ours (${report.backend})`, batchSize, msPerStep: null, samples: [], error: (error as Error).message });
    }
  }
}

const torchScript = values['torch-script'] ?? join(import.meta.dirname ?? '.', '..', 'python', 'torch_step.py');
async function measureTorch(device: string): Promise<void> {
  {
    for (const batchSize of batchSizes) {
      const label = `PyTorch (${device})`;
      const threads = String(cpus().length);
      const client = new WorkerClient(label, values.python, [torchScript, '--preset', preset.name, '--batch-size', String(batchSize), '--device', device, '--threads', threads], {
        ...process.env,
        OMP_NUM_THREADS: threads,
      });
      try {
        const info = await client.request<Record<string, unknown>>({ cmd: 'info' });
        if (info.error) throw new Error(String(info.error));
        const n = device === 'cpu' ? Number(values['cpu-reps']) : reps;
        await client.request({ cmd: 'steps', n: device === 'cpu' ? 1 : warmup });
        const reply = await client.request<{ ms: number[] }>({ cmd: 'steps', n });
        log(`${label} batch ${batchSize}: median ${median(reply.ms).toFixed(1)} ms/step over ${n}`);
        results.push({ side: label, batchSize, msPerStep: median(reply.ms), samples: reply.ms, detail: { ...info, config: undefined } });
      } catch (error) {
        log(`${label} batch ${batchSize} unavailable: ${(error as Error).message.split('\n')[0]}`);
        results.push({ side: label, batchSize, msPerStep: null, samples: [], error: (error as Error).message.slice(0, 2000) });
      } finally {
        await client.close().catch(() => undefined);
      }
    }
  }
}

const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
function save(): void {
  const summary = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    backend: report,
    preset: preset.name,
    warmup,
    reps,
    results: results.map((r) => ({ ...r, msPerStep: round(r.msPerStep), samples: r.samples.map((s) => round(s)) })),
    profiles,
  };
  writeFileSync(join(out, 'gpu-bench.json'), JSON.stringify(summary, null, 2) + '\n');
  const ours = (bs: number) => results.find((r) => r.side.startsWith('ours') && r.batchSize === bs)?.msPerStep ?? null;
  const lines = [
    `# ${preset.name} training step, ${summary.date}`,
    '',
    `ours: ${formatBackendReport(report).split('\n').join('; ')}`,
    '',
    '| side | batch | ms/step (median) | ratio to ours |',
    '| --- | --- | --- | --- |',
    ...results.map((r) => {
      const o = ours(r.batchSize);
      return `| ${r.side} | ${r.batchSize} | ${r.msPerStep === null ? `n/a (${(r.error ?? '').split('\n')[0].slice(0, 80)})` : r.msPerStep.toFixed(1)} | ${r.msPerStep && o ? (o / r.msPerStep).toFixed(2) : ''} |`;
    }),
    '',
  ];
  writeFileSync(join(out, 'gpu-bench.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n') + '\n');
}

// PyTorch on the GPU first (seconds), then ours, then PyTorch on the CPU; results are saved after each part, so
// a time limit that cuts the run short keeps what was measured.
const devices = values['torch-devices'].split(',').filter(Boolean);
for (const device of devices.filter((d) => d !== 'cpu')) {
  await measureTorch(device);
  save();
}
await measureOurs();
save();
if (devices.includes('cpu')) {
  await measureTorch('cpu');
  save();
}
