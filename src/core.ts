// The raw exports of a wasmgrad core build (assembly/index.ts). Pointers are
// byte offsets into `memory`; booleans come back as 0/1.

import { instantiate } from '@assemblyscript/loader';
import { ArgumentError, OutOfMemoryError, firstLine } from './errors.js';

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
  arenaCategoryCount(): number;
  gemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
  ): number;
  gemmScratchBytes(m: number, n: number, k: number): number;
  gemmReserve(bytes: number): number;
  gemmRelease(): void;
  gemmScratchReserved(): number;
  gemmUseWideTile(on: number): number;
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
  histogram(x: number, rows: number, cols: number, lo: number, scale: number, bins: number, counts: number): void;
  sgdStep(
    p: number, g: number, buf: number, n: number,
    lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: number, firstStep: number, apply: number,
  ): number;
  adamStep(
    p: number, g: number, state: number, n: number, step: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: number, apply: number,
  ): number;
  gatherPixels(images: number, rowBytes: number, index: number, rows: number, out: number, table: number): void;
  gatherLabels(labels: number, index: number, rows: number, out: number): void;
  gemmBatched(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, count: number, inner: number, aInner: number, aOuter: number, bInner: number, bOuter: number, cInner: number, cOuter: number): number;
  causalSoftmaxForward(scores: number, probs: number, seq: number, count: number): void;
  causalSoftmaxBackward(probs: number, dprobs: number, dscores: number, seq: number, count: number): void;
  flashAttentionForward(qkv: number, y: number, lse: number, work: number, batch: number, seq: number, heads: number, headDim: number, block: number): number;
  flashAttentionBackward(qkv: number, y: number, lse: number, dy: number, dqkv: number, work: number, batch: number, seq: number, heads: number, headDim: number, block: number): number;
  embeddingForward(ids: number, wte: number, wpe: number, out: number, batch: number, seq: number, hidden: number): void;
  embeddingBackward(ids: number, dout: number, dwte: number, dwpe: number, batch: number, seq: number, hidden: number): void;
  firstBadTokenId(ids: number, n: number, vocab: number): number;
  normForward(centred: number, x: number, weight: number, bias: number, out: number, mean: number, rstd: number, rows: number, hidden: number, eps: number): void;
  normBackward(
    centred: number, x: number, weight: number, mean: number, rstd: number, dout: number,
    dx: number, dweight: number, dbias: number, rows: number, hidden: number, accumulate: number,
  ): void;
  elementwiseAdd(a: number, b: number, out: number, n: number): void;
  swigluForward(a: number, b: number, out: number, n: number): void;
  swigluBackward(a: number, b: number, dout: number, da: number, db: number, n: number): void;
  dropoutForward(x: number, out: number, mask: number, n: number, p: number, seed: number, offset: number): void;
  dropoutBackward(dout: number, mask: number, dx: number, n: number, p: number): void;
  threadControl(): number;
  threadsConfigure(count: number, canWait: number): void;
  threadsActive(): number;
  threadsInitWorker(index: number): void;
  threadClaim(): number;
  threadRun(part: number): void;
  threadFinish(): void;
  threadsParallelCalls(): number;
  flashAttentionDropoutForward(qkv: number, y: number, lse: number, work: number, batch: number, seq: number, heads: number, headDim: number, block: number, p: number, seed: number): number;
  flashAttentionDropoutBackward(qkv: number, y: number, lse: number, dy: number, dqkv: number, work: number, batch: number, seq: number, heads: number, headDim: number, block: number, p: number, seed: number): number;
  kvCacheStore(qkv: number, cache: number, batch: number, tokens: number, start: number, capacity: number, hidden: number): void;
  cachedAttention(qkv: number, cache: number, y: number, scratch: number, batch: number, keys: number, capacity: number, heads: number, headDim: number): void;
}

/**
 * The typed error for an abort inside the core: the runtime's allocator
 * refusing a size is out of memory; anything else is a call the TypeScript
 * checks should have refused, so it names the core's message and place.
 */
function coreAbort(message: string, where: string): Error {
  const text = `wasmgrad core aborted at ${where}: ${message.split('\n')[0]!.slice(0, 120)}`;
  return /allocation/i.test(message) ? new OutOfMemoryError(text) : new ArgumentError(text);
}

