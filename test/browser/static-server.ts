// A static file server for the browser tests: one directory tree on 127.0.0.1,
// the MIME types a module page needs, and nothing outside the tree. Pages get
// exactly what a plain static host would give them: no transforms, no rewrites.

import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ISOLATION_HEADERS } from '../../demo/serve.mjs';

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  // application/wasm is what WebAssembly.instantiateStreaming insists on.
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  /** Origin with a trailing slash, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  close(): Promise<void>;
}

/** Maps a request path onto `root`, or null when it would leave the tree. */
function fileFor(root: string, requestUrl: string): string | null {
  const pathname = decodeURIComponent(new URL(requestUrl, 'http://x').pathname);
  const file = path.resolve(root, '.' + pathname);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

/** With `isolated`, every response carries the demo server's ISOLATION_HEADERS, so pages are crossOriginIsolated and can run threads. */
export async function serveStatic(rootDir: string, { isolated = false } = {}): Promise<StaticServer> {
  const isolation = isolated ? ISOLATION_HEADERS : {};
  const root = path.resolve(rootDir);
  const server: Server = createServer(async (req, res) => {
    try {
      let file = fileFor(root, req.url ?? '/');
      if (!file) return void res.writeHead(403, isolation).end('outside the served directory');
      if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        ...isolation,
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain', ...isolation }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server: no TCP address after listen');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the browser's keep-alive sockets would hold close() open
      }),
  };
}
