// Runs wasmgrad's causal self-attention on Float32Arrays (through WASM tensors) for the tests.

import { Tensor, type Runtime } from '../../src/index.js';
import { attentionSavedBytes, attentionWorkspaceBytes } from '../../src/nn/ops/attention-cost.js';
import { checkAttentionSpec, type AttentionSpec } from '../../src/nn/ops/attention-spec.js';
import { attentionBackward, attentionForward, causalSelfAttention, causalSelfAttentionBackward } from '../../src/nn/ops/attention.js';

export interface AttentionRun {
  y: Float32Array;
  saved: Float32Array;
  /** Present when dy was given. */
  dqkv?: Float32Array;
  /** GEMM multiply-accumulates the core counted, forward and backward. */
  macs: { forward: bigint; backward: bigint };
}

/** Forward (and backward when dy is given) on fresh tensors, all freed afterwards. */
export function runAttention(rt: Runtime, spec: AttentionSpec, qkv: Float32Array, dy?: Float32Array): AttentionRun {
  const h = spec.heads * spec.headDim, rows = spec.batch * spec.seq;
  const tq = Tensor.from(rt, qkv, undefined, 'activations');
  const ty = Tensor.empty(rt, [rows * h], 'activations');
  const ts = Tensor.empty(rt, [attentionSavedBytes(spec) / 4], 'activations');
  const made = [tq, ty, ts];
  try {
    const m0 = rt.macs();
    causalSelfAttention(rt, spec, { qkv: tq, y: ty, saved: ts });
    const m1 = rt.macs();
    const out: AttentionRun = { y: ty.toArray(), saved: ts.toArray(), macs: { forward: m1 - m0, backward: 0n } };
    if (dy) {
      const tdy = Tensor.from(rt, dy, undefined, 'workspace');
      const tdq = Tensor.empty(rt, [rows * 3 * h], 'workspace');
      made.push(tdy, tdq);
      tdq.data.fill(NaN); // every element must be written
      causalSelfAttentionBackward(rt, spec, { qkv: tq, y: ty, saved: ts, dy: tdy, dqkv: tdq });
      out.dqkv = tdq.toArray();
      out.macs.backward = rt.macs() - m1;
    }
    return out;
  } finally {
    for (const t of made) t.free();
  }
}

/**
 * Forward and backward with dropout on the probabilities (p, seed), through
 * the plan's pointer entry points: the plain path gets its mask and dropped
 * probabilities (batch·heads·T² each), the memory-saving one nothing extra.
 */
export function runAttentionWithDropout(rt: Runtime, spec: AttentionSpec, qkv: Float32Array, dy: Float32Array, dropout: { p: number; seed: number }): Required<Omit<AttentionRun, 'macs'>> {
  const s = checkAttentionSpec('runAttentionWithDropout', spec);
  const h = s.heads * s.headDim, rows = s.batch * s.seq, square = s.batch * s.heads * s.seq * s.seq;
  const tq = Tensor.from(rt, qkv), ty = Tensor.empty(rt, [rows * h]), ts = Tensor.empty(rt, [attentionSavedBytes(s) / 4]);
  const tdy = Tensor.from(rt, dy), tdq = Tensor.empty(rt, [rows * 3 * h]);
  const made = [tq, ty, ts, tdy, tdq];
  const extra = s.flash ? {} : { mask: rt.arena.alloc(square, 'activations'), dropped: rt.arena.alloc(4 * square, 'activations') };
  const work = attentionWorkspaceBytes(s), workspace = rt.arena.alloc(Math.max(4, work.forward, work.backward), 'workspace');
  try {
    const p = { qkv: tq.ptr, y: ty.ptr, saved: ts.ptr, workspace, dropout: { ...dropout, ...extra } };
    attentionForward(rt, s, p);
    tdq.data.fill(NaN); // every element must be written
    attentionBackward(rt, s, { ...p, dy: tdy.ptr, dqkv: tdq.ptr });
    return { y: ty.toArray(), saved: ts.toArray(), dqkv: tdq.toArray() };
  } finally {
    for (const t of made) t.free();
    for (const ptr of [workspace, ...Object.values(extra)]) rt.arena.free(ptr);
  }
}
