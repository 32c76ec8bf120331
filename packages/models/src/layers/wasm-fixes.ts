/**
 * Corrections for kernels of `@tensorflow/tfjs-backend-wasm` 4.22 that compute wrong values, installed through
 * tfjs-core's kernel registry (this module imports only `@tensorflow/tfjs-core`: it is browser-safe and does not
 * load the wasm backend itself).
 *
 * `_FusedMatMul` (what `tf.fused.matMul` runs, and so {@link Linear} and every fused matMul with a bias):
 * measured against the cpu backend, the wasm kernel adds the bias to the wrong elements whenever
 * `transposeA` or `transposeB` is set or the product is batched (batch > 1 on either side, broadcast
 * included) — e.g. x·Wᵀ + b for x [3, 5], W [7, 5] is off by up to 0.94 with unit-normal inputs, whatever the
 * activation — and it throws for a bias of rank > 1, which tfjs-core and the cpu backend accept when it
 * broadcasts against the product. Without a bias it is exact, and so is a rank-2 product without transposes.
 * The replacement keeps those exact cases on the original fused kernel and computes every other one from wasm
 * kernels that are correct: `BatchMatMul`, then `Add` of the bias (broadcasting like the cpu backend), then the
 * activation (`Relu`, `Relu6`, `Elu`, `Sigmoid`, `LeakyRelu`, and prelu as relu(x) + α·(x − relu(x))). Results
 * equal the cpu backend's up to float32 rounding; the cost is one or two extra passes over the output.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The backend whose kernels {@link installWasmKernelFixes} replaces. */
export const WASM_BACKEND = 'wasm';

/** Kernel names {@link installWasmKernelFixes} can replace, in order. */
export const WASM_KERNEL_FIXES: readonly string[] = [tf._FusedMatMul];

/** Marks our replacement kernel functions (global, so that two copies of this package recognise each other). */
const FIXED = Symbol.for('@reacgan/models:wasm-kernel-fix');
type MarkedKernelFunc = tf.KernelFunc & { [FIXED]?: tf.KernelConfig };

interface FusedMatMulInputs {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  bias?: tf.TensorInfo;
  preluActivationWeights?: tf.TensorInfo;
}
interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}
interface BackendLike {
  disposeData(dataId: object): unknown;
}

const batchOf = (t: tf.TensorInfo): number => t.shape.slice(0, -2).reduce((n, d) => n * d, 1);

function wasmKernel(name: string): tf.KernelConfig {
  const found = tf.getKernel(name, WASM_BACKEND);
  if (!found) throw new Error(`installWasmKernelFixes: the wasm backend has no ${name} kernel`);
  return found;
}

const UNARY_ACTIVATIONS: Record<string, string> = { relu: tf.Relu, relu6: tf.Relu6, elu: tf.Elu, sigmoid: tf.Sigmoid };

/** The `_FusedMatMul` replacement around the original wasm kernel config. */
function fusedMatMulFix(original: tf.KernelConfig): tf.KernelFunc {
  const run = (name: string, inputs: tf.NamedTensorInfoMap, backend: BackendLike, attrs: tf.NamedAttrMap = {}): tf.TensorInfo =>
    wasmKernel(name).kernelFunc({ inputs, backend: backend as never, attrs }) as tf.TensorInfo;

  const kernelFunc: MarkedKernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: FusedMatMulInputs; backend: BackendLike; attrs: FusedMatMulAttrs };
    const { a, b, bias, preluActivationWeights } = inputs;
    const activation = attrs.activation ?? 'linear';
    const exact = bias == null || (bias.shape.length === 1 && !attrs.transposeA && !attrs.transposeB && batchOf(a) === 1 && batchOf(b) === 1);
    const supported = activation === 'linear' || activation === 'leakyrelu' || activation in UNARY_ACTIVATIONS || (activation === 'prelu' && preluActivationWeights != null);
    // The original kernel is right in the exact cases, and throws its own errors (dtype, activation) otherwise.
    if (exact || !supported || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);

    const temporaries: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo): tf.TensorInfo => {
      temporaries.push(t);
      return t;
    };
    try {
      const product = keep(run(tf.BatchMatMul, { a, b }, backend, { transposeA: attrs.transposeA, transposeB: attrs.transposeB }));
      let out = run(tf.Add, { a: product, b: bias }, backend);
      if (activation === 'leakyrelu') {
        out = run(tf.LeakyRelu, { x: keep(out) }, backend, { alpha: attrs.leakyreluAlpha ?? 0.2 });
      } else if (activation === 'prelu') {
        // relu(x) + α·(x − relu(x)): exact in float32 (one term is 0), broadcasting α like the cpu backend.
        const x = keep(out);
        const positive = keep(run(tf.Relu, { x }, backend));
        const negative = keep(run(tf.Sub, { a: x, b: positive }, backend));
        const scaled = keep(run(tf.Multiply, { a: negative, b: preluActivationWeights! }, backend));
        out = run(tf.Add, { a: positive, b: scaled }, backend);
      } else if (activation !== 'linear') {
        out = run(UNARY_ACTIVATIONS[activation], { x: keep(out) }, backend);
      }
      return out;
    } finally {
      for (const t of temporaries) backend.disposeData(t.dataId);
    }
  };
  kernelFunc[FIXED] = original;
  return kernelFunc;
}

function replacedOriginal(name: string): tf.KernelConfig | undefined {
  return (tf.getKernel(name, WASM_BACKEND)?.kernelFunc as MarkedKernelFunc | undefined)?.[FIXED];
}

/**
 * Replaces the wasm kernels listed in {@link WASM_KERNEL_FIXES} by corrected ones (see the module comment for
 * the defects). Call it after `@tensorflow/tfjs-backend-wasm` has been imported (importing it registers the
 * kernels), before or after the backend initialises. Idempotent; other backends are untouched. `initBackend`
 * of the `reacgan` package calls it when it selects wasm.
 *
 * @returns the names of the wasm kernels that are now replaced (`['_FusedMatMul']`), or `[]` when no wasm
 *   kernels are registered (the wasm backend package is not loaded).
 * @example
 *   // after the wasm backend package has been imported (it registers the kernels):
 *   installWasmKernelFixes(); // ['_FusedMatMul']
 *   await tf.setBackend('wasm');
 */
export function installWasmKernelFixes(): string[] {
  const fixed: string[] = [];
  for (const name of WASM_KERNEL_FIXES) {
    const current = tf.getKernel(name, WASM_BACKEND);
    if (!current) continue;
    if (!replacedOriginal(name)) {
      tf.unregisterKernel(name, WASM_BACKEND);
      tf.registerKernel({ ...current, kernelFunc: fusedMatMulFix(current) });
    }
    fixed.push(name);
  }
  return fixed;
}

/**
 * Restores the original wasm kernels replaced by {@link installWasmKernelFixes} (to compare against them, or
 * to measure the defect).
 * @returns the names of the kernels restored (`[]` when none was replaced).
 */
export function uninstallWasmKernelFixes(): string[] {
  const restored: string[] = [];
  for (const name of WASM_KERNEL_FIXES) {
    const original = replacedOriginal(name);
    if (!original) continue;
    tf.unregisterKernel(name, WASM_BACKEND);
    tf.registerKernel(original);
    restored.push(name);
  }
  return restored;
}

/** Names of the wasm kernels currently replaced by {@link installWasmKernelFixes}. */
export function installedWasmKernelFixes(): string[] {
  return WASM_KERNEL_FIXES.filter((name) => replacedOriginal(name) !== undefined);
}
