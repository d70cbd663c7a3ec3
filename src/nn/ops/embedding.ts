// Token embedding with learned positions (GPT-2's wte and wpe), fused:
//   forward   out[b][t] = wte[ids[b][t]] + wpe[t]                (B*T x h)
//   backward  dwte[ids[b][t]] += dout[b][t];  dwpe[t] += sum over b of dout[b][t]
// SAVES FOR BACKWARD: nothing of its own (0 bytes): backward reads the token
// ids, B*T int32 = 4*B*T bytes, which are the step's inputs.
// wte is vocab x hidden, wpe has at least seq rows of hidden (0: no position
// embedding). Gradients accumulate (a tied LM head adds into dwte too), so the
// plan zeroes them once per step. Ids outside [0, vocab) are refused before
// the core runs, naming the first.

import { checkBuffers, checkDim, checkTokenIds, opArguments } from './arguments.js';
import type { Runtime } from '../../runtime.js';

export interface EmbeddingShape {
  batch: number;
  seq: number;
  hidden: number;
  vocab: number;
}

export interface EmbeddingForward extends EmbeddingShape {
  /** B x T int32 token ids. */
  ids: number;
  wte: number;
  /** 0: no position embedding. */
  wpe: number;
  out: number;
}

export interface EmbeddingBackward extends EmbeddingShape {
  ids: number;
  dout: number;
  dwte: number;
  /** 0: no position embedding. */
  dwpe: number;
}

/** Bytes the embedding saves for backward: none (it reads the ids, which are inputs). */
export const EMBEDDING_SAVED_BYTES = 0;

/** Checks the sizes, buffers and ids; returns false when there is nothing to do. */
function check(rt: Runtime, where: string, a: EmbeddingShape & { ids: number }, buffers: [string, unknown, 'table' | 'positions' | 'rows'][]): boolean {
  checkDim(where, 'batch', a.batch);
  checkDim(where, 'seq', a.seq);
  checkDim(where, 'hidden', a.hidden);
  checkDim(where, 'vocab', a.vocab, 1);
  const tokens = a.batch * a.seq, row = a.hidden * 4;
  if (tokens === 0 || a.hidden === 0) return false;
  const bytes = { table: a.vocab * row, positions: a.seq * row, rows: tokens * row };
  checkBuffers(rt, where, [['ids', a.ids, tokens * 4], ...buffers.map(([name, ptr, kind]) => [name, ptr, bytes[kind], { optional: kind === 'positions' }] as const)]);
  checkTokenIds(rt, where, 'ids', a.ids, tokens, a.vocab);
  return true;
}

export function embeddingForward(rt: Runtime, args: EmbeddingForward): void {
  const where = 'embeddingForward';
  const a = opArguments(rt, where, args, ['batch', 'seq', 'hidden', 'vocab', 'ids', 'wte', 'wpe', 'out']);
  if (!check(rt, where, a, [['wte', a.wte, 'table'], ['wpe', a.wpe, 'positions'], ['out', a.out, 'rows']])) return;
  rt.core.embeddingForward(a.ids, a.wte, a.wpe, a.out, a.batch, a.seq, a.hidden);
}

export function embeddingBackward(rt: Runtime, args: EmbeddingBackward): void {
  const where = 'embeddingBackward';
  const a = opArguments(rt, where, args, ['batch', 'seq', 'hidden', 'vocab', 'ids', 'dout', 'dwte', 'dwpe']);
  if (!check(rt, where, a, [['dout', a.dout, 'rows'], ['dwte', a.dwte, 'table'], ['dwpe', a.dwpe, 'positions']])) return;
  rt.core.embeddingBackward(a.ids, a.dout, a.dwte, a.dwpe, a.batch, a.seq, a.hidden);
}
