/**
 * Conv2DBackpropFilter on the native backend as k² matrix products (prototype; proposed for @reacgan/models'
 * native training kernels). With oneDNN on (TF_ENABLE_ONEDNN_OPTS=1), TensorFlow 2.21's filter gradient of
 * a stride-1 3×3 convolution with many channels runs at about half the speed of its forward pass and of
 * PyTorch's; for such shapes
 *   dW[i, j] = Σ_{n, h, w} x_pad[n, h + i, w + j, :]ᵀ · dy[n, h, w, :]
 * as one slice + one MatMul per kernel offset is 1.5–2.4× faster (measured in bench/, docs/performance.md).
 * Other shapes (strided, few channels, small N·H·W) keep the native kernel, which is faster there.
 */
import * as tf from '@tensorflow/tfjs-core';

interface FilterAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | unknown;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: string;
  filterShape: [number, number, number, number];
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** Whether the matMul formulation is used for this shape (stride 1, ≥ 64 channels each side, N·H·W ≥ 4096). */
export function useMatMulFilterGradient(xShape: readonly number[], dyShape: readonly number[], attrs: FilterAttrs): boolean {
  const [sh, sw] = pair(attrs.strides);
  const [kh, kw, cin, cout] = attrs.filterShape;
  return (
    attrs.dataFormat === 'NHWC' &&
    sh === 1 &&
    sw === 1 &&
    (attrs.pad === 'same' || attrs.pad === 'valid') &&
    kh <= 3 &&
    kw <= 3 &&
    cin >= 64 &&
    cout >= 64 &&
    dyShape[0] * dyShape[1] * dyShape[2] >= 4096 &&
    xShape.length === 4
  );
}

/** The filter gradient of a stride-1 NHWC convolution as kh·kw MatMuls. */
export function filterGradientByMatMul(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, pad: 'same' | 'valid'): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, cin] = x.shape;
    const [, oh, ow, cout] = dy.shape;
    let xp: tf.Tensor4D = x;
    if (pad === 'same') {
      const th = Math.max(oh - 1 + kh - h, 0);
      const tw = Math.max(ow - 1 + kw - w, 0);
      if (th > 0 || tw > 0) xp = tf.pad(x, [[0, 0], [Math.floor(th / 2), th - Math.floor(th / 2)], [Math.floor(tw / 2), tw - Math.floor(tw / 2)], [0, 0]]);
    }
    const rows = n * oh * ow;
    const dy2 = tf.reshape(dy, [rows, cout]) as tf.Tensor2D;
    const parts: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const patch = kh === 1 && kw === 1 && xp === x ? x : tf.slice(xp, [0, i, j, 0], [n, oh, ow, cin]);
        parts.push(tf.matMul(tf.reshape(patch, [rows, cin]) as tf.Tensor2D, dy2, true, false));
      }
    }
    return tf.reshape(parts.length === 1 ? parts[0] : tf.stack(parts), [kh, kw, cin, cout]) as tf.Tensor4D;
  });
}

let installed = false;

/** Replaces the 'tensorflow' backend's Conv2DBackpropFilter kernel by the dispatcher above (idempotent). */
export function installMatMulFilterGradient(): string[] {
  if (installed) return [];
  const native = tf.getKernel('Conv2DBackpropFilter', 'tensorflow');
  if (!native) return [];
  installed = true;
  tf.unregisterKernel('Conv2DBackpropFilter', 'tensorflow');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'tensorflow',
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const attrs = args.attrs as unknown as FilterAttrs;
      if (!useMatMulFilterGradient(x.shape, dy.shape, attrs) || x.dtype !== 'float32') return native.kernelFunc(args);
      const engine = tf.engine();
      // One backend reference per wrapper, so that disposing the wrappers leaves the caller's data alive.
      const backend = args.backend as unknown as { incRef(dataId: object): void };
      backend.incRef(x.dataId);
      backend.incRef(dy.dataId);
      const xt = engine.makeTensorFromTensorInfo(x) as tf.Tensor4D;
      const dyt = engine.makeTensorFromTensorInfo(dy) as tf.Tensor4D;
      try {
        return filterGradientByMatMul(xt, dyt, attrs.filterShape[0], attrs.filterShape[1], attrs.pad as 'same' | 'valid');
      } finally {
        xt.dispose();
        dyt.dispose();
      }
    },
  });
  return ['Conv2DBackpropFilter: k² MatMuls for stride-1 convolutions with ≥ 64 channels (native kernel otherwise)'];
}
