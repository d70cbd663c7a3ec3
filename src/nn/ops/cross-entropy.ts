// Token-level softmax cross-entropy for a language model: the core's
// crossEntropyForward/Backward (kernels/loss.ts) over rows = B*T token
// positions and classes = the vocabulary, whose mean over rows is the mean
// over tokens (PyTorch's F.cross_entropy on logits.view(-1, V)).
//   forward   probs = softmax(logits) per row; returns mean over tokens of -log probs[target]
//   backward  dlogits = (probs - onehot(target)) / rows   (dlogits may be probs)
// SAVES FOR BACKWARD: the probabilities, rows * vocab * 4 bytes (not the logits).
// Targets outside [0, vocab) are refused before the core runs, naming the first.

import { checkBuffers, checkDim, checkTokenIds, opArguments } from './arguments.js';
import type { Runtime } from '../../runtime.js';

export interface TokenCrossEntropyForward {
  rows: number;
  vocab: number;
  logits: number;
  /** rows int32 target ids. */
  targets: number;
  /** May be logits. */
  probs: number;
}

export interface TokenCrossEntropyBackward {
  rows: number;
  vocab: number;
  probs: number;
  targets: number;
  /** May be probs. */
  dlogits: number;
}

/** Bytes the loss saves for backward: the probabilities. */
export const crossEntropySavedBytes = (rows: number, vocab: number): number => rows * vocab * 4;

function check(rt: Runtime, where: string, rows: number, vocab: number, targets: number, buffers: [string, unknown][]): boolean {
  checkDim(where, 'rows', rows);
  checkDim(where, 'vocab', vocab, 1);
  if (rows === 0) return false;
  checkBuffers(rt, where, [['targets', targets, rows * 4], ...buffers.map(([name, ptr]) => [name, ptr, rows * vocab * 4] as const)]);
  checkTokenIds(rt, where, 'targets', targets, rows, vocab);
  return true;
}

/** The mean loss over the rows (NaN for no rows, as PyTorch's mean of nothing). */
export function tokenCrossEntropyForward(rt: Runtime, args: TokenCrossEntropyForward): number {
  const where = 'tokenCrossEntropyForward';
  const a = opArguments(rt, where, args, ['rows', 'vocab', 'logits', 'targets', 'probs']);
  if (!check(rt, where, a.rows, a.vocab, a.targets, [['logits', a.logits], ['probs', a.probs]])) return NaN;
  return rt.core.crossEntropyForward(a.logits, a.targets, a.probs, a.rows, a.vocab);
}

export function tokenCrossEntropyBackward(rt: Runtime, args: TokenCrossEntropyBackward): void {
  const where = 'tokenCrossEntropyBackward';
  const a = opArguments(rt, where, args, ['rows', 'vocab', 'probs', 'targets', 'dlogits']);
  if (!check(rt, where, a.rows, a.vocab, a.targets, [['probs', a.probs], ['dlogits', a.dlogits]])) return;
  rt.core.crossEntropyBackward(a.probs, a.targets, a.dlogits, a.rows, a.vocab);
}
