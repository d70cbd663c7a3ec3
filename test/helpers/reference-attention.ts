// Plain float64 causal multi-head self-attention, forward and backward, from
// qkv (B x T x 3h, q | k | v per row, head n at columns n*headDim of each part)
// to y (B x T x h), as nanoGPT's CausalSelfAttention between c_attn and c_proj.

export interface ReferenceDims {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
}

/** Index helpers into qkv (part 0 q, 1 k, 2 v) and y. */
function layout({ seq, heads, headDim }: ReferenceDims) {
  const h = heads * headDim;
  return {
    qkv: (b: number, t: number, part: number, n: number, d: number) => ((b * seq + t) * 3 + part) * h + n * headDim + d,
    y: (b: number, t: number, n: number, d: number) => (b * seq + t) * h + n * headDim + d,
  };
}

/** P[b][n][i][j] for j <= i (0 above the diagonal), in float64. */
export function referenceProbabilities(qkv: ArrayLike<number>, dims: ReferenceDims): Float64Array[] {
  const { batch, seq, heads, headDim } = dims, at = layout(dims), scale = 1 / Math.sqrt(headDim);
  const out: Float64Array[] = [];
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < heads; n++) {
      const p = new Float64Array(seq * seq);
      for (let i = 0; i < seq; i++) {
        let mx = -Infinity;
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < headDim; d++) s += qkv[at.qkv(b, i, 0, n, d)]! * qkv[at.qkv(b, j, 1, n, d)]!;
          p[i * seq + j] = s * scale;
          mx = Math.max(mx, s * scale);
        }
        let sum = 0;
        for (let j = 0; j <= i; j++) sum += p[i * seq + j] = Math.exp(p[i * seq + j]! - mx);
        for (let j = 0; j <= i; j++) p[i * seq + j]! /= sum;
      }
      out.push(p);
    }
  }
  return out;
}

export function referenceAttention(qkv: ArrayLike<number>, dims: ReferenceDims): Float64Array {
  const { batch, seq, heads, headDim } = dims, at = layout(dims);
  const probs = referenceProbabilities(qkv, dims);
  const y = new Float64Array(batch * seq * heads * headDim);
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < heads; n++) {
      const p = probs[b * heads + n]!;
      for (let i = 0; i < seq; i++) {
        for (let d = 0; d < headDim; d++) {
          let s = 0;
          for (let j = 0; j <= i; j++) s += p[i * seq + j]! * qkv[at.qkv(b, j, 2, n, d)]!;
          y[at.y(b, i, n, d)] = s;
        }
      }
    }
  }
  return y;
}

/** d loss / d qkv for d loss / d y = dy. */
export function referenceAttentionBackward(qkv: ArrayLike<number>, dy: ArrayLike<number>, dims: ReferenceDims): Float64Array {
  const { batch, seq, heads, headDim } = dims, at = layout(dims), scale = 1 / Math.sqrt(headDim);
  const probs = referenceProbabilities(qkv, dims);
  const dqkv = new Float64Array(qkv.length);
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < heads; n++) {
      const p = probs[b * heads + n]!;
      for (let i = 0; i < seq; i++) {
        // dP_ij = dy_i . v_j; dS_ij = P_ij (dP_ij - sum_k P_ik dP_ik)
        const dp = new Float64Array(i + 1);
        let dot = 0;
        for (let j = 0; j <= i; j++) {
          for (let d = 0; d < headDim; d++) dp[j] += dy[at.y(b, i, n, d)]! * qkv[at.qkv(b, j, 2, n, d)]!;
          dot += dp[j]! * p[i * seq + j]!;
        }
        for (let j = 0; j <= i; j++) {
          const pij = p[i * seq + j]!, ds = pij * (dp[j]! - dot) * scale;
          for (let d = 0; d < headDim; d++) {
            dqkv[at.qkv(b, j, 2, n, d)] += pij * dy[at.y(b, i, n, d)]!;
            dqkv[at.qkv(b, i, 0, n, d)] += ds * qkv[at.qkv(b, j, 1, n, d)]!;
            dqkv[at.qkv(b, j, 1, n, d)] += ds * qkv[at.qkv(b, i, 0, n, d)]!;
          }
        }
      }
    }
  }
  return dqkv;
}
