// The demo's static server (demo/serve.mjs): serves demo/, dist/ and the one
// package dist/ imports (@assemblyscript/loader) and nothing else, cross-origin
// isolated (so the page can run threads) unless told not to, and a bad request
// path is a 404, never a crash.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from '../demo/serve.mjs';

describe('demo server', () => {
  let demo: { url: string; close(): Promise<void> };
  let origin: string;
  beforeAll(async () => {
    demo = await startDemoServer({ port: 0 });
    origin = new URL(demo.url).origin;
  });
  afterAll(() => demo.close());

  it('serves the page and the package, with their types', async () => {
    const page = await fetch(demo.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const wasm = await fetch(`${origin}/dist/build/wasmgrad-simd.wasm`);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    const loader = await fetch(`${origin}/node_modules/@assemblyscript/loader/index.js`);
    expect(loader.status).toBe(200);
    expect(loader.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('sends the cross-origin isolation headers on the page, its files and its errors', async () => {
    for (const url of [demo.url, `${origin}/dist/src/threads/worker.js`, `${origin}/dist/build/wasmgrad-simd-threads.wasm`, `${origin}/package.json`]) {
      const r = await fetch(url);
      expect(r.headers.get('cross-origin-opener-policy'), url).toBe('same-origin');
      expect(r.headers.get('cross-origin-embedder-policy'), url).toBe('require-corp');
      expect(r.headers.get('cross-origin-resource-policy'), url).toBe('same-origin');
    }
  });

  it('with isolated: false sends none of them, as a plain static host would', async () => {
    const plain = await startDemoServer({ port: 0, isolated: false });
    try {
      const r = await fetch(plain.url);
      expect(r.status).toBe(200);
      for (const h of ['cross-origin-opener-policy', 'cross-origin-embedder-policy', 'cross-origin-resource-policy']) expect(r.headers.get(h), h).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it.each([
    ['outside demo/ and dist/', '/package.json'],
    ['another package', '/node_modules/commander/package.json'],
    ['climbing out with ..', '/demo/%2e%2e/package.json'],
    ['a malformed escape', '/demo/%E0%A4%A'],
    ['a missing file', '/demo/nothing-here.js'],
  ])('%s is a 404, and the server keeps serving', async (_name, path) => {
    const r = await fetch(`${origin}${path}`);
    expect(r.status).toBe(404);
    expect((await fetch(demo.url)).status).toBe(200);
  });
});
