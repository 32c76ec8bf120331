import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as models from '@reacgan/models';
import { BENCH_PRESETS, presetOverrides, STUDIOGAN_COMMITS } from '../src/presets.js';
import { calibrationCheck, jsonLine, presetTable, type PresetResult } from '../src/report.js';
import { median } from '../src/stats.js';
import { BENCH_DIR, REPO_DIR, studioganCheckout, studioganRoot } from '../src/paths.js';
import { oursConfig } from '../src/trainer-step.js';

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
  malloc: 'tuned',
  studiogan: { commit: '947b35e9835b67860fdce44d337f6d7fee7c8db3', config: 'CIFAR10/ReACGAN.yaml', overrides: {} },
  calibration: { gflops: [170, 172, 168], moved: 172 / 168, stable: true },
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
    for (const o of parsed) for (const key of ['malloc', 'studiogan', 'calibration']) expect(o).toHaveProperty(key);
  });

  it('the calibration check withholds ratios when the matmul throughput moved by more than the tolerance', () => {
    expect(calibrationCheck([170, 180, 160], 1.15)).toEqual({ moved: 180 / 160, stable: true });
    expect(calibrationCheck([170, 100, 175], 1.15).stable).toBe(false);
    expect(calibrationCheck([], 1.15)).toEqual({ moved: 1, stable: true });
  });

  it('median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  const python = process.env.REACGAN_BENCH_PYTHON ?? join(REPO_DIR, '.venv-reference', 'bin', 'python');
  const root = studioganRoot();
  const checkouts = Object.keys(STUDIOGAN_COMMITS).every((c) => existsSync(join(root, c, 'STUDIOGAN_COMMIT')));
  if (!checkouts) console.warn(`bench parameter counts: skipped, no StudioGAN checkouts in ${root} (bash bench/scripts/fetch-studiogan.sh)`);
  // One Python process per StudioGAN commit (importing torch is most of its time); the time limit is generous
  // because it only guards against a hang: on a loaded 2-core machine the import alone took minutes.
  it.skipIf(!existsSync(python) || !checkouts)('our trainer and StudioGAN build models with the same parameter counts from the same YAML', { timeout: 900_000 }, async () => {
    for (const [commit, full] of Object.entries(STUDIOGAN_COMMITS)) {
      const checkout = studioganCheckout(root, commit, full);
      const presets = BENCH_PRESETS.filter((p) => p.studiogan.commit === commit);
      const request = presets.map((p) => ({ name: p.name, config: p.studiogan.config, overrides: presetOverrides(p, 64) }));
      const torch = JSON.parse(execFileSync(python, [join(BENCH_DIR, 'python', 'studiogan_step.py'), '--checkout', checkout, '--counts', JSON.stringify(request)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Record<string, { G: number; D: number }>;
      for (const preset of presets) {
        const config = await oursConfig(preset, checkout, 64);
        const data = { imgSize: config.data.imgSize, imgChannels: config.data.imgChannels, numClasses: config.data.numClasses, seed: 0, initialize: false };
        const G = models.createGenerator(config.model, data);
        const D = models.createDiscriminator(config.model, data);
        const ours = { G: G.numParameters(), D: D.numParameters() };
        G.dispose();
        D.dispose();
        expect(ours, preset.name).toEqual(torch[preset.name]);
      }
    }
  });
});
