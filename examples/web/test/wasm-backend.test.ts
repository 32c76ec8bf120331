/**
 * The shipped generator on the wasm backend (Node build of @tensorflow/tfjs-backend-wasm) against the cpu
 * backend, with the kernel fixes of @reacgan/models that the page installs (src/backend.ts) and without them.
 * The kernel-level cases live in packages/models (src/layers/wasm-fixes.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '@reacgan/models';
import { loadWebGenerator } from 'reacgan/web';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);

/** The generator's output for the file's self-check inputs, on `backend`. */
async function selfCheckOutput(bytes: Uint8Array, backend: string): Promise<Float32Array> {
  await tf.setBackend(backend);
  const { generator, descriptor } = loadWebGenerator(bytes);
  const check = descriptor.selfCheck!;
  const out = tf.tidy(
    () =>
      generator
        .apply(tf.tensor2d(check.z, [check.labels.length, generator.zDim]), tf.tensor1d(check.labels, 'int32'), { training: false, batchNormStatistics: check.batchNormStatistics })
        .dataSync() as Float32Array,
  );
  generator.dispose();
  return out;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('the shipped generator on wasm', () => {
  it('matches the cpu backend with the kernel fixes the page installs, and does not without them', async () => {
    const bytes = await readFile(join(root, 'public', 'mnist-reacgan.web.safetensors'));
    const cpu = await selfCheckOutput(bytes, 'cpu');
    expect(installWasmKernelFixes()).toEqual(['_FusedMatMul']);
    expect(maxDiff(cpu, await selfCheckOutput(bytes, 'wasm')), 'fixed wasm vs cpu').toBeLessThan(1e-5);
    // Without the fix the generator's first Linear layer (z → feature map) adds its bias to the wrong units.
    expect(uninstallWasmKernelFixes()).toEqual(['_FusedMatMul']);
    expect(maxDiff(cpu, await selfCheckOutput(bytes, 'wasm')), 'unfixed wasm vs cpu').toBeGreaterThan(1e-3);
    installWasmKernelFixes();
  });
});
