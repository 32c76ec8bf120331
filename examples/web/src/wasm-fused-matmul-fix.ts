/**
 * Workaround for a defect of @tensorflow/tfjs-backend-wasm 4.22: its `_FusedMatMul` kernel adds the bias to
 * the wrong elements when `transposeA` or `transposeB` is set, or when the product is batched (rank 3 with a
 * batch > 1). Measured against the cpu backend: [2, 64] × [256, 64]ᵀ + bias[256] is off by up to 7.5;
 * [3, 2, 64] × [3, 64, 256] + bias likewise; rank-2 products without transposes are exact. @reacgan/models'
 * Linear layer computes x·Wᵀ + b with exactly such a call, so on wasm every linear layer was wrong (the
 * page's self-check caught it).
 *
 * The fix wraps the kernel: the exact case (no transposes, batch 1) goes to the original kernel; every other
 * case is computed as the wasm `BatchMatMul` kernel (exact), then `Add` of the bias, then the activation's own
 * wasm kernel. Same results as the cpu backend up to float32 rounding, a little slower.
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';

const BACKEND = 'wasm';
let installed = false;

interface FusedInputs {
  a: TensorInfo;
  b: TensorInfo;
  bias?: TensorInfo;
  preluActivationWeights?: TensorInfo;
}
interface FusedAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}
interface WasmBackendLike {
  disposeData(dataId: object): void;
}

const batchOf = (t: TensorInfo) => t.shape.slice(0, -2).reduce((n, d) => n * d, 1);

function kernel(name: string): KernelConfig {
  const found = getKernel(name, BACKEND);
  if (!found) throw new Error(`wasm-fused-matmul-fix: the wasm backend has no ${name} kernel`);
  return found;
}

/**
 * Replaces the wasm `_FusedMatMul` kernel by the wrapped one (idempotent). Call it after importing
 * `@tensorflow/tfjs-backend-wasm` (which registers the kernels), before or after the backend initialises.
 * @returns false when there is no wasm `_FusedMatMul` kernel to fix (the wasm backend is not loaded).
 */
export function installWasmFusedMatMulFix(): boolean {
  if (installed) return true;
  const original = getKernel('_FusedMatMul', BACKEND);
  if (!original) return false;
  const [batchMatMul, add] = [kernel('BatchMatMul'), kernel('Add')];
  const activations: Record<string, (x: TensorInfo, backend: WasmBackendLike, inputs: FusedInputs, attrs: FusedAttrs) => TensorInfo> = {
    relu: (x, backend) => kernel('Relu').kernelFunc({ inputs: { x }, backend: backend as never, attrs: {} }) as TensorInfo,
    relu6: (x, backend) => kernel('Relu6').kernelFunc({ inputs: { x }, backend: backend as never, attrs: {} }) as TensorInfo,
    elu: (x, backend) => kernel('Elu').kernelFunc({ inputs: { x }, backend: backend as never, attrs: {} }) as TensorInfo,
    sigmoid: (x, backend) => kernel('Sigmoid').kernelFunc({ inputs: { x }, backend: backend as never, attrs: {} }) as TensorInfo,
    leakyrelu: (x, backend, _inputs, attrs) => kernel('LeakyRelu').kernelFunc({ inputs: { x }, backend: backend as never, attrs: { alpha: attrs.leakyreluAlpha ?? 0.2 } }) as TensorInfo,
    prelu: (x, backend, inputs) => kernel('Prelu').kernelFunc({ inputs: { x, alpha: inputs.preluActivationWeights! }, backend: backend as never, attrs: {} }) as TensorInfo,
  };

  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: FusedInputs; backend: WasmBackendLike; attrs: FusedAttrs };
    const exact = !attrs.transposeA && !attrs.transposeB && batchOf(inputs.a) === 1 && batchOf(inputs.b) === 1;
    if (exact || (!inputs.bias && (attrs.activation ?? 'linear') === 'linear')) {
      // Without bias and activation the fused kernel is a plain matMul (exact in every case measured).
      return original.kernelFunc(args);
    }
    const activation = attrs.activation ?? 'linear';
    if (activation !== 'linear' && !activations[activation]) return original.kernelFunc(args);
    const temporaries: TensorInfo[] = [];
    try {
      let out = batchMatMul.kernelFunc({ inputs: { a: inputs.a, b: inputs.b }, backend: backend as never, attrs: { transposeA: attrs.transposeA, transposeB: attrs.transposeB } }) as TensorInfo;
      if (inputs.bias) {
        temporaries.push(out);
        out = add.kernelFunc({ inputs: { a: out, b: inputs.bias }, backend: backend as never, attrs: {} }) as TensorInfo;
      }
      if (activation !== 'linear') {
        temporaries.push(out);
        out = activations[activation](out, backend, inputs, attrs);
      }
      return out;
    } finally {
      for (const t of temporaries) backend.disposeData(t.dataId);
    }
  };
  unregisterKernel('_FusedMatMul', BACKEND);
  registerKernel({ ...original, kernelFunc });
  installed = true;
  return true;
}
