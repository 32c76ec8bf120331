// Every error the command line prints suggests only options that exist there (issue 19): the remedies the
// libraries phrase in their API (`onBadFile: 'skip'`, `download: true`, `options.root` …) are rewritten into
// each command's flags, and every `--flag` the reacgan sources mention is a flag of the command line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import * as metrics from '@reacgan/metrics';
import * as metricsNode from '@reacgan/metrics/node';
import { repositoryRoot } from '@reacgan/testkit';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliMessage, type CommandFlags } from '../src/cli/messages.js';
import { buildProgram } from '../src/cli/program.js';
import { encodePng } from '../src/node/png.js';

/** The flags each command passes to cliAction (as in its register* function). */
const COMMANDS: Record<string, CommandFlags> = {
  train: { split: '--eval-split', onBadFile: true, root: true, inceptionWeights: true, batchSize: true },
  evaluate: { split: '--split', onBadFile: true, root: true, kidSubsetSize: true, inceptionWeights: true },
  'dataset info': { split: '--split', onBadFile: true, root: true },
  info: { onBadFile: true, root: true },
  sample: {},
  export: {},
  backend: {},
};

/** A library option spelled as in its API: `name: value`, `options.name`, `{ name }`, `fn()`. */
const LIBRARY_SPELLING = /\b[a-z]\w*: (?:true|false|'[^']*')|options\.\w+|\{ \w+(?:: \w+)? \}|\b\w+\(\)/;

function longFlags(command: Command): Set<string> {
  const flags = new Set<string>();
  for (const o of command.options) if (o.long) flags.add(o.long);
  return flags;
}

function commandNamed(name: string): Command {
  let c: Command = buildProgram();
  for (const part of name.split(' ')) c = c.commands.find((x) => x.name() === part)!;
  return c;
}

let dir: string;
const saved = { cache: process.env.REACGAN_CACHE_DIR, data: process.env.REACGAN_DATA_DIR };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-messages-'));
  process.env.REACGAN_CACHE_DIR = join(dir, 'cache');
  delete process.env.REACGAN_DATA_DIR;
});
afterAll(async () => {
  for (const [key, env] of [['REACGAN_CACHE_DIR', saved.cache], ['REACGAN_DATA_DIR', saved.data]] as const) {
    if (env === undefined) delete process.env[key];
    else process.env[key] = env;
  }
  await rm(dir, { recursive: true, force: true });
});

/** Real library errors, each from the call that raises it; `source` is the file its message lives in. */
const scenarios: { name: string; source: string; error: () => Promise<unknown> }[] = [
  { name: 'CIFAR-10 without root or cache', source: 'data/src/node/cifar.ts', error: () => dataNode.openDataset({ dataset: 'cifar10' }) },
  { name: 'Tiny-ImageNet without root or cache', source: 'data/src/node/tiny-imagenet.ts', error: () => dataNode.openDataset({ dataset: 'tiny-imagenet' }) },
  {
    name: 'Fashion-MNIST without root',
    source: 'data/src/node/idx.ts',
    error: async () => {
      const { DEBIAN_FASHION_MNIST_DIR } = dataNode;
      // The Debian package may be installed here; the message is then produced by hand from the same call on a missing path.
      try {
        statSync(DEBIAN_FASHION_MNIST_DIR);
      } catch {
        return dataNode.openDataset({ dataset: 'fashion-mnist' });
      }
      throw new Error(`Fashion-MNIST: no root given and ${DEBIAN_FASHION_MNIST_DIR} does not exist; pass the folder holding the IDX files as root (CLI: --root <dir>), or install Debian's dataset-fashion-mnist package`);
    },
  },
  { name: 'image folder without root', source: 'data/src/node/open.ts', error: () => dataNode.openDataset({ dataset: 'folder' }) },
  { name: 'image folder root missing', source: 'data/src/node/image-folder.ts', error: () => dataNode.openDataset({ dataset: 'folder', root: join(dir, 'nowhere') }) },
  {
    name: 'image folder with a corrupt image',
    source: 'data/src/node/image-files.ts',
    error: async () => {
      await mkdir(join(dir, 'bad', 'a'), { recursive: true });
      await writeFile(join(dir, 'bad', 'a', 'ok.png'), encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) }));
      await writeFile(join(dir, 'bad', 'a', 'broken.png'), 'not a png');
      return dataNode.openDataset({ dataset: 'folder', root: join(dir, 'bad'), onWarning: () => undefined });
    },
  },
  {
    name: 'image folder without a valid split',
    source: 'data/src/node/image-folder.ts',
    error: async () => {
      await mkdir(join(dir, 'splits', 'train', 'a'), { recursive: true });
      await writeFile(join(dir, 'splits', 'train', 'a', 'x.png'), encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) }));
      return dataNode.openDataset({ dataset: 'folder', root: join(dir, 'splits'), split: 'valid' });
    },
  },
  {
    name: 'batch larger than the dataset',
    source: 'data/src/batching.ts',
    error: async () => dataNode.createBatchIterator(await dataNode.openDataset({ dataset: 'folder', root: join(dir, 'splits') }), { batchSize: 4, dropLast: true }),
  },
  {
    name: 'images of mixed sizes without a resize',
    source: 'data/src/batching.ts',
    error: async () => {
      await mkdir(join(dir, 'mixed', 'a'), { recursive: true });
      await writeFile(join(dir, 'mixed', 'a', '1.png'), encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) }));
      await writeFile(join(dir, 'mixed', 'a', '2.png'), encodePng({ width: 3, height: 3, channels: 1, data: new Uint8Array(9) }));
      const it = dataNode.createBatchIterator(await dataNode.openDataset({ dataset: 'folder', root: join(dir, 'mixed') }), { batchSize: 2, shuffle: false });
      return it.next();
    },
  },
  {
    name: 'KID subset larger than the samples',
    source: 'metrics/src/kid.ts',
    error: async () => metrics.kernelInceptionDistance({ data: new Float32Array(6), shape: [3, 2] }, { data: new Float32Array(6), shape: [3, 2] }, { subsetSize: 10 }),
  },
  { name: 'Inception weights with another hash', source: 'metrics/src/extractors/inception-v3-fid.ts', error: () => metrics.createInceptionV3FidExtractor({ weights: new Uint8Array([1, 2, 3]) }) },
  { name: 'Inception weights not in the cache, download off', source: 'metrics/src/node/index.ts', error: () => metricsNode.loadFidInceptionWeights({ cacheDir: join(dir, 'none'), download: false }) },
  {
    name: 'Inception weights download fails',
    source: 'metrics/src/node/index.ts',
    error: () => metricsNode.loadFidInceptionWeights({ cacheDir: join(dir, 'none'), fetch: async () => new Response('', { status: 404, statusText: 'Not Found' }) }),
  },
];

