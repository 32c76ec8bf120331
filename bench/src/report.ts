/** Result records and their table / JSON rendering (kept apart from run.ts so tests can check them). */
import { median } from './stats.js';

/** One side's measurements for a preset. */
export interface SideSummary {
  label: string;
  kind: 'ours' | 'torch';
  msPerStep: number;
  cpuMsPerStep: number;
  spread: number;
  /** Median minor page faults per step (getrusage) and system CPU ms per step. */
  minorFaultsPerStep: number;
  sysMsPerStep: number;
  peakRssMiB: number;
  samples: number[];
  /** CPU ms of the same repetitions. */
  cpuSamples?: number[];
}

export interface PresetResult {
  preset: string;
  batchSize: number;
  /** Median ms per step, ours (the variant that users run, see `oursVariant`). */
  oursMsPerStep: number;
  /** Median ms per step, PyTorch in its faster OpenMP setting. */
  torchMsPerStep: number | null;
  /** oursMsPerStep / torchMsPerStep. */
  ratio: number | null;
  /** Median over repetitions of ours/torch measured back to back. */
  pairedRatio: number | null;
  /** Process CPU time ratio (all threads; less sensitive to other processes than wall time). */
  cpuRatio: number | null;
  oursVariant: string;
  torchSetting: string | null;
  reps: number;
  params: { ours: { G: number; D: number }; torch: { G: number; D: number } | null; equal: boolean | null };
  /** Growth of tf.memory().numTensors per step over the repetitions (must be 0). */
  tensorsGrowthPerStep: number;
  peakRssMiB: { ours: number; torch: number | null };
  /** 1-minute load average at the start and at the end of the preset's repetitions. */
  loadAverage: [number, number];
  /** glibc malloc setting of both sides ('tuned' or 'default'). */
  malloc: string;
  /** The baseline's identity: StudioGAN commit, config file and overrides (null without the PyTorch side). */
  studiogan: { commit: string | null; config: string; overrides: unknown } | null;
  /** Matmul GFLOP/s before, after each repetition; moved = max/min; stable = moved ≤ the tolerance. */
  calibration: { gflops: number[]; moved: number; stable: boolean };
  sides: SideSummary[];
}

/** max/min of the calibration measurements and whether it stayed within `tolerance` (NaN-free input; no PyTorch side: stable). */
export function calibrationCheck(gflops: readonly number[], tolerance: number): { moved: number; stable: boolean } {
  const finite = gflops.filter((g) => Number.isFinite(g) && g > 0);
  if (finite.length === 0) return { moved: 1, stable: true };
  const moved = Math.max(...finite) / Math.min(...finite);
  return { moved, stable: moved <= tolerance };
}

export interface ExtraResults {
  featureExtraction?: {
    extractor: string;
    images: number;
    imageSize: number;
    batchSize: number;
    oursImagesPerSecond: number;
    torchImagesPerSecond: number;
    ratio: number;
    params: { ours: number; torch: number };
    featureMeanDiff: number;
  };
  fidMath?: { dim: number; oursMs: number; scipyMs: number; ratio: number; oursFid: number; scipyFid: number; relativeDifference: number };
}

