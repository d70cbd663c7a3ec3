// What causal self-attention costs, from its spec alone: bytes it saves for
// backward, workspace bytes each pass needs, GEMM multiply-accumulates, and the
// GEMM shapes (for the packing workspace). The kernels are
// assembly/kernels/{gemm-batched,softmax,attention}.ts; src/nn/ops/attention.ts runs them.
//
// Backward also reads qkv, and on the memory-saving path y (attentionBackwardReads):
// their owners save them, so neither is counted here.

import { ArgumentError } from '../../errors.js';
import type { GemmShape } from '../layer.js';
import { checkAttentionSpec, type AttentionShape, type AttentionSpec } from './attention-spec.js';

const FLOAT = 4;

/** (batch, head) items: one product of each kind per item. */
const items = (s: AttentionShape) => s.batch * s.heads;
/** Rows and columns of a block of the memory-saving path. */
const blockOf = (s: AttentionShape) => Math.min(s.blockSize, s.seq);

/**
 * Score entries the memory-saving path computes per item: every block with
 * keys j <= queries i, the diagonal ones whole. Full blocks above the last
 * partial one contribute bs * (i0 + bs); the partial one rem * T.
 */
function blockScores(s: AttentionShape): number {
  const bs = blockOf(s), full = Math.floor(s.seq / bs), rem = s.seq % bs;
  return (bs * bs * full * (full + 1)) / 2 + rem * s.seq;
}

/**
 * Bytes attention itself saves for backward: the probabilities
 * (batch * heads * T * T floats, masked entries included) on the plain path,
 * the per-row logsumexp (batch * heads * T floats) on the memory-saving one.
 */
export function attentionSavedBytes(spec: AttentionSpec): number {
  const s = checkAttentionSpec('attentionSavedBytes', spec);
  return items(s) * s.seq * (s.flash ? 1 : s.seq) * FLOAT;
}

/**
 * Tensors backward reads besides the one attention saves (attentionSavedBytes):
 * qkv on both paths, and y on the memory-saving one (for rowsum(dy * y)). Their
 * owners (the QKV Linear's output, the output projection's input) save them,
 * so a step plan counts them there, once.
 */
export function attentionBackwardReads(spec: AttentionSpec): ('qkv' | 'y')[] {
  return checkAttentionSpec('attentionBackwardReads', spec).flash ? ['qkv', 'y'] : ['qkv'];
}

/**
 * Temporaries (not saved) each pass allocates besides its inputs, outputs and
 * the GEMM packing workspace. Plain: none in forward (softmax runs in place on
 * the scores, which become the saved probabilities); the T x T score gradients
 * of every item in backward. Memory-saving (block = min(blockSize, T)): a
 * block of scores and the running max and sum per row in forward; a block of
 * probabilities, one of their gradients and rowsum(dy * y) per query in backward.
 */
export function attentionWorkspaceBytes(spec: AttentionSpec): { forward: number; backward: number } {
  const s = checkAttentionSpec('attentionWorkspaceBytes', spec);
  if (!s.flash) return { forward: 0, backward: items(s) * s.seq * s.seq * FLOAT };
  const bs = blockOf(s);
  return { forward: (bs * bs + 2 * bs) * FLOAT, backward: (2 * bs * bs + s.seq) * FLOAT };
}

/**
 * GEMM multiply-accumulates, exactly what the core counts (softmax and the
 * row sums are elementwise and not counted, as torchinfo counts no softmax).
 * Plain: QK^T and PV over full T x T (the mask is applied after) in forward;
 * dV, dP, dQ, dK in backward. Memory-saving: the same products over the
 * blocks on or below the diagonal only; its backward includes `recompute`,
 * the scores QK^T computed again from Q, K and the logsumexp (the extra MACs,
 * like checkpointing; 0 on the plain path).
 */
export function attentionMacs(spec: AttentionSpec): { forward: number; backward: number; recompute: number } {
  const s = checkAttentionSpec('attentionMacs', spec);
  const scores = s.flash ? blockScores(s) : s.seq * s.seq;
  const product = items(s) * scores * s.headDim;
  if (!Number.isSafeInteger(5 * product)) throw new ArgumentError('attentionMacs: more multiply-accumulates than can be counted exactly');
  return s.flash ? { forward: 2 * product, backward: 5 * product, recompute: product } : { forward: 2 * product, backward: 4 * product, recompute: 0 };
}

/** Shapes of the products each pass runs (m x n by k), for reserving the packing workspace. */
export function attentionGemms(spec: AttentionSpec): { forward: GemmShape[]; backward: GemmShape[] } {
  const s = checkAttentionSpec('attentionGemms', spec);
  const t = s.flash ? blockOf(s) : s.seq, d = s.headDim;
  const scores = { m: t, n: t, k: d }, values = { m: t, n: d, k: t };
  // Backward: dV = P^T dY, dP = dY V^T, dQ = dS K, dK = dS^T Q (the memory-saving path recomputes the scores first).
  return { forward: [scores, values], backward: [...(s.flash ? [scores] : []), values, scores, values, values] };
}
