import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as main from './index.js';
import * as node from './node/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('entries', () => {
  it('the main entry is browser-safe: its modules import only relative files (no node:, fs, sharp…)', () => {
    const files = fs.readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const offenders: string[] = [];
    for (const f of files) {
      const text = fs.readFileSync(path.join(here, f), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)) if (!m[1].startsWith('./')) offenders.push(`${f}: ${m[1]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('exposes the contract names (contracts.md, @reacgan/data)', () => {
    for (const name of ['createBatchIterator', 'Rng', 'sampleClassLabels', 'sampleLatents', 'pad', 'centerCropLongEdge', 'randomCropLongEdge', 'resize', 'randomHorizontalFlip', 'datasetInfo']) {
      expect(typeof (main as Record<string, unknown>)[name]).toBe('function');
    }
    for (const name of ['loadMnist', 'loadIdx', 'loadFashionMnist', 'loadCifar10', 'loadCifar100', 'loadTinyImageNet', 'loadImageFolder', 'openDataset', 'datasetInfo', 'createBatchIterator']) {
      expect(typeof (node as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
