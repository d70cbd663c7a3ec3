// The 6x8 register tile of the relaxed builds: 12 v128 accumulators, 2 B
// loads and 6 A broadcasts per k, over packed panels only. The 2x16 tile
// keeps 8 multiply-add chains in flight, short of the 10-12 that reach the
// relaxed peak (bench gemm's probe); 12 do. V8 13 and later (Node 24, 26)
// keep all 12 in registers: 256^3 52.6-54 GFLOP/s against 48.5 with 2x16 on
// an Intel Xeon. V8 11-12 (Node 20 with the flag, 22) schedule the six
// broadcasts ahead of the multiply-adds and spill four accumulators every
// k: 33-37. So the runtime turns it on by engine (gemmUseWideTile). Each
// element of C is the same chain over k as in the 2x16 tile: results are
// bit-identical whichever tile runs.

import { madd } from "./simd";
import { WIDE_MR, WIDE_NR } from "./gemm-tile";

/**
 * The tile over packed panels into its first `rows` rows at `out` (rows
 * outRow bytes apart): a whole or partial tile of C, stored or added to C
 * (`accumulate`), or `tile` (rows WIDE_NR floats apart). One function for
 * all three: with a second entry point for `tile`, the packing loop held an
 * inlined copy of the whole body for C's edge tiles.
 */
export function kernel6x8PackedTo(kc: i32, a: usize, b: usize, out: usize, outRow: usize, accumulate: bool, rows: i32): void {
  tile6x8(kc, a, b, out, outRow, accumulate, rows);
}

@inline function tile6x8(kc: i32, a: usize, b: usize, out: usize, outRow: usize, accumulate: bool, rows: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const aEnd = a + <usize>kc * (WIDE_MR << 2);
  while (a < aEnd) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    x = v128.load32_splat(a, 16);
    c40 = madd(x, b0, c40); c41 = madd(x, b1, c41);
    x = v128.load32_splat(a, 20);
    c50 = madd(x, b0, c50); c51 = madd(x, b1, c51);
    a += WIDE_MR << 2;
    b += WIDE_NR << 2;
  }
  storeRow(out, c00, c01, accumulate);
  if (rows > 1) storeRow(out + outRow, c10, c11, accumulate);
  if (rows > 2) storeRow(out + 2 * outRow, c20, c21, accumulate);
  if (rows > 3) storeRow(out + 3 * outRow, c30, c31, accumulate);
  if (rows > 4) storeRow(out + 4 * outRow, c40, c41, accumulate);
  if (rows > 5) storeRow(out + 5 * outRow, c50, c51, accumulate);
}

@inline function storeRow(out: usize, x0: v128, x1: v128, accumulate: bool): void {
  if (accumulate) {
    x0 = f32x4.add(x0, v128.load(out));
    x1 = f32x4.add(x1, v128.load(out, 16));
  }
  v128.store(out, x0);
  v128.store(out, x1, 16);
}
