// The example end to end on a StudioGAN run written by StudioGAN's own code (master, resnet ReACGAN, narrow widths:
// packages/reacgan/test/__fixtures__/studiogan-pth): import → class grid PNG → web generator file that the
// browser demo's reader (`reacgan/web`) loads and self-checks.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng, loadWebGenerator, runSelfCheck } from 'reacgan/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridClasses, importAndSample } from '../import-and-sample.mjs';

const RUN = fileURLToPath(new URL('../../../packages/reacgan/test/__fixtures__/studiogan-pth/resnet-reacgan-master', import.meta.url));
let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-example-sg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('examples/studiogan-import', () => {
  it('imports a StudioGAN run folder, writes a class grid and a generator file the web demo loads', async () => {
    const lines = [];
    const result = await importAndSample({ config: join(RUN, 'config.yaml'), checkpoint: RUN, out: join(dir, 'out'), perClass: 3, log: (l) => lines.push(l) });
    expect(result.import.networks).toEqual(['G_ema']);
    expect(result.import.cbnLayout).toBe('linear');
    expect(result.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const png = decodePng(await readFile(result.grid));
    // 10 rows (classes) × 3 columns of 32 px images, with the grid's gaps.
    expect(png.width).toBeGreaterThanOrEqual(3 * 32);
    expect(png.height).toBeGreaterThanOrEqual(10 * 32);
    const { generator, descriptor } = loadWebGenerator(await readFile(result.web));
    try {
      expect(descriptor.data).toMatchObject({ name: 'CIFAR10', imgSize: 32, numClasses: 10 });
      expect(descriptor.data.classNames[0]).toBe('airplane');
      expect(await runSelfCheck(generator, descriptor.selfCheck)).toBeLessThanOrEqual(descriptor.selfCheck.tolerance);
    } finally {
      generator.dispose();
    }
    expect(lines.join('\n')).toMatch(/imported StudioGAN G_ema \(current, step 1; StudioGAN after v\.0\.3\.0 \(master era\)\)/);
  });

  it('gridClasses: every class up to 20, ten spread over ImageNet, given classes checked', () => {
    expect(gridClasses(10)).toHaveLength(10);
    expect(gridClasses(1000)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(gridClasses(1000, [3, 7])).toEqual([3, 7]);
    expect(() => gridClasses(10, [10])).toThrow(/--classes: expected class indices in \[0, 10\), received 10/);
  });
});
