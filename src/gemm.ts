// GEMM from TypeScript: checks every argument before the core is called, then
// either copies Float32Arrays through WASM memory or works in place on Tensors.

import type { CoreExports } from './core.js';
import { ArgumentError, ShapeError, checkFloat32, checkInt } from './errors.js';
import type { Runtime } from './runtime.js';
import { Tensor } from './tensor.js';

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

/** Elements a row-major rows x cols matrix with row stride ld occupies. */
function spanOf(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function checkMatrix(name: string, x: Matrix, rows: number, cols: number, ld: number, ldName: string, rt: Runtime, detail: string): void {
  if (!(x instanceof Float32Array) && !(x instanceof Tensor)) {
    throw new ArgumentError(`gemm: ${name} must be a Float32Array or a Tensor`);
  }
  if (x instanceof Tensor) {
    if (x.runtime !== rt) throw new ArgumentError(`gemm: ${name} lives in another runtime's memory`);
    // Its block may already belong to another allocation.
    if (x.isFreed) throw new ArgumentError(`gemm: ${name} is a freed tensor`);
  }
  if (ld < Math.max(1, cols)) {
    throw new ShapeError(`gemm: ${ldName} must be >= ${Math.max(1, cols)} (the stored row length of ${name}), got ${ld}`);
  }
  const need = spanOf(rows, cols, ld);
  const have = x instanceof Tensor ? x.size : x.length;
  if (have < need) {
    throw new ShapeError(`gemm: ${name} has ${have} elements, expected at least ${need} (${rows}x${cols} stored with ${ldName}=${ld}; ${detail})`);
  }
}

/**
 * C = alpha * op(A) * op(B) + beta * C with op(A) m x k and op(B) k x n, row-major.
 * Float32Array arguments are copied in (and C back out); Tensor arguments are used in place.
 * Non-finite values in A, B or C are computed IEEE-style, as BLAS does.
 */
export function gemm(rt: Runtime, m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, options: GemmOptions = {}): void {
  checkInt('m', m);
  checkInt('n', n);
  checkInt('k', k);
  const transA = options.transA ?? false, transB = options.transB ?? false;
  const alpha = options.alpha ?? 1, beta = options.beta ?? 0;
  // The core computes in float32: 1e39 would become infinity there.
  checkFloat32('alpha', alpha);
  checkFloat32('beta', beta);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = options.lda ?? Math.max(1, aCols), ldb = options.ldb ?? Math.max(1, bCols), ldc = options.ldc ?? Math.max(1, n);
  for (const [nm, v] of [['lda', lda], ['ldb', ldb], ['ldc', ldc]] as const) checkInt(nm, v);
  const dims = `m=${m}, n=${n}, k=${k}, transA=${transA}, transB=${transB}`;
  checkMatrix('a', a, aRows, aCols, lda, 'lda', rt, dims);
  checkMatrix('b', b, bRows, bCols, ldb, 'ldb', rt, dims);
  checkMatrix('c', c, m, n, ldc, 'ldc', rt, dims);
  if (m === 0 || n === 0) return;

  const staged: Tensor[] = [];
  const stage = (x: Matrix, len: number): number => {
    if (x instanceof Tensor) return x.ptr;
    const t = Tensor.empty(rt, [len], 'workspace', 'gemm operand copy');
    staged.push(t);
    t.data.set(len === x.length ? x : x.subarray(0, len));
    return t.ptr;
  };
  try {
    const pa = stage(a, spanOf(aRows, aCols, lda));
    const pb = stage(b, spanOf(bRows, bCols, ldb));
    const cLen = spanOf(m, n, ldc);
    const pc = stage(c, cLen);
    coreGemm(rt, +transA, +transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    if (!(c instanceof Tensor)) c.set(new Float32Array(rt.memory.buffer, pc, cLen));
  } finally {
    for (const t of staged) t.free();
  }
}

/** Returns A * B for row-major A (m x k) and B (k x n). */
export function matmul(rt: Runtime, a: Matrix, b: Matrix, m: number, k: number, n: number): Float32Array {
  checkInt('m', m);
  checkInt('k', k);
  checkInt('n', n);
  const c = new Float32Array(m * n);
  gemm(rt, m, n, k, a, b, c);
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
