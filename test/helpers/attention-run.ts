// Runs wasmgrad's causal self-attention on Float32Arrays (through WASM tensors) for the tests.

import { Tensor, type Runtime } from '../../src/index.js';
import { attentionSavedBytes } from '../../src/nn/ops/attention-cost.js';
import type { AttentionSpec } from '../../src/nn/ops/attention-spec.js';
import { causalSelfAttention, causalSelfAttentionBackward } from '../../src/nn/ops/attention.js';

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
