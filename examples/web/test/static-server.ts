import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Requests served, as `<status> <path>`. */
  log: string[];
  close(): Promise<void>;
}

/**
 * Serves `root` read-only on 127.0.0.1 (a free port). GET/HEAD only, no directory listings, paths outside
 * `root` refused. Stops itself after `lifetimeMs` (default 120 s) in case the caller never closes it.
 */
export async function serveStatic(root: string, options: { lifetimeMs?: number } = {}): Promise<StaticServer> {
  const base = resolve(root);
  const log: string[] = [];
  const server: Server = createServer((request, response) => {
    const done = (status: number, message: string) => {
      log.push(`${status} ${request.url}`);
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return done(405, 'method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      return done(400, 'bad request');
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = normalize(join(base, pathname));
    if (file !== base && !file.startsWith(base + sep)) return done(403, 'forbidden');
    stat(file).then(
      (info) => {
        if (!info.isFile()) return done(404, 'not found');
        log.push(`200 ${request.url}`);
        response.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-length': info.size,
          'cache-control': 'no-store',
        });
        if (request.method === 'HEAD') return response.end();
        createReadStream(file).pipe(response);
      },
      () => done(404, 'not found'),
    );
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const close = () =>
    new Promise<void>((resolveClose) => {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => resolveClose());
    });
  const timer = setTimeout(() => void close(), options.lifetimeMs ?? 120_000);
  timer.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, log, close };
}
