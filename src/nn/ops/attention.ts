// Causal multi-head self-attention from the output of one QKV Linear, forward
// and backward side by side, as nanoGPT's CausalSelfAttention between c_attn
// and c_proj. Dropout on the probabilities, seeded and counter-based
// (src/nn/ops/dropout.ts): the plain path saves its 1-byte mask and the dropped
// probabilities too; the memory-saving path draws the same decisions block by
// block (the same element indices and seed) and redraws them in backward, saving nothing.
//   qkv  B x T x 3h: each row q | k | v, h = heads * headDim, head n at columns n*headDim
//   y    B x T x h, the heads side by side again
// Plain path (three core calls forward, five backward):
//   forward   S = Q K^T / sqrt(headDim) (batched GEMM, K read transposed in place),
//             P = causal softmax(S) in place, Y = P V
//   backward  dV = P^T dY, dP = dY V^T, dS = P (dP - rowsum(dP P)), dQ = dS K / sqrt(headDim),
//             dK = dS^T Q / sqrt(headDim)
//   saves     P: batch * heads * T * T floats
// Memory-saving path (flash: true; assembly/kernels/attention.ts): block by
// block with an online softmax; saves the per-row logsumexp, recomputes P in
// backward (and redraws its dropout).
// Every (batch, head) item's Q, K, V, Y and their gradients are strided views
// (leading dimension 3h or h), so no head is copied or transposed.
// Costs: attention-cost.ts.

import { ArgumentError, ShapeError, describeValue } from '../../errors.js';
import { reserveGemmWorkspace } from '../../gemm.js';
import { checkRuntime, type Runtime } from '../../runtime.js';
import { Tensor } from '../../tensor.js';
import { attentionGemms, attentionSavedBytes, attentionWorkspaceBytes } from './attention-cost.js';
import { checkDropout, dropoutBackward, dropoutForward } from './dropout.js';
import { checkAttentionSpec, type AttentionShape, type AttentionSpec } from './attention-spec.js';

/** Pointers (byte offsets into WASM memory) of one forward call. */
export interface AttentionForwardPointers {
  qkv: number;
  y: number;
  /** Where forward saves P (plain) or the logsumexp (memory-saving): attentionSavedBytes. */
  saved: number;
  /** attentionWorkspaceBytes() of the pass (forward or backward); unused when 0. */
  workspace: number;
  /**
   * Dropout on the probabilities: p and the seed of its mask (element
   * (b, head, i, j) of the batch·heads·T·T probabilities draws counter
   * ((b·heads + head)·T + i)·T + j on both paths); on the plain path also the
   * mask (batch·heads·T² bytes) and the dropped probabilities (as many
   * floats), which the memory-saving path never needs. Absent or p = 0: none.
   */
  dropout?: { p: number; seed: number; mask?: number; dropped?: number };
}

export interface AttentionBackwardPointers extends AttentionForwardPointers {
  /** d loss / d y, B x T x h. */
  dy: number;
  /** d loss / d qkv, B x T x 3h: every element written. */
  dqkv: number;
}

/** The (batch, head) layout of the batched products: item (b, n) at b * outer + n * inner elements. */
function strides(s: AttentionShape) {
  const h = s.heads * s.headDim, t = s.seq;
  return {
    h, ld3: 3 * h, scale: 1 / Math.sqrt(s.headDim),
    qkv: [s.headDim, t * 3 * h] as const, y: [s.headDim, t * h] as const, scores: [t * t, s.heads * t * t] as const,
  };
}

/** The packing workspace failing is the core's only failure: OutOfMemoryError, with the bytes it needed. */
function orOutOfMemory(rt: Runtime, done: number, bytes: number): void {
  if (!done) throw rt.arena.cannotGrow(bytes, 'workspace', 'GEMM packing workspace');
}

function packingBytes(rt: Runtime, s: AttentionShape): number {
  const { forward, backward } = attentionGemms(s);
  return Math.max(0, ...[...forward, ...backward].map((g) => rt.core.gemmScratchBytes(g.m, g.n, g.k)));
}

