import * as tf from '@tensorflow/tfjs-core';
import { variableGrads } from '@reacgan/models';

/** One micro-batch's loss: the total to differentiate and the scalars to record (terms, diagnostics). */
export interface MicroBatchLoss {
  total: tf.Scalar;
  values: Record<string, tf.Scalar>;
}

/** Prepared inputs may carry `release`, called after the micro-batch's gradient (frees what the loss kept beyond its tidy scope). */
export interface MicroBatchInputs {
  release?(): void;
}

/**
 * Gradient accumulation (StudioGAN's `acml_steps`): for each of `count` micro-batches, `prepare(k)` builds the
 * inputs that need no gradient (outside the tape), then `loss(inputs)` is differentiated with respect to
 * `variables` with the total divided by `count`; the gradients are summed over the micro-batches, and every
 * recorded scalar is averaged over them (the undivided total is recorded as `totalName`).
 *
 * Everything a micro-batch creates is freed before the next one starts, except the gradient sums and the
 * recorded scalars, which the caller owns (dispose both). This is the one place of the codebase that
 * accumulates gradients: the discriminator and the generator updates both use it.
 * @returns gradients by variable name (variables without a gradient are absent) and the recorded scalars.
 */
export function accumulateGradients<T>(
  variables: Map<string, tf.Variable>,
  count: number,
  prepare: (index: number) => T,
  loss: (inputs: T) => MicroBatchLoss,
  totalName = 'loss',
): { grads: Map<string, tf.Tensor>; values: Record<string, tf.Scalar> } {
  const varList = [...variables.values()];
  const sums = new Map<string, tf.Tensor>();
  const values: Record<string, tf.Scalar> = {};
  const record = (name: string, value: tf.Scalar) => {
    const scaled = count === 1 ? value : tf.tidy(() => tf.div(value, count) as tf.Scalar);
    if (scaled !== value) value.dispose();
    const previous = values[name];
    if (!previous) {
      values[name] = scaled;
      return;
    }
    values[name] = tf.add(previous, scaled) as tf.Scalar;
    previous.dispose();
    scaled.dispose();
  };
  for (let k = 0; k < count; k++) {
    const kept: Record<string, tf.Scalar> = {};
    let inputs: T | undefined;
    const grads = tf.tidy(() => {
      inputs = prepare(k);
      const { grads } = variableGrads(() => {
        const out = loss(inputs!);
        for (const [name, v] of Object.entries(out.values)) kept[name] = tf.keep(tf.clone(v));
        kept[totalName] = tf.keep(tf.clone(out.total));
        return count === 1 ? out.total : (tf.div(out.total, count) as tf.Scalar);
      }, varList);
      // A plain object: tf.tidy keeps tensors found in objects and arrays (not in Maps).
      const byName: Record<string, tf.Tensor> = {};
      for (const [name, variable] of variables) {
        const g = grads[variable.name];
        if (g) byName[name] = g;
      }
      return byName;
    });
    (inputs as MicroBatchInputs | undefined)?.release?.();
    for (const [name, v] of Object.entries(kept)) record(name, v);
    for (const [name, g] of Object.entries(grads)) {
      const previous = sums.get(name);
      if (!previous) {
        sums.set(name, g);
        continue;
      }
      sums.set(name, tf.add(previous, g));
      previous.dispose();
      g.dispose();
    }
  }
  return { grads: sums, values };
}
