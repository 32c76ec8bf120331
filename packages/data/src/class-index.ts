import { DatasetError, badArgument } from './errors.js';

/** How class folder names are ordered into labels. */
export type ClassOrder = 'lexicographic' | 'numeric';

/** Code-point comparison (Python's `sorted` on str; what torchvision's ImageFolder uses). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/**
 * Orders class names into labels. 'lexicographic' (default; = torchvision ImageFolder / StudioGAN):
 * code-point order, so "1", "10", "2". 'numeric': every name must be a non-negative integer
 * (leading zeros allowed) and they are ordered by value, so "1", "2", "10"; anything else throws.
 * The result never depends on the input order (directory enumeration order).
 */
export function sortClassNames(names: readonly string[], order: ClassOrder = 'lexicographic'): string[] {
  const unique = new Set(names);
  if (unique.size !== names.length) {
    const seen = new Set<string>();
    const dup = names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
    throw badArgument('class names', 'distinct names', dup);
  }
  if (order === 'lexicographic') return [...names].sort(compareCodePoints);
  if (order === 'numeric') {
    const bad = names.filter((n) => !/^[0-9]+$/.test(n));
    if (bad.length > 0) {
      throw new DatasetError('BAD_ARGUMENT', `classOrder 'numeric' needs class folder names that are non-negative integers; these are not: ${bad.slice(0, 10).map((b) => JSON.stringify(b)).join(', ')}`);
    }
    return [...names].sort((a, b) => {
      const d = Number(BigInt(a) - BigInt(b));
      return d !== 0 ? Math.sign(d) : compareCodePoints(a, b);
    });
  }
  throw badArgument('classOrder', "'lexicographic' or 'numeric'", order);
}

/** `{ name: index }` for an ordered list of class names. */
export function classToIndexOf(classNames: readonly string[]): Record<string, number> {
  const map: Record<string, number> = Object.create(null) as Record<string, number>;
  classNames.forEach((name, i) => {
    map[name] = i;
  });
  return Object.freeze(map);
}

/** The JSON document `saveClassIndex` writes next to checkpoints. */
export interface ClassIndexDocument {
  format: 'reacgan-class-index';
  version: 1;
  dataset: string;
  numClasses: number;
  classNames: string[];
  classToIndex: Record<string, number>;
}

/** Builds the class-index document for a dataset (or any `{ name, classNames }`). */
export function classIndexDocument(dataset: { name: string; classNames: readonly string[] }): ClassIndexDocument {
  return {
    format: 'reacgan-class-index',
    version: 1,
    dataset: dataset.name,
    numClasses: dataset.classNames.length,
    classNames: [...dataset.classNames],
    classToIndex: { ...classToIndexOf(dataset.classNames) },
  };
}

/** Validates a parsed class-index document (as read back from disk). */
export function parseClassIndexDocument(value: unknown, where = 'class index'): ClassIndexDocument {
  const v = value as Partial<ClassIndexDocument> | null;
  if (!v || v.format !== 'reacgan-class-index' || v.version !== 1 || !Array.isArray(v.classNames)) {
    throw new DatasetError('BAD_HEADER', `${where}: not a reacgan class-index document (format 'reacgan-class-index', version 1)`);
  }
  const expected = classToIndexOf(v.classNames);
  for (const [name, index] of Object.entries(v.classToIndex ?? {})) {
    if (expected[name] !== index) throw new DatasetError('BAD_HEADER', `${where}: classToIndex[${JSON.stringify(name)}] = ${index} disagrees with classNames`);
  }
  return { format: 'reacgan-class-index', version: 1, dataset: String(v.dataset ?? ''), numClasses: v.classNames.length, classNames: [...v.classNames], classToIndex: { ...expected } };
}
