import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { loadWebGenerator } from 'reacgan/web';
import { afterAll, describe, expect, it } from 'vitest';
import { installWasmFusedMatMulFix } from '../src/wasm-fused-matmul-fix.js';

const root = fileURLToPath(new URL('..', import.meta.url));

async function onBackend<T>(backend: string, fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  return fn();
}

type Activation = 'linear' | 'relu' | 'leakyrelu' | 'sigmoid';
/** name, batch, transposeA, transposeB, activation */
const CASES: [string, number, boolean, boolean, Activation][] = [
  ['x·Wᵀ + b (the Linear layer)', 1, false, true, 'linear'],
  ['xᵀ·W + b', 1, true, false, 'linear'],
  ['xᵀ·Wᵀ + b, relu', 1, true, true, 'relu'],
  ['batched x·W + b', 3, false, false, 'linear'],
  ['batched x·Wᵀ + b, leaky relu', 3, false, true, 'leakyrelu'],
  ['x·W + b, sigmoid (the exact case)', 1, false, false, 'sigmoid'],
];

function fusedMatMul(batch: number, transposeA: boolean, transposeB: boolean, activation: Activation): Float32Array {
  return tf.tidy(() => {
    const a = tf.randomNormal(transposeA ? [batch, 64, 2] : [batch, 2, 64], 0, 1, 'float32', 1);
    const b = tf.randomNormal(transposeB ? [batch, 256, 64] : [batch, 64, 256], 0, 0.2, 'float32', 2);
    const bias = tf.randomNormal([256], 0, 1, 'float32', 3);
    return tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation, leakyreluAlpha: 0.1 }).dataSync() as Float32Array;
  });
}

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('the wasm _FusedMatMul fix', () => {
  it('makes fused matMul with a bias and transposes agree with the cpu backend, without leaks', async () => {
    expect(installWasmFusedMatMulFix()).toBe(true);
    expect(installWasmFusedMatMulFix()).toBe(true); // idempotent
    for (const [name, n, tA, tB, act] of CASES) {
      const cpu = await onBackend('cpu', () => fusedMatMul(n, tA, tB, act));
      const wasm = await onBackend('wasm', () => {
        const tensors = tf.memory().numTensors;
        const out = fusedMatMul(n, tA, tB, act);
        expect(tf.memory().numTensors, `${name}: tensors`).toBe(tensors);
        return out;
      });
      expect(maxDiff(cpu, wasm), `${name}: fixed wasm vs cpu`).toBeLessThan(1e-4);
    }
  });

  it('makes the shipped generator on wasm match the cpu backend', async () => {
    installWasmFusedMatMulFix();
    const bytes = await readFile(join(root, 'public', 'mnist-reacgan.web.safetensors'));
    const outputs: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const { generator, descriptor } = loadWebGenerator(bytes);
      const check = descriptor.selfCheck!;
      outputs.push(
        tf.tidy(() => generator.apply(tf.tensor2d(check.z, [check.labels.length, generator.zDim]), tf.tensor1d(check.labels, 'int32'), { training: false }).dataSync() as Float32Array),
      );
      generator.dispose();
    }
    expect(maxDiff(outputs[0], outputs[1])).toBeLessThan(1e-5);
  });
});
