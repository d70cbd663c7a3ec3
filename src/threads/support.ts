// Whether this engine can run a threaded runtime, and how many threads one
// gets by default.

import type { BuildName } from '../wasm-source.js';
import { isNode } from './pool.js';

/** The core's MAX_THREADS (assembly/threads.ts). */
export const MAX_THREADS = 64;
/** The default never takes more: beyond it the small products of training gain little and each thread costs its packing workspace. */
const DEFAULT_CAP = 8;

/** The cores the engine reports, at most DEFAULT_CAP. */
export async function defaultThreads(): Promise<number> {
  let cores = globalThis.navigator?.hardwareConcurrency;
  if (isNode()) {
    const osName = 'node:os';
    const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
    cores = os.availableParallelism?.() ?? os.cpus().length;
  }
  return Math.max(1, Math.min(DEFAULT_CAP, Math.floor(cores ?? 1)));
}

/** Why a runtime of this build cannot run threads here, or undefined when it can. */
export function whyNoThreads(build: BuildName, customWasm: boolean): string | undefined {
  if (customWasm) return 'a wasm binary given to init() runs on one thread';
  if (build === 'scalar') return 'the scalar build has no threaded variant';
  // A page that is not cross-origin isolated has no SharedArrayBuffer either: name the cause, the headers.
  if (!isNode() && globalThis.crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (typeof SharedArrayBuffer === 'undefined') return 'this engine has no SharedArrayBuffer';
  if (!isNode() && typeof Worker === 'undefined') return 'this engine has no Worker';
  return undefined;
}
