import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { version } from './version.js';

describe('version', () => {
  it('matches package.json (run `node scripts/sync-versions.mjs` after `changeset version`)', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(version).toBe(pkg.version);
  });
});
