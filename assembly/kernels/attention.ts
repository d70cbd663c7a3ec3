// Memory-saving causal attention (the idea of FlashAttention, Dao et al. 2022),
// forward and backward side by side. One call runs every (batch, head) item.
//
// Layout (as nanoGPT's c_attn output): qkv is B x T x 3h, each row q | k | v,
// each of h = heads * headDim floats, head n at columns n*headDim of each part;
// y is B x T x h with the heads side by side (what c_proj reads).
//
//   forward   over query blocks, then key blocks j <= i (blocks above the
//             diagonal are skipped: all masked): S = Q_i K_j^T / sqrt(headDim),
//             online softmax (running row max m and sum l, earlier output rows
//             rescaled by exp(m_old - m_new)), Y_i += P V_j; at the end
//             Y_i /= l and lse_i = m + log(l)
//   backward  D_i = rowsum(dY_i * Y_i); over key blocks, then query blocks
//             i >= j: P = exp(S - lse_i) recomputed, dV_j += P^T dY_i,
//             dP = dY_i V_j^T, dS = P (dP - D_i), dQ_i += dS K_j / sqrt(headDim),
//             dK_j += dS^T Q_i / sqrt(headDim)
//   saves     lse (B * heads * T floats); backward also reads qkv and y
//   workspace forward: block^2 + 2 block floats; backward: 2 block^2 + T floats
//             (block = min(block size, T))
// Query and key blocks share one size, so every row of a block that is
// computed has at least one unmasked key.

import { gemm, gemmReserve, gemmScratchBytes } from "./gemm";
import { expScalar, expShiftRow, rowDot, rowMax, scaleRow, softmaxGradRow } from "./softmax";

/** Reserves the packing workspace of the largest block products: (bs x bs x hd) and (bs x hd x bs). */
function reserveBlocks(bs: i32, headDim: i32): bool {
  return gemmReserve(max(gemmScratchBytes(bs, bs, headDim), gemmScratchBytes(bs, headDim, bs)));
}

/** Row r's unmasked keys in the block of keys starting at j0 (cols wide), for query i. */
@inline function unmasked(i: i32, j0: i32, cols: i32): i32 {
  return min(cols, i - j0 + 1);
}

/**
 * Y and lse from qkv (layout above). work holds block^2 + 2 block floats.
 * Returns false only when the packing workspace could not be allocated
 * (reserved before anything is written).
 */
export function flashAttentionForward(
  qkv: usize, y: usize, lse: usize, work: usize, batch: i32, seq: i32, heads: i32, headDim: i32, block: i32,
): bool {
  const bs = min(block, seq);
  if (!reserveBlocks(bs, headDim)) return false;
  const ldy = heads * headDim, ld3 = 3 * ldy, h = <usize>ldy;
  const scale = <f32>(1 / Math.sqrt(<f64>headDim));
  const s = work, mRow = s + (<usize>bs * <usize>bs << 2), lRow = mRow + (<usize>bs << 2);
  const qRow = <usize>ld3 << 2, yRow = h << 2;
  for (let item = 0; item < batch * heads; item++) {
    const b = <usize>(item / heads), n = <usize>(item % heads);
    const q = qkv + ((b * <usize>seq * <usize>ld3 + n * <usize>headDim) << 2), k = q + (h << 2), v = k + (h << 2);
    const yb = y + ((b * <usize>seq * h + n * <usize>headDim) << 2);
    const lb = lse + (<usize>item * <usize>seq << 2);
    for (let i0 = 0; i0 < seq; i0 += bs) {
      const rows = min(bs, seq - i0);
      const qi = q + <usize>i0 * qRow, yi = yb + <usize>i0 * yRow;
      for (let j0 = 0; j0 <= i0; j0 += bs) {
        const cols = min(bs, seq - j0), first = j0 == 0;
        gemm(0, 1, rows, cols, headDim, scale, qi, ld3, k + <usize>j0 * qRow, ld3, 0, s, bs);
        for (let r = 0; r < rows; r++) {
          const row = s + (<usize>(r * bs) << 2), valid = unmasked(i0 + r, j0, cols);
          const mp = mRow + (<usize>r << 2), lp = lRow + (<usize>r << 2);
          const mOld = load<f32>(mp);
          const mx = first ? rowMax(row, valid) : max(mOld, rowMax(row, valid));
          const sum = expShiftRow(row, valid, mx);
          memory.fill(row + (<usize>valid << 2), 0, <usize>(cols - valid) << 2);
          if (first) {
            store<f32>(lp, sum);
          } else {
            const corr = expScalar(mOld - mx);
            store<f32>(lp, load<f32>(lp) * corr + sum);
            scaleRow(yi + <usize>r * yRow, headDim, corr);
          }
          store<f32>(mp, mx);
        }
        gemm(0, 0, rows, headDim, cols, 1, s, bs, v + <usize>j0 * qRow, ld3, first ? 0 : 1, yi, ldy);
      }
      for (let r = 0; r < rows; r++) {
        const l = load<f32>(lRow + (<usize>r << 2));
        scaleRow(yi + <usize>r * yRow, headDim, 1 / l);
        store<f32>(lb + (<usize>(i0 + r) << 2), load<f32>(mRow + (<usize>r << 2)) + <f32>Math.log(<f64>l));
      }
    }
  }
  return true;
}

