import * as tf from '@tensorflow/tfjs-core';

/** A TensorBoard scalar writer (tfjs-node's `tf.node.summaryFileWriter`). */
export interface ScalarWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

/**
 * Opens a TensorBoard event-file writer in `dir` when the native backend is active (events.out.tfevents.*);
 * null otherwise (tfjs-node's summary writer runs TensorFlow's own ops and needs that backend).
 */
export async function openTensorBoard(dir: string): Promise<ScalarWriter | null> {
  if (tf.getBackend() !== 'tensorflow') return null;
  try {
    const tfn = (await import(/* @vite-ignore */ '@tensorflow/tfjs-node' as string)) as {
      node: { summaryFileWriter(dir: string, maxQueue?: number, flushMillis?: number): { scalar(name: string, value: number, step: number): void; flush(): void } };
    };
    const writer = tfn.node.summaryFileWriter(dir, 1000, 60000);
    return { scalar: (n, v, s) => writer.scalar(n, v, s), flush: () => writer.flush() };
  } catch {
    return null;
  }
}
