/**
 * The demo loads any exported generator: CIFAR-10 BigGAN 32 px and ImageNet BigGAN 128 px at their real sizes
 * (random weights, files in a temporary folder; see large-generators.ts). Checks the export → load path the page
 * uses (`loadWebGenerator`), the self-check on this backend, the size warning and the per-pass sample count.
 * The 128 px case (a 282 MB file) runs with `pnpm test:large` (REACGAN_LARGE_MODELS=1) on the native backend (its two
 * 128 px forward passes take ~20 s there, many minutes on the pure-JavaScript cpu backend); `pnpm test` skips it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { loadWebGenerator, runSelfCheck } from 'reacgan/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSampleCounts, generateBatch, latentsForSeed, samplesPerForward, sizeWarning } from '../src/samples.js';
import { exportRandom } from './large-generators.js';

const native = nativeInstalled();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-web-large-'));
  if (native) await loadNativeBackend();
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

const cases = [
  { name: 'CIFAR-10 BigGAN 32 px', preset: 'cifar10/reacgan', parameters: 9_416_196, imgSize: 32, numClasses: 10, perPass: 64, counts: { grid: 64, strip: 10 }, skip: false },
  { name: 'ImageNet BigGAN 128 px', preset: 'imagenet/reacgan-256', parameters: 70_433_988, imgSize: 128, numClasses: 1000, perPass: 5, counts: { grid: 16, strip: 6 }, skip: !native || process.env.REACGAN_LARGE_MODELS !== '1' },
];

describe('large exported generators load in the page code', () => {
  it.each(cases)('$name: export → loadWebGenerator → self-check, size warning, samples per pass', async (c) => {
    if (c.skip) {
      console.warn(`skipped ${c.name}: runs with pnpm test:large (REACGAN_LARGE_MODELS=1) and the native backend`);
      return;
    }
    const exported = await exportRandom(c.preset, join(dir, c.preset.replace('/', '-')));
    expect(exported.parameters).toBe(c.parameters);
    const bytes = await readFile(exported.out);
    // float32 weights and buffers plus a small header: the file is the size of StudioGAN's G_ema .pth.
    expect(bytes.length).toBeGreaterThan(c.parameters * 4);
    expect(bytes.length).toBeLessThan(c.parameters * 4 * 1.02);
    const { generator, descriptor } = loadWebGenerator(bytes);
    try {
      expect(generator.numParameters()).toBe(c.parameters);
      expect(descriptor.data).toMatchObject({ imgSize: c.imgSize, numClasses: c.numClasses });
      expect(descriptor.data.classNames).toHaveLength(c.numClasses);
      expect(descriptor.provenance.generator).toBe('G_ema');
      // The exporter's own values, recomputed by the page's reader on this backend.
      const diff = await runSelfCheck(generator, descriptor.selfCheck!);
      expect(diff).toBeLessThanOrEqual(descriptor.selfCheck!.tolerance);
      expect(sizeWarning(bytes.length, c.imgSize)).toMatch(/^Large generator: \d+ MB/);
      expect(samplesPerForward(generator)).toBe(c.perPass);
      expect(defaultSampleCounts(c.imgSize)).toEqual(c.counts);
      if (c.imgSize === 32) {
        // A grid batch runs in one pass and is not blank (random weights, spectral norm iterated).
        const z = latentsForSeed(0, 4, generator.zDim, { prior: 'gaussian', truncation: null });
        const batch = await generateBatch(generator, z, new Int32Array([0, 1, 2, 3]), descriptor.generation.batchNormStatistics);
        expect(new Set(batch.pixels).size).toBeGreaterThan(32);
      }
      console.log(`${c.name}: ${(bytes.length / 1024 / 1024).toFixed(1)} MB, self-check max |Δ| ${diff.toExponential(2)} on ${tf.getBackend()}`);
    } finally {
      generator.dispose();
    }
  });
});
