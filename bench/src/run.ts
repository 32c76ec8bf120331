/**
 * `pnpm bench` — ReACGAN on TensorFlow.js next to StudioGAN's own PyTorch code, same machine, same invocation.
 *
 * 1. Training step (one D update + one G update + EMA) per preset: our side is reacgan's Trainer on the native
 *    backend (bench/src/ours-worker.ts), the PyTorch side is StudioGAN's `WORKER.train_discriminator` +
 *    `train_generator` from a checkout at the preset's pinned commit (bench/python/studiogan_step.py), both built
 *    from the same StudioGAN YAML file and overrides; each side in its own process, timed alternately
 *    (A B C, C B A, …). Per allocator setting (glibc's default malloc, and the tuned one, the same on both sides)
 *    medians, ratios, page faults and peak RSS; a matmul calibration before, during and after each preset, and no
 *    ratio when it moved by more than 15 %.
 * 2. inception-v3-fid feature extraction, images/s, ours vs PyTorch on the same (seeded random) weights.
 * 3. FID math at d = 2048: ours vs scipy.linalg.sqrtm (pytorch-fid's formula) on the same matrices.
 *
 *   node bench/dist/run.js [--json] [--presets a,b] [--sections step,features,fid] [--reps N] [--warmup N]
 *     [--threads 2] [--batch-size 64] [--studiogan DIR] [--malloc both|tuned|default] [--env KEY=VALUE …]
 *     [--variants JSON] [--torch-omp both|default|passive] [--no-torch] [--quick] [--backend tensorflow|webgpu]
 *
 * With --json the last line printed is a JSON array, one object per preset and allocator setting, with the keys
 * { preset, batchSize, oursMsPerStep, torchMsPerStep, ratio, …, malloc, studiogan, calibration }.
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, DIST_DIR, REPO_DIR, referencePython, studioganCheckout, studioganRoot } from './paths.js';
import { BENCH_PRESETS, findPreset, presetOverrides, STUDIOGAN_COMMITS, type BenchPreset } from './presets.js';
import { calibrationCheck, extrasTable, jsonLine, presetTable, round, sidesTable, type ExtraResults, type PresetResult, type SideSummary } from './report.js';
import { median, relativeSpread } from './stats.js';
import { WorkerClient } from './worker-client.js';

const USAGE = `usage: pnpm bench [--json] [--quick] [--presets ${BENCH_PRESETS.map((p) => p.name).join(',')}] [--sections step,features,fid]
  [--reps N] [--warmup N] [--threads 2] [--batch-size 64] [--backend tensorflow|webgpu] [--studiogan DIR] [--malloc both|tuned|default] [--no-torch]
  [--env KEY=VALUE] [--variants JSON] [--torch-omp both|default|passive] (docs/performance.md)`;
const SECTIONS = ['step', 'features', 'fid'];
function parseCli() {
  try {
    return parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        presets: { type: 'string' },
        sections: { type: 'string', default: 'step,features,fid' },
        reps: { type: 'string' },
        warmup: { type: 'string' },
        threads: { type: 'string', default: '2' },
        'batch-size': { type: 'string', default: '64' },
        studiogan: { type: 'string' },
        malloc: { type: 'string', default: 'both' },
        env: { type: 'string', multiple: true, default: [] },
        backend: { type: 'string', default: 'tensorflow' },
        variants: { type: 'string' },
        'torch-omp': { type: 'string' },
        'no-torch': { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        'feature-images': { type: 'string', default: '32' },
        'fid-dim': { type: 'string', default: '2048' },
      },
      allowPositionals: false,
    });
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}
const { values } = parseCli();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const threads = Number(values.threads);
const batchSize = Number(values['batch-size']);
const sections = new Set(values.sections.split(',').map((s) => s.trim()));
for (const section of sections) {
  if (!SECTIONS.includes(section)) {
    process.stderr.write(`bench: --sections: expected a comma-separated subset of ${SECTIONS.join(', ')}, received '${values.sections}'\n`);
    process.exit(2);
  }
}
const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * glibc malloc settings, applied alike to both sides. 'default' is glibc's own: large blocks come from mmap and
 * freed memory goes back to the kernel, so every step faults its working set in again (on PyTorch's side ≈ 1.8
 * million minor page faults per BigGAN step here, docs/performance.md). 'tuned' keeps freed memory in the heap
 * (no mmap for large blocks, no trimming), as a CPU user tunes a training process.
 */
