// What a Sequential needs from an optimizer: one update over the flat
// parameter block, given the flat gradient block. State lives in the core,
// allocated on the first step (as PyTorch does) under the `optimizer` category.

import { ArgumentError, describeValue } from '../errors.js';
import type { Runtime } from '../runtime.js';

export interface ParameterBlock {
  runtime: Runtime;
  /** Byte address of the flat weights block and of the matching gradients block. */
  weights: number;
  gradients: number;
  /** Number of float32 parameters. */
  count: number;
  /** Identifies the model, so one optimizer is not used with two models. */
  owner: object;
  /**
   * Changes whenever anything writes the parameters (setParameters, any
   * optimizer's update), so bounds an optimizer carried from its own last
   * update are trusted only if nobody else wrote since.
   */
  version: number;
  /** Records a write of the parameters by an optimizer; returns the new version. */
  written(): number;
  /** Largest |gradient| of this step (NaN when unknown: the optimizer then checks every value). */
  gradientMaxAbs: number;
  /**
   * How many parameters at the start of the block weight decay applies to
   * (nanoGPT's optimizer groups: matrices and embeddings); absent: all of them.
   */
  decayed?: number;
}

/** The ranges of one update: [start, count, whether weight decay applies], the decayed part first. */
export function decayRanges(block: ParameterBlock): [number, number, boolean][] {
  const d = block.decayed ?? block.count;
  return d >= block.count ? [[0, block.count, true]] : [[0, d, true], [d, block.count - d, false]];
}

export interface Optimizer {
  readonly name: string;
  /** Bytes of state this optimizer keeps for `count` parameters (after its first step). */
  stateBytes(count: number): number;
  /**
   * Throws ArgumentError if this optimizer cannot update `block` (its state
   * belongs to another model). Called before a training step changes anything.
   */
  check(block: ParameterBlock): void;
  /** Whether this optimizer already holds its state for the model `owner` (allocated on its first step). */
  hasState(owner: object): boolean;
  /**
   * Applies one update in place, unless it would make a parameter or a state
   * value NaN or infinite: then nothing (parameters, state, step count)
   * changes and the index of the first such parameter is returned. Returns -1
   * when applied.
   */
  step(block: ParameterBlock): number;
  /** Returns the state memory to the allocator. */
  dispose(): void;
}

/** Throws ArgumentError unless `value` looks like an Optimizer (a call from JavaScript may pass anything). */
export function checkOptimizer(value: unknown): asserts value is Optimizer {
  const o = value as Partial<Optimizer> | null;
  if (typeof o !== 'object' || o === null || typeof o.step !== 'function' || typeof o.check !== 'function' || typeof o.hasState !== 'function' || typeof o.stateBytes !== 'function') {
    const given = value === undefined ? 'none' : typeof value === 'object' && value !== null ? 'an object that is not one' : describeValue(value);
    throw new ArgumentError(`trainStep needs an optimizer (new SGD({ lr }), new Adam(), new AdamW()), got ${given}; use lossAndGradients for a step without an update`);
  }
}
