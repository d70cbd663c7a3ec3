// The 2x16 register tile: 8 v128 accumulators, 4 B loads and 2 A broadcasts
// per k: the SIMD build's, and the relaxed builds' on V8 before 13 (the 6x8
// tile, gemm-6x8.ts, runs where V8 13+ keeps 12 in registers). More live
// accumulators than about ten make V8 11-12's register allocator spill
// (DESIGN.md §3; a 3x16 tile measured half the speed). Of the
// 8-accumulator tiles, 2x16 beat 4x8 by about 25% here: V8 folds the B loads'
// offsets into the instructions but not the broadcasts', so fewer broadcasts
// mean fewer instructions per multiply-add.
//
// One body, two instances: packed panels (constant strides, which V8 folds
// into the instructions: 15% faster on 256^3 than passing them) and operands
// read in place. op(A)(0, p) is at a + p * aK bytes and op(A)(1, p) aRow
// bytes after it; the 16 floats of op(B) row p start at b + p * bK bytes.

import { madd } from "./simd";
import { MR, NR, updateQuad } from "./gemm-tile";

/**
 * The tile over packed panels (MR floats of A and NR of B per k) into its
 * first `rows` rows at `out` (row 1 outRow bytes after row 0): a whole or
 * partial tile of C, stored or added to C (`accumulate`: the same sum, then
 * + C, as updateC with alpha 1 and beta 1), or `tile`: one function for
 * all, as in gemm-6x8.ts.
 */
export function kernel2x16PackedTo(kc: i32, a: usize, b: usize, out: usize, outRow: usize, accumulate: bool, rows: i32): void {
  tile2x16(kc, a, 4, MR << 2, b, NR << 2, out, outRow, accumulate, rows);
}

/**
 * The tile over operands in place, with their strides in bytes; sums written
 * to `out` (row 1 outRow bytes after row 0): C itself when nothing else is
 * to be added (alpha 1, beta 0, a whole tile), which for a short k saves a
 * pass as long as the products; else `tile`.
 */
export function kernel2x16Strided(kc: i32, a: usize, aRow: usize, aK: usize, b: usize, bK: usize, out: usize, outRow: usize): void {
  tile2x16(kc, a, aRow, aK, b, bK, out, outRow, false, MR);
}

/**
 * The in-place path's last columns when they are whole quads (N = 100 = 6 x
 * 16 + 4): two rows of op(A) times one 4-column quad of op(B), both in
 * place (strides as kernel2x16Strided; aRow 0 reads row 0 twice for a last
 * single row), into C as updateC does (alpha, beta; beta 0 does not read C),
 * `rows` rows. Each element is the same chain over k as in the 2x16 tile, so
 * C is bit-identical to the zero-padded packed panel this replaces, which cost
 * more than a whole 16-column panel (fc2's dX and dW ran faster at N = 112
 * than at N = 100).
 */
export function kernelQuadStrided(kc: i32, a: usize, aRow: usize, aK: usize, b: usize, bK: usize, c: usize, cRow: usize, rows: i32, alpha: f32, beta: f32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  const aEnd = a + <usize>kc * aK;
  while (a < aEnd) {
    const b0 = v128.load(b);
    c0 = madd(v128.load32_splat(a), b0, c0);
    c1 = madd(v128.load32_splat(a + aRow), b0, c1);
    a += aK;
    b += bK;
  }
  updateQuad(c, c0, alpha, beta);
  if (rows > 1) updateQuad(c + cRow, c1, alpha, beta);
}

@inline function tile2x16(kc: i32, a: usize, aRow: usize, aK: usize, b: usize, bK: usize, out: usize, outRow: usize, accumulate: bool, rows: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const aEnd = a + <usize>kc * aK;
  while (a < aEnd) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    const a0 = v128.load32_splat(a), a1 = v128.load32_splat(a + aRow);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01); c02 = madd(a0, b2, c02); c03 = madd(a0, b3, c03);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11); c12 = madd(a1, b2, c12); c13 = madd(a1, b3, c13);
    a += aK;
    b += bK;
  }
  storeRow(out, c00, c01, c02, c03, accumulate);
  if (rows > 1) storeRow(out + outRow, c10, c11, c12, c13, accumulate);
}

@inline function storeRow(out: usize, x0: v128, x1: v128, x2: v128, x3: v128, accumulate: bool): void {
  if (accumulate) {
    x0 = f32x4.add(x0, v128.load(out)); x1 = f32x4.add(x1, v128.load(out, 16));
    x2 = f32x4.add(x2, v128.load(out, 32)); x3 = f32x4.add(x3, v128.load(out, 48));
  }
  v128.store(out, x0); v128.store(out, x1, 16); v128.store(out, x2, 32); v128.store(out, x3, 48);
}
