// What a Sequential needs from an optimizer: one update over the flat
// parameter block, given the flat gradient block. State lives in the core,
// allocated on the first step (as PyTorch does) under the `optimizer` category.

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
  /** Changes whenever the parameters are set from outside, so bounds from an earlier update are not trusted. */
  version: number;
  /** Largest |gradient| of this step (NaN when unknown: the optimizer then checks every value). */
  gradientMaxAbs: number;
}

export interface Optimizer {
  readonly name: string;
  /** Bytes of state this optimizer keeps for `count` parameters (after its first step). */
  stateBytes(count: number): number;
  /**
   * Applies one update in place, unless it would make a parameter NaN or
   * infinite: then nothing (parameters, state, step count) changes and the
   * index of the first such parameter is returned. Returns -1 when applied.
   */
  step(block: ParameterBlock): number;
  /** Returns the state memory to the allocator. */
  dispose(): void;
}
