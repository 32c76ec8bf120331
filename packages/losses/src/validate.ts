// Argument validation shared by every loss. Errors name the function, the argument, what was expected
// and what was received; they are thrown before any tensor is created, so a failed call leaks nothing.
import * as tf from '@tensorflow/tfjs-core';

/** Labels accepted by the losses: an int32 tf.Tensor1D, or integers in a plain array / typed array. */
export type LabelsLike = tf.Tensor1D | tf.Tensor | readonly number[] | Int32Array | Uint8Array | Uint16Array | Uint32Array;

function describeValue(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}

export function fail(fn: string, argument: string, expected: string, received: unknown, receivedIsText = false): never {
  const text = receivedIsText ? String(received) : describeValue(received);
  throw new Error(`${fn}: ${argument} must be ${expected}; received ${text}.`);
}

function assertNotDisposed(fn: string, argument: string, t: tf.Tensor): void {
  if (t.isDisposed) throw new Error(`${fn}: ${argument} is a disposed tensor (shape [${t.shape.join(', ')}]).`);
}

/** A float32 tensor of the given rank. `shapeText` names the dimensions, e.g. '[N, d]'. */
export function checkFloatTensor(fn: string, argument: string, value: unknown, rank: number, shapeText: string): tf.Tensor {
  if (!(value instanceof tf.Tensor)) fail(fn, argument, `a float32 tf.Tensor of shape ${shapeText}`, value);
  assertNotDisposed(fn, argument, value);
  if (value.dtype !== 'float32') {
    fail(fn, argument, `a float32 tf.Tensor of shape ${shapeText}`, `dtype ${value.dtype} (shape [${value.shape.join(', ')}])`, true);
  }
  if (value.rank !== rank) {
    fail(fn, argument, `a float32 tf.Tensor of rank ${rank}, shape ${shapeText}`, `rank ${value.rank} (shape [${value.shape.join(', ')}])`, true);
  }
  return value;
}

/**
 * Logits of an adversarial head: float32 [N] or [N, 1], N >= 1. Returns them as rank 1 (a reshape,
 * to be created inside the caller's tidy).
 */
export function checkLogitVector(fn: string, argument: string, value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor)) fail(fn, argument, 'a float32 tf.Tensor of shape [N] or [N, 1]', value);
  assertNotDisposed(fn, argument, value);
  if (value.dtype !== 'float32') {
    fail(fn, argument, 'a float32 tf.Tensor of shape [N] or [N, 1]', `dtype ${value.dtype} (shape [${value.shape.join(', ')}])`, true);
  }
  const ok = value.rank === 1 || (value.rank === 2 && value.shape[1] === 1);
  if (!ok) fail(fn, argument, 'a float32 tf.Tensor of shape [N] or [N, 1]', `shape [${value.shape.join(', ')}]`, true);
  if (value.shape[0] === 0) fail(fn, argument, 'non-empty (N >= 1)', 'shape [0]', true);
  return value;
}

