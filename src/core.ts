// The raw exports of a wasmgrad core build (assembly/index.ts). Pointers are
// byte offsets into `memory`; booleans come back as 0/1.

import { ArgumentError, firstLine } from './errors.js';

export interface CoreExports {
  memory: WebAssembly.Memory;
  buildKind(): number;
  arenaAlloc(bytes: number, category: number): number;
  arenaFree(ptr: number): void;
  arenaLive(category: number): number;
  arenaPeak(category: number): number;
  arenaResetPeak(): void;
  arenaSetLogging(on: number): void;
  arenaHeapBytes(): number;
  gemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
  ): number;
  gemmScratchBytes(m: number, n: number, k: number): number;
  gemmReserve(bytes: number): number;
  gemmRelease(): void;
  gemmScratchReserved(): number;
  macCount(): bigint;
  macReset(): void;
  peakProbe(chains: number, iters: number): number;
  activationForward(kind: number, x: number, y: number, n: number, slope: number): void;
  activationBackward(kind: number, saved: number, dy: number, dx: number, n: number, slope: number): void;
  addBias(y: number, b: number, rows: number, cols: number): void;
  biasGrad(dy: number, db: number, rows: number, cols: number): void;
  crossEntropyForward(logits: number, labels: number, probs: number, batch: number, classes: number): number;
  crossEntropyBackward(probs: number, labels: number, dlogits: number, batch: number, classes: number): void;
  mseForward(pred: number, target: number, n: number): number;
  mseBackward(pred: number, target: number, dpred: number, n: number): void;
  firstNonFinite(x: number, n: number): number;
  maxAbs(x: number, n: number): number;
  sgdStep(
    p: number, g: number, buf: number, n: number,
    lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: number, firstStep: number, apply: number,
  ): number;
  adamStep(
    p: number, g: number, state: number, n: number, step: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: number, apply: number,
  ): number;
}

/** Reads an AssemblyScript string (UTF-16, byte length stored just before it) for abort messages. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

export interface CoreHooks {
  onArenaEvent(kind: number, category: number, bytes: number, ptr: number): void;
}

/** Every export a core must have; `satisfies` keeps it complete as CoreExports grows. */
const CORE_EXPORT_NAMES = Object.keys({
  memory: 0, buildKind: 0, arenaAlloc: 0, arenaFree: 0, arenaLive: 0, arenaPeak: 0, arenaResetPeak: 0,
  arenaSetLogging: 0, arenaHeapBytes: 0, gemm: 0, gemmScratchBytes: 0, gemmReserve: 0, gemmRelease: 0,
  gemmScratchReserved: 0, macCount: 0, macReset: 0, peakProbe: 0, activationForward: 0, activationBackward: 0,
  addBias: 0, biasGrad: 0, crossEntropyForward: 0, crossEntropyBackward: 0, mseForward: 0, mseBackward: 0,
  firstNonFinite: 0, maxAbs: 0, sgdStep: 0, adamStep: 0,
} satisfies Record<keyof CoreExports, 0>) as (keyof CoreExports)[];

/**
 * Instantiates a compiled core. A module that does not link against the core's
 * imports, or lacks its exports, is an ArgumentError saying it is not a core.
 */
export async function instantiateCore(module: WebAssembly.Module, hooks: CoreHooks): Promise<CoreExports> {
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        const where = memory ? `${readAsString(memory, file)}:${line}:${col}` : '';
        // The TypeScript layer checks arguments before calling the core, so an abort means a raw export got bad ones.
        throw new ArgumentError(`wasmgrad core aborted: ${memory ? readAsString(memory, msg) : msg} ${where}`);
      },
      onArenaEvent: (kind: number, category: number, size: number, ptr: number) =>
        hooks.onArenaEvent(kind, category, size >>> 0, ptr >>> 0),
    },
  };
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
  } catch (e) {
    throw new ArgumentError(`wasm: this module is not a wasmgrad core (${firstLine(e)})`);
  }
  const exports = instance.exports as Record<string, unknown>;
  const missing = CORE_EXPORT_NAMES.filter((name) =>
    name === 'memory' ? !(exports.memory instanceof WebAssembly.Memory) : typeof exports[name] !== 'function',
  );
  if (missing.length > 0) throw new ArgumentError(`wasm: this module is not a wasmgrad core (missing exports: ${missing.join(', ')})`);
  const core = exports as unknown as CoreExports;
  memory = core.memory;
  return core;
}
