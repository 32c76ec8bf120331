import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients of gradient kernels that tfjs-core 4.22 does not register, so that a loss built from ∂D(x)/∂x
 * (R1, WGAN-GP) can be differentiated with respect to D's parameters through every layer of this package's
 * discriminators (second-order gradients):
 *
 * - `AvgPoolGrad` (the gradient of `tf.avgPool`, ResNet / BigGAN discriminator blocks): linear in dy, its
 *   gradient is avgPool(ddx) with the same window (AvgPool and AvgPoolGrad are adjoint); none to the input.
 * - `MaxPoolGrad` (the gradient of `tf.maxPool`, the self-attention's pooled φ and g), for non-overlapping
 *   windows (stride = window, 'valid'): linear in dy, it routes each window's dy to the window's arg-max;
 *   its gradient gathers ddx back from those positions: ddy = Σ_window ddx · mask, where mask =
 *   MaxPoolGrad(1, x, y) is the backend's own choice of arg-max (ties resolved as in the first-order pass).
 *   The arg-max is locally constant, so there is no gradient to x or y.
 * - `Softmax` (the self-attention's weights): tfjs-core's gradient reads the saved *output* y, and tfjs 4.22
 *   records the copy it saves of an output before the op that made it, so a second differentiation does not
 *   see that y depends on the logits and silently treats y as a constant (a wrong second-order gradient, not
 *   an error). The replacement saves the logits and recomputes y = softmax(logits) in the backward pass: the
 *   same first-order values (one more softmax per backward pass), and correct second-order ones.
 *
 * The native kernels' `ReacganReluGrad` has its gradient registered with the kernels (`layers/native.ts`).
 * Registration is global and idempotent and changes nothing for first-order gradients.
 * @returns whether this call registered them (false when they were registered already).
 */
export function installHigherOrderGradients(): boolean {
  const configs = [AVG_POOL_GRAD_GRADIENT, MAX_POOL_GRAD_GRADIENT, SOFTMAX_GRADIENT];
  if (configs.every((c) => tf.getGradient(c.kernelName) === c)) return false;
  for (const c of configs) tf.registerGradient(c);
  return true;
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
}

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

const AVG_POOL_GRAD_GRADIENT: tf.GradConfig = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const [input] = saved;
    const { filterSize, strides, pad } = attrs as unknown as PoolAttrs;
    return {
      dy: () => tf.avgPool(ddx as tf.Tensor4D, filterSize, strides, pad),
      input: () => tf.zerosLike(input),
    };
  },
};

const MAX_POOL_GRAD_GRADIENT: tf.GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, input, output] = saved as tf.Tensor4D[];
    const { filterSize, strides, pad } = attrs as unknown as PoolAttrs;
    const [fh, fw] = pair(filterSize);
    const [sh, sw] = pair(strides);
    if (fh !== sh || fw !== sw || (pad !== 'valid' && pad !== 0)) {
      throw new Error(
        `second-order gradient of maxPool: implemented for non-overlapping windows (strides = filterSize, pad 'valid'), received filterSize [${fh}, ${fw}], strides [${sh}, ${sw}], pad ${String(pad)}`,
      );
    }
    return {
      dy: () => {
        const mask = tf.engine().runKernel('MaxPoolGrad', { dy: tf.onesLike(dy), input, output }, attrs as tf.NamedAttrMap) as tf.Tensor4D;
        return tf.mul(tf.avgPool(tf.mul(ddx as tf.Tensor4D, mask) as tf.Tensor4D, [fh, fw], [sh, sw], 'valid'), fh * fw);
      },
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};

const SOFTMAX_GRADIENT: tf.GradConfig = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const [logits] = saved;
    const { dim } = attrs as unknown as { dim: number };
    return {
      logits: () => {
        const y = tf.softmax(logits, dim);
        const dyTimesY = tf.mul(dy as tf.Tensor, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
      },
    };
  },
};
