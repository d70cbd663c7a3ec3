// Optimizer state bound to one model's parameter block, allocated lazily.

import { ArgumentError } from '../errors.js';
import type { ParameterBlock } from './optimizer.js';

export class OptimizerState {
  steps = 0;
  bounds: UpdateBounds | null = null;
  boundsVersion = -1;
  constructor(
    readonly block: ParameterBlock,
    readonly ptr: number,
    /** State streams of block.count floats each (0: none, 1: momentum, 2: m and v). */
    readonly streams: number,
  ) {}

  free(): void {
    if (this.ptr) this.block.runtime.arena.free(this.ptr);
  }
}

/**
 * Returns the state for `block`, allocating `bytes` (zeroed, category
 * `optimizer`) on the first call. Refuses a second model: state belongs to one.
 */
function bindState(state: OptimizerState | null, block: ParameterBlock, bytes: number, what: string): OptimizerState {
  if (state) {
    checkOwner(state, block);
    return state;
  }
  let ptr = 0;
  if (bytes > 0) {
    ptr = block.runtime.arena.alloc(bytes, 'optimizer', what);
    new Uint8Array(block.runtime.memory.buffer, ptr, bytes).fill(0);
  }
  return new OptimizerState(block, ptr, bytes / (4 * block.count));
}

/**
 * One update (`update`, given the state) with the state for `block`,
 * allocated by bindState on the first call. A first update that is refused
 * frees the state it allocated, so a refused step leaves no optimizer memory
 * behind and the next step is the first again. Returns the state to keep and
 * what `update` returned (-1: applied, else the first bad index).
 */
export function updateWithState(
  state: OptimizerState | null, block: ParameterBlock, bytes: number, what: string, update: (s: OptimizerState) => number,
): { state: OptimizerState | null; bad: number } {
  const s = bindState(state, block, bytes, what);
  const bad = update(s);
  if (bad >= 0 && s !== state) {
    s.free();
    return { state, bad };
  }
  return { state: s, bad };
}

/** Throws ArgumentError if `state` belongs to a model other than `block`'s. */
export function checkOwner(state: OptimizerState | null, block: ParameterBlock): void {
  if (state && state.block.owner !== block.owner) {
    throw new ArgumentError('this optimizer already holds state for another model; create one optimizer per model');
  }
}

/**
 * Worst-case largest |value| of the parameters and of each state stream
 * (momentum; or Adam's m and v), carried from step to step by the update rule
 * itself, so no pass over memory is needed to keep it.
 */
export interface UpdateBounds {
  parameters: number;
  state0: number;
  state1: number;
}

/**
 * What the safety test reads: the bounds carried to the next step, and the
 * largest intermediate the kernel computes on the way (Adam's g * g), which
 * can overflow float32 even when every stored value would not.
 */
export interface NextBounds extends UpdateBounds {
  intermediate: number;
}

/**
 * float32 tops out at 3.4e38; a worst case below this leaves room for the
 * rounding of the few operations behind each bound.
 */
export const SAFE_BOUND = 1e37;

/** The bounds before this update: carried over, or measured when new or when the parameters were set since. */
export function currentBounds(state: OptimizerState, block: ParameterBlock): UpdateBounds {
  if (state.bounds && state.boundsVersion === block.version) return state.bounds;
  const core = block.runtime.core;
  const n = block.count;
  // With weight-decay groups two streams lie group by group ([m1 v1][m2 v2]): one bound covers both.
  if (state.streams >= 2 && (block.decayed ?? n) < n) {
    const both = core.maxAbs(state.ptr, 2 * n);
    return { parameters: core.maxAbs(block.weights, n), state0: both, state1: both };
  }
  return {
    parameters: core.maxAbs(block.weights, n),
    state0: state.streams >= 1 ? core.maxAbs(state.ptr, n) : 0,
    state1: state.streams >= 2 ? core.maxAbs(state.ptr + n * 4, n) : 0,
  };
}

/**
 * One optimizer update. `next` bounds every value the update can write or
 * compute; while it stays below SAFE_BOUND the update is applied at once.
 * Otherwise a check-only pass runs first and, if some parameter or state
 * value would become NaN or infinite, nothing is written and its index is
 * returned. -1: applied.
 */
export function applyUpdate(state: OptimizerState, block: ParameterBlock, run: (apply: boolean) => number, next: NextBounds): number {
  const { intermediate, ...carried } = next;
  const safe = Math.max(carried.parameters, carried.state0, carried.state1, intermediate) < SAFE_BOUND; // NaN (unknown) is not safe
  if (!safe) {
    const bad = run(false);
    if (bad >= 0) return bad;
  }
  run(true);
  state.steps++;
  // A bound that ran out of room is measured afresh, so one wild step does not mean checking forever.
  state.bounds = safe ? carried : null;
  state.boundsVersion = block.written();
  return -1;
}