export function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const ratioText = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}×`);

/** The main table: one row per preset and allocator setting. */
export function presetTable(results: PresetResult[]): string {
  const header = ['preset', 'malloc', 'batch', 'params G / D', 'ours ms/step', 'StudioGAN ms/step', 'ratio', 'paired ratio', 'CPU-time ratio', 'tensors Δ/step', 'peak RSS ours / torch (MiB)', 'matmul GFLOP/s (moved)', 'load avg'];
  const rows = results.map((r) => [
    r.preset,
    r.malloc,
    String(r.batchSize),
    `${r.params.ours.G.toLocaleString('en-US')} / ${r.params.ours.D.toLocaleString('en-US')} ${r.params.equal === null ? '' : r.params.equal ? '(= torch)' : `(TORCH ${r.params.torch!.G} / ${r.params.torch!.D})`}`,
    r.oursMsPerStep.toFixed(0),
    r.torchMsPerStep === null ? '-' : r.torchMsPerStep.toFixed(0),
    ratioText(r.ratio),
    ratioText(r.pairedRatio),
    ratioText(r.cpuRatio),
    String(r.tensorsGrowthPerStep),
    `${r.peakRssMiB.ours} / ${r.peakRssMiB.torch ?? '-'}`,
    r.calibration.gflops.length ? `${Math.min(...r.calibration.gflops).toFixed(0)}–${Math.max(...r.calibration.gflops).toFixed(0)} (${((r.calibration.moved - 1) * 100).toFixed(0)} %${r.calibration.stable ? '' : ', NO RATIO'})` : '-',
    `${r.loadAverage[0].toFixed(1)}→${r.loadAverage[1].toFixed(1)}`,
  ]);
  return renderTable(header, rows);
}

/**
 * Every side of every preset (variants, StudioGAN's OpenMP and allocator settings), relative to the best StudioGAN setting and, back to
 * back, to the first variant (median over repetitions of side / first variant, wall and CPU time): the numbers
 * for comparing variants, e.g. two commits (`--variants` with `dist`), on a shared machine.
 */
export function sidesTable(results: PresetResult[]): string {
  const header = ['preset', 'side', 'ms/step (median)', 'CPU ms/step', 'sys ms/step', 'minor faults/step', 'spread', '× StudioGAN', 'paired × first', 'CPU paired × first', 'peak RSS (MiB)'];
  const rows: string[][] = [];
  for (const r of results) {
    const first = r.sides[0];
    for (const s of r.sides) {
      const paired = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]));
      rows.push([
        r.preset,
        s.label,
        s.msPerStep.toFixed(0),
        s.cpuMsPerStep.toFixed(0),
        s.sysMsPerStep.toFixed(0),
        s.minorFaultsPerStep.toLocaleString('en-US'),
        `±${(s.spread * 100).toFixed(0)}%`,
        r.torchMsPerStep ? `${(s.msPerStep / r.torchMsPerStep).toFixed(2)}×` : '-',
        `${paired(s.samples, first.samples).toFixed(3)}×`,
        s.cpuSamples && first.cpuSamples ? `${paired(s.cpuSamples, first.cpuSamples).toFixed(3)}×` : '-',
        String(s.peakRssMiB),
      ]);
    }
  }
  return renderTable(header, rows);
}

export function extrasTable(extras: ExtraResults): string {
  const rows: string[][] = [];
  const f = extras.featureExtraction;
  if (f) {
    rows.push([
      `${f.extractor} feature extraction (${f.images} images ${f.imageSize}px → 299, batch ${f.batchSize}; params ${f.params.ours.toLocaleString('en-US')}${f.params.ours === f.params.torch ? ' = torch' : ` vs torch ${f.params.torch}`})`,
      `${f.oursImagesPerSecond.toFixed(2)} img/s`,
      `${f.torchImagesPerSecond.toFixed(2)} img/s`,
      `${f.ratio.toFixed(2)}× torch's time`,
    ]);
  }
  const m = extras.fidMath;
  if (m) {
    rows.push([
      `FID math, d = ${m.dim} (ours float64 JS vs scipy.linalg.sqrtm; |ΔFID|/FID = ${m.relativeDifference.toExponential(1)})`,
      `${(m.oursMs / 1000).toFixed(2)} s`,
      `${(m.scipyMs / 1000).toFixed(2)} s`,
      `${m.ratio.toFixed(2)}× scipy's time`,
    ]);
  }
  return rows.length ? renderTable(['measurement', 'ours', 'PyTorch / SciPy', 'ratio'], rows) : '';
}

/** The machine-readable line (`--json`): one object per preset and allocator setting, the keys of issue 8 first. */
export function jsonLine(results: PresetResult[]): string {
  return JSON.stringify(
    results.map((r) => ({
      preset: r.preset,
      batchSize: r.batchSize,
      oursMsPerStep: r.oursMsPerStep,
      torchMsPerStep: r.torchMsPerStep,
      ratio: r.ratio,
      pairedRatio: r.pairedRatio,
      cpuRatio: r.cpuRatio,
      oursVariant: r.oursVariant,
      torchSetting: r.torchSetting,
      reps: r.reps,
      params: r.params,
      tensorsGrowthPerStep: r.tensorsGrowthPerStep,
      peakRssMiB: r.peakRssMiB,
      loadAverage: r.loadAverage,
      malloc: r.malloc,
      studiogan: r.studiogan,
      calibration: r.calibration,
      faults: Object.fromEntries(r.sides.map((s) => [s.label, { minorPerStep: s.minorFaultsPerStep, sysMsPerStep: s.sysMsPerStep }])),
    })),
  );
}
