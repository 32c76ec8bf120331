import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadWebGenerator, runSelfCheck, WEB_GENERATOR_FORMAT } from 'reacgan/web';
import { describe, expect, it } from 'vitest';
import { generateBatch, latentsForSeed } from '../src/samples.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = join(root, 'public', 'mnist-reacgan.web.safetensors');

describe('the shipped generator (public/mnist-reacgan.web.safetensors)', () => {
  it('is a small web generator file of an MNIST ReACGAN EMA generator, and its model card matches it', async () => {
    expect((await stat(file)).size).toBeLessThan(4 * 1024 * 1024);
    const { generator, descriptor } = loadWebGenerator(await readFile(file));
    expect(descriptor.format).toBe(WEB_GENERATOR_FORMAT);
    expect(descriptor.data).toEqual({ name: 'MNIST', imgSize: 32, imgChannels: 1, numClasses: 10, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(descriptor.modelConfig).toMatchObject({ backbone: 'deep_conv', gConvDim: 8, zDim: 64, gCondMtd: 'cBN', dCondMtd: 'D2DCE', applyGEma: true });
    expect(descriptor.provenance.generator).toBe('G_ema');
    // The self-check values come from the cpu backend (the same bits on every machine): the browser tests'
    // error model (e2e.test.ts) rests on it.
    expect(descriptor.provenance.exportBackend).toBe('cpu');
    expect(descriptor.provenance.parameters).toBe(generator.numParameters());
    // The model card (public/README.md) states the same run.
    const card = await readFile(join(root, 'public', 'README.md'), 'utf8');
    expect(card).toContain(descriptor.provenance.checkpointSha256);
    expect(card).toContain(`step ${descriptor.provenance.step}`);
    expect(card).toContain(`${(await stat(file)).size.toLocaleString('en-US')} bytes`);
    expect(card).toContain(`${generator.numParameters().toLocaleString('en-US')} parameters`);
    expect(card).not.toMatch(/interim/i);
    generator.dispose();
  });

  it('passes its self-check on the cpu backend and draws different digits for different classes', async () => {
    const { generator, descriptor } = loadWebGenerator(await readFile(file));
    expect(await runSelfCheck(generator, descriptor.selfCheck!)).toBeLessThanOrEqual(descriptor.selfCheck!.tolerance);
    const before = tf.memory().numTensors;
    const z = latentsForSeed(0, 1, generator.zDim, { prior: 'gaussian', truncation: null });
    const images: Uint8Array[] = [];
    for (let c = 0; c < 10; c++) images.push((await generateBatch(generator, z, new Int32Array([c]), descriptor.generation.batchNormStatistics)).pixels);
    expect(tf.memory().numTensors).toBe(before);
    for (let a = 0; a < 10; a++) {
      for (let b = a + 1; b < 10; b++) {
        const diff = images[a].reduce((sum, v, i) => sum + Math.abs(v - images[b][i]), 0) / images[a].length;
        expect(diff, `classes ${a} and ${b}: mean |Δ| of the pixels`).toBeGreaterThan(5);
      }
    }
    generator.dispose();
  });
});
