import { denormalizeToUint8, Rng, sampleLatents } from '@reacgan/data';
import { createGenerator } from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { defaultSampleCounts, generateBatch, interpolateLatents, LARGE_FILE_BYTES, latentsForSeed, median, samplesPerForward, sizeWarning, tileBatch } from '../src/samples.js';

describe('latentsForSeed', () => {
  it('draws the same z as @reacgan/data for a seed, deterministically', () => {
    const z = latentsForSeed(42, 3, 5, { prior: 'gaussian', truncation: null });
    expect(z).toEqual(sampleLatents(new Rng(42), 3, 5));
    expect(latentsForSeed(42, 3, 5, { prior: 'gaussian', truncation: null })).toEqual(z);
    expect(latentsForSeed(43, 3, 5, { prior: 'gaussian', truncation: null })).not.toEqual(z);
  });

  it('truncates the gaussian prior to [-t, t] and treats t <= 0 or null as off', () => {
    const z = latentsForSeed(1, 200, 16, { prior: 'gaussian', truncation: 0.5 });
    expect(Math.max(...Array.from(z, Math.abs))).toBeLessThanOrEqual(0.5);
    expect(z).toEqual(sampleLatents(new Rng(1), 200, 16, { truncation: 0.5 }));
    expect(latentsForSeed(1, 4, 4, { prior: 'gaussian', truncation: 0 })).toEqual(sampleLatents(new Rng(1), 4, 4));
  });

  it('ignores truncation for the uniform prior (StudioGAN truncates gaussian latents only)', () => {
    const z = latentsForSeed(3, 10, 4, { prior: 'uniform', truncation: 0.5 });
    expect(z).toEqual(sampleLatents(new Rng(3), 10, 4, { prior: 'uniform' }));
  });
});

describe('interpolateLatents', () => {
  it('goes linearly from zA to zB, both included', () => {
    const zA = new Float32Array([0, 1, -2]);
    const zB = new Float32Array([4, -1, 2]);
    const path = interpolateLatents(zA, zB, 5);
    expect(path).toHaveLength(15);
    expect(Array.from(path.subarray(0, 3))).toEqual([0, 1, -2]);
    expect(Array.from(path.subarray(12, 15))).toEqual([4, -1, 2]);
    expect(Array.from(path.subarray(6, 9))).toEqual([2, 0, 0]);
    expect(Array.from(path.subarray(3, 6))).toEqual([1, 0.5, -1]);
  });

  it('rejects mismatched latents and fewer than 2 steps', () => {
    expect(() => interpolateLatents(new Float32Array(2), new Float32Array(3), 4)).toThrow(/zA has 2 values but zB has 3/);
    expect(() => interpolateLatents(new Float32Array(2), new Float32Array(2), 1)).toThrow(/steps must be an integer >= 2, received 1/);
  });
});

describe('tileBatch', () => {
  it('places grey images row by row with gaps of the background colour', () => {
    // three 2×2 grey images with values 10+k, 2 columns, gap 1
    const pixels = new Uint8Array([10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12]);
    const { rgba, width, height } = tileBatch({ pixels, count: 3, size: 2, channels: 1 }, 2, 1, [200, 201, 202]);
    expect([width, height]).toEqual([5, 5]);
    const at = (x: number, y: number) => Array.from(rgba.subarray(4 * (y * width + x), 4 * (y * width + x) + 4));
    expect(at(0, 0)).toEqual([10, 10, 10, 255]);
    expect(at(3, 1)).toEqual([11, 11, 11, 255]);
    expect(at(1, 4)).toEqual([12, 12, 12, 255]);
    expect(at(2, 0)).toEqual([200, 201, 202, 255]); // gap column
    expect(at(4, 4)).toEqual([200, 201, 202, 255]); // empty fourth cell
  });

  it('keeps RGB channels and checks its input', () => {
    const pixels = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // one 2×2 RGB image
    const { rgba } = tileBatch({ pixels, count: 1, size: 2, channels: 3 }, 4);
    expect(Array.from(rgba.subarray(4, 8))).toEqual([4, 5, 6, 255]);
    expect(() => tileBatch({ pixels, count: 1, size: 2, channels: 2 }, 1)).toThrow(/1 or 3 channels, received 2/);
    expect(() => tileBatch({ pixels, count: 2, size: 2, channels: 3 }, 1)).toThrow(/12 values do not hold 2 images of 2×2×3/);
  });
});

