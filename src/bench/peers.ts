// What wasmgrad's GEMM is compared with in the same run: TensorFlow.js's WASM
// backend (XNNPACK), onnxruntime-web (src/bench/ort-peer.ts) and a plain-JS
// triple loop. Each peer prepares its inputs once per shape and hands back a
// `run` that computes C and returns it to JS, so every implementation is timed
// doing the same thing. A peer that cannot load is unavailable, with the reason.

import { createRequire } from 'node:module';
import path from 'node:path';
import type { GemmShape } from './gemm-shape.js';

/** One implementation, ready to run one shape: inputs resident, `run` computes op(A) op(B) into a JS array (or a promise of it: onnxruntime-web). */
export interface PreparedGemm {
  /** Computes C and returns it in a JS Float32Array: the agreement check, and the timed call when there is no `compute`. */
  run(): Float32Array | Promise<Float32Array>;
  /** The timed call where the library can leave C in its own memory, as a chain of products would (no copy to JS). */
  compute?(): void;
  dispose(): void | Promise<void>;
}

/** What every in-process peer says about itself: whether it ran, and if not, why. */
export interface PeerInfo {
  available: boolean;
  /** Why it is unavailable; null when it ran. */
  reason: string | null;
}

/** A loaded peer: its info, and `prepare` (null when unavailable) making one shape ready to run. */
export interface GemmPeer<Info extends PeerInfo> {
  info: Info;
  prepare: ((shape: GemmShape, a: Float32Array, b: Float32Array) => PreparedGemm | Promise<PreparedGemm>) | null;
}

export type Importer = (specifier: string) => Promise<unknown>;

/** Why importing `packages` failed: not installed (with the command that installs them), or the loader's own message. */
export function loadFailureReason(packages: readonly string[], e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
    ? `${packages.join(' and ')} not installed (npm install --save-dev ${packages.join(' ')})`
    : `could not load ${packages.join(' / ')}: ${errorMessage(e)}`;
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------- plain JS

/**
 * C = op(A) op(B) with a plain i-p-j triple loop over Float32Arrays (row-major,
 * leading dimension = stored row length). Strides stand in for the transposes,
 * so a transposed operand is walked with a stride, as a naive loop would.
 */
export function jsGemm(shape: GemmShape, a: Float32Array, b: Float32Array, c: Float32Array): Float32Array {
  const { m, n, k, transA, transB } = shape;
  return tripleLoop(m, n, k, a, transA ? 1 : k, transA ? m : 1, b, transB ? 1 : n, transB ? k : 1, c);
}

// Numbers and typed arrays only, so V8 compiles one tight loop whatever calls it.
// Measured in-process it runs about 25% slower than in a fresh Node: once any
// ArrayBuffer has been detached (every WASM memory.grow detaches one), V8's
// optimised code checks each typed-array access for detachment. Every program
// that uses wasmgrad or tfjs runs its JS under that condition too.
function tripleLoop(
  m: number, n: number, k: number,
  a: Float32Array, aRow: number, aCol: number,
  b: Float32Array, bRow: number, bCol: number,
  c: Float32Array,
): Float32Array {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * aRow + p * aCol];
      const bp = p * bRow;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j * bCol];
    }
  }
  return c;
}

export function prepareJs(shape: GemmShape, a: Float32Array, b: Float32Array): PreparedGemm {
  const c = new Float32Array(shape.m * shape.n);
  return { run: () => jsGemm(shape, a, b, c), dispose() {} };
}

// ---------------------------------------------------------------- tfjs-wasm

/** The few TensorFlow.js calls used here, typed structurally so wasmgrad's types never need tfjs installed. */
interface TfTensor {
  dataSync(): Float32Array;
  dispose(): void;
}
interface TfCore {
  version_core: string;
  tensor2d(values: Float32Array, shape: [number, number], dtype: 'float32'): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  env(): { getBool(flag: string): boolean };
}
interface TfBackendWasm {
  setWasmPaths(prefix: string): void;
  getThreadsCount(): number;
  version_wasm: string;
}

/** What the tfjs-wasm peer ran on, or why it could not run. */
export interface TfjsWasmInfo extends PeerInfo {
  version: string | null;
  /** tf.getBackend() after setup: always 'wasm' when available. */
  backend: string | null;
  /** Whether the backend loaded its SIMD binary. */
  simd: boolean | null;
  /** Threads XNNPACK uses: 1 in Node, where the backend cannot start workers. */
  threads: number | null;
}

export interface TfjsWasmPeer extends GemmPeer<TfjsWasmInfo> {
  /** The loaded @tensorflow/tfjs-core module (wasm backend active), for other benchmarks; null when unavailable. */
  tf: unknown;
}

export const TFJS_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'] as const;

export function unavailableTfjs(reason: string): TfjsWasmPeer {
  return { info: { available: false, reason, version: null, backend: null, simd: null, threads: null }, prepare: null, tf: null };
}

/**
 * Loads TensorFlow.js with its WASM backend, if installed (they are optional:
 * a missing package makes the peer unavailable, with the reason, not a crash).
 * `importModule` is replaceable for tests.
 */
export async function loadTfjsWasm(importModule: Importer = (s) => import(s)): Promise<TfjsWasmPeer> {
  let tf: TfCore, backend: TfBackendWasm, wasmDir: string;
  try {
    tf = (await importModule(TFJS_PACKAGES[0])) as TfCore;
    backend = (await importModule(TFJS_PACKAGES[1])) as TfBackendWasm;
    // In Node the backend cannot fetch its .wasm by URL; point it at the package's dist folder.
    wasmDir = path.dirname(createRequire(import.meta.url).resolve(TFJS_PACKAGES[1])) + path.sep;
  } catch (e) {
    return unavailableTfjs(loadFailureReason(TFJS_PACKAGES, e));
  }
  try {
    backend.setWasmPaths(wasmDir);
    if (!(await tf.setBackend('wasm'))) return unavailableTfjs("tf.setBackend('wasm') failed");
    await tf.ready();
  } catch (e) {
    return unavailableTfjs(`the tfjs WASM backend did not start: ${errorMessage(e)}`);
  }
  if (tf.getBackend() !== 'wasm') return unavailableTfjs(`tfjs runs backend '${tf.getBackend()}', not 'wasm'`);
  const info: TfjsWasmInfo = {
    available: true,
    reason: null,
    version: tf.version_core,
    backend: tf.getBackend(),
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: backend.getThreadsCount(),
  };
  const prepare = (shape: GemmShape, a: Float32Array, b: Float32Array): PreparedGemm => {
    const { m, n, k, transA, transB } = shape;
    const ta = tf.tensor2d(a, transA ? [k, m] : [m, k], 'float32');
    let tb: TfTensor;
    try {
      tb = tf.tensor2d(b, transB ? [n, k] : [k, n], 'float32');
    } catch (e) {
      ta.dispose();
      throw e;
    }
    return {
      // Same transposes as wasmgrad. The WASM backend computes C in its heap within matMul itself.
      run() {
        const c = tf.matMul(ta, tb, transA, transB);
        try {
          return c.dataSync();
        } finally {
          c.dispose();
        }
      },
      compute() {
        tf.matMul(ta, tb, transA, transB).dispose();
      },
      dispose() {
        ta.dispose();
        tb.dispose();
      },
    };
  };
  return { info, prepare, tf };
}
