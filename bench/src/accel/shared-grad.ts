import * as tf from '@tensorflow/tfjs-core';

/**
 * A value shared by several per-input gradient functions of one kernel. tfjs runs each input's gradient
 * function in its own tidy, so a tensor computed in the first one would be disposed before the next one
 * uses it; this computes once, keeps the result, and disposes it in a microtask — after the synchronous
 * backward pass that called the gradient functions has finished.
 */
export function sharedGradient<T extends tf.Tensor | tf.Tensor[]>(compute: () => T): () => T {
  let value: T | null = null;
  return () => {
    if (value === null) {
      const computed = compute();
      value = computed;
      const tensors = Array.isArray(computed) ? computed : [computed];
      for (const t of tensors) tf.keep(t);
      queueMicrotask(() => tf.dispose(tensors));
    }
    return value;
  };
}
