// SwiGLU's gate (LLaMA's feed-forward w2(silu(w1 x) * w3 x)) over n floats:
//   forward   out = silu(a) * b      (a = w1 x, the gate; b = w3 x, the up projection)
//   backward  da = dout * b * silu'(a), db = dout * silu(a)   (written, not added)
// SAVES FOR BACKWARD: both inputs a and b, 2 * 4n bytes (the outputs of the
// two projections); silu(a) is recomputed in backward rather than stored.

import { checkBuffers, checkDim, opArguments } from './arguments.js';
import type { Runtime } from '../../runtime.js';

export interface SwiGLUForward {
  n: number;
  a: number;
  b: number;
  /** May be a or b. */
  out: number;
}

export interface SwiGLUBackward {
  n: number;
  a: number;
  b: number;
  dout: number;
  /** May alias dout, a or b (element for element). */
  da: number;
  db: number;
}

/** Bytes SwiGLU saves for backward: its two inputs. */
export const swigluSavedBytes = (n: number): number => 8 * n;

export function swigluForward(rt: Runtime, args: SwiGLUForward): void {
  const where = 'swigluForward';
  const a = opArguments(rt, where, args, ['n', 'a', 'b', 'out']);
  checkDim(where, 'n', a.n);
  if (a.n === 0) return;
  checkBuffers(rt, where, [['a', a.a, a.n * 4], ['b', a.b, a.n * 4], ['out', a.out, a.n * 4]]);
  rt.core.swigluForward(a.a, a.b, a.out, a.n);
}

export function swigluBackward(rt: Runtime, args: SwiGLUBackward): void {
  const where = 'swigluBackward';
  const a = opArguments(rt, where, args, ['n', 'a', 'b', 'dout', 'da', 'db']);
  checkDim(where, 'n', a.n);
  if (a.n === 0) return;
  checkBuffers(rt, where, [['a', a.a, a.n * 4], ['b', a.b, a.n * 4], ['dout', a.dout, a.n * 4], ['da', a.da, a.n * 4], ['db', a.db, a.n * 4]]);
  rt.core.swigluBackward(a.a, a.b, a.dout, a.da, a.db, a.n);
}
