#!/usr/bin/env node
// Serves the demo page and the built package on localhost: `npm run demo`.
// Only demo/, dist/ and the one package dist/ imports are reachable; the page
// imports them as plain static files through an import map, so what you see is
// what a static host serves.

import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVED_FOLDERS = ['demo', 'dist', 'node_modules/@assemblyscript/loader'];
const DEFAULT_PORT = 5180;

/**
 * The headers that make the page cross-origin isolated (crossOriginIsolated),
 * which a threaded runtime needs: without them a browser gives the page no
 * SharedArrayBuffer, and wasmgrad runs on one thread. Every file carries the
 * resource policy, so the isolated page may load it.
 */
export const ISOLATION_HEADERS = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
});

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/** The file for a request path, or null when it is outside demo/ and dist/ or not a valid escape sequence. */
function fileFor(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null; // a malformed escape such as %E0%A4%A
  }
  const file = path.resolve(ROOT, '.' + decoded);
  const allowed = SERVED_FOLDERS.some((f) => {
    const folder = path.join(ROOT, f);
    return file === folder || file.startsWith(folder + path.sep);
  });
  return allowed ? file : null;
}

async function handle(req, res, isolation) {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  // The page's relative imports need the trailing slash.
  if (pathname === '/' || pathname === '/demo') return void res.writeHead(302, { location: '/demo/', ...isolation }).end();
  let file = fileFor(pathname);
  if (!file) return void res.writeHead(404, { 'content-type': 'text/plain', ...isolation }).end('not found');
  try {
    if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...isolation });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain', ...isolation }).end('not found');
  }
}

/**
 * Starts the server; port 0 picks a free one. Resolves to { url, close }.
 * `isolated: false` leaves out ISOLATION_HEADERS, as a plain static host would:
 * the page then runs on one thread and says why.
 */
export async function startDemoServer({ port = DEFAULT_PORT, host = '127.0.0.1', isolated = true } = {}) {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'index.js'))) {
    throw new Error('dist/src/index.js is missing: run `npm run build` first, then `npm run demo`');
  }
  const isolation = isolated ? ISOLATION_HEADERS : {};
  const server = createServer((req, res) => void handle(req, res, isolation));
  await new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; pass another with --port N`) : err),
    );
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address();
  return {
    url: `http://${host}:${bound}/demo/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parsePort(argv) {
  const i = argv.indexOf('--port');
  const given = i >= 0 ? argv[i + 1] : process.env.PORT;
  if (given === undefined) return DEFAULT_PORT;
  const port = Number(given);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(given)}`);
  }
  return port;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const { url } = await startDemoServer({ port: parsePort(process.argv.slice(2)) });
    console.log(`wasmgrad demo: ${url}  (Ctrl+C to stop)`);
  } catch (err) {
    console.error(`wasmgrad demo: ${err.message}`);
    process.exit(1);
  }
}