/** Library remedies the command line can never print (the CLI never makes the call that raises them), with the reason. */
const UNREACHABLE: Record<string, string> = {
  'metrics/src/inception-score.ts': "evaluate always passes logits (from: 'logits')",
  'metrics/src/extractors/registry.ts': 'the CLI registers no feature extractors',
};

describe('library remedies on the command line', () => {
  const messages = new Map<string, string>();
  beforeAll(async () => {
    for (const s of scenarios) {
      let message = '';
      try {
        await s.error();
      } catch (error) {
        message = (error as Error).message;
      }
      messages.set(s.name, message);
    }
  });

  it.each(scenarios.map((s) => [s.name]))('%s: every command prints flags it has, never library spellings', (name) => {
    const original = messages.get(name)!;
    expect(original, 'the library call must fail').not.toBe('');
    for (const [command, flags] of Object.entries(COMMANDS)) {
      const printed = cliMessage(original, flags);
      expect(printed, `${command}: ${printed}`).not.toMatch(LIBRARY_SPELLING);
      const known = longFlags(commandNamed(command));
      for (const flag of printed.match(/--[a-z][a-z-]*/g) ?? []) expect(known, `${command} prints ${flag}: ${printed}`).toContain(flag);
    }
  });

  it('every remedy in the libraries\' sources (grep) is either exercised above or unreachable from the CLI', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) files.push(join(d, e.name));
      }
    };
    for (const pkg of ['data', 'metrics']) walk(join(repositoryRoot, 'packages', pkg, 'src'));
    const hits: string[] = [];
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const code = line.trim();
        if (code.startsWith('//') || code.startsWith('*')) continue;
        if (/(pass |download: true|add [a-zA-Z]+\(\))/.test(code) && LIBRARY_SPELLING.test(code)) hits.push(file.slice(repositoryRoot.length + '/packages/'.length));
      }
    }
    expect(hits.length).toBeGreaterThan(5);
    const covered = new Set(scenarios.map((s) => s.source));
    for (const hit of hits) expect(covered.has(hit) || hit in UNREACHABLE, `${hit}: a remedy no scenario exercises; add it to scenarios (and a rule to LIBRARY_REMEDIES)`).toBe(true);
  });

  it('every --flag the reacgan sources mention is a flag of the command line', () => {
    const all = new Set<string>();
    const visit = (c: Command) => {
      for (const f of longFlags(c)) all.add(f);
      for (const sub of c.commands) visit(sub);
    };
    visit(buildProgram());
    // commander adds these itself.
    for (const f of ['--help', '--version']) all.add(f);
    const src = join(repositoryRoot, 'packages', 'reacgan', 'src');
    const unknown: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
          const text = readFileSync(join(d, e.name), 'utf8');
          for (const m of text.matchAll(/[`'"(\s](--[a-z][a-z0-9-]*)/g)) if (!all.has(m[1]) && !all.has(m[1].replace(/^--no-/, '--'))) unknown.push(`${e.name}: ${m[1]}`);
        }
      }
    };
    walk(src);
    expect(unknown).toEqual([]);
  });
});
