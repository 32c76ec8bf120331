import { DatasetError, assertNonNegativeInteger, assertPositiveInteger, badArgument } from './errors.js';
import { Rng, deriveSeed } from './rng.js';
import { applyTransforms, normalizeToMinusOneOne, shapeString, transformedShape, type ImageTransform } from './transforms.js';
import type { Dataset, DecodedImage, ImageShape, InMemoryDataset } from './types.js';

/** One batch: NHWC float32 images in [−1, 1] and int32 labels. */
export interface Batch {
  /** N·H·W·C float32 values, NHWC, in [−1, 1]. */
  images: Float32Array;
  /** N int32 labels. */
  labels: Int32Array;
  /** [N, H, W, C]. */
  shape: [number, number, number, number];
  /** Dataset indices of the N images. */
  indices: Int32Array;
  /** Epoch (0-based) and batch index within it. */
  epoch: number;
  batchIndex: number;
}

/** Options of `createBatchIterator`. */
export interface BatchIteratorOptions {
  /** Images per batch (required). */
  batchSize: number;
  /** Seed of the shuffling and of the random transforms (default 0). */
  seed?: number | bigint;
  /** Reshuffle every epoch (default true). False = file order. */
  shuffle?: boolean;
  /** Drop the last incomplete batch of each epoch (default false, as PyTorch's DataLoader; GAN training sets true). */
  dropLast?: boolean;
  /** Endless epochs (default false). */
  infinite?: boolean;
  /** Epochs to run when not infinite (default 1). */
  epochs?: number;
  /** uint8 transforms applied to each image before normalisation to [−1, 1] (default none). */
  transforms?: readonly ImageTransform[];
  /**
   * Batches prepared ahead of the consumer (default 2). Streamed datasets decode them on libuv's
   * thread pool while the training step runs; in-memory datasets build them in a deferred task.
   * 0 = build on demand.
   */
  prefetch?: number;
  /** Images decoded at once for streamed datasets (default 16). */
  concurrency?: number;
}

/**
 * Serialisable iterator position: the next batch to be returned is (epoch, batchIndex). Batches are
 * a pure function of (seed, epoch, batchIndex), so restoring this state resumes on exactly the same
 * batches whatever was prefetched. `seed` is a decimal string (64-bit).
 */
export interface BatchIteratorState {
  format: 'reacgan-batch-iterator';
  version: 1;
  seed: string;
  epoch: number;
  batchIndex: number;
  count: number;
  batchSize: number;
  shuffle: boolean;
  dropLast: boolean;
}

/** A seeded, resumable, prefetching batch iterator (`for await (const batch of it)`). */
export interface BatchIterator extends AsyncIterableIterator<Batch> {
  /** The next batch (`{ done: true }` after the last epoch; never done when infinite). */
  next(): Promise<IteratorResult<Batch, undefined>>;
  /** Stops prefetching; further next() calls are done. */
  return(): Promise<IteratorResult<Batch, undefined>>;
  /** The batch (epoch, batchIndex) without moving the iterator. */
  batchAt(epoch: number, batchIndex: number): Promise<Batch>;
  /** Position of the next batch to be returned (after resuming, that batch comes next). */
  getState(): BatchIteratorState;
  /** Moves to a saved position (validated against this dataset and options); drops prefetched batches. */
  setState(state: BatchIteratorState): void;
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  /** Output image shape [H, W, C] after the transforms. */
  readonly imageShape: ImageShape;
  /** Shape of a full batch [batchSize, H, W, C]. */
  readonly batchShape: [number, number, number, number];
}

const SHUFFLE_KEY = 0x5348554646n; // "SHUFF"
const TRANSFORM_KEY = 0x5452414e53n; // "TRANS"

const defer: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

/**
 * Batches over a dataset: each epoch visits every image once in the order of a permutation drawn
 * from `Rng.derive(seed, "SHUFF", epoch)` (Fisher–Yates) or in file order without shuffling; image
 * at position p of epoch e gets transforms driven by `Rng.derive(seed, "TRANS", e, p)`; the
 * result is normalised to float32 [−1, 1] (torchvision ToTensor + Normalize(0.5, 0.5)) and packed
 * NHWC. Batch b of an epoch holds positions [b·N, b·N + N).
 *
 * @throws DatasetError (BAD_ARGUMENT) for bad options, for a transform chain that does not fit the
 *   dataset's image shape, or for dropLast with batchSize > count; while iterating, for an image
 *   whose transformed shape differs from the batch's (e.g. an image folder of mixed sizes without a
 *   resize), naming the file. When several images of a batch fail (to decode, or by shape), the
 *   error is the one of the first in batch order (file order without shuffling), whatever order the
 *   concurrent decodes finish in.
 */
