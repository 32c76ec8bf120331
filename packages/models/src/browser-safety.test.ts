import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** Every module reachable from `entry` through relative imports, with its bare imports. */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = fs.readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);
    seen.set(file, specifiers.filter((s) => !s.startsWith('.')));
    for (const s of specifiers.filter((x) => x.startsWith('.'))) visit(path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
  };
  visit(entry);
  return seen;
}

describe('browser safety', () => {
  it('the main entry reaches no node:* / fs / path module; only tfjs-core', () => {
    const graph = importGraph(path.join(SRC, 'index.ts'));
    expect(graph.size).toBeGreaterThan(10);
    for (const [file, bare] of graph) {
      expect(file.includes(`${path.sep}node${path.sep}`), file).toBe(false);
      for (const specifier of bare) expect(specifier, `${path.relative(SRC, file)} imports ${specifier}`).toBe('@tensorflow/tfjs-core');
    }
  });

  it('Node file I/O lives behind the /node subpath export', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(SRC, '..', 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    expect(pkg.exports['./node']['@reacgan/source']).toBe('./src/node/index.ts');
    expect(pkg.exports['./node'].default).toBe('./dist/node/index.js');
    const bare = [...importGraph(path.join(SRC, 'node', 'index.ts')).values()].flat();
    expect(bare).toContain('node:fs');
  });
});
