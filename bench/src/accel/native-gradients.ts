/**
 * Faster gradients for tfjs 4.22 (prototype measured by the benchmark; proposed for reacgan's
 * initBackend / @reacgan/models — see docs/performance.md). Each replaces a tfjs-core gradient whose
 * result is identical but which issues many more kernels than needed:
 *
 * - `Tile` (also every `tf.broadcastTo`, which runs the Tile kernel): tfjs-core adds one `slice` per
 *   repetition (e.g. 64 slices + 64 adds for a [64, 1] → [64, 64] broadcast inside `tf.where`) and throws
 *   above rank 4. Installed from reacgan (`installFastGradients`, `tileGradient`; it went there from here).
 * - `Relu`: tfjs-core computes dy · cast(step(x)); on tfjs-node `step` alone is 5 full-size kernels
 *   (IsNan, Greater, Fill, Fill, Select), so the gradient costs 7 passes over the activation. On the
 *   `tensorflow` backend this uses TensorFlow's `ReluGrad` (1 kernel, the op PyTorch's
 *   `threshold_backward` corresponds to); elsewhere the tfjs-core formula. NaN inputs give 0 (as PyTorch),
 *   where tfjs-core's step would propagate NaN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { installFastGradients as installTileGradientOfReacgan } from 'reacgan';

interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number; TF_ATTR_BOOL: number; TF_ATTR_FLOAT: number; TF_ATTR_STRING: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.TensorInfo[]): tf.TensorInfo;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.TensorInfo[], numOutputs: number): tf.TensorInfo[];
}

export const RELU_GRAD_KERNEL = 'BenchReluGrad';

let installed: string[] | null = null;

/**
 * Registers the gradients above (idempotent). Call after a backend package is loaded (the Relu gradient
 * picks the native kernel at backward time when the active backend is 'tensorflow').
 * @returns the names of what was installed.
 */
export function installFastGradients(which: { relu?: boolean; tile?: boolean } = { relu: true, tile: true }): string[] {
  if (installed) return installed;
  const done: string[] = [];
  if (!which.relu) return (installed = installTileGradient(done));
  tf.registerKernel({
    kernelName: RELU_GRAD_KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as NativeBackend;
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      return b.executeSingleOutput('ReluGrad', [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }], [dy, x]);
    },
  });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return {
        x: () =>
          tf.getBackend() === 'tensorflow' && x.dtype === 'float32'
            ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x }) as tf.Tensor)
            : tf.mul(dy as tf.Tensor, tf.cast(tf.step(x), 'float32')),
      };
    },
  });
  done.push('Relu gradient: native ReluGrad');
  if (which.tile === false) return (installed = done);
  return (installed = installTileGradient(done));
}

function installTileGradient(done: string[]): string[] {
  // The same Tile gradient the reacgan Trainer installs (reacgan's tileGradient); here for the local step.
  installTileGradientOfReacgan();
  done.push('Tile/broadcastTo gradient: reshape + sum');
  return done;
}
