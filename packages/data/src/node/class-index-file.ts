import fs from 'node:fs';
import path from 'node:path';
import { classIndexDocument, parseClassIndexDocument, type ClassIndexDocument } from '../class-index.js';
import { DatasetError } from '../errors.js';

/**
 * Writes the dataset's label map (`classNames`, `classToIndex`) as JSON, atomically (tmp + rename).
 * The trainer saves it next to every checkpoint (e.g. `<run>/classes.json`) so that labels keep
 * their meaning whatever the folder order on another machine.
 */
export async function saveClassIndex(file: string, dataset: { name: string; classNames: readonly string[] }): Promise<ClassIndexDocument> {
  const doc = classIndexDocument(dataset);
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.promises.writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  await fs.promises.rename(tmp, file);
  return doc;
}

/** Reads a label map written by `saveClassIndex` (validated). */
export async function loadClassIndex(file: string): Promise<ClassIndexDocument> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    throw new DatasetError('MISSING_FILE', `${file}: cannot read the class index (${(error as NodeJS.ErrnoException).code})`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetError('BAD_HEADER', `${file}: not JSON (${(error as Error).message})`, { cause: error });
  }
  return parseClassIndexDocument(value, file);
}

/**
 * Throws unless `dataset` has exactly the label map saved in `document` (same names, same order):
 * call it when resuming a run on a dataset opened again.
 */
export function assertSameClassIndex(document: ClassIndexDocument, dataset: { name: string; classNames: readonly string[] }): void {
  const a = document.classNames;
  const b = dataset.classNames;
  if (a.length !== b.length || a.some((n, i) => n !== b[i])) {
    const firstDiff = a.findIndex((n, i) => n !== b[i]);
    throw new DatasetError('BAD_LAYOUT', `${dataset.name}: its classes differ from the saved label map (${a.length} vs ${b.length} classes; first difference at label ${firstDiff < 0 ? Math.min(a.length, b.length) : firstDiff}: ${JSON.stringify(a[firstDiff])} vs ${JSON.stringify(b[firstDiff])}); labels would change meaning`);
  }
}
