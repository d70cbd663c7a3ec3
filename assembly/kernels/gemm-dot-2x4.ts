// C = alpha * A B^T + beta * C with A (m x k) and B (n x k) read in place:
// each C value is the dot product of two contiguous rows, so neither operand
// needs packing. This is the Linear forward (x W^T), where packing W through
// its transpose cost more than the products of a small batch. A 2x4 tile of
// rows: 8 v128 accumulators over four k each, 6 loads per 8 multiply-adds
// (as the 2x16 tile), summed across lanes once at the end.
// Used while A fits in L2, since it is read once per four rows of B.

import { MR, NR, tile, updateC } from "./gemm-tile";
import { madd } from "./simd";

const ROWS_B: i32 = 4;

export function gemmDot(
  m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  const la = <usize>lda << 2, lb = <usize>ldb << 2;
  for (let j = 0; j < n; j += ROWS_B) {
    const nr = min(ROWS_B, n - j);
    // Rows past n repeat the last one: computed, never stored.
    const b0 = b + <usize>j * lb;
    const b1 = b0 + <usize>min(1, nr - 1) * lb, b2 = b0 + <usize>min(2, nr - 1) * lb, b3 = b0 + <usize>min(3, nr - 1) * lb;
    for (let i = 0; i < m; i += MR) {
      const mr = min(MR, m - i);
      const a0 = a + <usize>i * la;
      kernelDot2x4(k, a0, mr == MR ? a0 + la : a0, b0, b1, b2, b3);
      updateC(c + ((<usize>i * <usize>ldc + <usize>j) << 2), ldc, mr, nr, alpha, beta);
    }
  }
}

/** Dot products of rows a0, a1 with rows b0..b3 over kc floats: tile row 0 and row 1, four floats each. */
function kernelDot2x4(kc: i32, a0: usize, a1: usize, b0: usize, b1: usize, b2: usize, b3: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const k4 = kc & ~3;
  const end = <usize>k4 << 2;
  for (let off: usize = 0; off < end; off += 16) {
    const x0 = v128.load(a0 + off), x1 = v128.load(a1 + off);
    const y0 = v128.load(b0 + off), y1 = v128.load(b1 + off), y2 = v128.load(b2 + off), y3 = v128.load(b3 + off);
    c00 = madd(x0, y0, c00); c01 = madd(x0, y1, c01); c02 = madd(x0, y2, c02); c03 = madd(x0, y3, c03);
    c10 = madd(x1, y0, c10); c11 = madd(x1, y1, c11); c12 = madd(x1, y2, c12); c13 = madd(x1, y3, c13);
  }
  const row1 = tile + (<usize>NR << 2);
  v128.store(tile, laneSums(c00, c01, c02, c03));
  v128.store(row1, laneSums(c10, c11, c12, c13));
  for (let p = k4; p < kc; p++) {
    const off = <usize>p << 2;
    const x0 = load<f32>(a0 + off), x1 = load<f32>(a1 + off);
    const y0 = load<f32>(b0 + off), y1 = load<f32>(b1 + off), y2 = load<f32>(b2 + off), y3 = load<f32>(b3 + off);
    store<f32>(tile, load<f32>(tile) + x0 * y0); store<f32>(tile, load<f32>(tile, 4) + x0 * y1, 4);
    store<f32>(tile, load<f32>(tile, 8) + x0 * y2, 8); store<f32>(tile, load<f32>(tile, 12) + x0 * y3, 12);
    store<f32>(row1, load<f32>(row1) + x1 * y0); store<f32>(row1, load<f32>(row1, 4) + x1 * y1, 4);
    store<f32>(row1, load<f32>(row1, 8) + x1 * y2, 8); store<f32>(row1, load<f32>(row1, 12) + x1 * y3, 12);
  }
}

/** Lane j is the sum of cj's four lanes. */
@inline function laneSums(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  const t0 = f32x4.add(v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), v128.shuffle<f32>(c0, c1, 2, 6, 3, 7));
  const t1 = f32x4.add(v128.shuffle<f32>(c2, c3, 0, 4, 1, 5), v128.shuffle<f32>(c2, c3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
}
