// Batched strided GEMM: `count` products C_i = alpha * op(A_i) * op(B_i) + beta * C_i
// of one shape, in one call from JavaScript. Items form a 2-D batch of
// (count / inner) groups of `inner` items: item i = g * inner + j starts at
// base + g * outerStride + j * innerStride (elements) in each operand, so the
// (batch, heads) items of attention, whose heads sit side by side inside rows
// of a B x T x 3h tensor, need no copies. inner = count gives one plain stride.

import { gemm, gemmReserve, gemmScratchBytes } from "./gemm";

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
  for (let i = 0; i < count; i++) {
    const g = <usize>(i / inner), j = <usize>(i % inner);
    const pa = a + ((g * <usize>aOuter + j * <usize>aInner) << 2);
    const pb = b + ((g * <usize>bOuter + j * <usize>bInner) << 2);
    const pc = c + ((g * <usize>cOuter + j * <usize>cInner) << 2);
    gemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
  }
  return true;
}
