// Where each build's .wasm lives. The `new URL('<literal>', import.meta.url)`
// form is what bundlers (Vite, webpack, esbuild) recognise and rewrite, so it
// stays literal for each build.

import { ArgumentError, describeValue, firstLine } from './errors.js';

export type BuildName = 'simd' | 'relaxed' | 'scalar';

/** The packaged .wasm of a build; `threaded`: its variant with shared memory and atomics (SIMD builds only). */
export function defaultWasmUrl(build: BuildName, threaded = false): URL {
  if (threaded) {
    return build === 'relaxed'
      ? new URL('../build/wasmgrad-relaxed-threads.wasm', import.meta.url)
      : new URL('../build/wasmgrad-simd-threads.wasm', import.meta.url);
  }
  switch (build) {
    case 'relaxed':
      return new URL('../build/wasmgrad-relaxed.wasm', import.meta.url);
    case 'scalar':
      return new URL('../build/wasmgrad-scalar.wasm', import.meta.url);
    default:
      return new URL('../build/wasmgrad-simd.wasm', import.meta.url);
  }
}

/** Reads the bytes behind a URL: fetch in browsers, the file system for file: URLs in Node. */
export async function fetchWasmBytes(url: URL | string): Promise<ArrayBuffer> {
  let u: URL;
  try {
    // A relative string resolves against the page; Node has no page to resolve it against.
    u = typeof url === 'string' ? new URL(url, globalThis.location?.href) : url;
  } catch {
    throw new ArgumentError(`wasm: cannot resolve '${describeValue(url).slice(1, -1)}' to a URL; outside a page give an absolute URL (in Node, a file: URL) or the bytes`);
  }
  try {
    return await readBytes(u);
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    // fetch's own message is "fetch failed"; the reason is its cause.
    const { code, cause } = e as NodeJS.ErrnoException;
    throw new ArgumentError(`wasmgrad: could not load ${u.href}: ${code ?? firstLine(e)}${cause ? ` (${firstLine(cause)})` : ''}`);
  }
}

async function readBytes(u: URL): Promise<ArrayBuffer> {
  if (u.protocol === 'file:') {
    // Only reached in Node; the specifier is hidden from bundlers' static analysis.
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const buf = await fs.readFile(u);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const res = await fetch(u);
  if (!res.ok) throw new ArgumentError(`wasmgrad: could not load ${u.href}: the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, { field: 'wasm' });
  return res.arrayBuffer();
}
