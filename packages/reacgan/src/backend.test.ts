import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { installedWasmKernelFixes, matMulFilterGradientMode, uninstallWasmKernelFixes } from '@reacgan/models';
import { nativeInstalled } from '@reacgan/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendReport, formatBackendReport, initBackend, parseBackendChoice } from './backend.js';
import { isSoftwareAdapter, mayHaveGpu } from './webgpu-node.js';

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
      // The MatMul filter gradient follows the CPU: 1×1 kernels only where AVX-512 makes oneDNN's own faster.
      let avx512 = false;
      try {
        avx512 = /^flags\s*:.*\bavx512f\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
      } catch {
        // not Linux: no AVX-512 detection, the default mode
      }
      expect(report.matMulFilterGradient).toBe(avx512 ? 'pointwise' : true);
      expect(matMulFilterGradientMode()).toBe(report.matMulFilterGradient);
    } else {
      expect(['wasm', 'cpu']).toContain(report.backend);
    }
    expect(report.attempts[0]).toMatchObject({ choice: 'tensorflow-gpu', outcome: 'not-installed' });
    expect(formatBackendReport(report)).toMatch(/skipped @tensorflow\/tfjs-node-gpu: not installed/);
    // webgpu comes next, on a hardware adapter only: this machine has no GPU device node, so Dawn is not loaded.
    const gpu = await mayHaveGpu();
    expect(report.attempts[1]).toMatchObject({ choice: 'webgpu' });
    if (!gpu.yes) {
      expect(report.attempts[1]).toMatchObject({ outcome: 'unsuitable', reason: expect.stringMatching(/no hardware GPU adapter: no GPU device node/) });
      expect(formatBackendReport(report)).toMatch(/skipped @tensorflow\/tfjs-backend-webgpu: no hardware GPU adapter/);
    }
  });

  it('isSoftwareAdapter: CPU rasterisers by name or fallback flag, GPUs not', () => {
    expect(isSoftwareAdapter({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', device: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 19.1.7, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 580.65.06' })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'intel', device: '' }, true)).toBe(true);
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
    expect(report.attempts.filter((a) => a.choice !== 'webgpu').slice(0, 2)).toEqual([
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

  it('cpu: no kernel fixes', async () => {
    expect((await initBackend({ backend: 'cpu' })).fixes).toEqual([]);
  });
});

describe('wasm kernel fixes', () => {
  /** x·Wᵀ + b as a Linear layer computes it (the case of initBackend's self-check), on the active backend. */
  const linear = () =>
    tf.tidy(() =>
      Array.from(tf.fused.matMul({ a: tf.tensor2d([1, 2, 3, 4], [2, 2]), b: tf.tensor2d([1, 1, 1, 0], [2, 2]), transposeB: true, bias: tf.tensor1d([10, 20]) }).dataSync()),
    );

  it('initBackend replaces the wrong wasm _FusedMatMul kernel and reports it', async () => {
    const report = await initBackend({ backend: 'wasm' });
    expect(report.fixes).toEqual(['_FusedMatMul']);
    expect(installedWasmKernelFixes()).toEqual(['_FusedMatMul']);
    expect(formatBackendReport(report)).toContain('replaced wrong wasm kernels: _FusedMatMul');
    expect(linear()).toEqual([13, 21, 17, 23]);
    // Batched, transposed, with an activation: equal to the cpu backend.
    const batched = () =>
      tf.tidy(() => {
        const a = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 1);
        const b = tf.randomNormal([3, 5, 6], 0, 1, 'float32', 2);
        const bias = tf.randomNormal([5], 0, 1, 'float32', 3);
        return tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' }).dataSync();
      });
    const onWasm = batched();
    await tf.setBackend('cpu');
    expect(onWasm).toBeAllclose(batched(), { atol: 1e-5 });
  });

  it('without the fix, wasm 4.22 fails the fused matMul self-check; initBackend installs it again', async () => {
    await initBackend({ backend: 'wasm' });
    expect(uninstallWasmKernelFixes()).toEqual(['_FusedMatMul']);
    // The defect (if a tfjs release fixes it, this fails: then the fix can go).
    expect(linear()).toEqual([13, 21, 27, 23]);
    const report = await initBackend({ backend: 'wasm' });
    expect(report.fixes).toEqual(['_FusedMatMul']);
    expect(linear()).toEqual([13, 21, 17, 23]);
  });
});

describe("'auto' outside Node", () => {
  it('tries webgl, then wasm, then cpu when process.versions.node is absent', async () => {
    await initBackend({ backend: 'wasm' }); // the wasm module initialises while this is still Node
    const versions = process.versions as { node?: string };
    const node = Object.getOwnPropertyDescriptor(versions, 'node')!;
    Object.defineProperty(versions, 'node', { value: undefined, configurable: true });
    let report: BackendReport | undefined;
    try {
      report = await initBackend({ backend: 'auto' });
    } finally {
      Object.defineProperty(versions, 'node', node);
    }
    expect(process.versions.node).toMatch(/^\d+\./);
    // @tensorflow/tfjs-backend-webgl is not a dependency of this package, so wasm is the first that loads.
    expect(report!.attempts.map((a) => [a.choice, a.outcome])).toEqual([
      ['webgl', 'not-installed'],
      ['wasm', 'ok'],
    ]);
    expect(report!.backend).toBe('wasm');
    expect(report!.fixes).toEqual(['_FusedMatMul']);
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
