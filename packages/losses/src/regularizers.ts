import * as tf from '@tensorflow/tfjs-core';
import { checkLogitVector, fail } from './validate.js';

// The discriminator regularisers of StudioGAN (src/utils/losses.py, src/worker.py) as pure tensor math on the
// tensors they act on: D's outputs, or the gradient of D's output with respect to its input (which the caller
// computes through the network, e.g. with tf.grad inside the training step's tape).

function checkFloat(fn: string, argument: string, value: unknown, minRank: number): tf.Tensor {
  if (!(value instanceof tf.Tensor) || value.dtype !== 'float32') {
    fail(fn, argument, `a float32 tf.Tensor of rank >= ${minRank}`, value);
  }
  if (value.isDisposed) throw new Error(`${fn}: ${argument} is a disposed tensor (shape [${value.shape.join(', ')}]).`);
  if (value.rank < minRank || value.size === 0) fail(fn, argument, `a non-empty float32 tf.Tensor of rank >= ${minRank}`, `shape [${value.shape.join(', ')}]`, true);
  return value;
}

/**
 * The consistency loss of CR, bCR and zCR (Zhang et al. 2020, Zhao et al. 2021): the mean squared difference
 * of D's outputs on two versions of a batch, over every element — StudioGAN's `l2_loss` (`torch.nn.MSELoss()`),
 * applied to `adv_output` and to `embed` / `cls_output`.
 * @param a float32 tensor, e.g. D(x) outputs [N] or [N, d]; @param b the same shape (D(T(x))).
 * @returns float32 scalar mean((a − b)²). Gradients flow into both.
 * @throws Error when a or b is not a non-empty float32 tensor, or their shapes differ.
 */
export function consistencyLoss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const fn = 'consistencyLoss';
  checkFloat(fn, 'a', a, 1);
  checkFloat(fn, 'b', b, 1);
  if (!tf.util.arraysEqual(a.shape, b.shape)) fail(fn, 'b', `of a's shape [${a.shape.join(', ')}]`, `shape [${b.shape.join(', ')}]`, true);
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}

/**
 * The LeCam regulariser (Tseng et al., CVPR 2021; StudioGAN master `losses.lecam_reg`):
 *   R = mean(ReLU(D(x_real) − α_fake)²) + mean(ReLU(α_real − D(G(z)))²)
 * with α_real, α_fake the moving averages of D's mean real and fake outputs (StudioGAN `LeCamEMA.D_real`,
 * `D_fake`), which carry no gradient.
 * @param realLogits float32 [N] or [N, 1]; @param fakeLogits float32 [M] or [M, 1].
 * @param emaReal, emaFake the averages: numbers or float32 scalar tensors (not differentiated).
 * @returns float32 scalar.
 */
export function lecamRegularizer(realLogits: tf.Tensor, fakeLogits: tf.Tensor, emaReal: number | tf.Scalar, emaFake: number | tf.Scalar): tf.Scalar {
  const fn = 'lecamRegularizer';
  checkLogitVector(fn, 'realLogits', realLogits);
  checkLogitVector(fn, 'fakeLogits', fakeLogits);
  for (const [name, value] of [['emaReal', emaReal], ['emaFake', emaFake]] as const) {
    const ok = typeof value === 'number' ? Number.isFinite(value) : value instanceof tf.Tensor && value.size === 1 && value.dtype === 'float32';
    if (!ok) fail(fn, name, 'a finite number or a float32 scalar tensor', value);
  }
  return tf.tidy(() => {
    const constant = (v: number | tf.Scalar) => (typeof v === 'number' ? tf.scalar(v) : tf.reshape(v, []));
    const real = tf.reshape(realLogits, [-1]);
    const fake = tf.reshape(fakeLogits, [-1]);
    return tf.add(tf.mean(tf.square(tf.relu(tf.sub(real, constant(emaFake))))), tf.mean(tf.square(tf.relu(tf.sub(constant(emaReal), fake))))) as tf.Scalar;
  });
}

/**
 * The R1 penalty (Mescheder et al. 2018) from the gradient of D's summed output with respect to the real
 * images, StudioGAN `cal_r1_reg`: 0.5 · mean_i Σ_{h,w,c} g_i² (the caller multiplies by `r1_lambda`).
 * @param gradients float32 [N, …]: ∂ Σ_i D(x_i) / ∂ x, one row per image (any layout).
 * @returns float32 scalar; twice differentiable through `gradients`.
 */
export function r1Penalty(gradients: tf.Tensor): tf.Scalar {
  checkFloat('r1Penalty', 'gradients', gradients, 2);
  return tf.tidy(() => tf.mul(tf.mean(tf.sum(tf.reshape(tf.square(gradients), [gradients.shape[0], -1]), 1)), 0.5) as tf.Scalar);
}

/**
 * The WGAN-GP gradient penalty (Gulrajani et al. 2017) from the gradient of D's summed output at the
 * interpolates x̂ = α·x_real + (1 − α)·x_fake, StudioGAN `cal_grad_penalty`: mean_i (‖g_i‖₂ − 1)².
 * @param gradients float32 [N, …]: ∂ Σ_i D(x̂_i) / ∂ x̂.
 * @returns float32 scalar; twice differentiable through `gradients` (except at g_i = 0, where ‖·‖ is not).
 */
export function gradientPenalty(gradients: tf.Tensor): tf.Scalar {
  checkFloat('gradientPenalty', 'gradients', gradients, 2);
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(tf.reshape(gradients, [gradients.shape[0], -1])), 1));
    return tf.mean(tf.square(tf.sub(norms, 1))) as tf.Scalar;
  });
}