export interface CoreHooks {
  onArenaEvent(kind: number, category: number, bytes: number, ptr: number): void;
  /** A worker's slice of a parallel call threw (threaded builds); throws the error the call raises. */
  onThreadFailure(worker: number): void;
}

/** Every export a core must have; `satisfies` keeps it complete as CoreExports grows. */
export const CORE_EXPORT_NAMES = Object.keys({
  memory: 0, buildKind: 0, arenaAlloc: 0, arenaFree: 0, arenaLive: 0, arenaPeak: 0, arenaResetPeak: 0,
  arenaSetLogging: 0, arenaHeapBytes: 0, arenaCategoryCount: 0, gemm: 0, gemmScratchBytes: 0, gemmReserve: 0, gemmRelease: 0,
  gemmScratchReserved: 0, gemmUseWideTile: 0, macCount: 0, macReset: 0, peakProbe: 0, activationForward: 0, activationBackward: 0,
  addBias: 0, biasGrad: 0, crossEntropyForward: 0, crossEntropyBackward: 0, mseForward: 0, mseBackward: 0,
  firstNonFinite: 0, maxAbs: 0, histogram: 0, sgdStep: 0, adamStep: 0, gatherPixels: 0, gatherLabels: 0,
  gemmBatched: 0,
  causalSoftmaxForward: 0,
  causalSoftmaxBackward: 0,
  flashAttentionForward: 0,
  flashAttentionBackward: 0,
  embeddingForward: 0, embeddingBackward: 0, firstBadTokenId: 0, normForward: 0, normBackward: 0, elementwiseAdd: 0, swigluForward: 0, swigluBackward: 0, dropoutForward: 0, dropoutBackward: 0,
  threadControl: 0, threadsConfigure: 0, threadsActive: 0, threadsInitWorker: 0, threadClaim: 0, threadRun: 0, threadFinish: 0, threadsParallelCalls: 0,
  flashAttentionDropoutForward: 0,
  flashAttentionDropoutBackward: 0,
  kvCacheStore: 0, cachedAttention: 0,
} satisfies Record<keyof CoreExports, 0>) as (keyof CoreExports)[];

/**
 * Instantiates a compiled core through @assemblyscript/loader, which reads the
 * core's strings for abort messages. The kernels are called through the
 * instance's own exports: the loader wraps each function in a JavaScript
 * closure that costs about 4 ns a call (README, "How it is built").
 * A module that does not link against the core's imports, or lacks its
 * exports, is an ArgumentError saying it is not a core.
 */
export async function instantiateCore(module: WebAssembly.Module, hooks: CoreHooks, memory?: WebAssembly.Memory): Promise<CoreExports> {
  let getString: ((ptr: number) => string | null) | undefined;
  // A pointer that is no string (or an abort before the loader is done) reads as no text.
  const text = (ptr: number) => {
    try {
      return getString?.(ptr) ?? '';
    } catch {
      return '';
    }
  };
  const imports = {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        throw coreAbort(text(msg) || 'no message', `${text(file) || 'the core'}:${line}:${col}`);
      },
      onArenaEvent: (kind: number, category: number, size: number, ptr: number) =>
        hooks.onArenaEvent(kind, category, size >>> 0, ptr >>> 0),
      onThreadFailure: (worker: number) => hooks.onThreadFailure(worker),
      // The threaded builds import the shared memory the runtime's workers also use.
      ...(memory && { memory }),
    },
  };
  let loaded: Awaited<ReturnType<typeof instantiate>>;
  try {
    loaded = await instantiate(module, imports);
  } catch (e) {
    throw new ArgumentError(`wasm: this module is not a wasmgrad core (${firstLine(e)})`);
  }
  const exports = loaded.instance.exports as Record<string, unknown>;
  const missing = CORE_EXPORT_NAMES.filter((name) =>
    name === 'memory' ? !(exports.memory instanceof WebAssembly.Memory) : typeof exports[name] !== 'function',
  );
  if (missing.length > 0) {
    // A module with none of them would list all 29: name a few, count the rest.
    const shown = missing.length > 6 ? `${missing.slice(0, 5).join(', ')} and ${missing.length - 5} more` : missing.join(', ');
    throw new ArgumentError(`wasm: this module is not a wasmgrad core (missing exports: ${shown})`);
  }
  getString = loaded.exports.__getString;
  return exports as unknown as CoreExports;
}
