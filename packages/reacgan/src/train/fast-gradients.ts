import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient of tfjs-core's `Tile` kernel (which every `tf.broadcastTo` runs, e.g. inside `tf.where` with
 * a [N, 1] operand) as one reshape and one sum: dy of shape [r0·x0, r1·x1, …] is viewed as
 * [r0, x0, r1, x1, …] and summed over the repetition axes. tfjs-core 4.22's own gradient takes one
 * `slice` and one `add` per repetition (128 kernels for a [64, 1] → [64, 64] broadcast) and throws above
 * rank 4. Same sums (in a different order: float rounding may differ in the last bits).
 */
export function tileGradient(dy: tf.Tensor, xShape: readonly number[], reps: readonly number[]): tf.Tensor {
  const split: number[] = [];
  const axes: number[] = [];
  for (let i = 0; i < xShape.length; i++) {
    if (reps[i] > 1) {
      axes.push(split.length);
      split.push(reps[i], xShape[i]);
    } else {
      split.push(xShape[i]);
    }
  }
  if (axes.length === 0) return tf.reshape(dy, xShape as number[]);
  return tf.reshape(tf.sum(tf.reshape(dy, split), axes), xShape as number[]);
}

const TILE_GRADIENT: tf.GradConfig = {
  kernelName: 'Tile',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { reps } = attrs as unknown as { reps: number[] };
    return { x: () => tileGradient(dy as tf.Tensor, x.shape, reps) };
  },
};

/**
 * Replaces tfjs-core's gradient of `Tile` by {@link tileGradient} in the global gradient registry
 * (idempotent; again after something re-registered tfjs-core's). The trainer calls it on creation: the
 * losses' masked log-sum-exp broadcasts [N, 1] row statistics, whose tfjs-core gradient alone was ~500
 * kernels per ReACGAN training step.
 * @returns whether this call installed it (false when it was installed already).
 */
export function installFastGradients(): boolean {
  if (tf.getGradient('Tile') === TILE_GRADIENT) return false;
  tf.registerGradient(TILE_GRADIENT);
  return true;
}

/**
 * Throws unless tfjs-core's gradient functions are registered (the @tensorflow/tfjs umbrella and
 * tfjs-node register them; tfjs-core alone does not). `initBackend()` takes care of it.
 */
export function assertGradientsRegistered(caller: string): void {
  if (tf.getGradient('Conv2D') == null || tf.getGradient('BatchMatMul') == null) {
    throw new Error(`${caller}: no gradient functions are registered in @tensorflow/tfjs-core: call initBackend() from 'reacgan', or import '@tensorflow/tfjs' (or '@tensorflow/tfjs-node'), before training`);
  }
}
