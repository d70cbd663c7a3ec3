// The register tile every SIMD GEMM kernel leaves its sums in, and the C
// update from it: C tile = alpha * tile + beta * C. Keeping the C update out
// of the kernels keeps them small enough for V8 to hold all their
// accumulators in registers without spills.

import { madd } from "./simd";

export const MR: i32 = 2; // rows of the register tile
export const NR: i32 = 16; // columns of the register tile (four v128)
// The relaxed builds' wide tile on engines that keep its 12 accumulators in
// registers (gemm-6x8.ts): packed panels of WIDE_MR rows and WIDE_NR columns.
export const WIDE_MR: i32 = 6;
export const WIDE_NR: i32 = 8;

// One spill area per thread (64 = MAX_THREADS in threads.ts): threads share
// the memory. Each holds either tile (2x16 or 6x8 floats, at most 192 bytes)
// and starts on a 256-byte boundary, so no two threads' areas share a line
// (or an adjacent-line prefetch pair). At 16-byte alignment two threads'
// tiles shared a line, and every tile either wrote bounced it between the
// cores: a 784-100-10 weight gradient ran 1.5x on two threads instead of about 1.9x.
const TILE_STRIDE: usize = 256;
const tiles = memory.data(<i32>TILE_STRIDE * 64, 256);

/** This thread's spill area for one tile (2x16 or 6x8 floats, row-major). */
export let tile: usize = tiles;

/** Points `tile` at thread `index`'s own spill area (each instance is one thread). */
export function useTileOf(index: i32): void {
  tile = tiles + <usize>index * TILE_STRIDE;
}

/**
 * C tile (mr x nr of a tile `tileCols` floats wide, MR x NR unless given) =
 * alpha * tile + beta * C; beta = 0 does not read C.
 */
export function updateC(c: usize, ldc: i32, mr: i32, nr: i32, alpha: f32, beta: f32, tileCols: i32 = NR): void {
  const ld = <usize>ldc << 2;
  if (mr == MR && nr == NR && tileCols == NR) {
    for (let i = 0; i < MR; i++) {
      const row = c + <usize>i * ld, t = tile + (<usize>(i * NR) << 2);
      updateQuad(row, v128.load(t), alpha, beta);
      updateQuad(row + 16, v128.load(t, 16), alpha, beta);
      updateQuad(row + 32, v128.load(t, 32), alpha, beta);
      updateQuad(row + 48, v128.load(t, 48), alpha, beta);
    }
    return;
  }
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ld, t = tile + (<usize>(i * tileCols) << 2);
    let j = 0;
    for (; j + 4 <= nr; j += 4) updateQuad(row + (<usize>j << 2), v128.load(t + (<usize>j << 2)), alpha, beta);
    for (; j < nr; j++) {
      const cp = row + (<usize>j << 2);
      const acc = alpha * load<f32>(t + (<usize>j << 2));
      store<f32>(cp, beta == 0 ? acc : acc + beta * load<f32>(cp));
    }
  }
}

/** C[0:4] = alpha * acc + beta * C[0:4], with beta = 0 not reading C. */
@inline export function updateQuad(c: usize, acc: v128, alpha: f32, beta: f32): void {
  if (alpha != 1) acc = f32x4.mul(acc, f32x4.splat(alpha));
  if (beta == 1) acc = f32x4.add(acc, v128.load(c));
  else if (beta != 0) acc = madd(f32x4.splat(beta), v128.load(c), acc);
  v128.store(c, acc);
}