describe('generateBatch', () => {
  const config = { backbone: 'resnet', gCondMtd: 'cBN', zDim: 8, gConvDim: 4 } as const;

  it('returns the generator output quantised like the CLI, and leaks no tensor', async () => {
    const generator = createGenerator(config, { imgSize: 16, imgChannels: 1, numClasses: 3, seed: 2 });
    const z = latentsForSeed(5, 4, 8, { prior: 'gaussian', truncation: null });
    const labels = new Int32Array([0, 1, 2, 0]);
    const before = tf.memory().numTensors;
    const batch = await generateBatch(generator, z, labels, 'running');
    expect(tf.memory().numTensors).toBe(before);
    expect([batch.count, batch.size, batch.channels]).toEqual([4, 16, 1]);
    expect(batch.ms).toBeGreaterThan(0);
    const reference = tf.tidy(() => generator.apply(tf.tensor2d(z, [4, 8]), tf.tensor1d(labels, 'int32'), { training: false }));
    expect(batch.pixels).toEqual(denormalizeToUint8(reference.dataSync()));
    reference.dispose();
    // Different classes, same z: different images (class-conditional BN).
    const first = batch.pixels.subarray(0, 256);
    const second = (await generateBatch(generator, z.subarray(0, 8).slice(), new Int32Array([1]), 'running')).pixels;
    expect(Array.from(first)).not.toEqual(Array.from(second));
    generator.dispose();
  });

  it('in passes of maxPerForward images gives the same pixels as one pass (running statistics), and leaks nothing', async () => {
    const generator = createGenerator(config, { imgSize: 16, imgChannels: 1, numClasses: 3, seed: 2 });
    const z = latentsForSeed(6, 7, 8, { prior: 'gaussian', truncation: null });
    const labels = new Int32Array([0, 1, 2, 0, 1, 2, 0]);
    const whole = await generateBatch(generator, z, labels, 'running', 64);
    const before = tf.memory().numTensors;
    const parts = await generateBatch(generator, z, labels, 'running', 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(parts.pixels).toEqual(whole.pixels);
    await expect(generateBatch(generator, z, labels, 'running', 0)).rejects.toThrow(/maxPerForward must be a positive integer, received 0/);
    generator.dispose();
  });

  it('rejects z of the wrong size', async () => {
    const generator = createGenerator(config, { imgSize: 16, imgChannels: 1, numClasses: 3, seed: 2 });
    await expect(generateBatch(generator, new Float32Array(7), new Int32Array(1), 'running')).rejects.toThrow(/z has 7 values, expected 1 × zDim 8/);
    generator.dispose();
  });
});

describe('large generators: passes, default counts, size warning', () => {
  it("samplesPerForward: CIFAR-10 BigGAN's whole grid in one pass, ImageNet 128 px BigGAN a few at a time", () => {
    const cifar = { imgSize: 32, config: { gConvDim: 96 } } as never;
    const imagenet = { imgSize: 128, config: { gConvDim: 96 } } as never;
    const mnist = { imgSize: 32, config: { gConvDim: 'N/A' } } as never;
    expect(samplesPerForward(cifar)).toBe(64);
    expect(samplesPerForward(mnist)).toBe(64);
    expect(samplesPerForward(imagenet)).toBe(5);
    expect(samplesPerForward({ imgSize: 512, config: { gConvDim: 96 } } as never)).toBe(1);
  });

  it('defaultSampleCounts and sizeWarning', () => {
    expect(defaultSampleCounts(32)).toEqual({ grid: 64, strip: 10 });
    expect(defaultSampleCounts(64)).toEqual({ grid: 36, strip: 10 });
    expect(defaultSampleCounts(128)).toEqual({ grid: 16, strip: 6 });
    expect(sizeWarning(LARGE_FILE_BYTES - 1)).toBeNull();
    // The ImageNet 128 px ReACGAN G_ema: 70,433,988 float32 parameters.
    const warning = sizeWarning(70_433_988 * 4 + 60_000, 128);
    expect(warning).toMatch(/^Large generator: 269 MB\. Loading needs about 537 MB of memory .* 128 px samples take seconds each without a GPU/);
    expect(sizeWarning(40 * 1024 * 1024, 32)).toMatch(/^Large generator: 40 MB\.[^]*tensors\.$/);
  });
});

describe('median', () => {
  it('of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
