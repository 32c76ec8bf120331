import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInceptionV3FidExtractor, FID_INCEPTION_WEIGHTS_FILENAME } from '../extractors/inception-v3-fid.js';
import { defaultCacheDir, loadFidInceptionWeights, writeFileAtomic } from './index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reacgan-metrics-node-'));
const payload = new TextEncoder().encode('not the real inception weights');
let server: http.Server;
let url = '';
let requests = 0;

beforeAll(async () => {
  // A loopback server stands in for pytorch-fid's release download.
  server = http.createServer((req, res) => {
    requests++;
    if (req.url === '/weights.pth') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from(payload));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('loadFidInceptionWeights', () => {
  it('downloads once into the cache directory, then reads the cached copy', async () => {
    const cacheDir = path.join(tmp, 'cache1');
    const a = await loadFidInceptionWeights({ cacheDir, url: `${url}/weights.pth`, verifyHash: false });
    expect(Buffer.from(a).toString()).toBe('not the real inception weights');
    expect(fs.existsSync(path.join(cacheDir, FID_INCEPTION_WEIGHTS_FILENAME))).toBe(true);
    const count = requests;
    const b = await loadFidInceptionWeights({ cacheDir, url: `${url}/weights.pth`, verifyHash: false });
    expect(requests).toBe(count);
    expect(b).toEqual(a);
    expect(fs.readdirSync(cacheDir)).toEqual([FID_INCEPTION_WEIGHTS_FILENAME]);
  });

  it('verifies the SHA-256 prefix and stores nothing when it does not match', async () => {
    const cacheDir = path.join(tmp, 'cache2');
    const hash = createHash('sha256').update(payload).digest('hex');
    await expect(loadFidInceptionWeights({ cacheDir, url: `${url}/weights.pth` })).rejects.toThrow(new RegExp(`SHA-256 ${hash} does not start with 6726825d`));
    expect(fs.existsSync(path.join(cacheDir, FID_INCEPTION_WEIGHTS_FILENAME))).toBe(false);
  });

  it('explains what to do when offline, when downloading is off, or the path is wrong', async () => {
    await expect(loadFidInceptionWeights({ cacheDir: path.join(tmp, 'c3'), url: `${url}/missing.pth` })).rejects.toThrow(
      /could not download .*HTTP 404.*copy pt_inception-2015-12-05-6726825d.pth to/,
    );
    await expect(loadFidInceptionWeights({ cacheDir: path.join(tmp, 'c4'), download: false })).rejects.toThrow(/does not exist and download is off/);
    await expect(loadFidInceptionWeights({ path: path.join(tmp, 'nope.pth') })).rejects.toThrow(/no file at/);
    const local = path.join(tmp, 'local.pth');
    fs.writeFileSync(local, payload);
    expect(await loadFidInceptionWeights({ path: local, verifyHash: false })).toEqual(new Uint8Array(payload));
  });

  it('createInceptionV3FidExtractor fetches weightsUrl (browser route) and checks the hash of what arrived', async () => {
    await expect(createInceptionV3FidExtractor({ weightsUrl: `${url}/weights.pth` })).rejects.toThrow(/SHA-256 is [0-9a-f]{64}, expected it to start with 6726825d/);
    await expect(createInceptionV3FidExtractor({ weightsUrl: `${url}/missing.pth` })).rejects.toThrow(/could not fetch .*HTTP 404/);
  });

  it('uses REACGAN_METRICS_CACHE_DIR / REACGAN_CACHE_DIR for the default directory', () => {
    const saved = { ...process.env };
    try {
      delete process.env.REACGAN_METRICS_CACHE_DIR;
      process.env.REACGAN_CACHE_DIR = '/x/y';
      expect(defaultCacheDir()).toBe(path.join('/x/y', 'metrics'));
      process.env.REACGAN_METRICS_CACHE_DIR = '/z';
      expect(defaultCacheDir()).toBe('/z');
    } finally {
      process.env = saved;
    }
  });

  it('writeFileAtomic leaves no temporary files', () => {
    const f = path.join(tmp, 'atomic', 'a.bin');
    writeFileAtomic(f, new Uint8Array([1, 2]));
    expect(fs.readdirSync(path.dirname(f))).toEqual(['a.bin']);
  });
});