const MALLOC: Record<string, Record<string, string>> = {
  tuned: { GLIBC_TUNABLES: 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=0x7fffffffffff' },
  default: {},
};
const mallocSettings = values.malloc === 'both' ? ['tuned', 'default'] : [values.malloc];
for (const m of mallocSettings) {
  if (!MALLOC[m]) {
    process.stderr.write(`bench: --malloc: expected both, tuned or default, received '${values.malloc}'\n`);
    process.exit(2);
  }
}
/** Largest allowed max/min of the matmul calibration during a preset before its ratios are withheld. */
const CALIBRATION_TOLERANCE = 1.15;

interface Variant {
  label: string;
  /** Off switches of ours-worker.ts (portable, nofiltermm). */
  switch?: string;
  env?: Record<string, string>;
  /**
   * The bench/dist folder of another checkout (built there with `pnpm --filter @reacgan/bench... build`): its
   * worker runs that checkout's code, so two commits are timed in the same interleaved run.
   */
  dist?: string;
}

function parseEnv(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--env: expected KEY=VALUE, received '${kv}'`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Our variants: by default one ('ours', what users run); --variants '[{"label","switch","env","dist"}, …]' to compare. */
function variants(): Variant[] {
  if (!values.variants) return [{ label: 'ours', env: parseEnv(values.env ?? []) }];
  const parsed = JSON.parse(values.variants) as Variant[];
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.some((v) => typeof v.label !== 'string')) {
    throw new Error(`--variants: expected a JSON array of { label, switch?, env?, dist? }, received ${values.variants}`);
  }
  return parsed;
}

/** Repetitions per preset: cheap presets get more (the BigGAN step costs seconds). */
function plan(preset: BenchPreset): { warmup: number; reps: number } {
  const heavy = preset.heavy === true;
  const reps = values.reps ? Number(values.reps) : values.quick ? (heavy ? 2 : 3) : heavy ? 4 : 7;
  const warmup = values.warmup ? Number(values.warmup) : heavy ? 1 : 2;
  return { warmup, reps };
}

interface Side {
  label: string;
  kind: 'ours' | 'torch';
  client: WorkerClient;
  ms: number[];
  cpuMs: number[];
  faults: number[];
  sysMs: number[];
  tensors: number[];
}

function baseEnv(malloc: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' };
  delete env.GLIBC_TUNABLES;
  return { ...env, ...MALLOC[malloc] };
}

const root = studioganRoot(values.studiogan);

function oursSide(preset: BenchPreset, v: Variant, malloc: string): Side {
  const dist = v.dist ?? DIST_DIR;
  const args = ['--import', join(dist, 'register-hooks.js'), join(dist, 'ours-worker.js'), '--preset', preset.name, '--batch-size', String(batchSize), '--threads', String(threads), '--studiogan', root, '--switch', v.switch ?? '', ...(values.backend && values.backend !== 'tensorflow' ? ['--backend', values.backend] : [])];
  const label = mallocSettings.length > 1 ? `${v.label} [${malloc}]` : v.label;
  const client = new WorkerClient(label, process.execPath, args, { ...baseEnv(malloc), ...(v.env ?? {}) });
  return { label, kind: 'ours', client, ms: [], cpuMs: [], faults: [], sysMs: [], tensors: [] };
}

/**
 * PyTorch's OpenMP threads spin-wait for a while after each parallel region (libgomp's default), which
 * degrades badly on a shared, oversubscribed machine; OMP_WAIT_POLICY=PASSIVE is the usual remedy there.
 * 'both' runs the two settings and the faster counts (PyTorch's best case). Never ACTIVE: an idle ACTIVE
 * process spins forever and would take the CPU from the side being timed.
 */
function torchSides(preset: BenchPreset, malloc: string): Side[] {
  if (values['no-torch']) return [];
  const omp = values['torch-omp'] ?? (!preset.heavy && !values.quick ? 'both' : 'passive');
  if (!['both', 'default', 'passive'].includes(omp)) throw new Error(`--torch-omp: expected both, default or passive, received '${omp}'`);
  const policies = omp === 'both' ? ['default', 'PASSIVE'] : [omp === 'passive' ? 'PASSIVE' : 'default'];
  const checkout = studioganCheckout(root, preset.studiogan.commit, STUDIOGAN_COMMITS[preset.studiogan.commit]);
  return policies.map((policy) => {
    const env: NodeJS.ProcessEnv = { ...baseEnv(malloc), OMP_NUM_THREADS: String(threads) };
    delete env.OMP_WAIT_POLICY;
    if (policy !== 'default') env.OMP_WAIT_POLICY = policy;
    const label = `StudioGAN (OMP ${policy})${mallocSettings.length > 1 ? ` [${malloc}]` : ''}`;
    const args = [join(BENCH_DIR, 'python', 'studiogan_step.py'), '--checkout', checkout, '--config', preset.studiogan.config, '--overrides', JSON.stringify(presetOverrides(preset, batchSize)), '--threads', String(threads)];
    const client = new WorkerClient(label, referencePython(), args, env);
    return { label, kind: 'torch' as const, client, ms: [], cpuMs: [], faults: [], sysMs: [], tensors: [] };
  });
}

type Params = { G: number; D: number };

async function runPreset(preset: BenchPreset, malloc: string): Promise<PresetResult> {
  const { warmup, reps } = plan(preset);
  const sides = [...variants().map((v) => oursSide(preset, v, malloc)), ...torchSides(preset, malloc)];
  try {
    const infos = new Map<Side, { params: Params } & Record<string, unknown>>();
    for (const s of sides) infos.set(s, await s.client.request({ cmd: 'info' }));
    const ours = sides.filter((s) => s.kind === 'ours');
    const torches = sides.filter((s) => s.kind === 'torch');
    const oursInfo = infos.get(ours[0])!;
    const torchInfo = torches.length ? infos.get(torches[0])! : null;
    const equal = torchInfo ? torchInfo.params.G === oursInfo.params.G && torchInfo.params.D === oursInfo.params.D : null;
    const studiogan = torchInfo ? (torchInfo.studiogan as { commit: string | null; config: string; overrides: unknown }) : null;
    log(
      `[bench] ${preset.name} [malloc ${malloc}]: batch ${batchSize}, ${threads} threads; ours: tfjs ${String(oursInfo.tfjs)}, TF ${String(oursInfo.tensorflow)}, G ${oursInfo.params.G} D ${oursInfo.params.D}` +
        (torchInfo ? `; StudioGAN ${studiogan?.commit} (torch ${String(torchInfo.torch)}): G ${torchInfo.params.G} D ${torchInfo.params.D}${equal ? ' (equal)' : '  <-- PARAMETER COUNTS DIFFER'}` : ''),
    );
    for (const s of ours) {
      const info = infos.get(s)!;
      const notes = (info.notes as string[] | undefined) ?? [];
      log(`[bench]   ${s.label}: TF_ENABLE_ONEDNN_OPTS ${String(info.onednn)}${notes.length ? `; ${notes.join('; ')}` : ''}`);
    }
    // Warm-up (kernel selection, allocator growth, oneDNN primitive caches), then rotating repetitions.
    for (const s of sides) await s.client.request({ cmd: 'steps', n: warmup });
    const calibrate = async () => (torches.length ? (await torches[0].client.request<{ gflops: number }>({ cmd: 'calibrate' })).gflops : NaN);
    const gflops: number[] = [await calibrate()];
    const load0 = loadavg()[0];
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const s of order) {
        const reply = await s.client.request<{ ms: number[]; cpuMs: number[]; minorFaults: number[]; sysMs: number[]; numTensors?: number }>({ cmd: 'steps', n: 1 });
        s.ms.push(...reply.ms);
        s.cpuMs.push(...reply.cpuMs);
        s.faults.push(...reply.minorFaults);
        s.sysMs.push(...reply.sysMs);
        if (reply.numTensors !== undefined) s.tensors.push(reply.numTensors);
      }
      gflops.push(await calibrate());
      log(`[bench]   rep ${r + 1}/${reps}: ${sides.map((s) => `${s.label} ${s.ms[s.ms.length - 1].toFixed(0)} ms`).join(', ')}; matmul ${gflops[gflops.length - 1].toFixed(1)} GFLOP/s`);
    }
    const load1 = loadavg()[0];
    const calibration = calibrationCheck(gflops, CALIBRATION_TOLERANCE);
    if (!calibration.stable) log(`[bench]   the matmul calibration moved by ${(100 * (calibration.moved - 1)).toFixed(0)} % (> ${(100 * (CALIBRATION_TOLERANCE - 1)).toFixed(0)} %): no ratio is reported for this preset`);
    const summaries: SideSummary[] = [];
    for (const s of sides) {
      const mem = await s.client.request<{ peakRssMiB: number }>({ cmd: 'mem' });
      summaries.push({
        label: s.label,
        kind: s.kind,
        msPerStep: round(median(s.ms), 1),
        cpuMsPerStep: round(median(s.cpuMs), 1),
        spread: round(relativeSpread(s.ms), 3),
        minorFaultsPerStep: Math.round(median(s.faults)),
        sysMsPerStep: round(median(s.sysMs), 1),
        peakRssMiB: round(mem.peakRssMiB, 0),
        samples: s.ms.map((m) => round(m, 1)),
        cpuSamples: s.cpuMs.map((m) => round(m, 1)),
      });
    }
    const main = ours[0];
    const mainSummary = summaries[0];
    const torchSummaries = summaries.filter((s) => s.kind === 'torch');
    const bestTorch = torchSummaries.length ? torchSummaries.reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a)) : null;
    const bestTorchSide = bestTorch ? sides.find((s) => s.label === bestTorch.label)! : null;
    const growth = main.tensors.length > 1 ? (main.tensors[main.tensors.length - 1] - main.tensors[0]) / (main.tensors.length - 1) : 0;
    const ratiosValid = bestTorch !== null && calibration.stable;
    return {
      preset: preset.name,
      batchSize,
      oursMsPerStep: mainSummary.msPerStep,
      torchMsPerStep: bestTorch?.msPerStep ?? null,
      ratio: ratiosValid ? round(median(main.ms) / median(bestTorchSide!.ms), 3) : null,
      pairedRatio: ratiosValid ? round(median(main.ms.map((m, i) => m / bestTorchSide!.ms[i])), 3) : null,
      cpuRatio: ratiosValid ? round(median(main.cpuMs) / median(bestTorchSide!.cpuMs), 3) : null,
      oursVariant: main.label,
      torchSetting: bestTorch?.label ?? null,
      reps,
      params: { ours: oursInfo.params, torch: torchInfo?.params ?? null, equal },
      tensorsGrowthPerStep: growth,
      peakRssMiB: { ours: mainSummary.peakRssMiB, torch: torchSummaries.length ? Math.max(...torchSummaries.map((t) => t.peakRssMiB)) : null },
      loadAverage: [round(load0, 2), round(load1, 2)],
      malloc,
      studiogan: studiogan ? { commit: studiogan.commit, config: preset.studiogan.config, overrides: studiogan.overrides } : null,
      calibration: { gflops: gflops.map((g) => round(g, 1)), moved: round(calibration.moved, 3), stable: calibration.stable },
      sides: summaries,
    };
  } finally {
    for (const s of sides) await s.client.close();
  }
}

/** inception-v3-fid images/s, ours vs PyTorch, on seeded random weights written by the metrics package's parity script. */
async function featureExtraction(): Promise<ExtraResults['featureExtraction']> {
  const cache = join(BENCH_DIR, '.cache', 'inception-v3-fid-random');
  mkdirSync(cache, { recursive: true });
  const python = referencePython();
  log('[bench] inception-v3-fid: preparing seeded random weights (packages/metrics/scripts/make_inception_parity.py; cached) …');
  const { execFileSync } = await import('node:child_process');
  execFileSync(python, [join(REPO_DIR, 'packages', 'metrics', 'scripts', 'make_inception_parity.py'), cache, '--seed', '0'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const weights = join(cache, 'weights.pth');
  const n = Number(values['feature-images']);
  const size = 32;
  const batch = 16;
  const ours = new WorkerClient('TypeScript metrics', process.execPath, ['--import', join(DIST_DIR, 'register-hooks.js'), join(DIST_DIR, 'metrics-worker.js'), '--threads', String(threads)], baseEnv('tuned'));
  const torch = new WorkerClient('PyTorch metrics', python, [join(BENCH_DIR, 'python', 'metrics_side.py'), '--threads', String(threads)], { ...baseEnv('tuned'), OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' });
  try {
    const po = await ours.request<{ params: number }>({ cmd: 'inception-load', weights, batch });
    const pt = await torch.request<{ params: number }>({ cmd: 'inception-load', weights });
    await ours.request({ cmd: 'inception', n: batch, size, batch });
    await torch.request({ cmd: 'inception', n: batch, size, batch });
    const oursMs: number[] = [];
    const torchMs: number[] = [];
    let oursMean = 0;
    let torchMean = 0;
    const reps = values.quick ? 1 : 3;
    for (let r = 0; r < reps; r++) {
      const a = await ours.request<{ ms: number; featureMean: number }>({ cmd: 'inception', n, size, batch });
      const b = await torch.request<{ ms: number; featureMean: number }>({ cmd: 'inception', n, size, batch });
      oursMs.push(a.ms);
      torchMs.push(b.ms);
      oursMean = a.featureMean;
      torchMean = b.featureMean;
      log(`[bench]   inception rep ${r + 1}/${reps}: ours ${(a.ms / 1000).toFixed(2)} s, torch ${(b.ms / 1000).toFixed(2)} s for ${n} images`);
    }
    const o = (n * 1000) / median(oursMs);
    const t = (n * 1000) / median(torchMs);
    return { extractor: 'inception-v3-fid', images: n, imageSize: size, batchSize: batch, oursImagesPerSecond: round(o, 2), torchImagesPerSecond: round(t, 2), ratio: round(t / o, 3), params: { ours: po.params, torch: pt.params }, featureMeanDiff: round(Math.abs(oursMean - torchMean), 6) };
  } finally {
    await ours.close();
    await torch.close();
  }
}

/** FID math at d: ours vs scipy on the same random covariance matrices (float64). */
async function fidMath(): Promise<ExtraResults['fidMath']> {
  const d = Number(values['fid-dim']);
  const cache = join(BENCH_DIR, '.cache');
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `fid-${d}.f64`);
  const ours = new WorkerClient('TypeScript metrics', process.execPath, ['--import', join(DIST_DIR, 'register-hooks.js'), join(DIST_DIR, 'metrics-worker.js'), '--threads', String(threads)], baseEnv('tuned'));
  const blas = String(threads);
  const torch = new WorkerClient('SciPy', referencePython(), [join(BENCH_DIR, 'python', 'metrics_side.py'), '--threads', String(threads)], { ...baseEnv('tuned'), OMP_NUM_THREADS: blas, OPENBLAS_NUM_THREADS: blas, MKL_NUM_THREADS: blas, OMP_WAIT_POLICY: 'PASSIVE' });
  try {
    log(`[bench] FID math: two ${d}×${d} covariance matrices (numpy, seeded) …`);
    await torch.request({ cmd: 'fid-make', file, d, seed: 0 });
    const a = await ours.request<{ ms: number; fid: number }>({ cmd: 'fid', file, d });
    const b = await torch.request<{ ms: number; fid: number }>({ cmd: 'fid', file, d });
    log(`[bench]   FID: ours ${(a.ms / 1000).toFixed(2)} s (${a.fid}), scipy ${(b.ms / 1000).toFixed(2)} s (${b.fid})`);
    return { dim: d, oursMs: round(a.ms, 1), scipyMs: round(b.ms, 1), ratio: round(a.ms / b.ms, 3), oursFid: a.fid, scipyFid: b.fid, relativeDifference: Math.abs(a.fid - b.fid) / Math.abs(b.fid) };
  } finally {
    await ours.close();
    await torch.close();
  }
}

const names = values.presets ? values.presets.split(',').map((n) => n.trim()) : BENCH_PRESETS.map((p) => p.name);
for (const name of names) {
  try {
    findPreset(name);
  } catch (error) {
    process.stderr.write(`bench: --presets: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
const comparedOnly = ['features', 'fid'].filter((s) => sections.has(s));
if (values['no-torch'] && comparedOnly.length) {
  const rest = [...sections].filter((s) => !comparedOnly.includes(s));
  const what = `--sections ${comparedOnly.join(', ')}: ${comparedOnly.length > 1 ? 'these compare' : 'this compares'} with PyTorch / SciPy, which --no-torch turns off`;
  if (!rest.length) {
    process.stderr.write(`bench: ${what}, so nothing is left to run; drop --no-torch, or ask for --sections step\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${what}: skipped\n`);
}
const results: PresetResult[] = [];
const extras: ExtraResults = {};
try {
  if (sections.has('step')) for (const name of names) for (const malloc of mallocSettings) results.push(await runPreset(findPreset(name), malloc));
  if (sections.has('features') && !values['no-torch']) extras.featureExtraction = await featureExtraction();
  if (sections.has('fid') && !values['no-torch']) extras.fidMath = await fidMath();
} catch (error) {
  // One line (a worker's error arrives with its own stack inside ours): what failed and how to fix it.
  const lines = (error as Error).message.split('\n');
  const thrown = lines.filter((line) => /^\w*Error: /.test(line)).pop();
  const head = lines[0].match(/^(.*? worker (?:exited with \d+|closed its output))/)?.[1];
  process.stderr.write(`bench: ${head && thrown ? `${head}: ${thrown.replace(/^\w*Error: /, '')}` : lines[0]}\n`);
  process.exit(1);
}

const out = (line = '') => process.stdout.write(`${line}\n`);
if (results.length) {
  out();
  out(`ReACGAN training step (one D update + one G update + EMA): median ms over repetitions, ${threads} threads, both sides in this run on this machine; PyTorch side = StudioGAN's own code.`);
  out();
  out(presetTable(results));
  out('ratio = median(ours) / median(StudioGAN) (PyTorch in its faster OpenMP setting); paired = median of back-to-back ours/StudioGAN; CPU-time = process CPU time ratio;');
  out(`no ratio ('-') where the matmul calibration moved by more than ${(100 * (CALIBRATION_TOLERANCE - 1)).toFixed(0)} % during the preset.`);
  out();
  out(sidesTable(results));
}
const extra = extrasTable(extras);
if (extra) {
  out();
  out(extra);
}
if (values.json) {
  if (Object.keys(extras).length) out(JSON.stringify({ extras }));
  out(jsonLine(results));
}