/**
 * dqkv (every element written) from dy, qkv, y and the forward's lse. work
 * holds 2 block^2 + T floats. Returns false only when the packing workspace
 * could not be allocated (reserved before anything is written).
 */
export function flashAttentionBackward(
  qkv: usize, y: usize, lse: usize, dy: usize, dqkv: usize, work: usize,
  batch: i32, seq: i32, heads: i32, headDim: i32, block: i32,
): bool {
  const bs = min(block, seq);
  if (!reserveBlocks(bs, headDim)) return false;
  const ldy = heads * headDim, ld3 = 3 * ldy, h = <usize>ldy;
  const scale = <f32>(1 / Math.sqrt(<f64>headDim));
  const p = work, dp = p + (<usize>bs * <usize>bs << 2), dRow = dp + (<usize>bs * <usize>bs << 2);
  const qRow = <usize>ld3 << 2, yRow = h << 2;
  for (let item = 0; item < batch * heads; item++) {
    const b = <usize>(item / heads), n = <usize>(item % heads);
    const qOff = (b * <usize>seq * <usize>ld3 + n * <usize>headDim) << 2, yOff = (b * <usize>seq * h + n * <usize>headDim) << 2;
    const q = qkv + qOff, k = q + (h << 2), v = k + (h << 2);
    const dq = dqkv + qOff, dk = dq + (h << 2), dv = dk + (h << 2);
    const yb = y + yOff, dyb = dy + yOff;
    const lb = lse + (<usize>item * <usize>seq << 2);
    for (let i = 0; i < seq; i++) {
      store<f32>(dRow + (<usize>i << 2), rowDot(dyb + <usize>i * yRow, yb + <usize>i * yRow, headDim));
    }
    for (let j0 = 0; j0 < seq; j0 += bs) {
      const cols = min(bs, seq - j0);
      const kj = k + <usize>j0 * qRow, vj = v + <usize>j0 * qRow;
      for (let i0 = j0; i0 < seq; i0 += bs) {
        const rows = min(bs, seq - i0), diagonal = i0 == j0;
        const qi = q + <usize>i0 * qRow, dyi = dyb + <usize>i0 * yRow;
        gemm(0, 1, rows, cols, headDim, scale, qi, ld3, kj, ld3, 0, p, bs);
        for (let r = 0; r < rows; r++) {
          const row = p + (<usize>(r * bs) << 2), valid = unmasked(i0 + r, j0, cols);
          expShiftRow(row, valid, load<f32>(lb + (<usize>(i0 + r) << 2)));
          memory.fill(row + (<usize>valid << 2), 0, <usize>(cols - valid) << 2);
        }
        gemm(1, 0, cols, headDim, rows, 1, p, bs, dyi, ldy, diagonal ? 0 : 1, dv + <usize>j0 * qRow, ld3);
        gemm(0, 1, rows, cols, headDim, 1, dyi, ldy, vj, ld3, 0, dp, bs);
        for (let r = 0; r < rows; r++) {
          const off = <usize>(r * bs) << 2;
          softmaxGradRow(p + off, dp + off, dp + off, cols, load<f32>(dRow + (<usize>(i0 + r) << 2)));
        }
        gemm(0, 0, rows, headDim, cols, scale, dp, bs, kj, ld3, j0 == 0 ? 0 : 1, dq + <usize>i0 * qRow, ld3);
        gemm(1, 0, cols, headDim, rows, scale, dp, bs, qi, ld3, diagonal ? 0 : 1, dk + <usize>j0 * qRow, ld3);
      }
    }
  }
  return true;
}
