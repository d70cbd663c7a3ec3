// Residual adds: out = a + b over n floats (x + sublayer(x)).
// Backward is the identity fan-out, d a = d b = d out: no op runs for it. Where
// two gradients of one tensor meet (the residual stream, a tied embedding),
// accumulate adds one into the other with the same kernel.
// SAVES FOR BACKWARD: nothing (0 bytes).

import { checkBuffers, checkDim, opArguments } from './arguments.js';
import type { Runtime } from '../../runtime.js';

export interface ResidualAdd {
  n: number;
  a: number;
  b: number;
  /** May be a or b. */
  out: number;
}

export interface Accumulate {
  n: number;
  /** dst += src */
  dst: number;
  src: number;
}

export const RESIDUAL_SAVED_BYTES = 0;

export function residualAdd(rt: Runtime, args: ResidualAdd): void {
  const where = 'residualAdd';
  const a = opArguments(rt, where, args, ['n', 'a', 'b', 'out']);
  checkDim(where, 'n', a.n);
  if (a.n === 0) return;
  checkBuffers(rt, where, [['a', a.a, a.n * 4], ['b', a.b, a.n * 4], ['out', a.out, a.n * 4]]);
  rt.core.elementwiseAdd(a.a, a.b, a.out, a.n);
}

export function accumulate(rt: Runtime, args: Accumulate): void {
  const where = 'accumulate';
  const a = opArguments(rt, where, args, ['n', 'dst', 'src']);
  checkDim(where, 'n', a.n);
  if (a.n === 0) return;
  checkBuffers(rt, where, [['dst', a.dst, a.n * 4], ['src', a.src, a.n * 4]]);
  rt.core.elementwiseAdd(a.dst, a.src, a.dst, a.n);
}
