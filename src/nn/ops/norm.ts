// LayerNorm (torch.nn.LayerNorm over the last dimension: weight, optional
// bias, eps 1e-5) and RMSNorm (LLaMA's: weight, no bias, eps 1e-6 by
// default) over rows x hidden, on one core kernel pair (kernels/norm.ts).
//   forward   LayerNorm y = (x - mean) * rstd * w + b, rstd = 1/sqrt(var + eps)
//             RMSNorm   y = x * rstd * w,              rstd = 1/sqrt(mean(x²) + eps)
//   backward  dx (written, or added with accumulate: a residual stream's
//             gradient), dweight += and dbias += (the plan zeroes gradients once a step)
// SAVES FOR BACKWARD, as llm.c: the input x (rows*hidden*4 bytes, the tensor
// the previous op produced, counted once where it is made) and the row
// statistics in f32: LayerNorm mean and rstd, 8*rows bytes; RMSNorm rstd,
// 4*rows bytes. Statistics are computed in f32, mean first, then the mean of
// (x - mean)² (two passes).

import { ArgumentError, checkBoolean, checkFloat32, orDefault } from '../../errors.js';
import { checkBuffers, checkDim, opArguments } from './arguments.js';
import type { Runtime } from '../../runtime.js';

export interface NormShape {
  rows: number;
  hidden: number;
}

export interface LayerNormForward extends NormShape {
  x: number; weight: number;
  /** 0: no bias. */
  bias: number;
  out: number; mean: number; rstd: number;
  /** Default 1e-5, as torch.nn.LayerNorm. */
  eps?: number;
}

export interface LayerNormBackward extends NormShape {
  x: number; weight: number; mean: number; rstd: number; dout: number;
  dx: number; dweight: number;
  /** 0: no bias. */
  dbias: number;
  /** Add dx to what is there (default false: overwrite). */
  accumulate?: boolean;
}

export interface RMSNormForward extends NormShape {
  x: number; weight: number; out: number; rstd: number;
  /** Default 1e-6, as LLaMA's RMSNorm. */
  eps?: number;
}

export interface RMSNormBackward extends NormShape {
  x: number; weight: number; rstd: number; dout: number; dx: number; dweight: number;
  accumulate?: boolean;
}

export const LAYER_NORM_EPS = 1e-5;
export const RMS_NORM_EPS = 1e-6;

/** Bytes LayerNorm saves besides its input: mean and rstd, one f32 each per row. */
export const layerNormSavedBytes = (rows: number): number => 8 * rows;
/** Bytes RMSNorm saves besides its input: rstd, one f32 per row. */
export const rmsNormSavedBytes = (rows: number): number => 4 * rows;

type Buffers = [name: string, ptr: unknown, kind: 'rows' | 'vector' | 'stats', optional?: boolean][];

/** Checks sizes and buffers; returns false when there is nothing to do. */
function check(rt: Runtime, where: string, a: NormShape, buffers: Buffers): boolean {
  checkDim(where, 'rows', a.rows);
  checkDim(where, 'hidden', a.hidden);
  if (a.rows === 0 || a.hidden === 0) return false;
  const bytes = { rows: a.rows * a.hidden * 4, vector: a.hidden * 4, stats: a.rows * 4 };
  checkBuffers(rt, where, buffers.map(([name, ptr, kind, optional]) => [name, ptr, bytes[kind], { optional }] as const));
  return true;
}

function checkEps(where: string, eps: unknown): number {
  checkFloat32(`${where}: eps`, eps);
  if (eps <= 0) throw new ArgumentError(`${where}: eps must be > 0, got ${eps}`, { field: 'eps' });
  return eps;
}

function checkAccumulate(where: string, accumulate: unknown): number {
  const value = orDefault(accumulate, false);
  checkBoolean(`${where}: accumulate`, value);
  return +value;
}

export function layerNormForward(rt: Runtime, args: LayerNormForward): void {
  const where = 'layerNormForward';
  const a = opArguments(rt, where, args, ['rows', 'hidden', 'x', 'weight', 'bias', 'out', 'mean', 'rstd', 'eps']);
  const eps = checkEps(where, orDefault(a.eps, LAYER_NORM_EPS));
  if (!check(rt, where, a, [['x', a.x, 'rows'], ['weight', a.weight, 'vector'], ['bias', a.bias, 'vector', true], ['out', a.out, 'rows'], ['mean', a.mean, 'stats'], ['rstd', a.rstd, 'stats']])) return;
  rt.core.normForward(1, a.x, a.weight, a.bias, a.out, a.mean, a.rstd, a.rows, a.hidden, eps);
}

export function layerNormBackward(rt: Runtime, args: LayerNormBackward): void {
  const where = 'layerNormBackward';
  const a = opArguments(rt, where, args, ['rows', 'hidden', 'x', 'weight', 'mean', 'rstd', 'dout', 'dx', 'dweight', 'dbias', 'accumulate']);
  const accumulate = checkAccumulate(where, a.accumulate);
  if (!check(rt, where, a, [
    ['x', a.x, 'rows'], ['weight', a.weight, 'vector'], ['mean', a.mean, 'stats'], ['rstd', a.rstd, 'stats'], ['dout', a.dout, 'rows'],
    ['dx', a.dx, 'rows'], ['dweight', a.dweight, 'vector'], ['dbias', a.dbias, 'vector', true],
  ])) return;
  rt.core.normBackward(1, a.x, a.weight, a.mean, a.rstd, a.dout, a.dx, a.dweight, a.dbias, a.rows, a.hidden, accumulate);
}

export function rmsNormForward(rt: Runtime, args: RMSNormForward): void {
  const where = 'rmsNormForward';
  const a = opArguments(rt, where, args, ['rows', 'hidden', 'x', 'weight', 'out', 'rstd', 'eps']);
  const eps = checkEps(where, orDefault(a.eps, RMS_NORM_EPS));
  if (!check(rt, where, a, [['x', a.x, 'rows'], ['weight', a.weight, 'vector'], ['out', a.out, 'rows'], ['rstd', a.rstd, 'stats']])) return;
  rt.core.normForward(0, a.x, a.weight, 0, a.out, 0, a.rstd, a.rows, a.hidden, eps);
}

export function rmsNormBackward(rt: Runtime, args: RMSNormBackward): void {
  const where = 'rmsNormBackward';
  const a = opArguments(rt, where, args, ['rows', 'hidden', 'x', 'weight', 'rstd', 'dout', 'dx', 'dweight', 'accumulate']);
  const accumulate = checkAccumulate(where, a.accumulate);
  if (!check(rt, where, a, [
    ['x', a.x, 'rows'], ['weight', a.weight, 'vector'], ['rstd', a.rstd, 'stats'], ['dout', a.dout, 'rows'], ['dx', a.dx, 'rows'], ['dweight', a.dweight, 'vector'],
  ])) return;
  rt.core.normBackward(0, a.x, a.weight, 0, a.rstd, a.dout, a.dx, a.dweight, 0, a.rows, a.hidden, accumulate);
}
