import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../src/node/png.js';
import { diagnosticsSvg, comparisonSvg, type TrainLine } from '../src/report/diagnostics.js';
import { imagesFromNhwc, tileImages, toUint8 } from '../src/report/images.js';
import { niceTicks, renderPanelsSvg, smooth } from '../src/report/plot.js';
import { renderReportMarkdown } from '../src/report/report.js';

describe('images', () => {
  it('quantises [−1, 1] to 0…255 (round, clamp)', () => {
    expect([-1, -2, 0, 1, 2, 0.999].map(toUint8)).toEqual([0, 0, 128, 255, 255, 255]);
  });

  it('tiles a class-major batch into rows, and PNG round-trips (gray and RGB)', () => {
    const n = 6;
    const data = new Float32Array(n * 4 * 4 * 1);
    for (let i = 0; i < n; i++) data.fill(-1 + (2 * i) / (n - 1), i * 16, (i + 1) * 16);
    const grid = tileImages(imagesFromNhwc(data, [n, 4, 4, 1]), 3, 1, 255);
    expect([grid.width, grid.height, grid.channels]).toEqual([3 * 4 + 4, 2 * 4 + 3, 1]);
    // Image 4 (row 1, column 1) has value round(((-1 + 1.6) + 1)/2 · 255) = 204 at its top-left pixel.
    expect(grid.data[(1 + 4 + 1) * grid.width + (1 + 4 + 1)]).toBe(204);
    const png = decodePng(encodePng(grid));
    expect([png.width, png.height, png.colorType]).toEqual([grid.width, grid.height, 0]);
    expect(png.rgba[((1 + 4 + 1) * grid.width + (1 + 4 + 1)) * 4]).toBe(204);

    const rgb = imagesFromNhwc(new Float32Array(2 * 2 * 2 * 3).fill(1), [2, 2, 2, 3]);
    const p2 = decodePng(encodePng(tileImages(rgb, 2, 0)));
    expect(p2.colorType).toBe(2);
    expect(p2.rgba.slice(0, 4)).toEqual(new Uint8Array([255, 255, 255, 255]));
  });

  it('rejects mismatched shapes with the numbers', () => {
    expect(() => imagesFromNhwc(new Float32Array(5), [1, 2, 2, 1])).toThrow(/expected 4 values for shape \[1,2,2,1\], received 5/);
    expect(() => imagesFromNhwc(new Float32Array(8), [1, 2, 2, 2])).toThrow(/expected 1 or 3 channels/);
  });
});

describe('plots', () => {
  it('ticks are round numbers covering the range', () => {
    expect(niceTicks(0, 1, 5).map((v) => Number(v.toFixed(9)))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
  });

  it('smooths with a trailing moving average and skips non-finite values', () => {
    expect(smooth([[1, 1], [2, 3], [3, Number.NaN], [4, 5]], 2)).toEqual([[1, 1], [2, 2], [4, 4]]);
  });

  it('writes a well-formed SVG with one polyline per series and escaped text', () => {
    const svg = renderPanelsSvg([{ title: 'a < b & c', series: [{ name: 's1', points: [[0, 1], [1, 2], [2, 3]] }, { name: 's2', points: [[0, 3], [2, 1]] }] }], { title: 'T' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
  });

  it('diagnostics and comparison figures contain the feature-norm and gradient-norm panels', () => {
    const train: TrainLine[] = Array.from({ length: 50 }, (_, i) => ({
      kind: 'train',
      step: i + 1,
      ms: 100,
      values: { 'd/loss': 1, 'd/adv': 0.8, 'd/cond': 0.4, 'g/loss': 1, 'g/adv': 1, 'g/cond': 0.2, 'diag/dFeatureNormReal': 10 + i, 'diag/dFeatureNormFake': 9, 'diag/condHeadGradNorm': 0.1 * (i + 1) },
    }));
    const svg = diagnosticsSvg(train, [{ kind: 'eval', step: 50, classAccuracy: 0.9, fid: 3 }], 'run');
    expect(svg).toContain('pooled features');
    expect(svg).toContain('Gradient norm of the conditioning head');
    expect(svg).toContain('not Inception');
    const cmp = comparisonSvg([{ name: 'ACGAN', train, evals: [] }, { name: 'ReACGAN', train, evals: [] }], 'cmp');
    expect(cmp).toContain('ACGAN');
    expect(cmp).toContain('ReACGAN');
  });
});

describe('report.md', () => {
  it('states that the FID is not Inception FID and gives the judge accuracy', () => {
    const md = renderReportMarkdown({
      title: 'preset mnist/reacgan on mnist:train',
      status: 'completed',
      configSource: 'preset mnist/reacgan',
      method: 'D2DCE',
      steps: 10,
      totalSteps: 10,
      seed: 0,
      batchSize: 64,
      backend: { backend: 'tensorflow', threads: 2, tensorflowVersion: '2.21.0' },
      parameters: { generator: 1000, discriminator: 2000 },
      timing: { wallSeconds: 100, runSeconds: 99, judgeSetupSeconds: 50, judgeTrainedThisRun: true, judgeTrainSeconds: 45, trainSeconds: 40, evalSeconds: 3, stepsThisRun: 10, msPerStepMedian: 100, msPerStepMean: 101 },
      evaluation: {
        numSamples: 1000,
        perClass: 100,
        classAccuracy: 0.97,
        perClassAccuracy: new Array(10).fill(0.97),
        confusion: [],
        fid: 1.5,
        meanConfidence: 0.95,
        fidDescription: 'Fréchet distance in the 128-d feature space …; not Inception FID',
        referenceCount: 10000,
        classifierTestAccuracy: 0.99,
        classifierHash: 'abc',
      },
      best: null,
      judge: null,
      versions: {},
      files: { grid: 'grid.png' },
    });
    expect(md).toContain('97.0%');
    expect(md).toContain('not Inception FID');
    expect(md).toContain('99.0%');
  });
});
