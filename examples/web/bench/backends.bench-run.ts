/**
 * `pnpm --filter @reacgan/example-web bench`: ms per generator batch of the demo page in headless Chromium,
 * per backend (not a test: numbers only). Builds the page, serves it on 127.0.0.1, opens it once per backend
 * and asks for new noise a few times; prints a table and, as its last line, JSON.
 *
 * Environment: BENCH_REPEATS (default 4 batches after the first), BENCH_GRID_WASM (default 64),
 * BENCH_GRID_WEBGL / BENCH_GRID_CPU (default 16: software WebGL and pure JS are slow here).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'vitest';
import { launchChromium } from '../test/chromium.js';
import { serveStatic } from '../test/static-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

it('ms per batch per backend', async () => {
  await promisify(execFile)(join(root, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: root, timeout: 150_000 });
  const server = await serveStatic(join(root, 'dist'), { lifetimeMs: 1_800_000 });
  const browser = await launchChromium();
  const repeats = env('BENCH_REPEATS', 4);
  const rows: Record<string, unknown>[] = [];
  try {
    for (const [backend, grid] of [
      ['wasm', env('BENCH_GRID_WASM', 64)],
      ['webgl', env('BENCH_GRID_WEBGL', 16)],
      ['cpu', env('BENCH_GRID_CPU', 16)],
    ] as const) {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}index.html?backend=${backend}&grid=${grid}&strip=2`);
      const times: number[] = [];
      for (let r = 0; r <= repeats; r++) {
        if (r > 0) await page.click('#new-noise');
        await page.waitForFunction((n) => window.reacganDemo?.renders >= n || window.reacganDemo?.state === 'error', r + 1, { timeout: 600_000 });
        const demo = await page.evaluate(() => window.reacganDemo);
        if (demo.error) throw new Error(`${backend}: ${demo.error}`);
        times.push(demo.gridMs!);
      }
      const demo = await page.evaluate(() => window.reacganDemo);
      const steady = times.slice(1).sort((a, b) => a - b);
      const median = steady[Math.floor(steady.length / 2)];
      rows.push({ backend: demo.backend, detail: demo.backendDetail, batch: grid, firstMs: Math.round(times[0]), medianMs: Math.round(median), imagesPerSecond: Number(((grid * 1000) / median).toFixed(1)), selfCheckMaxAbsDiff: demo.selfCheck?.maxAbsDiff ?? null });
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`Chromium ${browser.context.browser()?.version() ?? ''}, ${repeats} batches after the first (median)`);
  console.log(['backend', 'batch', 'first ms', 'median ms', 'images/s', 'self-check |Δ|', 'detail'].join(' | '));
  for (const r of rows) console.log([r.backend, r.batch, r.firstMs, r.medianMs, r.imagesPerSecond, r.selfCheckMaxAbsDiff, r.detail].join(' | '));
  console.log(JSON.stringify(rows));
}, 1_800_000);
