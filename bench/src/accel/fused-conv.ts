/**
 * Conv2D + bias + ReLU as one kernel in training too (prototype; proposed for @reacgan/models' Conv2d).
 * tfjs-core's `tf.fused.conv2d` refuses to fuse a non-linear activation while a gradient is being
 * recorded (it then runs conv2d, add and relu: two extra passes over the output per layer). Here the
 * forward is TensorFlow's fused kernel (oneDNN post-ops on the native backend) and the gradient is
 * registered per input, so tfjs computes only the gradients on the path:
 *   dz = ReLU'(y)·dy (native ReluGrad where available), dx = Conv2DBackpropInput(dz), dW = Conv2DBackpropFilter(x, dz), db = Σ dz.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD_KERNEL } from './native-gradients.js';
import { sharedGradient } from './shared-grad.js';

export const FUSED_CONV_RELU_KERNEL = 'BenchFusedConv2DRelu';

interface ConvAttrs {
  strides: [number, number];
  pad: 'same' | 'valid';
}

function ensureKernel(): void {
  const backend = tf.getBackend();
  if (tf.getKernel(FUSED_CONV_RELU_KERNEL, backend)) return;
  const fused = tf.getKernel('FusedConv2D', backend);
  if (!fused) throw new Error(`fusedConv2dRelu: backend '${backend}' has no FusedConv2D kernel`);
  tf.registerKernel({
    kernelName: FUSED_CONV_RELU_KERNEL,
    backendName: backend,
    kernelFunc: (args) =>
      fused.kernelFunc({
        ...args,
        attrs: { ...(args.attrs as object), dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation: 'relu', leakyreluAlpha: 0 } as unknown as tf.NamedAttrMap,
      }),
  });
}

let gradientRegistered = false;
function ensureGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: FUSED_CONV_RELU_KERNEL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const { strides, pad } = attrs as unknown as ConvAttrs;
      const gradZ = sharedGradient(() =>
        tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined
          ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: y }) as tf.Tensor4D)
          : (tf.mul(dy as tf.Tensor, tf.cast(tf.step(y), 'float32')) as tf.Tensor4D),
      );
      const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined } as const;
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: gradZ(), filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: gradZ() }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(gradZ(), [0, 1, 2]),
      };
    },
  });
}

/** relu(conv2d(x, filter, strides, pad) + bias), NHWC, one kernel forward. */
export function fusedConv2dRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, strides: number, pad: 'same' | 'valid'): tf.Tensor4D {
  ensureKernel();
  ensureGradient();
  return tf.engine().runKernel(FUSED_CONV_RELU_KERNEL, { x, filter, bias }, { strides: [strides, strides], pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
