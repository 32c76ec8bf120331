/**
 * The wasm kernel fixes on the real @tensorflow/tfjs-backend-wasm (Node build), against the cpu backend.
 * The wasm package is imported dynamically, after the first test, to check the "not loaded" case.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../random.js';
import { forwardContext } from './context.js';
import { installWasmKernelFixes, installedWasmKernelFixes, uninstallWasmKernelFixes, WASM_KERNEL_FIXES } from './wasm-fixes.js';
import { Linear } from './weight-layers.js';

type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'sigmoid' | 'prelu';
interface Case {
  /** Batch of a and of b (1 with rank 2 when `rank2`). */
  batch: [number, number];
  transposeA: boolean;
  transposeB: boolean;
  /** Shape of the bias relative to the [batch, M, N] product, or null for none. */
  bias: 'N' | 'MxN' | 'Bx1xN' | null;
  activation: Activation;
  /** Shape of the prelu weights. */
  alpha?: 'N' | 'MxN';
  rank2?: boolean;
}
const [M, K, N] = [3, 5, 7];

function fusedMatMul(c: Case): Float32Array {
  return tf.tidy(() => {
    const [ba, bb] = c.batch;
    const shapeA = c.transposeA ? [K, M] : [M, K];
    const shapeB = c.transposeB ? [N, K] : [K, N];
    const a = tf.randomNormal(c.rank2 ? shapeA : [ba, ...shapeA], 0, 1, 'float32', 1);
    const b = tf.randomNormal(c.rank2 ? shapeB : [bb, ...shapeB], 0, 1, 'float32', 2);
    const biasShape = { N: [N], MxN: [M, N], Bx1xN: [Math.max(ba, bb), 1, N] };
    const bias = c.bias ? tf.randomNormal(biasShape[c.bias], 0, 1, 'float32', 3) : undefined;
    const preluActivationWeights = c.activation === 'prelu' ? tf.randomUniform(c.alpha === 'MxN' ? [M, N] : [N], 0.05, 0.5, 'float32', 4) : undefined;
    const { transposeA, transposeB, activation } = c;
    return tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation, preluActivationWeights, leakyreluAlpha: 0.1 }).dataSync() as Float32Array;
  });
}

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  expect(y.length).toBe(x.length);
  return Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
};
const label = (c: Case): string => JSON.stringify(c);

/** The shapes that were wrong (or threw) on wasm 4.22, over every activation; plus the exact cases. */
const ACTIVATIONS: Activation[] = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'];
const WRONG_SHAPES: Omit<Case, 'activation'>[] = [
  { batch: [1, 1], transposeA: false, transposeB: true, bias: 'N', rank2: true }, // Linear: x·Wᵀ + b
  { batch: [1, 1], transposeA: true, transposeB: false, bias: 'N', rank2: true },
  { batch: [1, 1], transposeA: true, transposeB: true, bias: 'N', rank2: true },
  { batch: [3, 3], transposeA: false, transposeB: false, bias: 'N' },
  { batch: [3, 3], transposeA: true, transposeB: true, bias: 'N' },
  { batch: [1, 3], transposeA: false, transposeB: true, bias: 'N' }, // broadcast batch
  { batch: [3, 1], transposeA: true, transposeB: false, bias: 'N' },
];
const BROADCAST_BIAS: Omit<Case, 'activation'>[] = [
  // wasm 4.22 throws "_FusedMatMul only supports rank-1 bias" for these; cpu broadcasts them.
  { batch: [1, 1], transposeA: false, transposeB: false, bias: 'MxN', rank2: true },
  { batch: [3, 3], transposeA: false, transposeB: true, bias: 'MxN' },
  { batch: [3, 3], transposeA: true, transposeB: false, bias: 'Bx1xN' },
];
const EXACT_SHAPES: Omit<Case, 'activation'>[] = [
  { batch: [1, 1], transposeA: false, transposeB: false, bias: 'N', rank2: true },
  { batch: [3, 3], transposeA: true, transposeB: true, bias: null },
  { batch: [1, 3], transposeA: false, transposeB: true, bias: null },
];
const cases = (shapes: Omit<Case, 'activation'>[]): Case[] => shapes.flatMap((s) => ACTIVATIONS.map((activation) => ({ ...s, activation })));
const PRELU_BROADCAST: Case[] = [
  { batch: [1, 1], transposeA: false, transposeB: true, bias: 'N', activation: 'prelu', alpha: 'MxN', rank2: true },
  { batch: [3, 3], transposeA: false, transposeB: false, bias: null, activation: 'prelu', alpha: 'MxN' },
];
const ALL = [...cases(WRONG_SHAPES), ...cases(BROADCAST_BIAS), ...cases(EXACT_SHAPES), ...PRELU_BROADCAST];
/** The cpu backend's result for a case. */
const onCpu = (c: Case): Float32Array => cpu[ALL.findIndex((x) => label(x) === label(c))];

async function on<T>(backend: string, fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  return fn();
}

/** Runs `fn` on wasm and checks that neither tensors nor wasm buffers are left behind. */
function withoutLeaks<T>(fn: () => T, what: string): T {
  const backend = () => tf.engine().backend as unknown as { numDataIds(): number };
  const [tensors, buffers] = [tf.memory().numTensors, backend().numDataIds()];
  const out = fn();
  expect(tf.memory().numTensors, `${what}: tensors`).toBe(tensors);
  expect(backend().numDataIds(), `${what}: wasm buffers`).toBe(buffers);
  return out;
}