/** A finite number in [min, max] (or (min, max] when `exclusiveMin`). */
export function checkNumber(
  fn: string,
  argument: string,
  value: unknown,
  { min, max, exclusiveMin = false }: { min: number; max: number; exclusiveMin?: boolean },
): number {
  const range = `${exclusiveMin ? '(' : '['}${min}, ${max === Infinity ? 'Infinity)' : `${max}]`}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(fn, argument, `a finite number in ${range}`, value);
  const below = exclusiveMin ? value <= min : value < min;
  if (below || value > max) fail(fn, argument, `a finite number in ${range}`, value);
  return value;
}

export function checkChoice<T extends string>(fn: string, argument: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(fn, argument, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  }
  return value as T;
}

function describeTensor(t: tf.Tensor): string {
  return `a tf.Tensor of dtype ${t.dtype}, shape [${t.shape.join(', ')}]`;
}

/**
 * The inputs object of a loss that takes its tensors by name, e.g. `{ embed, proxy, labels }`. Anything
 * else throws before any option is read; a tf.Tensor there (the tensors passed positionally, e.g.
 * `fn(embed, proxy, labels)`) or an array gets an error that shows the right call. tf.Tensor is recognised
 * by tfjs-core's own `instanceof` check, which also accepts tensors of another loaded copy of tfjs-core.
 * @param fields the names of the inputs, in the order they are documented.
 */
export function checkInputsObject(fn: string, inputs: unknown, fields: readonly string[]): Record<string, unknown> {
  if (inputs !== null && typeof inputs === 'object' && !(inputs instanceof tf.Tensor) && !Array.isArray(inputs)) {
    return inputs as Record<string, unknown>;
  }
  const shape = `{ ${fields.join(', ')} }`;
  const received = inputs instanceof tf.Tensor ? describeTensor(inputs) : describeValue(inputs);
  throw new Error(
    `${fn}: inputs: expected an object ${shape}, received ${received} (pass the tensors by name: ${fn}(${shape}, options)).`,
  );
}

/**
 * Checks the options object against the known option names. `undefined` means all defaults. A tf.Tensor
 * (typically one tensor too many passed positionally) throws naming the argument and the right call
 * `signature`, e.g. 'crossEntropyLoss(logits, labels, options)'; so do null, arrays and primitives, and
 * unknown option names.
 */
export function checkOptions(fn: string, options: unknown, known: readonly string[], signature?: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options instanceof tf.Tensor) {
    const call = signature ? `; call it as ${signature}` : '';
    throw new Error(
      `${fn}: options: expected an options object { ${known.join(', ')} } or nothing, received ${describeTensor(options)} (the tensors go in the earlier arguments${call}).`,
    );
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(fn, 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${fn}: unknown option '${key}'; expected one of ${known.map((k) => `'${k}'`).join(', ')}.`);
    }
  }
  return options as Record<string, unknown>;
}

/** Labels that passed {@link checkLabels}: the caller's int32 tensor, or validated plain integers. */
export interface CheckedLabels {
  tensor?: tf.Tensor1D;
  values?: ArrayLike<number>;
  length: number;
}

/**
 * Checks labels (length n when given) without creating tensors. Tensors must be int32 of rank 1;
 * plain arrays must hold integers.
 * When `range` is given, every label must lie in [0, range.count); checking that reads the labels
 * back from the backend (a synchronous download on GPU backends) unless `readValues` is false.
 */
export function checkLabels(
  fn: string,
  argument: string,
  value: unknown,
  n: number | undefined,
  range?: { count: number; what: string; readValues: boolean },
): CheckedLabels {
  let values: ArrayLike<number> | undefined;
  let tensor: tf.Tensor1D | undefined;
  if (value instanceof tf.Tensor) {
    assertNotDisposed(fn, argument, value);
    if (value.dtype !== 'int32') {
      fail(fn, argument, 'an int32 tf.Tensor1D (or an array of integers)', `dtype ${value.dtype} (shape [${value.shape.join(', ')}])`, true);
    }
    if (value.rank !== 1) {
      fail(fn, argument, 'an int32 tf.Tensor1D of shape [N]', `rank ${value.rank} (shape [${value.shape.join(', ')}])`, true);
    }
    tensor = value as tf.Tensor1D;
    if (range?.readValues) values = value.dataSync() as Int32Array;
  } else if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof Float32Array) && !(value instanceof Float64Array))) {
    values = value as ArrayLike<number>;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new Error(`${fn}: ${argument}[${i}] must be an integer; received ${describeValue(v)}.`);
      }
    }
  } else {
    fail(fn, argument, 'an int32 tf.Tensor1D or an array of integers', value);
  }
  const length = tensor ? tensor.shape[0] : values!.length;
  if (n !== undefined && length !== n) {
    fail(fn, argument, `of length N = ${n} (one label per row)`, `length ${length}`, true);
  }
  if (range?.readValues && values) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < 0 || v >= range.count) {
        throw new Error(
          `${fn}: ${argument}[${i}] = ${v} is out of range; ${range.what} labels must lie in [0, ${range.count}).`,
        );
      }
    }
  }
  return { tensor, values, length };
}

/** The labels as an int32 [N] tensor: the caller's own tensor, or a new one (create inside a tidy). */
export function labelTensor(checked: CheckedLabels): tf.Tensor1D {
  return checked.tensor ?? tf.tensor1d(Array.from(checked.values!), 'int32');
}
