// GEMM from TypeScript: checks every argument before the core is called, then
// either copies Float32Arrays through WASM memory or works in place on Tensors.

import { byteCount } from './arena.js';
import type { CoreExports } from './core.js';
import { ArgumentError, OutOfMemoryError, ShapeError, checkBoolean, checkFloat32, checkInt, checkOptions, describeValue, firstLine, orDefault } from './errors.js';
import { checkRuntime, type Runtime } from './runtime.js';
import { Tensor, checkLiveView } from './tensor.js';

export type Matrix = Float32Array | Tensor;

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** Leading dimensions (row strides in elements); default: the stored row length. */
  lda?: number;
  ldb?: number;
  ldc?: number;
}

const GEMM_OPTIONS: readonly (keyof GemmOptions)[] = ['transA', 'transB', 'alpha', 'beta', 'lda', 'ldb', 'ldc'];
/** The core takes sizes and leading dimensions as i32. */
const MAX_I32 = 2 ** 31 - 1;

/** A checked product: sizes, options resolved to their values, and the elements each operand spans. */
interface GemmCall {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean; alpha: number; beta: number;
  lda: number; ldb: number; ldc: number;
  spans: readonly [number, number, number];
}

/** Elements a row-major rows x cols matrix with row stride ld occupies. */
function spanOf(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/** Checks one operand and returns the elements it spans. */
function checkMatrix(where: string, name: string, x: unknown, rows: number, cols: number, ld: number, ldName: string, rt: Runtime, detail: () => string): number {
  if (x instanceof Tensor) {
    if (x.runtime !== rt) throw new ArgumentError(`${where}: ${name} lives in another runtime's memory`);
    // Its block may already belong to another allocation.
    if (x.isFreed) throw new ArgumentError(`${where}: ${name} is a freed tensor`);
  } else if (x instanceof Float32Array) {
    checkLiveView(where, name, x);
  } else {
    throw new ArgumentError(`${where}: ${name} must be a Float32Array or a Tensor, got ${describeValue(x)}`);
  }
  if (ld < Math.max(1, cols)) {
    throw new ShapeError(`${where}: ${ldName} must be >= ${Math.max(1, cols)} (the stored row length of ${name}), got ${ld}`);
  }
  const need = spanOf(rows, cols, ld);
  const have = x instanceof Tensor ? x.size : x.length;
  if (have < need) {
    throw new ShapeError(`${where}: ${name} has ${have} elements, expected at least ${need} (${rows}x${cols} stored with ${ldName}=${ld}; ${detail()})`);
  }
  return need;
}

/** Whether an operand is copied through WASM memory: a Float32Array that is not already a view of it. */
function isCopied(rt: Runtime, x: Matrix): boolean {
  return x instanceof Float32Array && x.buffer !== rt.memory.buffer;
}

/** Stands for C in matmul's checks: the result it allocates once they pass. */
const NEW_RESULT = Symbol('matmul result');

/**
 * Checks every argument of a product (c NEW_RESULT: matmul's result, not yet
 * allocated) and that the copies and packing workspace it needs fit in wasm32
 * memory, all before anything is allocated or copied.
 */
function checkCall(rt: Runtime, where: string, m: number, n: number, k: number, a: unknown, b: unknown, c: unknown, options: unknown): GemmCall {
  checkRuntime(rt, where);
  checkInt(`${where}: m`, m, 0, MAX_I32);
  checkInt(`${where}: n`, n, 0, MAX_I32);
  checkInt(`${where}: k`, k, 0, MAX_I32);
  const o = checkOptions(where, options, GEMM_OPTIONS);
  const transA = orDefault(o.transA, false), transB = orDefault(o.transB, false);
  checkBoolean(`${where}: transA`, transA);
  checkBoolean(`${where}: transB`, transB);
  const alpha = orDefault(o.alpha, 1), beta = orDefault(o.beta, 0);
  // The core computes in float32: 1e39 would become infinity there.
  checkFloat32(`${where}: alpha`, alpha);
  checkFloat32(`${where}: beta`, beta);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = orDefault(o.lda, Math.max(1, aCols)), ldb = orDefault(o.ldb, Math.max(1, bCols)), ldc = orDefault(o.ldc, Math.max(1, n));
  checkInt(`${where}: lda`, lda, 0, MAX_I32);
  checkInt(`${where}: ldb`, ldb, 0, MAX_I32);
  checkInt(`${where}: ldc`, ldc, 0, MAX_I32);
  // Only an error message spells the call out: small products are called often.
  const dims = () => `m=${m}, n=${n}, k=${k}, transA=${transA}, transB=${transB}`;
  const spans = [
    checkMatrix(where, 'a', a, aRows, aCols, lda, 'lda', rt, dims),
    checkMatrix(where, 'b', b, bRows, bCols, ldb, 'ldb', rt, dims),
    c === NEW_RESULT ? spanOf(m, n, ldc) : checkMatrix(where, 'c', c, m, n, ldc, 'ldc', rt, dims),
  ] as const;
  if (m > 0 && n > 0) {
    const copies: [string, bigint][] = [];
    if (isCopied(rt, a as Matrix)) copies.push(['a', 4n * BigInt(spans[0])]);
    if (isCopied(rt, b as Matrix)) copies.push(['b', 4n * BigInt(spans[1])]);
    if (c === NEW_RESULT) copies.push(['result', 4n * BigInt(m) * BigInt(n)]);
    else if (isCopied(rt, c as Matrix)) copies.push(['c', 4n * BigInt(spans[2])]);
    const parts = copies.length > 0 ? [`copies of ${copies.map(([name, bytes]) => `${name} ${byteCount(bytes)}`).join(', ')}`] : [];
    const scratch = Math.max(0, rt.core.gemmScratchBytes(m, n, k) - rt.core.gemmScratchReserved());
    if (copies.length > 0 || scratch > 0) {
      if (scratch > 0) parts.push(`packing workspace ${byteCount(scratch)}`);
      const bytes = copies.reduce((sum, [, b]) => sum + b, BigInt(scratch));
      rt.arena.checkRoom(bytes, where, parts.join(', '));
    }
  }
  return { m, n, k, transA, transB, alpha, beta, lda, ldb, ldc, spans };
}

/** Runs a checked product: operands in WASM memory in place, Float32Arrays copied in (and C back out). */
function run(rt: Runtime, call: GemmCall, a: Matrix, b: Matrix, c: Matrix): void {
  const { m, n, k, lda, ldb, ldc, spans } = call;
  if (m === 0 || n === 0) return;
  const operands = [a, b, c] as const;
  // Which operands are copied, and the pointers of the others, are settled
  // before any copy is allocated: growing memory detaches a view of it.
  const copied = operands.map((x) => isCopied(rt, x));
  const pointers = operands.map((x) => (x instanceof Tensor ? x.ptr : x.byteOffset));
  if (!copied.includes(true)) {
    coreGemm(rt, +call.transA, +call.transB, m, n, k, call.alpha, pointers[0]!, lda, pointers[1]!, ldb, call.beta, pointers[2]!, ldc);
    return;
  }
  const staged: Tensor[] = [];
  try {
    operands.forEach((x, i) => {
      if (!copied[i]) return;
      const t = Tensor.empty(rt, [spans[i]], 'workspace', 'gemm operand copy');
      staged.push(t);
      const source = x as Float32Array;
      // With beta 0 the core writes every value of a C whose rows are contiguous, and reads none.
      const overwritten = i === 2 && call.beta === 0 && ldc === n;
      if (!overwritten) t.data.set(spans[i] === source.length ? source : source.subarray(0, spans[i]));
      pointers[i] = t.ptr;
    });
    const [pa, pb, pc] = pointers as [number, number, number];
    coreGemm(rt, +call.transA, +call.transB, m, n, k, call.alpha, pa, lda, pb, ldb, call.beta, pc, ldc);
    if (copied[2]) (c as Float32Array).set(new Float32Array(rt.memory.buffer, pc, spans[2]));
  } finally {
    for (const t of staged) t.free();
  }
}

/**
 * C = alpha * op(A) * op(B) + beta * C with op(A) m x k and op(B) k x n, row-major.
 * Float32Array arguments are copied in (and C back out); Tensor arguments and
 * Float32Array views of WASM memory are used in place.
 * Non-finite values in A, B or C are computed IEEE-style, as BLAS does.
 */
export function gemm(rt: Runtime, m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, options: GemmOptions = {}): void {
  run(rt, checkCall(rt, 'gemm', m, n, k, a, b, c, options), a, b, c);
}

/** Returns A * B for row-major A (m x k) and B (k x n). */
export function matmul(rt: Runtime, a: Matrix, b: Matrix, m: number, k: number, n: number): Float32Array {
  const call = checkCall(rt, 'matmul', m, n, k, a, b, NEW_RESULT, undefined);
  let c: Float32Array;
  try {
    c = new Float32Array(m * n);
  } catch (e) {
    throw new OutOfMemoryError(`matmul: cannot allocate the ${m}x${n} result's ${m * n * 4} bytes in JavaScript (${firstLine(e)})`);
  }
  run(rt, call, a, b, c);
  return c;
}

/**
 * One core GEMM on pointers (arguments as CoreExports.gemm), for callers that
 * have checked them. Its one failure, no memory for the packing workspace,
 * throws OutOfMemoryError instead of leaving C untouched.
 */
export function coreGemm(rt: Runtime, ...args: Parameters<CoreExports['gemm']>): void {
  if (!rt.core.gemm(...args)) {
    const [, , m, n, k] = args;
    throw rt.arena.cannotGrow(rt.core.gemmScratchBytes(m, n, k), 'workspace', 'GEMM packing workspace');
  }
}

/** Grows the packing workspace (kept by the runtime) to `bytes` up front, so no product of a step allocates it. */
export function reserveGemmWorkspace(rt: Runtime, bytes: number): void {
  if (!rt.core.gemmReserve(bytes)) throw rt.arena.cannotGrow(bytes, 'workspace', 'GEMM packing workspace');
}
