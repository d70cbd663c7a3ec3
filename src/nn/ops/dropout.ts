// Dropout (train mode) with a seeded 1-byte mask over n floats:
//   forward   mask[i] = keep ? 1 : 0; out = x * mask / (1 - p)
//   backward  dx = dout * mask / (1 - p)
// SAVES FOR BACKWARD: the mask, 1 byte per element (n bytes), none at p = 0.
// p = 0 is the identity and saves nothing: the core is not called, no mask is
// read or written, and out (dx) is a copy of x (dout) unless it is x itself.
// The generator (kernels/dropout.ts) is counter-based SplitMix64: element i
// draws from (seed, offset + i) alone, so a recomputed forward with the same
// seed and offset reproduces the mask; give each dropout site its own offset
// range (or seed).

import { ArgumentError, checkInt, describeValue, orDefault } from '../../errors.js';
import { checkBuffers, checkDim, opArguments } from './arguments.js';
import type { Runtime } from '../../runtime.js';

export interface DropoutForward {
  n: number;
  /** Probability of dropping an element, 0 <= p < 1. */
  p: number;
  /** 32-bit seed (an integer in [0, 2^32)). */
  seed: number;
  /** Counter of the first element (default 0); offset + n <= 2^32. */
  offset?: number;
  x: number;
  /** May be x. */
  out: number;
  /** n bytes (not read at p = 0). */
  mask: number;
}

export interface DropoutBackward {
  n: number;
  p: number;
  dout: number;
  mask: number;
  /** May be dout. */
  dx: number;
}

const TWO_32 = 2 ** 32;

/** Bytes dropout saves for backward: the 1-byte mask, nothing at p = 0. */
export const dropoutMaskBytes = (n: number, p: number): number => (p === 0 ? 0 : n);

function checkP(where: string, p: unknown): asserts p is number {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new ArgumentError(`${where}: p must be a number with 0 <= p < 1, got ${describeValue(p)}`, { field: 'p' });
}

/** p and seed of a dropout drawn inside another kernel (the memory-saving attention), checked as dropoutForward checks them. */
export function checkDropout(where: string, p: unknown, seed: unknown): void {
  checkP(where, p);
  checkInt(`${where}: seed`, seed, 0, TWO_32 - 1);
}

/** out = x for p = 0: nothing runs when they are the same buffer. */
function copy(rt: Runtime, from: number, to: number, n: number): void {
  if (from !== to) new Uint8Array(rt.memory.buffer).copyWithin(to, from, from + n * 4);
}

export function dropoutForward(rt: Runtime, args: DropoutForward): void {
  const where = 'dropoutForward';
  const a = opArguments(rt, where, args, ['n', 'p', 'seed', 'offset', 'x', 'out', 'mask']);
  checkDim(where, 'n', a.n);
  checkDropout(where, a.p, a.seed);
  const offset = orDefault(a.offset, 0);
  checkInt(`${where}: offset`, offset, 0, TWO_32 - a.n);
  if (a.n === 0) return;
  checkBuffers(rt, where, [['x', a.x, a.n * 4], ['out', a.out, a.n * 4], ...(a.p === 0 ? [] : [['mask', a.mask, a.n, { align: 1 }] as const])]);
  if (a.p === 0) return copy(rt, a.x, a.out, a.n);
  rt.core.dropoutForward(a.x, a.out, a.mask, a.n, a.p, a.seed, offset);
}

export function dropoutBackward(rt: Runtime, args: DropoutBackward): void {
  const where = 'dropoutBackward';
  const a = opArguments(rt, where, args, ['n', 'p', 'dout', 'mask', 'dx']);
  checkDim(where, 'n', a.n);
  checkP(where, a.p);
  if (a.n === 0) return;
  checkBuffers(rt, where, [['dout', a.dout, a.n * 4], ['dx', a.dx, a.n * 4], ...(a.p === 0 ? [] : [['mask', a.mask, a.n, { align: 1 }] as const])]);
  if (a.p === 0) return copy(rt, a.dout, a.dx, a.n);
  rt.core.dropoutBackward(a.dout, a.mask, a.dx, a.n, a.p);
}
