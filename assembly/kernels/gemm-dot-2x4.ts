// C = alpha * A B^T + beta * C with A (m x k) and B (n x k) read in place:
// each C value is the dot product of two contiguous rows, so neither operand
// needs packing. This is the Linear forward (x W^T), where packing W through
// its transpose cost more than the products of a small batch. A 2x4 tile of
// rows: 8 v128 accumulators over four k each, 6 loads per 8 multiply-adds
// (as the 2x16 tile), summed across lanes once at the end.
// Used while A fits in L2, since it is read once per four rows of B. Where
// the 6x8 packed tile runs (V8 13+), the 2x6 dot tile does (gemm-dot-2x6.ts).

import { MR, NR, tile, updateC } from "./gemm-tile";
import { madd } from "./simd";

export const ROWS_B: i32 = 4;

export function gemmDot(
  m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  const la = <usize>lda << 2, lb = <usize>ldb << 2;
  for (let j = 0; j < n; j += ROWS_B) {
    const nr = min(ROWS_B, n - j);
    // Rows past n repeat the last one: computed, never stored.
    const b0 = b + <usize>j * lb;
    const b1 = b0 + <usize>min(1, nr - 1) * lb, b2 = b0 + <usize>min(2, nr - 1) * lb, b3 = b0 + <usize>min(3, nr - 1) * lb;
    // With alpha 1 and beta 0 or 1 (every Linear forward) a tile of two rows is
    // stored straight to C, its nr columns only: no round trip through `tile`
    // and no updateC call (N = 10 ends in a tile of two columns).
    const direct = alpha == 1 && (beta == 0 || beta == 1);
    for (let i = 0; i < m; i += MR) {
      const mr = min(MR, m - i);
      const a0 = a + <usize>i * la;
      const cTile = c + ((<usize>i * <usize>ldc + <usize>j) << 2);
      if (direct && mr == MR) {
        kernelDot2x4(k, a0, a0 + la, b0, b1, b2, b3, cTile, <usize>ldc << 2, beta == 1, nr);
      } else {
        kernelDot2x4(k, a0, mr == MR ? a0 + la : a0, b0, b1, b2, b3, tile, NR << 2, false, ROWS_B);
        updateC(cTile, ldc, mr, nr, alpha, beta);
      }
    }
  }
}

/**
 * Dot products of rows a0, a1 with rows b0..b3 over kc floats, the first
 * `cols` (1 to 4) of each row of the result stored at `out` and `out + outRow`
 * bytes, or added to what is there (`accumulate`: the same sum, then + C, as
 * updateC with beta 1).
 */
function kernelDot2x4(kc: i32, a0: usize, a1: usize, b0: usize, b1: usize, b2: usize, b3: usize, out: usize, outRow: usize, accumulate: bool, cols: i32): void {
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
  let s0 = laneSums(c00, c01, c02, c03), s1 = laneSums(c10, c11, c12, c13);
  for (let p = k4; p < kc; p++) {
    const off = <usize>p << 2;
    const x0 = f32x4.splat(load<f32>(a0 + off)), x1 = f32x4.splat(load<f32>(a1 + off));
    // The four rows' values at p in one vector: the same products and sums, lane by lane, as one at a time.
    const y = rowsAt(off, b0, b1, b2, b3);
    s0 = f32x4.add(s0, f32x4.mul(x0, y));
    s1 = f32x4.add(s1, f32x4.mul(x1, y));
  }
  storeColumns(out, s0, cols, accumulate);
  storeColumns(out + outRow, s1, cols, accumulate);
}

/** The floats `off` bytes into rows b0..b3, one per lane. */
@inline export function rowsAt(off: usize, b0: usize, b1: usize, b2: usize, b3: usize): v128 {
  let y = f32x4.splat(load<f32>(b0 + off));
  y = f32x4.replace_lane(y, 1, load<f32>(b1 + off));
  y = f32x4.replace_lane(y, 2, load<f32>(b2 + off));
  return f32x4.replace_lane(y, 3, load<f32>(b3 + off));
}

/** The first `cols` lanes of s at `out`, each added to the float there first when `accumulate`. */
@inline export function storeColumns(out: usize, s: v128, cols: i32, accumulate: bool): void {
  if (cols == 4) {
    if (accumulate) s = f32x4.add(s, v128.load(out));
    v128.store(out, s);
    return;
  }
  if (cols >= 2) {
    // Lane 2 from the sum itself: s + 0 would turn a -0 into +0.
    const third = f32x4.extract_lane(s, 2);
    if (cols == 3) store<f32>(out, accumulate ? third + load<f32>(out, 8) : third, 8);
    if (accumulate) s = f32x4.add(s, v128.load64_zero(out));
    v128.store64_lane(out, s, 0);
    return;
  }
  store<f32>(out, accumulate ? f32x4.extract_lane(s, 0) + load<f32>(out) : f32x4.extract_lane(s, 0));
}

/** Lane j is the sum of cj's four lanes. */
@inline export function laneSums(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  const t0 = f32x4.add(v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), v128.shuffle<f32>(c0, c1, 2, 6, 3, 7));
  const t1 = f32x4.add(v128.shuffle<f32>(c2, c3, 0, 4, 1, 5), v128.shuffle<f32>(c2, c3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
}
