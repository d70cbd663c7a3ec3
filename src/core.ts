// The raw exports of a wasmgrad core build (assembly/index.ts). Pointers are
// byte offsets into `memory`; booleans come back as 0/1.

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

export async function instantiateCore(source: BufferSource | WebAssembly.Module, hooks: CoreHooks): Promise<CoreExports> {
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        const where = memory ? `${readAsString(memory, file)}:${line}:${col}` : '';
        throw new Error(`wasmgrad core aborted: ${memory ? readAsString(memory, msg) : msg} ${where}`);
      },
      onArenaEvent: (kind: number, category: number, size: number, ptr: number) =>
        hooks.onArenaEvent(kind, category, size >>> 0, ptr >>> 0),
    },
  };
  const instance =
    source instanceof WebAssembly.Module
      ? await WebAssembly.instantiate(source, imports)
      : (await WebAssembly.instantiate(source, imports)).instance;
  const core = instance.exports as unknown as CoreExports;
  memory = core.memory;
  return core;
}
