/** Error thrown for invalid arguments to a metric function; the message names the argument. */
export class MetricInputError extends Error {
  override name = 'MetricInputError';
}

/** Describes a received value briefly for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (typeof value === 'object') {
    const shape = (value as { shape?: unknown }).shape;
    if (Array.isArray(shape)) return `an object with shape [${shape.join(', ')}]`;
    return `an object with keys {${Object.keys(value).slice(0, 6).join(', ')}}`;
  }
  return `${typeof value} ${String(value)}`;
}
