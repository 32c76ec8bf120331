/**
 * Training-mode batch normalisation on TensorFlow's fused kernels (prototype; proposed for
 * @reacgan/models' BatchNorm2d / conditional BN — see docs/performance.md):
 *   forward  FusedBatchNormV3(is_training)  → y, batch mean, unbiased batch variance (1 kernel)
 *   backward FusedBatchNormGradV3           → dx, dscale, doffset                    (1 kernel)
 * instead of tf.moments + scale/shift (≈ 6 full-size kernels forward, ≈ 12 backward on tfjs 4.22).
 * On other backends {@link batchNormTrain} computes the same values with tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sharedGradient } from './shared-grad.js';

export const FUSED_BN_TRAIN_KERNEL = 'BenchFusedBatchNormTrain';
export const FUSED_BN_GRAD_KERNEL = 'BenchFusedBatchNormTrainGrad';

interface Binding {
  TF_ATTR_TYPE: number;
  TF_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_STRING: number;
}
interface NativeBackend {
  binding: Binding;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.TensorInfo[], numOutputs: number): tf.TensorInfo[];
  disposeData?(dataId: object): void;
}

function attrs(b: Binding, epsilon: number, withAvg: boolean): unknown[] {
  const out: unknown[] = [
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'U', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
  ];
  if (withAvg) out.push({ name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: 1 });
  return out;
}

let registered = false;

/** Registers the two native kernels for the 'tensorflow' backend (idempotent). */
export function registerNativeBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: FUSED_BN_TRAIN_KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs: a }) => {
      const b = backend as unknown as NativeBackend;
      const { x, scale, offset } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; offset: tf.TensorInfo };
      const empty = tf.tensor1d([], 'float32');
      const outs = b.executeMultipleOutputs('FusedBatchNormV3', attrs(b.binding, (a as { epsilon: number }).epsilon, true), [x, scale, offset, empty, empty], 6);
      empty.dispose();
      // y, batch_mean, batch_variance (unbiased), reserve_space_1..3
      return outs;
    },
  });
  tf.registerGradient({
    kernelName: FUSED_BN_TRAIN_KERNEL,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, false, false, true, true, true],
    gradFunc: (dy, saved, a) => {
      const [x, scale, r1, r2, r3] = saved;
      const dyY = Array.isArray(dy) ? dy[0] : dy;
      const all = sharedGradient(
        () => tf.engine().runKernel(FUSED_BN_GRAD_KERNEL, { dy: dyY, x, scale, r1, r2, r3 }, { epsilon: (a as { epsilon: number }).epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[],
      );
      // Clones: the gradient functions' results must be tensors of their own (the shared ones are disposed later).
      return { x: () => tf.clone(all()[0]), scale: () => tf.clone(all()[1]), offset: () => tf.clone(all()[2]) };
    },
  });
  tf.registerKernel({
    kernelName: FUSED_BN_GRAD_KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs: a }) => {
      const b = backend as unknown as NativeBackend;
      const { dy, x, scale, r1, r2, r3 } = inputs as Record<string, tf.TensorInfo>;
      const outs = b.executeMultipleOutputs('FusedBatchNormGradV3', attrs(b.binding, (a as { epsilon: number }).epsilon, false), [dy, x, scale, r1, r2, r3], 5);
      // dx, dscale, doffset (the two trailing outputs are unused placeholders)
      return outs.slice(0, 3);
    },
  });
}

export function nativeBatchNormAvailable(): boolean {
  return tf.getBackend() === 'tensorflow' && tf.getKernel(FUSED_BN_TRAIN_KERNEL, 'tensorflow') !== undefined;
}

/**
 * y = (x − μ_B)/√(σ²_B + ε)·scale + offset over N, H, W of NHWC x (batch statistics, biased σ² inside),
 * returning also μ_B and the unbiased σ²_B·n/(n − 1) for running statistics (no gradient through them).
 * `scale` / `offset` may be null (1 / 0, not trained). Call inside tf.tidy.
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  scale: tf.Tensor1D | null,
  offset: tf.Tensor1D | null,
  epsilon: number,
): { y: tf.Tensor4D; mean: tf.Tensor1D; unbiasedVariance: tf.Tensor1D } {
  const c = x.shape[3];
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  if (!nativeBatchNormAvailable()) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const inv = tf.rsqrt(tf.add(variance, epsilon));
    const s = scale ? tf.mul(inv, scale) : inv;
    const shift = offset ? tf.sub(offset, tf.mul(mean, s)) : tf.neg(tf.mul(mean, s));
    const y = tf.add(tf.mul(x, s), shift) as tf.Tensor4D;
    return { y, mean: mean as tf.Tensor1D, unbiasedVariance: tf.mul(variance, n > 1 ? n / (n - 1) : 1) as tf.Tensor1D };
  }
  const s = scale ?? tf.ones([c]);
  const o = offset ?? tf.zeros([c]);
  const [y, mean, variance] = tf.engine().runKernel(FUSED_BN_TRAIN_KERNEL, { x, scale: s, offset: o }, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, unbiasedVariance: variance as tf.Tensor1D };
}
