import * as tf from '@tensorflow/tfjs-core';

/** The message of the error a synchronous read raises while {@link forbidSyncReads} is in force. */
export const NO_SYNC_MESSAGE = 'synchronous tensor read (dataSync / arraySync / bufferSync) while forbidSyncReads() is in force';

/**
 * Makes every synchronous tensor read from outside the kernels throw, on whichever backend is active:
 * `Tensor.dataSync()`, `arraySync()`, `bufferSync()`, and everything in tfjs-core built on them (they all go
 * through the engine's `readSync`). On webgpu in Node these reads throw anyway (tfjs-backend-webgpu 4.22's
 * readSync needs OffscreenCanvas) and on every GPU they stall the pipeline, so a code path run under this
 * proves, on any backend, that it would run there. Kernels that read their own inputs (the cpu kernels'
 * `backend.bufferSync`, tfjs-node's GatherV2 bounds check) are unaffected, as are async reads (`data()`,
 * `array()`) and moves between backends.
 *
 * @returns a function that restores synchronous reads.
 */
export function forbidSyncReads(): () => void {
  const engine = tf.engine() as unknown as { readSync: (dataId: object) => unknown };
  const own = Object.prototype.hasOwnProperty.call(engine, 'readSync') ? engine.readSync : undefined;
  engine.readSync = () => {
    throw new Error(NO_SYNC_MESSAGE);
  };
  return () => {
    if (own) engine.readSync = own;
    else delete (engine as { readSync?: unknown }).readSync;
  };
}
