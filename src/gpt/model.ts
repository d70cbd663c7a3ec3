// A GPT whose parameters live in one weights block in the core's memory
// (llm.c style), laid out by its parameter table (./parameters.ts) and
// initialised as GPT-2 from a seeded generator. Parameters are read and set
// by nanoGPT's names, so weights move to and from PyTorch directly.

import { ArgumentError, checkInt, checkOptions, orDefault } from '../errors.js';
import { checkParameterValues, type NamedParameter, type ParameterValues, readParameters } from '../nn/named-parameters.js';
import { Random } from '../nn/random.js';
import { checkRuntime, type Runtime } from '../runtime.js';
import { type GPTConfig, type GPTConfigInput, gptConfig } from './config.js';
import { type GPTParameter, gptParameterCount, gptParameters } from './parameters.js';

export interface GPTOptions {
  /** Seed of the initialisation (default 0). */
  seed?: number;
}

export class GPT {
  readonly config: GPTConfig;
  readonly parameterTable: readonly GPTParameter[];
  readonly parameterCount: number;
  private readonly weightsPtr: number;
  private disposed = false;

  constructor(
    readonly runtime: Runtime,
    config: GPTConfigInput,
    options: GPTOptions = {},
  ) {
    checkRuntime(runtime, 'GPT');
    const seed = orDefault(checkOptions('GPT', options, ['seed']).seed, 0);
    checkInt('GPT seed', seed, 0, 2 ** 32 - 1);
    this.config = gptConfig(config);
    this.parameterTable = gptParameters(this.config);
    this.parameterCount = gptParameterCount(this.config);
    runtime.arena.setContext('model', 'setup');
    this.weightsPtr = runtime.arena.alloc(this.parameterCount * 4, 'weights', `weights of ${this.parameterCount} parameters`);
    this.initialise(seed);
  }

  /** GPT-2's initialisation, drawn in parameter-table order from one seeded generator. */
  private initialise(seed: number): void {
    const rng = new Random(seed);
    const w = this.weightView();
    for (const p of this.parameterTable) {
      const values = w.subarray(p.offset, p.offset + p.count);
      if (p.init.kind === 'normal') for (let i = 0; i < values.length; i++) values[i] = rng.normal(0, p.init.std);
      else values.fill(p.init.kind === 'ones' ? 1 : 0);
    }
  }

  private weightView(): Float32Array {
    if (this.disposed) throw new ArgumentError('this GPT was disposed');
    return new Float32Array(this.runtime.memory.buffer, this.weightsPtr, this.parameterCount);
  }

  /** Copies of every parameter, in named_parameters() order (a tied head reads transformer.wte.weight). */
  parameters(): NamedParameter[] {
    return readParameters(this.parameterTable, this.weightView());
  }

  /** Sets parameters by name, strict by default as PyTorch's load_state_dict; a bad argument changes nothing. */
  setParameters(values: ParameterValues, options: { strict?: boolean } = {}): void {
    const writes = checkParameterValues(this.parameterTable, values, options);
    const w = this.weightView();
    for (const { slot, data } of writes) w.set(data, slot.offset);
  }

  /** Gives the weights block back to the runtime; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.runtime.arena.free(this.weightsPtr);
    this.disposed = true;
  }
}
