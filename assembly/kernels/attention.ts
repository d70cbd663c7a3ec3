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
//   dropout   (p > 0) on the probabilities, as FlashAttention does (Dao et al.
//             2022, Algorithm 4): m, l and lse are of the undropped scores;
//             forward adds Z_ij P_ij V_j with Z_ij = keep_ij / (1 - p); backward
//             uses Z P for dV and dP = Z (dY V^T), and D_i = rowsum(dY_i * Y_i)
//             is rowsum(dP * P) of those same quantities. keep_ij is drawn on the
//             fly (dropout.ts) with the key of element (b, head, i, j) of the
//             B x heads x T x T probabilities, the plain path's mask index: the
//             same seed gives the same decisions on both paths, and backward
//             redraws forward's, so no mask is saved.
//   saves     lse (B * heads * T floats); backward also reads qkv and y
//   workspace forward: block^2 + 2 block floats; backward: 2 block^2 + T floats
//             (block = min(block size, T))
// Query and key blocks share one size, so every row of a block that is
// computed has at least one unmasked key.

import { gemm, gemmReserve, gemmScratchBytes } from "./gemm";
import { dropThreshold, keepScale, kept, streamKey } from "./dropout";
import { expScalar, expShiftRow, rowDot, rowMax, scaleRow, softmaxGradRow } from "./softmax";

/** Reserves the packing workspace of the largest block products: (bs x bs x hd) and (bs x hd x bs). */
function reserveBlocks(bs: i32, headDim: i32): bool {
  return gemmReserve(max(gemmScratchBytes(bs, bs, headDim), gemmScratchBytes(bs, headDim, bs)));
}

/** Row r's unmasked keys in the block of keys starting at j0 (cols wide), for query i. */
@inline function unmasked(i: i32, j0: i32, cols: i32): i32 {
  return min(cols, i - j0 + 1);
}

/** Key of the mask element of row i, column 0 of item `item` in the B x heads x T x T probabilities. */
@inline function rowKey(base: u64, item: i32, seq: i32, i: i32): u64 {
  return base + (<u64>item * <u64>seq + <u64>i) * <u64>seq;
}

/** x[j] *= keep_j * scale over n floats, keep_j drawn from key + j (as dropout's applyMask multiplies). */
function dropRow(x: usize, n: i32, key: u64, threshold: u32, scale: f32): void {
  for (let j = 0; j < n; j++) {
    const at = x + (<usize>j << 2);
    store<f32>(at, load<f32>(at) * (<f32>kept(key + <u64>j, threshold) * scale));
  }
}

/**
 * Over n floats with z_j = keep_j * scale drawn from key + j: dp[j] becomes
 * dS = p (z dp - d) and p[j] becomes the dropped z p (what dV reads).
 */
function dropSoftmaxGradRow(p: usize, dp: usize, n: i32, d: f32, key: u64, threshold: u32, scale: f32): void {
  for (let j = 0; j < n; j++) {
    const off = <usize>j << 2;
    const z = <f32>kept(key + <u64>j, threshold) * scale, pj = load<f32>(p + off);
    store<f32>(dp + off, pj * (load<f32>(dp + off) * z - d));
    store<f32>(p + off, pj * z);
  }
}

/** Y and lse without dropout: flashAttentionDropoutForward with p = 0. */
export function flashAttentionForward(
  qkv: usize, y: usize, lse: usize, work: usize, batch: i32, seq: i32, heads: i32, headDim: i32, block: i32,
): bool {
  return flashAttentionDropoutForward(qkv, y, lse, work, batch, seq, heads, headDim, block, 0, 0);
}

/** dqkv without dropout: flashAttentionDropoutBackward with p = 0. */
export function flashAttentionBackward(
  qkv: usize, y: usize, lse: usize, dy: usize, dqkv: usize, work: usize,
  batch: i32, seq: i32, heads: i32, headDim: i32, block: i32,
): bool {
  return flashAttentionDropoutBackward(qkv, y, lse, dy, dqkv, work, batch, seq, heads, headDim, block, 0, 0);
}

