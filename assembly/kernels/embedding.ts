// Token and learned position embeddings, forward and backward side by side.
//   forward   out[b][t] = wte[ids[b][t]] + wpe[t]     (a row gather, fused with the position add)
//   backward  dwte[ids[b][t]] += dout[b][t]           (scatter-add: a repeated token adds up)
//             dwpe[t] += sum over b of dout[b][t]
//   saves     nothing of its own: backward reads the token ids (the batch's inputs)
// wte is V x h, wpe is T x h (or 0: no position embedding), ids are B x T int32
// already checked to lie in [0, V) (firstBadTokenId). Gradients accumulate.

import { elementwiseAdd as addRows } from "./elementwise";

/** out (B*T x h) = wte[ids] (+ wpe[t] when wpe is not 0). */
export function embeddingForward(ids: usize, wte: usize, wpe: usize, out: usize, batch: i32, seq: i32, h: i32): void {
  const rowBytes = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      const r = <usize>(b * seq + t);
      const token = wte + <usize>load<i32>(ids + (r << 2)) * rowBytes;
      const dst = out + r * rowBytes;
      if (wpe == 0) memory.copy(dst, token, rowBytes);
      else addRows(token, wpe + <usize>t * rowBytes, dst, h);
    }
  }
}

/** dwte[ids] += dout rows; dwpe[t] += dout[b][t] over b (dwpe 0: no position embedding). */
export function embeddingBackward(ids: usize, dout: usize, dwte: usize, dwpe: usize, batch: i32, seq: i32, h: i32): void {
  const rowBytes = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      const r = <usize>(b * seq + t);
      const g = dout + r * rowBytes;
      const token = dwte + <usize>load<i32>(ids + (r << 2)) * rowBytes;
      addRows(token, g, token, h);
      if (dwpe != 0) {
        const pos = dwpe + <usize>t * rowBytes;
        addRows(pos, g, pos, h);
      }
    }
  }
}

/**
 * Index of the first of n int32 ids outside [0, vocab), or -1. As unsigned
 * numbers a negative id is above any vocabulary, so one compare finds both.
 */
export function firstBadTokenId(ids: usize, n: i32, vocab: i32): i32 {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const limit = i32x4.splat(vocab);
    for (; i + 4 <= n; i += 4) {
      if (v128.any_true(i32x4.ge_u(v128.load(ids + (<usize>i << 2)), limit))) break; // the loop below finds which
    }
  }
  for (; i < n; i++) {
    if (<u32>load<i32>(ids + (<usize>i << 2)) >= <u32>vocab) return i;
  }
  return -1;
}
