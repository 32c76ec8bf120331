import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as models from '@reacgan/models';
import { BENCH_PRESETS } from '../src/presets.js';
import { jsonLine, presetTable, type PresetResult } from '../src/report.js';
import { median } from '../src/stats.js';
import { BENCH_DIR, REPO_DIR } from '../src/paths.js';

const sample: PresetResult = {
  preset: 'deep_conv/reacgan',
  batchSize: 64,
  oursMsPerStep: 812.4,
  torchMsPerStep: 903.2,
  ratio: 0.9,
  pairedRatio: 0.89,
  cpuRatio: 0.92,
  oursVariant: 'ours',
  torchSetting: 'PyTorch (OMP PASSIVE)',
  reps: 7,
  params: { ours: { G: 3820419, D: 3195969 }, torch: { G: 3820419, D: 3195969 }, equal: true },
  tensorsGrowthPerStep: 0,
  peakRssMiB: { ours: 1300, torch: 850 },
  loadAverage: [1.2, 1.4],
  sides: [],
};

describe('bench report', () => {
  it('the --json line is a JSON array with the issue’s keys per preset', () => {
    const parsed = JSON.parse(jsonLine([sample, { ...sample, preset: 'cifar10/reacgan' }])) as Record<string, unknown>[];
    expect(parsed).toHaveLength(2);
    for (const o of parsed) {
      for (const key of ['preset', 'batchSize', 'oursMsPerStep', 'torchMsPerStep', 'ratio']) expect(o).toHaveProperty(key);
      expect(Object.keys(o).slice(0, 5)).toEqual(['preset', 'batchSize', 'oursMsPerStep', 'torchMsPerStep', 'ratio']);
    }
    expect(presetTable([sample])).toContain('0.90×');
  });

  it('median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  const python = process.env.REACGAN_BENCH_PYTHON ?? join(REPO_DIR, '.venv-reference', 'bin', 'python');
  // One Python process for every preset (importing torch is most of its time); the time limit is generous
  // because it only guards against a hang: on a loaded 2-core machine the import alone took minutes.
  it.skipIf(!existsSync(python))('both sides build models with the same parameter counts', { timeout: 900_000 }, () => {
    const torch = JSON.parse(execFileSync(python, [join(BENCH_DIR, 'python', 'torch_step.py'), '--counts'], { encoding: 'utf8' })) as Record<string, { G: number; D: number }>;
    expect(Object.keys(torch).sort()).toEqual(BENCH_PRESETS.map((p) => p.name).sort());
    for (const preset of BENCH_PRESETS) {
      const data = { ...preset.data, seed: 0, initialize: false };
      const G = models.createGenerator(preset.model, data);
      const D = models.createDiscriminator(preset.model, data);
      const ours = { G: G.numParameters(), D: D.numParameters() };
      G.dispose();
      D.dispose();
      expect(ours, preset.name).toEqual(torch[preset.name]);
    }
  });
});