export function createBatchIterator(dataset: Dataset, options: BatchIteratorOptions): BatchIterator {
  const batchSize = options.batchSize;
  assertPositiveInteger('createBatchIterator(options.batchSize)', batchSize);
  const seed = deriveSeed(options.seed ?? 0);
  const seedString = BigInt.asUintN(64, typeof options.seed === 'bigint' ? options.seed : BigInt(options.seed ?? 0)).toString();
  const shuffle = options.shuffle ?? true;
  const dropLast = options.dropLast ?? false;
  const infinite = options.infinite ?? false;
  const epochs = infinite ? Infinity : (options.epochs ?? 1);
  if (!infinite) assertPositiveInteger('createBatchIterator(options.epochs)', epochs);
  const transforms = options.transforms ?? [];
  if (!Array.isArray(transforms)) throw badArgument('createBatchIterator(options.transforms)', 'an array of ImageTransform', transforms);
  const prefetch = options.prefetch ?? 2;
  assertNonNegativeInteger('createBatchIterator(options.prefetch)', prefetch);
  const concurrency = options.concurrency ?? 16;
  assertPositiveInteger('createBatchIterator(options.concurrency)', concurrency);
  const count = dataset.count;
  if (count === 0) throw new DatasetError('BAD_ARGUMENT', `createBatchIterator: dataset ${dataset.name} is empty`);
  if (dropLast && batchSize > count) {
    throw badArgument('createBatchIterator(options.batchSize)', `at most the dataset size ${count} with dropLast`, batchSize);
  }
  const outShape = transformedShape(dataset.imageShape, transforms);
  const [oh, ow, oc] = outShape;
  const imageSize = oh * ow * oc;
  const batchesPerEpoch = dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
  const anyRandom = transforms.some((t) => t.random);

  const orders = new Map<number, Int32Array>();
  const epochOrder = (epoch: number): Int32Array => {
    let order = orders.get(epoch);
    if (!order) {
      if (shuffle) order = new Rng(deriveSeed(seed, SHUFFLE_KEY, epoch)).permutation(count);
      else order = Int32Array.from({ length: count }, (_, i) => i);
      if (orders.size >= 4) orders.delete(orders.keys().next().value as number);
      orders.set(epoch, order);
    }
    return order;
  };

  const positions = (epoch: number, batchIndex: number): { indices: Int32Array; start: number } => {
    const order = epochOrder(epoch);
    const start = batchIndex * batchSize;
    const end = Math.min(count, start + batchSize);
    return { indices: order.slice(start, end), start };
  };

  const finishImage = (image: DecodedImage, epoch: number, position: number, index: number, out: Float32Array, slot: number): void => {
    const rng = anyRandom ? new Rng(deriveSeed(seed, TRANSFORM_KEY, epoch, position)) : (null as unknown as Rng);
    const result = transforms.length > 0 ? applyTransforms(image, transforms, rng) : image;
    const [h, w, c] = result.shape;
    if (h !== oh || w !== ow || c !== oc) {
      const file = dataset.streamed ? dataset.fileOf(index) : `image ${index}`;
      throw new DatasetError(
        'BAD_IMAGE',
        `${dataset.name}: ${file} has shape ${shapeString(image.shape)}, ${shapeString(result.shape)} after the transforms, but batches are ${shapeString(outShape)}; add centerCropLongEdge() and resize() for images of mixed sizes`,
        { problems: [{ file, problem: `shape ${shapeString(image.shape)}` }] },
      );
    }
    normalizeToMinusOneOne(result.data, out, slot * imageSize);
  };

  const checkPosition = (epoch: number, batchIndex: number): void => {
    assertNonNegativeInteger('batch epoch', epoch);
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= batchesPerEpoch) {
      throw badArgument('batchIndex', `an integer in [0, ${batchesPerEpoch})`, batchIndex);
    }
  };

  const buildSync = (ds: InMemoryDataset, epoch: number, batchIndex: number): Batch => {
    const { indices, start } = positions(epoch, batchIndex);
    const n = indices.length;
    const images = new Float32Array(n * imageSize);
    const labels = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const index = indices[k];
      labels[k] = ds.labels[index];
      finishImage(ds.readImage(index), epoch, start + k, index, images, k);
    }
    return { images, labels, shape: [n, oh, ow, oc], indices, epoch, batchIndex };
  };

  const buildAsync = async (epoch: number, batchIndex: number): Promise<Batch> => {
    if (!dataset.streamed) {
      const ds = dataset;
      return new Promise<Batch>((resolve, reject) =>
        defer(() => {
          try {
            resolve(buildSync(ds, epoch, batchIndex));
          } catch (error) {
            reject(error);
          }
        }),
      );
    }
    const ds = dataset;
    const { indices, start } = positions(epoch, batchIndex);
    const n = indices.length;
    const images = new Float32Array(n * imageSize);
    const labels = new Int32Array(n);
    // Images decode concurrently and finish in any order, so a failure is recorded at its batch slot
    // rather than thrown by whichever decode completes first; once every slot before the first
    // failure is done, the failure of the lowest slot is thrown. The error thus names the first bad
    // image in batch order (file order without shuffling), as the in-memory path does.
    let next = 0;
    let firstFailedSlot = n;
    const failures = new Map<number, unknown>();
    const worker = async (): Promise<void> => {
      while (next < firstFailedSlot) {
        const k = next++;
        const index = indices[k];
        labels[k] = ds.labels[index];
        try {
          finishImage(await ds.readImage(index), epoch, start + k, index, images, k);
        } catch (error) {
          failures.set(k, error);
          if (k < firstFailedSlot) firstFailedSlot = k;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
    if (failures.size > 0) throw failures.get(firstFailedSlot);
    return { images, labels, shape: [n, oh, ow, oc], indices, epoch, batchIndex };
  };

  // Consumer position and the prefetch queue (positions in order starting at the consumer's).
  let epoch = 0;
  let batchIndex = 0;
  let closed = false;
  let queue: { epoch: number; batchIndex: number; promise: Promise<Batch> }[] = [];

  const advance = (e: number, b: number): [number, number] => (b + 1 < batchesPerEpoch ? [e, b + 1] : [e + 1, 0]);
  const fill = (): void => {
    let [e, b] = queue.length > 0 ? advance(queue[queue.length - 1].epoch, queue[queue.length - 1].batchIndex) : [epoch, batchIndex];
    while (queue.length < prefetch + 1 && e < epochs && batchesPerEpoch > 0) {
      const promise = buildAsync(e, b);
      promise.catch(() => undefined); // handled when consumed
      queue.push({ epoch: e, batchIndex: b, promise });
      [e, b] = advance(e, b);
    }
  };

  const iterator: BatchIterator = {
    batchesPerEpoch,
    imageShape: outShape,
    batchShape: [batchSize, oh, ow, oc],
    async next() {
      if (closed || epoch >= epochs || batchesPerEpoch === 0) return { done: true, value: undefined };
      fill();
      const item = queue.shift()!;
      [epoch, batchIndex] = advance(item.epoch, item.batchIndex);
      fill();
      try {
        return { done: false, value: await item.promise };
      } catch (error) {
        closed = true;
        queue = [];
        throw error;
      }
    },
    async return() {
      closed = true;
      queue = [];
      return { done: true, value: undefined };
    },
    batchAt(e: number, b: number) {
      checkPosition(e, b);
      return buildAsync(e, b);
    },
    getState(): BatchIteratorState {
      return { format: 'reacgan-batch-iterator', version: 1, seed: seedString, epoch, batchIndex, count, batchSize, shuffle, dropLast };
    },
    setState(state: BatchIteratorState) {
      if (!state || state.format !== 'reacgan-batch-iterator' || state.version !== 1) {
        throw badArgument('BatchIterator.setState(state)', "a state from getState() (format 'reacgan-batch-iterator', version 1)", state);
      }
      const mismatches: string[] = [];
      if (state.seed !== seedString) mismatches.push(`seed ${state.seed} ≠ ${seedString}`);
      if (state.count !== count) mismatches.push(`dataset size ${state.count} ≠ ${count}`);
      if (state.batchSize !== batchSize) mismatches.push(`batchSize ${state.batchSize} ≠ ${batchSize}`);
      if (state.shuffle !== shuffle) mismatches.push(`shuffle ${state.shuffle} ≠ ${shuffle}`);
      if (state.dropLast !== dropLast) mismatches.push(`dropLast ${state.dropLast} ≠ ${dropLast}`);
      if (mismatches.length > 0) throw new DatasetError('BAD_ARGUMENT', `BatchIterator.setState: the state belongs to another iterator (${mismatches.join('; ')}); resuming would not give the same batches`);
      assertNonNegativeInteger('BatchIterator.setState(state).epoch', state.epoch);
      if (!Number.isInteger(state.batchIndex) || state.batchIndex < 0 || state.batchIndex >= Math.max(1, batchesPerEpoch)) {
        throw badArgument('BatchIterator.setState(state).batchIndex', `an integer in [0, ${batchesPerEpoch})`, state.batchIndex);
      }
      epoch = state.epoch;
      batchIndex = state.batchIndex;
      queue = [];
      closed = false;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Batches as tfjs tensors: `{ images: tf.Tensor4D [N, H, W, C] float32, labels: tf.Tensor1D int32 }`.
 * Pass your tfjs module (`import * as tf from '@tensorflow/tfjs'` or tfjs-node); the caller owns
 * (and disposes) the tensors.
 */
export function batchToTensors<T4, T1>(
  batch: Batch,
  tf: { tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): T4; tensor1d(values: Int32Array, dtype: 'int32'): T1 },
): { images: T4; labels: T1 } {
  return { images: tf.tensor4d(batch.images, batch.shape, 'float32'), labels: tf.tensor1d(batch.labels, 'int32') };
}