let cpu: Float32Array[] = [];

afterAll(async () => {
  uninstallWasmKernelFixes();
  await tf.setBackend('cpu');
});

describe('installWasmKernelFixes', () => {
  it('does nothing and returns [] while the wasm backend is not loaded', () => {
    expect(tf.getKernel('_FusedMatMul', 'wasm')).toBeUndefined();
    expect(installWasmKernelFixes()).toEqual([]);
    expect(installedWasmKernelFixes()).toEqual([]);
    expect(uninstallWasmKernelFixes()).toEqual([]);
  });

  it('wasm 4.22 without the fix: fused matMul with a bias is wrong with transposes or a batch, and rejects a rank-2 bias', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    cpu = await on('cpu', () => ALL.map(fusedMatMul));
    await tf.setBackend('wasm');
    // The defect this module exists for (if tfjs fixes it, these expectations fail: then the fix can go).
    for (const c of cases(WRONG_SHAPES)) {
      expect(maxDiff(onCpu(c), fusedMatMul(c)), `${label(c)}: unfixed wasm vs cpu`).toBeGreaterThan(0.05);
    }
    for (const c of cases(BROADCAST_BIAS)) expect(() => fusedMatMul(c), label(c)).toThrow(/only supports rank-1 bias/);
    for (const c of cases(EXACT_SHAPES)) expect(maxDiff(onCpu(c), fusedMatMul(c)), `${label(c)}: unfixed wasm vs cpu`).toBeLessThan(1e-4);
  });

  it('makes every case agree with the cpu backend, without leaking tensors or wasm buffers', async () => {
    expect(installWasmKernelFixes()).toEqual(['_FusedMatMul']);
    expect(installedWasmKernelFixes()).toEqual([...WASM_KERNEL_FIXES]);
    await tf.setBackend('wasm');
    ALL.forEach((c, i) => {
      const wasm = withoutLeaks(() => fusedMatMul(c), label(c));
      expect(maxDiff(cpu[i], wasm), `${label(c)}: fixed wasm vs cpu`).toBeLessThan(1e-4);
    });
  });

  it('is idempotent, leaves other backends alone, and can be undone and redone after the backend initialised', async () => {
    const fixed = tf.getKernel('_FusedMatMul', 'wasm')!.kernelFunc;
    const cpuKernel = tf.getKernel('_FusedMatMul', 'cpu')!.kernelFunc;
    expect(installWasmKernelFixes()).toEqual(['_FusedMatMul']);
    expect(tf.getKernel('_FusedMatMul', 'wasm')!.kernelFunc).toBe(fixed);
    expect(tf.getKernel('_FusedMatMul', 'cpu')!.kernelFunc).toBe(cpuKernel);

    const linearCase = cases(WRONG_SHAPES)[0];
    const expected = onCpu(linearCase);
    await tf.setBackend('wasm');
    expect(uninstallWasmKernelFixes()).toEqual(['_FusedMatMul']);
    expect(installedWasmKernelFixes()).toEqual([]);
    expect(maxDiff(expected, fusedMatMul(linearCase))).toBeGreaterThan(0.05);
    expect(installWasmKernelFixes()).toEqual(['_FusedMatMul']);
    expect(maxDiff(expected, fusedMatMul(linearCase))).toBeLessThan(1e-4);
  });

  it('still throws the original errors for what wasm does not support (int32 operands)', async () => {
    await tf.setBackend('wasm');
    expect(() =>
      tf.tidy(() => tf.fused.matMul({ a: tf.ones([2, 3], 'int32'), b: tf.ones([4, 3], 'int32'), transposeB: true, bias: tf.ones([4], 'int32') })),
    ).toThrow(/non-float32/);
  });

  it('fixes the Linear layer and its gradients (x, W, b) on wasm', async () => {
    installWasmKernelFixes();
    const run = () =>
      tf.tidy(() => {
        const layer = new Linear('fc', 6, 4, true, { spectralNorm: false, init: 'ortho', rng: new SeededRandom(7) });
        layer.bias!.assign(tf.randomNormal([4], 0, 1, 'float32', 9));
        const x = tf.randomNormal([5, 6], 0, 1, 'float32', 8) as tf.Tensor2D;
        const ctx = forwardContext({ training: false });
        const y = layer.apply(x, ctx, 'relu');
        const loss = () => tf.sum(tf.mul(layer.apply(x, ctx, 'linear'), tf.reshape(tf.range(0, 20), [5, 4]))) as tf.Scalar;
        const { grads } = tf.variableGrads(loss, [layer.weight, layer.bias!]);
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(layer.apply(xx as tf.Tensor2D, ctx, 'linear'))))(x);
        const out = [y, grads[layer.weight.name], grads[layer.bias!.name], dx].map((t) => t.dataSync() as Float32Array);
        layer.dispose();
        return out;
      });
    const expected = await on('cpu', run);
    const actual = await on('wasm', run);
    ['y', 'dL/dW', 'dL/db', 'dL/dx'].forEach((name, i) => expect(maxDiff(expected[i], actual[i]), name).toBeLessThan(1e-3));
  });
});
