// Batched strided GEMM: `count` products C_i = alpha * op(A_i) * op(B_i) + beta * C_i
// of one shape, in one call from JavaScript. Items form a 2-D batch of
// (count / inner) groups of `inner` items: item i = g * inner + j starts at
// base + g * outerStride + j * innerStride (elements) in each operand, so the
// (batch, heads) items of attention, whose heads sit side by side inside rows
// of a B x T x 3h tensor, need no copies. inner = count gives one plain stride.
// Threads split the items: each item is computed whole by one thread.

import { countMacs, gemm, gemmReserve, gemmScratchBytes, ownScratch, partsOf, pathOf, product, scratchOfThread, setScratchArgs } from "./gemm";
import { TASK_GEMM_BATCHED, arg, runParallel, setArg, sliceStart } from "../threads";

/**
 * Runs the `count` products (see above). Returns false only when the packing
 * workspace could not be allocated; it is reserved before the first product,
 * so C is then untouched.
 */
export function gemmBatched(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
  count: i32, inner: i32,
  aInner: i32, aOuter: i32, bInner: i32, bOuter: i32, cInner: i32, cOuter: i32,
): bool {
  if (count <= 0) return true;
  if (!gemmReserve(gemmScratchBytes(m, n, k))) return false;
  if (!ASC_FEATURE_SIMD || m <= 0 || n <= 0 || k <= 0 || alpha == 0) {
    // Edge shapes and the scalar build: one plain product per item.
    for (let i = 0; i < count; i++) {
      gemm(transA, transB, m, n, k, alpha, item(a, i, inner, aInner, aOuter), lda, item(b, i, inner, bInner, bOuter), ldb, beta, item(c, i, inner, cInner, cOuter), ldc);
    }
    return true;
  }
  const path = pathOf(transA, transB, m, n, k);
  const macs = <i64>count * <i64>m * <i64>n * <i64>k;
  const parts = partsOf(macs, count);
  if (parts > 1) {
    setArg<i32>(0, transA); setArg<i32>(1, transB); setArg<i32>(2, m); setArg<i32>(3, n); setArg<i32>(4, k);
    setArg<f32>(5, alpha); setArg<usize>(6, a); setArg<i32>(7, lda); setArg<usize>(8, b); setArg<i32>(9, ldb);
    setArg<f32>(10, beta); setArg<usize>(11, c); setArg<i32>(12, ldc); setArg<i32>(13, path); setScratchArgs();
    setArg<i32>(16, count); setArg<i32>(17, inner); setArg<i32>(18, aInner); setArg<i32>(19, aOuter);
    setArg<i32>(20, bInner); setArg<i32>(21, bOuter); setArg<i32>(22, cInner); setArg<i32>(23, cOuter);
    runParallel(TASK_GEMM_BATCHED, parts);
  } else {
    items(0, count, path, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, inner, aInner, aOuter, bInner, bOuter, cInner, cOuter, ownScratch());
  }
  countMacs(<u64>macs);
  return true;
}

/** Slice `part` of the items in the task slots, on thread `thread`. */
export function gemmBatchedSlice(part: i32, parts: i32, thread: i32): void {
  const count = arg<i32>(16);
  const i0 = sliceStart(count, part, parts, 1), i1 = sliceStart(count, part + 1, parts, 1);
  items(
    i0, i1, arg<i32>(13), arg<i32>(0), arg<i32>(1), arg<i32>(2), arg<i32>(3), arg<i32>(4), arg<f32>(5),
    arg<usize>(6), arg<i32>(7), arg<usize>(8), arg<i32>(9), arg<f32>(10), arg<usize>(11), arg<i32>(12),
    arg<i32>(17), arg<i32>(18), arg<i32>(19), arg<i32>(20), arg<i32>(21), arg<i32>(22), arg<i32>(23), scratchOfThread(thread),
  );
}

function items(
  i0: i32, i1: i32, path: i32, transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
  inner: i32, aInner: i32, aOuter: i32, bInner: i32, bOuter: i32, cInner: i32, cOuter: i32, work: usize,
): void {
  for (let i = i0; i < i1; i++) {
    product(
      path, transA, transB, m, n, k, alpha, item(a, i, inner, aInner, aOuter), lda,
      item(b, i, inner, bInner, bOuter), ldb, beta, item(c, i, inner, cInner, cOuter), ldc, work,
    );
  }
}

/** Address of item i of an operand (see the top of this file). */
@inline function item(base: usize, i: i32, inner: i32, innerStride: i32, outerStride: i32): usize {
  const g = <usize>(i / inner), j = <usize>(i % inner);
  return base + ((g * <usize>outerStride + j * <usize>innerStride) << 2);
}
