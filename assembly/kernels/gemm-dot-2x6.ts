// The dot path's wide tile, which runs wherever the 6x8 packed tile does
// (relaxed builds on V8 13+, gemmUseWideTile): two rows of A against six
// rows of B, 12 v128 accumulators, so 12 multiply-add chains are in flight
// where the 2x4 tile has 8. B's rows are loaded one at a time, so 2 + 1
// registers besides the accumulators: 15, all V8 gives wasm. Node 24 and 26
// run the 784-100-10 forward (64x100x784) 1.11-1.16x faster than with 2x4
// (an Intel Xeon); V8 12 (Node 22) spills and runs it 0.64x. Each C value
// is the same chain over k and the same sum across lanes as in the 2x4
// tile: results are bit-identical.

import { MR, NR, tile, updateC } from "./gemm-tile";
import { madd } from "./simd";
import { ROWS_B, gemmDot, laneSums, rowsAt, storeColumns } from "./gemm-dot-2x4";

export const WIDE_ROWS_B: i32 = 6;

export function gemmDotWide(
  m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  const la = <usize>lda << 2, lb = <usize>ldb << 2;
  const direct = alpha == 1 && (beta == 0 || beta == 1);
  for (let j = 0; j < n; j += WIDE_ROWS_B) {
    const nr = min(WIDE_ROWS_B, n - j);
    const b0 = b + <usize>j * lb;
    if (nr <= ROWS_B) {
      // A last one to four rows of B: the 2x4 tile, whose 8 chains are all used (N = 10 = 6 + 4).
      gemmDot(m, nr, k, alpha, a, lda, b0, ldb, beta, c + (<usize>j << 2), ldc);
      break;
    }
    // Rows past n repeat the last one: computed, never stored.
    const last = <usize>(nr - 1);
    for (let i = 0; i < m; i += MR) {
      const mr = min(MR, m - i);
      const a0 = a + <usize>i * la;
      const cTile = c + ((<usize>i * <usize>ldc + <usize>j) << 2);
      if (direct && mr == MR) {
        kernelDot2x6(k, a0, a0 + la, b0, lb, last, cTile, <usize>ldc << 2, beta == 1, nr);
      } else {
        kernelDot2x6(k, a0, mr == MR ? a0 + la : a0, b0, lb, last, tile, NR << 2, false, WIDE_ROWS_B);
        updateC(cTile, ldc, mr, nr, alpha, beta);
      }
    }
  }
}

/** As kernelDot2x4 (gemm-dot-2x4.ts) with six rows of B, b + r * lb for r up to `last`, 1 to 6 columns stored. */
function kernelDot2x6(kc: i32, a0: usize, a1: usize, b: usize, lb: usize, last: usize, out: usize, outRow: usize, accumulate: bool, cols: i32): void {
  const b0 = b, b1 = b + min<usize>(1, last) * lb, b2 = b + min<usize>(2, last) * lb;
  const b3 = b + min<usize>(3, last) * lb, b4 = b + min<usize>(4, last) * lb, b5 = b + min<usize>(5, last) * lb;
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00;
  let c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00, c15 = c00;
  const k4 = kc & ~3;
  const end = <usize>k4 << 2;
  for (let off: usize = 0; off < end; off += 16) {
    const x0 = v128.load(a0 + off), x1 = v128.load(a1 + off);
    let y = v128.load(b0 + off);
    c00 = madd(x0, y, c00); c10 = madd(x1, y, c10);
    y = v128.load(b1 + off);
    c01 = madd(x0, y, c01); c11 = madd(x1, y, c11);
    y = v128.load(b2 + off);
    c02 = madd(x0, y, c02); c12 = madd(x1, y, c12);
    y = v128.load(b3 + off);
    c03 = madd(x0, y, c03); c13 = madd(x1, y, c13);
    y = v128.load(b4 + off);
    c04 = madd(x0, y, c04); c14 = madd(x1, y, c14);
    y = v128.load(b5 + off);
    c05 = madd(x0, y, c05); c15 = madd(x1, y, c15);
  }
  let s0 = laneSums(c00, c01, c02, c03), s1 = laneSums(c10, c11, c12, c13);
  let t0 = laneSums(c04, c05, c05, c05), t1 = laneSums(c14, c15, c15, c15);
  for (let p = k4; p < kc; p++) {
    const off = <usize>p << 2;
    const x0 = f32x4.splat(load<f32>(a0 + off)), x1 = f32x4.splat(load<f32>(a1 + off));
    const y = rowsAt(off, b0, b1, b2, b3), z = rowsAt(off, b4, b5, b5, b5);
    s0 = f32x4.add(s0, f32x4.mul(x0, y));
    s1 = f32x4.add(s1, f32x4.mul(x1, y));
    t0 = f32x4.add(t0, f32x4.mul(x0, z));
    t1 = f32x4.add(t1, f32x4.mul(x1, z));
  }
  storeColumns(out, s0, min(cols, 4), accumulate);
  storeColumns(out + outRow, s1, min(cols, 4), accumulate);
  if (cols > 4) {
    storeColumns(out + 16, t0, cols - 4, accumulate);
    storeColumns(out + outRow + 16, t1, cols - 4, accumulate);
  }
}
