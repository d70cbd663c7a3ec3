// Optimizer state bound to one model's parameter block, allocated lazily.

import { ArgumentError } from '../errors.js';
import type { ParameterBlock } from './optimizer.js';

export class OptimizerState {
  steps = 0;
  constructor(
    readonly block: ParameterBlock,
    readonly ptr: number,
  ) {}

  free(): void {
    if (this.ptr) this.block.runtime.arena.free(this.ptr);
  }
}

/**
 * Returns the state for `block`, allocating `bytes` (zeroed, category
 * `optimizer`) on the first call. Refuses a second model: state belongs to one.
 */
export function bindState(state: OptimizerState | null, block: ParameterBlock, bytes: number, what: string): OptimizerState {
  if (state) {
    if (state.block.owner !== block.owner) {
      throw new ArgumentError('this optimizer already holds state for another model; create one optimizer per model');
    }
    return state;
  }
  let ptr = 0;
  if (bytes > 0) {
    ptr = block.runtime.arena.alloc(bytes, 'optimizer', what);
    new Uint8Array(block.runtime.memory.buffer, ptr, bytes).fill(0);
  }
  return new OptimizerState(block, ptr);
}

/**
 * One optimizer update in two passes over the block: a check-only pass, then,
 * when it found no parameter that would become NaN or infinite, the update.
 * Returns the first such parameter's index (nothing written) or -1.
 */
export function checkThenApply(state: OptimizerState, run: (apply: boolean) => number): number {
  const bad = run(false);
  if (bad >= 0) return bad;
  run(true);
  state.steps++;
  return -1;
}
