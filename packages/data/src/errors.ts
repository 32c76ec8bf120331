/**
 * Errors raised by dataset loaders. Every message names the offending file(s) and what was
 * expected; `problems` carries the same information in structured form.
 */

/** One offending file: its path (relative to the dataset root where there is one) and what is wrong. */
export interface DatasetProblem {
  readonly file: string;
  readonly problem: string;
}

/** Machine-readable error kinds. */
export type DatasetErrorCode =
  | 'MISSING_FILE'
  | 'BAD_SIZE'
  | 'BAD_HEADER'
  | 'BAD_LABEL'
  | 'BAD_IMAGE'
  | 'BAD_LAYOUT'
  | 'MISSING_SPLIT'
  | 'BAD_ARGUMENT'
  | 'CHECKSUM_MISMATCH'
  | 'DOWNLOAD_FAILED';

/**
 * A dataset could not be opened or read. `code` says what kind of failure, `problems` lists every
 * offending file (all of them, not just the first) and `root` is the dataset root when known.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly code: DatasetErrorCode;
  readonly problems: readonly DatasetProblem[];
  readonly root: string | undefined;

  constructor(code: DatasetErrorCode, message: string, options: { problems?: readonly DatasetProblem[]; root?: string; cause?: unknown } = {}) {
    const problems = options.problems ?? [];
    const shown = problems.slice(0, 20).map((p) => `\n  - ${p.file}: ${p.problem}`).join('');
    const more = problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '';
    super(`${message}${shown}${more}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = problems;
    this.root = options.root;
  }
}

/** Throws a TypeError/RangeError-style DatasetError for a bad argument, naming it. */
export function badArgument(name: string, expected: string, received: unknown): DatasetError {
  return new DatasetError('BAD_ARGUMENT', `${name}: expected ${expected}, received ${describe(received)}`);
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  if (value && typeof value === 'object') return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  return String(value);
}

export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw badArgument(name, 'a positive integer', value);
}

export function assertNonNegativeInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badArgument(name, 'a non-negative integer', value);
}

export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw badArgument(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
}
