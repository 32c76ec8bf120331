import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Runs `fn` and asserts that the number of live tensors is the same before and after (anything
 * `fn` returns is disposed first). Returns fn's result for further checks when `keepResult`.
 */
export async function expectNoTensorLeak<T>(fn: () => T | Promise<T>, label = 'call'): Promise<void> {
  const before = tf.memory().numTensors;
  const result = await fn();
  tf.dispose(result as unknown as tf.TensorContainer);
  const after = tf.memory().numTensors;
  expect(after - before, `${label} leaked ${after - before} tensor(s)`).toBe(0);
}

/**
 * Calls `step` `warmup` times, records numTensors, calls it `repeats` more times and returns the
 * counts after each call. Use with expect(counts.every(c => c === counts[0])).
 */
export async function tensorCountsAcross(step: (i: number) => unknown, repeats: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) tf.dispose((await step(i)) as tf.TensorContainer);
  const counts = [tf.memory().numTensors];
  for (let i = 0; i < repeats; i++) {
    tf.dispose((await step(warmup + i)) as tf.TensorContainer);
    counts.push(tf.memory().numTensors);
  }
  return counts;
}