/** Forward on checked pointers: the plan's entry point. */
export function attentionForward(rt: Runtime, s: AttentionShape, p: AttentionForwardPointers): void {
  const c = rt.core, need = packingBytes(rt, s);
  if (s.flash) {
    const args = [p.qkv, p.y, p.saved, p.workspace, s.batch, s.seq, s.heads, s.headDim, s.blockSize] as const;
    const d = flashDropout('attentionForward', p);
    orOutOfMemory(rt, d ? c.flashAttentionDropoutForward(...args, d.p, d.seed) : c.flashAttentionForward(...args), need);
    return;
  }
  const { h, ld3, scale, qkv, y, scores } = strides(s), t = s.seq, d = s.headDim, count = s.batch * s.heads;
  const q = p.qkv, k = p.qkv + 4 * h, v = p.qkv + 8 * h;
  orOutOfMemory(rt, c.gemmBatched(0, 1, t, t, d, scale, q, ld3, k, ld3, 0, p.saved, t, count, s.heads, ...qkv, ...qkv, ...scores), need);
  c.causalSoftmaxForward(p.saved, p.saved, t, count);
  const dropped = dropping(p) ? p.dropout!.dropped! : p.saved;
  if (dropping(p)) dropoutForward(rt, { n: count * t * t, p: p.dropout!.p, seed: p.dropout!.seed, x: p.saved, out: dropped, mask: p.dropout!.mask! });
  orOutOfMemory(rt, c.gemmBatched(0, 0, t, d, t, 1, dropped, t, v, ld3, 0, p.y, h, count, s.heads, ...scores, ...qkv, ...y), need);
}

const dropping = (p: AttentionForwardPointers) => p.dropout !== undefined && p.dropout.p > 0;

/** The memory-saving path's dropout, checked as the plain path's dropout op checks it; null when none. */
function flashDropout(where: string, p: AttentionForwardPointers): { p: number; seed: number } | null {
  if (p.dropout === undefined) return null;
  checkDropout(where, p.dropout.p, p.dropout.seed);
  return dropping(p) ? p.dropout : null;
}

/** Backward on checked pointers: the plan's entry point. */
export function attentionBackward(rt: Runtime, s: AttentionShape, p: AttentionBackwardPointers): void {
  const c = rt.core, need = packingBytes(rt, s);
  if (s.flash) {
    const args = [p.qkv, p.y, p.saved, p.dy, p.dqkv, p.workspace, s.batch, s.seq, s.heads, s.headDim, s.blockSize] as const;
    const d = flashDropout('attentionBackward', p);
    orOutOfMemory(rt, d ? c.flashAttentionDropoutBackward(...args, d.p, d.seed) : c.flashAttentionBackward(...args), need);
    return;
  }
  const { h, ld3, scale, qkv, y, scores } = strides(s), t = s.seq, d = s.headDim, count = s.batch * s.heads;
  const q = p.qkv, k = p.qkv + 4 * h, v = p.qkv + 8 * h;
  const dq = p.dqkv, dk = p.dqkv + 4 * h, dv = p.dqkv + 8 * h, ds = p.workspace;
  // dV = P^T dY (the dropped P under dropout); dP = dY V^T (through the mask), turned into dS in place; dQ and dK from dS.
  const dropped = dropping(p) ? p.dropout!.dropped! : p.saved;
  orOutOfMemory(rt, c.gemmBatched(1, 0, t, d, t, 1, dropped, t, p.dy, h, 0, dv, ld3, count, s.heads, ...scores, ...y, ...qkv), need);
  orOutOfMemory(rt, c.gemmBatched(0, 1, t, t, d, 1, p.dy, h, v, ld3, 0, ds, t, count, s.heads, ...y, ...qkv, ...scores), need);
  if (dropping(p)) dropoutBackward(rt, { n: count * t * t, p: p.dropout!.p, dout: ds, mask: p.dropout!.mask!, dx: ds });
  c.causalSoftmaxBackward(p.saved, ds, ds, t, count);
  orOutOfMemory(rt, c.gemmBatched(0, 0, t, d, t, scale, ds, t, k, ld3, 0, dq, ld3, count, s.heads, ...scores, ...qkv, ...qkv), need);
  orOutOfMemory(rt, c.gemmBatched(1, 0, t, d, t, scale, ds, t, q, ld3, 0, dk, ld3, count, s.heads, ...scores, ...qkv, ...qkv), need);
}

/** Tensors of one forward call; `saved` holds attentionSavedBytes(spec) / 4 floats. */
export interface AttentionForwardTensors {
  qkv: Tensor;
  y: Tensor;
  saved: Tensor;
}

