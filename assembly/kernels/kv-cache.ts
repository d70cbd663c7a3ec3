// The KV cache of a generation, forward only: each token's key and value
// stored once, and the attention of one new query per sequence against every
// cached position (nanoGPT's CausalSelfAttention for the last row, without
// recomputing the earlier ones).
//   qkv     B x T x 3h rows q | k | v (the QKV Linear's output), head n at columns n*d
//   cache   one per layer: K as B x capacity x h floats, then V as B x capacity x h
//   store   K[b][start + t] = k[b][t], V[b][start + t] = v[b][t] for t < T
//   attend  y[b][n] = sum_j p_j V[b][j][n], p = softmax_j(q[b][n] . K[b][j][n] / sqrt(d)), j < keys
//   saves   nothing (no backward); scratch: `keys` floats, one head's scores at a time

import { expShiftRow, rowDot, rowMax } from "./softmax";
import { madd } from "./simd";

/** Copies the keys and values of T tokens per sequence into positions start..start+T-1 of a layer's cache. */
export function kvCacheStore(qkv: usize, cache: usize, batch: i32, tokens: i32, start: i32, capacity: i32, hidden: i32): void {
  const row = <usize>hidden << 2;
  const values = cache + <usize>batch * <usize>capacity * row;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < tokens; t++) {
      const src = qkv + (<usize>b * <usize>tokens + <usize>t) * 3 * row;
      const at = (<usize>b * <usize>capacity + <usize>(start + t)) * row;
      memory.copy(cache + at, src + row, row);
      memory.copy(values + at, src + 2 * row, row);
    }
  }
}

/** y += w * x over n floats. */
function axpy(y: usize, x: usize, w: f32, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const wv = f32x4.splat(w);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(y + off, madd(wv, v128.load(x + off), v128.load(y + off)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, load<f32>(y + off) + w * load<f32>(x + off));
  }
}

/**
 * One query per sequence (qkv: B x 1 x 3h) against the first `keys` cached
 * positions; y is B x h. `scratch` holds `keys` floats.
 */
export function cachedAttention(qkv: usize, cache: usize, y: usize, scratch: usize, batch: i32, keys: i32, capacity: i32, heads: i32, headDim: i32): void {
  const hidden = heads * headDim, row = <usize>hidden << 2, scale = <f32>(1 / Math.sqrt(<f64>headDim));
  const values = cache + <usize>batch * <usize>capacity * row;
  for (let b = 0; b < batch; b++) {
    const seqAt = <usize>b * <usize>capacity * row;
    for (let n = 0; n < heads; n++) {
      const col = <usize>(n * headDim) << 2;
      const q = qkv + <usize>b * 3 * row + col, out = y + <usize>b * row + col;
      for (let j = 0; j < keys; j++) store<f32>(scratch + (<usize>j << 2), rowDot(q, cache + seqAt + <usize>j * row + col, headDim) * scale);
      const sum = expShiftRow(scratch, keys, rowMax(scratch, keys));
      memory.fill(out, 0, <usize>headDim << 2);
      for (let j = 0; j < keys; j++) axpy(out, values + seqAt + <usize>j * row + col, load<f32>(scratch + (<usize>j << 2)) / sum, headDim);
    }
  }
}
