// The published packages' manifests, as a third party sees them (publint, run by `pnpm check`, lints the packed
// files; these are the project's own rules on top): every subpath export lists its types first, its source for the
// workspace and its build output at the matching path; the browser reader of exported generators is a subpath
// of `reacgan`, and the examples reach every package through its name, never through a path into its sources.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../src/native-status.js';

interface Manifest {
  name: string;
  private?: boolean;
  files?: string[];
  exports: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
}

const packagesDir = path.join(repositoryRoot, 'packages');
const published = fs
  .readdirSync(packagesDir)
  .filter((d) => fs.existsSync(path.join(packagesDir, d, 'package.json')))
  .map((d) => ({ dir: path.join(packagesDir, d), manifest: JSON.parse(fs.readFileSync(path.join(packagesDir, d, 'package.json'), 'utf8')) as Manifest }));

describe('published package manifests', () => {
  it('cover the five packages', () => {
    expect(published.map((p) => p.manifest.name).sort()).toEqual(['@reacgan/data', '@reacgan/losses', '@reacgan/metrics', '@reacgan/models', 'reacgan']);
  });

  for (const { dir, manifest } of published) {
    it(`${manifest.name}: each export is types-first, with its source and the build output at the same path`, () => {
      expect(manifest.private).not.toBe(true);
      expect(manifest.files).toContain('dist');
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        if (subpath === './package.json') continue;
        expect(typeof target, subpath).toBe('object');
        const conditions = target as Record<string, string>;
        expect(Object.keys(conditions), subpath).toEqual(['types', '@reacgan/source', 'default']);
        const source = conditions['@reacgan/source'];
        expect(fs.existsSync(path.join(dir, source)), `${subpath}: ${source}`).toBe(true);
        expect(source).toMatch(/^\.\/src\/.*\.ts$/);
        const built = source.replace(/^\.\/src\//, './dist/');
        expect(conditions.default, subpath).toBe(built.replace(/\.ts$/, '.js'));
        expect(conditions.types, subpath).toBe(built.replace(/\.ts$/, '.d.ts'));
      }
    });
  }

  it("reacgan exports the browser reader of exported generators as 'reacgan/web'", () => {
    const reacgan = published.find((p) => p.manifest.name === 'reacgan')!.manifest;
    expect(reacgan.exports['./web']).toMatchObject({ '@reacgan/source': './src/export/web-format.ts' });
  });
});

describe('examples', () => {
  const examplesDir = path.join(repositoryRoot, 'examples');
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (['node_modules', 'dist', 'public', 'test-results'].includes(e.name)) return [];
      const p = path.join(dir, e.name);
      return e.isDirectory() ? files(p) : /\.(ts|js|mjs|json|html)$/.test(e.name) ? [p] : [];
    });

  it("import the packages by name: no alias or path into a package's sources", () => {
    const offenders = files(examplesDir).filter((f) => /packages\/[a-z-]+\/src\//.test(fs.readFileSync(f, 'utf8')));
    expect(offenders.map((f) => path.relative(repositoryRoot, f))).toEqual([]);
  });

  it("the web demo depends on reacgan for 'reacgan/web'", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(examplesDir, 'web', 'package.json'), 'utf8')) as Manifest;
    expect(manifest.dependencies?.reacgan).toBe('workspace:*');
    expect(fs.readFileSync(path.join(examplesDir, 'web', 'src', 'main.ts'), 'utf8')).toMatch(/from 'reacgan\/web'/);
  });
});