export interface AttentionBackwardTensors extends AttentionForwardTensors {
  dy: Tensor;
  dqkv: Tensor;
}

function checkTensor(rt: Runtime, where: string, name: string, x: unknown, elements: number, layout: string): number {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${where}: ${name} must be a Tensor, got ${describeValue(x)}`, { field: name });
  if (x.runtime !== rt) throw new ArgumentError(`${where}: ${name} lives in another runtime's memory`, { field: name });
  if (x.isFreed) throw new ArgumentError(`${where}: ${name} is a freed tensor`, { field: name });
  if (x.size !== elements) throw new ShapeError(`${where}: ${name} has ${x.size} elements, expected ${elements} (${layout})`, { field: name });
  return x.ptr;
}

/** Checks the spec and every tensor (before the core runs) and returns the pointers. */
function checkCall(rt: Runtime, where: string, spec: unknown, tensors: unknown, names: readonly string[]) {
  checkRuntime(rt, where);
  const s = checkAttentionSpec(where, spec);
  if (typeof tensors !== 'object' || tensors === null) throw new ArgumentError(`${where}: tensors must be an object { ${names.join(', ')} }, got ${describeValue(tensors)}`);
  const t = tensors as Record<string, unknown>, h = s.heads * s.headDim;
  const dims = `batch ${s.batch} x seq ${s.seq}`;
  const sizes: Record<string, [number, string]> = {
    qkv: [s.batch * s.seq * 3 * h, `${dims} x 3*heads*headDim ${3 * h}`],
    dqkv: [s.batch * s.seq * 3 * h, `${dims} x 3*heads*headDim ${3 * h}`],
    y: [s.batch * s.seq * h, `${dims} x heads*headDim ${h}`],
    dy: [s.batch * s.seq * h, `${dims} x heads*headDim ${h}`],
    saved: [attentionSavedBytes(s) / 4, s.flash ? 'batch x heads x seq logsumexp' : 'batch x heads x seq x seq probabilities'],
  };
  const ptrs: Record<string, number> = {};
  for (const [i, name] of names.entries()) {
    ptrs[name] = checkTensor(rt, where, name, t[name], ...sizes[name]!);
    // Distinct tensors never overlap; one given twice would be read after it is written.
    const same = names.slice(0, i).find((other) => t[other] === t[name]);
    if (same) throw new ArgumentError(`${where}: ${same} and ${name} are the same tensor; each must be its own`, { field: name });
  }
  return { s, ptrs };
}

/** Runs `body` with the pass's workspace and packing workspace allocated (workspace freed after). */
function withWorkspace(rt: Runtime, s: AttentionShape, bytes: number, body: (workspace: number) => void): void {
  reserveGemmWorkspace(rt, packingBytes(rt, s));
  const workspace = bytes > 0 ? rt.arena.alloc(bytes, 'workspace', 'attention workspace') : 0;
  try {
    body(workspace);
  } finally {
    if (workspace) rt.arena.free(workspace);
  }
}

/**
 * Causal self-attention forward on WASM tensors: y from qkv, and what backward
 * needs into `saved`. Every argument is checked before the core runs.
 */
export function causalSelfAttention(rt: Runtime, spec: AttentionSpec, tensors: AttentionForwardTensors): void {
  const { s, ptrs } = checkCall(rt, 'causalSelfAttention', spec, tensors, ['qkv', 'y', 'saved']);
  withWorkspace(rt, s, attentionWorkspaceBytes(s).forward, (workspace) =>
    attentionForward(rt, s, { qkv: ptrs.qkv!, y: ptrs.y!, saved: ptrs.saved!, workspace }));
}

/**
 * Causal self-attention backward on WASM tensors: dqkv from dy, with qkv, y and
 * `saved` as forward left them. Every argument is checked before the core runs.
 */
export function causalSelfAttentionBackward(rt: Runtime, spec: AttentionSpec, tensors: AttentionBackwardTensors): void {
  const { s, ptrs } = checkCall(rt, 'causalSelfAttentionBackward', spec, tensors, ['qkv', 'y', 'saved', 'dy', 'dqkv']);
  withWorkspace(rt, s, attentionWorkspaceBytes(s).backward, (workspace) =>
    attentionBackward(rt, s, { qkv: ptrs.qkv!, y: ptrs.y!, saved: ptrs.saved!, dy: ptrs.dy!, dqkv: ptrs.dqkv!, workspace }));
}