/**
 * Y and lse from qkv (layout above), with dropout p (0 <= p < 1; 0: none) of
 * the probabilities drawn from `seed`. work holds block^2 + 2 block floats.
 * Returns false only when the packing workspace could not be allocated
 * (reserved before anything is written).
 */
export function flashAttentionDropoutForward(
  qkv: usize, y: usize, lse: usize, work: usize, batch: i32, seq: i32, heads: i32, headDim: i32, block: i32, p: f64, seed: u32,
): bool {
  const bs = min(block, seq);
  if (!reserveBlocks(bs, headDim)) return false;
  const ldy = heads * headDim, ld3 = 3 * ldy, h = <usize>ldy;
  const scale = <f32>(1 / Math.sqrt(<f64>headDim));
  const s = work, mRow = s + (<usize>bs * <usize>bs << 2), lRow = mRow + (<usize>bs << 2);
  const qRow = <usize>ld3 << 2, yRow = h << 2;
  const dropping = p > 0, threshold = dropThreshold(p), keep = keepScale(p), base = streamKey(seed, 0);
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
          // After the sum: l is of the undropped probabilities.
          if (dropping) dropRow(row, valid, rowKey(base, item, seq, i0 + r) + <u64>j0, threshold, keep);
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
 * dqkv (every element written) from dy, qkv, y and the forward's lse, with
 * the forward's dropout (the same p and seed). work holds 2 block^2 + T
 * floats. Returns false only when the packing workspace could not be
 * allocated (reserved before anything is written).
 */
export function flashAttentionDropoutBackward(
  qkv: usize, y: usize, lse: usize, dy: usize, dqkv: usize, work: usize,
  batch: i32, seq: i32, heads: i32, headDim: i32, block: i32, p: f64, seed: u32,
): bool {
  const bs = min(block, seq);
  if (!reserveBlocks(bs, headDim)) return false;
  const ldy = heads * headDim, ld3 = 3 * ldy, h = <usize>ldy;
  const scale = <f32>(1 / Math.sqrt(<f64>headDim));
  const pb = work, dp = pb + (<usize>bs * <usize>bs << 2), dRow = dp + (<usize>bs * <usize>bs << 2);
  const qRow = <usize>ld3 << 2, yRow = h << 2;
  const dropping = p > 0, threshold = dropThreshold(p), keep = keepScale(p), base = streamKey(seed, 0);
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
        gemm(0, 1, rows, cols, headDim, scale, qi, ld3, kj, ld3, 0, pb, bs);
        gemm(0, 1, rows, cols, headDim, 1, dyi, ldy, vj, ld3, 0, dp, bs);
        // Per row: P recomputed, then dS into dp (and P dropped in place under dropout).
        for (let r = 0; r < rows; r++) {
          const off = <usize>(r * bs) << 2, valid = unmasked(i0 + r, j0, cols), d = load<f32>(dRow + (<usize>(i0 + r) << 2));
          expShiftRow(pb + off, valid, load<f32>(lb + (<usize>(i0 + r) << 2)));
          memory.fill(pb + off + (<usize>valid << 2), 0, <usize>(cols - valid) << 2);
          if (dropping) dropSoftmaxGradRow(pb + off, dp + off, cols, d, rowKey(base, item, seq, i0 + r) + <u64>j0, threshold, keep);
          else softmaxGradRow(pb + off, dp + off, dp + off, cols, d);
        }
        gemm(1, 0, cols, headDim, rows, 1, pb, bs, dyi, ldy, diagonal ? 0 : 1, dv + <usize>j0 * qRow, ld3);
        gemm(0, 0, rows, headDim, cols, scale, dp, bs, kj, ld3, j0 == 0 ? 0 : 1, dq + <usize>i0 * qRow, ld3);
        gemm(1, 0, cols, headDim, rows, scale, dp, bs, qi, ld3, diagonal ? 0 : 1, dk + <usize>j0 * qRow, ld3);
      }
    }
  }
  return true;
}
