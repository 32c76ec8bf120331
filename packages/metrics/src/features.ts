import { describeValue, MetricInputError } from './errors.js';

/** A [n, d] tensor (tfjs `Tensor2D`, or anything with `shape` and `dataSync()`): rows are samples. */
export interface TensorLike2D {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

/** A row-major matrix given as a flat array and its shape [n, d] (rows are samples). */
export interface FeatureMatrix {
  data: ArrayLike<number>;
  shape: readonly [number, number] | readonly number[];
}

/** What a feature extractor returns: `features` is row-major [n, dim]. */
export interface ExtractedFeatures {
  features: ArrayLike<number>;
  dim: number;
}

/**
 * Features in any of the accepted forms; rows are samples, columns are feature dimensions:
 * a tf.Tensor2D [n, d], a `number[][]` (n rows of length d), `{ data, shape: [n, d] }` with a typed
 * or plain array, or an extractor result `{ features, dim }`.
 */
export type FeatureInput = TensorLike2D | readonly (readonly number[])[] | FeatureMatrix | ExtractedFeatures;

/** Features normalised to a flat row-major array. */
export interface DenseFeatures {
  data: ArrayLike<number>;
  rows: number;
  dim: number;
}

function isTensorLike(x: unknown): x is TensorLike2D {
  return typeof x === 'object' && x !== null && typeof (x as TensorLike2D).dataSync === 'function' && Array.isArray((x as TensorLike2D).shape);
}

/**
 * Converts a {@link FeatureInput} into a flat row-major view without copying typed arrays.
 * @throws MetricInputError naming `argName` for a wrong rank, ragged rows or a length/shape mismatch.
 */
export function toDenseFeatures(input: FeatureInput, argName = 'features'): DenseFeatures {
  if (isTensorLike(input)) {
    if (input.shape.length !== 2) {
      throw new MetricInputError(`${argName}: expected a rank-2 tensor [n, d] (rows are samples), received shape [${input.shape.join(', ')}]`);
    }
    return { data: input.dataSync(), rows: input.shape[0], dim: input.shape[1] };
  }
  if (Array.isArray(input)) {
    const rows = input.length;
    if (rows === 0) return { data: new Float64Array(0), rows: 0, dim: 0 };
    const first = input[0] as unknown;
    if (!Array.isArray(first) && !ArrayBuffer.isView(first)) {
      throw new MetricInputError(`${argName}: expected number[][] (rows are samples), received an array whose first element is ${describeValue(first)}`);
    }
    const dim = (first as ArrayLike<number>).length;
    const data = new Float64Array(rows * dim);
    for (let i = 0; i < rows; i++) {
      const row = input[i] as ArrayLike<number>;
      if (row == null || row.length !== dim) {
        throw new MetricInputError(`${argName}: row ${i} has length ${row == null ? 'undefined' : row.length}, expected ${dim} (all rows must have the same length)`);
      }
      for (let j = 0; j < dim; j++) data[i * dim + j] = row[j];
    }
    return { data, rows, dim };
  }
  if (typeof input === 'object' && input !== null) {
    if ('shape' in input && 'data' in input) {
      const { data, shape } = input as FeatureMatrix;
      if (!Array.isArray(shape) || shape.length !== 2) {
        throw new MetricInputError(`${argName}: expected shape [n, d], received ${describeValue(shape)}`);
      }
      const [rows, dim] = shape as [number, number];
      if (data.length !== rows * dim) {
        throw new MetricInputError(`${argName}: data has length ${data.length}, but shape [${rows}, ${dim}] needs ${rows * dim}`);
      }
      return { data, rows, dim };
    }
    if ('features' in input && 'dim' in input) {
      const { features, dim } = input as ExtractedFeatures;
      if (!Number.isInteger(dim) || dim <= 0 || features.length % dim !== 0) {
        throw new MetricInputError(`${argName}: features of length ${features.length} cannot be split into rows of dim ${dim}`);
      }
      return { data: features, rows: features.length / dim, dim };
    }
  }
  throw new MetricInputError(
    `${argName}: expected a tf.Tensor2D [n, d], number[][], { data, shape: [n, d] } or { features, dim }, received ${describeValue(input)}`,
  );
}
