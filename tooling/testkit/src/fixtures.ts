import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Reads a JSON fixture next to the calling test: loadFixture(import.meta.url, '__fixtures__/x.json').
 * Fixtures carry their provenance (the script and reference that produced them) in a
 * `provenance` field; see each package's scripts/ folder.
 */
export function loadFixture<T = unknown>(callerUrl: string, relativePath: string): T {
  const file = path.resolve(path.dirname(fileURLToPath(callerUrl)), relativePath);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
