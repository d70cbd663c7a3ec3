// Where each build's .wasm lives. The `new URL('<literal>', import.meta.url)`
// form is what bundlers (Vite, webpack, esbuild) recognise and rewrite, so it
// stays literal for each build.

export type BuildName = 'simd' | 'relaxed' | 'scalar';

export function defaultWasmUrl(build: BuildName): URL {
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
  const u = typeof url === 'string' ? new URL(url, globalThis.location?.href) : url;
  if (u.protocol === 'file:') {
    // Only reached in Node; the specifier is hidden from bundlers' static analysis.
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const buf = await fs.readFile(u);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const res = await fetch(u);
  if (!res.ok) throw new Error(`wasmgrad: could not load ${u.href}: HTTP ${res.status}`);
  return res.arrayBuffer();
}
