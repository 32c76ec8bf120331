import * as tf from '@tensorflow/tfjs-core';
import { relu } from './native.js';

/**
 * Activation functions of StudioGAN's `MODEL.g_act_fn` / `MODEL.d_act_fn`
 * (`src/config.py:define_modules`): ReLU, LeakyReLU(0.1), ELU(α = 1), GELU (exact, erf).
 */
export type ActivationName = 'ReLU' | 'Leaky_ReLU' | 'ELU' | 'GELU';

export const ACTIVATIONS: readonly ActivationName[] = ['ReLU', 'Leaky_ReLU', 'ELU', 'GELU'];

export function activation(x: tf.Tensor, name: ActivationName): tf.Tensor {
  switch (name) {
    case 'ReLU':
      // tf.relu; on tfjs-node's 'tensorflow' backend with TensorFlow's ReluGrad as its gradient.
      return relu(x);
    case 'Leaky_ReLU':
      return tf.leakyRelu(x, 0.1);
    case 'ELU':
      return tf.elu(x);
    case 'GELU':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }
}

/**
 * Nearest-neighbour ×2 upsampling of NHWC input (PyTorch `F.interpolate(scale_factor=2,
 * mode='nearest')`). Written as reshape + broadcast, whose gradient is exact on every backend
 * (tfjs-backend-cpu's resizeNearestNeighbor gradient is wrong, see docs/environment.md).
 */
export function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  // Columns, then rows, each a broadcast of rank ≤ 4 (the native Tile gradient stops at rank 4).
  const wide = tf.broadcastTo(tf.reshape(x, [n * h, w, 1, c]), [n * h, w, 2, c]);
  const tall = tf.broadcastTo(tf.reshape(wide, [n * h, 1, 2 * w * c]), [n * h, 2, 2 * w * c]);
  return tf.reshape(tall, [n, 2 * h, 2 * w, c]);
}

/** 2×2 average pooling with stride 2 (PyTorch `nn.AvgPool2d(2)`). */
export function averagePool2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid');
}

/** 2×2 max pooling with stride 2 (PyTorch `nn.MaxPool2d(2, stride=2)`). */
export function maxPool2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

/** Row-wise x / max(‖x‖₂, eps) (PyTorch `F.normalize(x, dim=1)`, eps 1e-12). */
export function l2NormalizeRows(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  const norm = tf.sqrt(tf.sum(tf.square(x), 1, true));
  return tf.div(x, tf.maximum(norm, eps));
}
