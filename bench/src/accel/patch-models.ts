/**
 * Prototype wiring of {@link batchNormTrain} into @reacgan/models' batch norms, by replacing the
 * `apply` methods of BatchNorm2d, ConditionalBatchNorm2d and BigGANConditionalBatchNorm2d (bench only:
 * measures what the proposed models change would give; the same semantics as the originals — batch
 * statistics, running statistics updated with the unbiased variance, momentum 0.1, counter + 1).
 */
import type * as Models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain, registerNativeBatchNormKernels } from './native-batch-norm.js';

type Ctx = Models.ForwardContext;

function updateRunning(bn: Models.BatchNorm2d, mean: tf.Tensor1D, unbiased: tf.Tensor1D): void {
  tf.tidy(() => {
    const m = bn.momentum;
    bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(mean, m)));
    bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(unbiased, m)));
    bn.numBatchesTracked.assign(tf.add(bn.numBatchesTracked, tf.scalar(1, 'int32')));
  });
}

/** Normalised x (no affine) with batch statistics, updating running statistics when asked. */
function normalized(bn: Models.BatchNorm2d, x: tf.Tensor4D, ctx: Ctx, scale: tf.Tensor1D | null, offset: tf.Tensor1D | null): tf.Tensor4D {
  const { y, mean, unbiasedVariance } = batchNormTrain(x, scale, offset, bn.eps);
  if (ctx.updateStatistics) updateRunning(bn, mean, unbiasedVariance);
  return y;
}

function modulate(x: tf.Tensor4D, y: tf.Tensor4D, gain: tf.Tensor2D, bias: tf.Tensor2D): tf.Tensor4D {
  const [n, , , c] = x.shape;
  return tf.add(tf.mul(y, tf.reshape(tf.add(gain, 1), [n, 1, 1, c])), tf.reshape(bias, [n, 1, 1, c]));
}

export function patchModelsBatchNorm(models: typeof Models): string[] {
  registerNativeBatchNormKernels();
  const bnProto = models.BatchNorm2d.prototype;
  const bnApply = bnProto.apply;
  bnProto.apply = function (this: Models.BatchNorm2d, x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    if (!ctx.batchStatistics || ctx.standing) return bnApply.call(this, x, ctx);
    return normalized(this, x, ctx, (this.gamma as tf.Tensor1D | null) ?? null, (this.beta as tf.Tensor1D | null) ?? null);
  };
  const cbnProto = models.ConditionalBatchNorm2d.prototype;
  const cbnApply = cbnProto.apply;
  cbnProto.apply = function (this: Models.ConditionalBatchNorm2d, x: tf.Tensor4D, labels: tf.Tensor1D, ctx: Ctx): tf.Tensor4D {
    if (!ctx.batchStatistics || ctx.standing) return cbnApply.call(this, x, labels, ctx);
    const { gain, bias } = this.modulation(labels, ctx);
    return modulate(x, normalized(this.bn, x, ctx, null, null), gain, bias);
  };
  const bigProto = models.BigGANConditionalBatchNorm2d.prototype;
  const bigApply = bigProto.apply;
  bigProto.apply = function (this: Models.BigGANConditionalBatchNorm2d, x: tf.Tensor4D, affine: tf.Tensor2D, ctx: Ctx): tf.Tensor4D {
    if (!ctx.batchStatistics || ctx.standing) return bigApply.call(this, x, affine, ctx);
    const gain = this.gain.apply(affine, ctx);
    const bias = this.bias.apply(affine, ctx);
    return modulate(x, normalized(this.bn, x, ctx, null, null), gain, bias);
  };
  return ['batch norm (training): native FusedBatchNormV3 / FusedBatchNormGradV3'];
}

/** Conv2d.apply with activation 'relu' and a bias: the fused kernel in training too. */
export async function patchModelsFusedConv(models: typeof Models): Promise<string[]> {
  const { fusedConv2dRelu } = await import('./fused-conv.js');
  const { sameEqualsSymmetric } = models;
  const proto = models.Conv2d.prototype;
  const original = proto.apply;
  proto.apply = function (this: Models.Conv2d, x: tf.Tensor4D, ctx: Ctx, activation: Models.FusedActivation = 'linear'): tf.Tensor4D {
    if (activation !== 'relu' || this.bias === null) return original.call(this, x, ctx, activation);
    const p = this.padding;
    const same = p > 0 && sameEqualsSymmetric(x.shape[1], this.kernelSize, this.stride, p) && sameEqualsSymmetric(x.shape[2], this.kernelSize, this.stride, p);
    if (p > 0 && !same) return original.call(this, x, ctx, activation);
    return fusedConv2dRelu(x, this.effectiveWeight(ctx) as tf.Tensor4D, this.bias as tf.Tensor1D, this.stride, same ? 'same' : 'valid');
  };
  return ['Conv2d + bias + ReLU: one fused kernel in training (native ReluGrad in the gradient)'];
}

/** Spectral norm of ConvTranspose2d weights with batched matMuls instead of full-size mul + sum. */
export function patchModelsDeconvSpectralNorm(models: typeof Models): string[] {
  const proto = models.ConvTranspose2d.prototype;
  const original = proto.effectiveWeight;
  proto.effectiveWeight = function (this: Models.ConvTranspose2d, ctx: Pick<Ctx, 'updateSpectralNorm'>): tf.Tensor {
    if (!this.spectralNorm) return original.call(this, ctx);
    const w = this.weight;
    const [kh, kw, o, i] = w.shape;
    const k = kh * kw;
    const eps = this.spectralNormEps;
    const u = this.u!;
    const v = this.v!;
    const w3 = tf.reshape(w, [k, o, i]) as tf.Tensor3D;
    const normalize = (t: tf.Tensor): tf.Tensor => tf.mul(t, tf.rsqrt(tf.maximum(tf.sum(tf.square(t)), eps * eps)));
    // W·v over u's index: Σ_k W[k] v[k] ; Wᵀ·u over v's index: W[k]ᵀ u for every k.
    const wTimes = (vv: tf.Tensor): tf.Tensor1D => tf.reshape(tf.sum(tf.matMul(w3, tf.reshape(vv, [k, i, 1]) as tf.Tensor3D), 0), [o]) as tf.Tensor1D;
    let wv: tf.Tensor1D;
    if (ctx.updateSpectralNorm) {
      tf.tidy(() => v.assign(normalize(tf.reshape(tf.matMul(w3, tf.reshape(u, [1, o, 1]) as tf.Tensor3D, true, false), [k * i])) as tf.Tensor1D));
      wv = wTimes(v);
      tf.tidy(() => u.assign(normalize(wv) as tf.Tensor1D));
    } else {
      wv = wTimes(v);
    }
    return tf.div(w, tf.sum(tf.mul(u, wv)));
  };
  return ['spectral norm of ConvTranspose2d: batched matMul power iteration'];
}
