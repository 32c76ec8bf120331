import * as tf from '@tensorflow/tfjs-core';
import { nativeInstalled } from '@reacgan/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { formatBackendReport, initBackend, parseBackendChoice } from './backend.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('parseBackendChoice', () => {
  it('accepts names and aliases', () => {
    expect(parseBackendChoice(undefined)).toBe('auto');
    expect(parseBackendChoice('TensorFlow')).toBe('tensorflow');
    expect(parseBackendChoice('node-gpu')).toBe('tensorflow-gpu');
  });
  it('rejects unknown names, naming the argument and the choices', () => {
    expect(() => parseBackendChoice('cuda', '--backend')).toThrow(/--backend: expected one of auto, tensorflow-gpu, tensorflow, wasm, webgl, webgpu, cpu .*received 'cuda'/);
  });
});

describe('initBackend', () => {
  it('cpu: always available, one thread', async () => {
    const report = await initBackend({ backend: 'cpu' });
    expect(report).toMatchObject({ backend: 'cpu', choice: 'cpu', threads: 1, tfjsVersion: '4.22.0' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('auto picks the native backend when it installed, and says why tfjs-node-gpu was skipped', async () => {
    const report = await initBackend({ backend: 'auto' });
    if (nativeInstalled()) {
      expect(report.backend).toBe('tensorflow');
      expect(report.package).toBe('@tensorflow/tfjs-node');
      expect(report.tensorflowVersion).toMatch(/^2\.\d+\.\d+/);
      expect(report.threads).toBeGreaterThanOrEqual(1);
    } else {
      expect(['wasm', 'cpu']).toContain(report.backend);
    }
    expect(report.attempts[0]).toMatchObject({ choice: 'tensorflow-gpu', outcome: 'not-installed' });
    expect(formatBackendReport(report)).toMatch(/skipped @tensorflow\/tfjs-node-gpu: not installed/);
  });

  it('REACGAN_BACKEND selects the backend when no option is given', async () => {
    process.env.REACGAN_BACKEND = 'cpu';
    try {
      expect((await initBackend()).backend).toBe('cpu');
      process.env.REACGAN_BACKEND = 'bogus';
      await expect(initBackend()).rejects.toThrow(/REACGAN_BACKEND: expected one of/);
    } finally {
      delete process.env.REACGAN_BACKEND;
    }
  });

  it('an explicit backend that is not installed throws, with the install hint', async () => {
    await expect(initBackend({ backend: 'tensorflow-gpu' })).rejects.toThrow(/@tensorflow\/tfjs-node-gpu is not installed .*pnpm add @tensorflow\/tfjs-node-gpu/);
  });

  it('a package that is installed but fails to load is reported with the loader message, and auto falls through', async () => {
    const importModule = async (name: string) => {
      if (name === '@tensorflow/tfjs-node-gpu') throw new Error('libcudnn.so.8: cannot open shared object file: No such file or directory');
      if (name === '@tensorflow/tfjs-node') throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found');
      return import(/* @vite-ignore */ name);
    };
    const report = await initBackend({ backend: 'auto', importModule });
    expect(report.attempts.slice(0, 2)).toEqual([
      { choice: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu', outcome: 'failed', reason: 'libcudnn.so.8: cannot open shared object file: No such file or directory' },
      { choice: 'tensorflow', package: '@tensorflow/tfjs-node', outcome: 'failed', reason: 'The Node.js native addon module (tfjs_binding.node) can not be found' },
    ]);
    expect(['wasm', 'cpu']).toContain(report.backend);
    expect(formatBackendReport(report)).toContain('failed to load: libcudnn.so.8');
  });

  it('wasm initialises in Node (single thread)', async () => {
    const report = await initBackend({ backend: 'wasm' });
    expect(report.backend).toBe('wasm');
    expect(report.threads).toBe(1);
  });
});

describe('gradients', () => {
  it('are registered after initBackend on every backend (training needs them)', async () => {
    for (const backend of ['cpu', 'wasm']) {
      const report = await initBackend({ backend });
      expect(report.gradients).toBe(true);
      expect(tf.getGradient('Conv2D')).toBeDefined();
    }
  });
});
