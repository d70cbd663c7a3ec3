// torch.optim.SGD: momentum, dampening, nesterov, weight decay. The momentum
// buffer is allocated on the first step; plain SGD keeps no state.

import { ArgumentError, checkBoolean, checkFloat32, checkOptions, orDefault } from '../errors.js';
import { decayRanges, type Optimizer, type ParameterBlock } from './optimizer.js';
import { applyUpdate, checkOwner, currentBounds, type NextBounds, type OptimizerState, updateWithState } from './state.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD implements Optimizer {
  readonly name = 'sgd';
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private state: OptimizerState | null = null;

  constructor(options: SGDOptions) {
    if (typeof options !== 'object' || options === null) throw new ArgumentError('SGD needs options with lr, e.g. new SGD({ lr: 0.01 })');
    checkOptions('SGD', options, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
    this.lr = options.lr;
    // Only undefined takes a default: null is a value, and refused.
    this.momentum = orDefault(options.momentum, 0) as number;
    this.dampening = orDefault(options.dampening, 0) as number;
    this.nesterov = orDefault(options.nesterov, false) as boolean;
    this.weightDecay = orDefault(options.weightDecay, 0) as number;
    for (const [name, v] of [['lr', this.lr], ['momentum', this.momentum], ['weightDecay', this.weightDecay]] as const) {
      checkFloat32(`SGD ${name}`, v);
      if (v < 0) throw new ArgumentError(`SGD ${name} must be >= 0, got ${v}`);
    }
    checkFloat32('SGD dampening', this.dampening);
    checkBoolean('SGD nesterov', this.nesterov);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ArgumentError('SGD nesterov momentum requires momentum > 0 and dampening = 0');
    }
  }

  stateBytes(count: number): number {
    return this.momentum !== 0 ? count * 4 : 0;
  }

  check(block: ParameterBlock): void {
    checkOwner(this.state, block);
  }

  hasState(owner: object): boolean {
    return this.state?.block.owner === owner;
  }

  step(block: ParameterBlock): number {
    const { state, bad } = updateWithState(this.state, block, this.stateBytes(block.count), 'SGD momentum buffer', (s) => {
      const run = (apply: boolean) => {
        for (const [start, n, decays] of decayRanges(block)) {
          const bad = block.runtime.core.sgdStep(
            block.weights + 4 * start, block.gradients + 4 * start, s.ptr + 4 * start, n,
            this.lr, this.momentum, this.dampening, decays ? this.weightDecay : 0, +this.nesterov, +(s.steps === 0), +apply,
          );
          if (bad >= 0) return start + bad;
        }
        return -1;
      };
      return applyUpdate(s, block, run, this.nextBounds(s, block));
    });
    this.state = state;
    return bad;
  }

  /**
   * Worst cases after this update: |p'| <= |p| + lr |g'|, |buf'| <= momentum |buf| + |1 - dampening| |g'|.
   * Every intermediate the kernel computes is a term of one of these sums.
   */
  private nextBounds(s: OptimizerState, block: ParameterBlock): NextBounds {
    const cur = currentBounds(s, block);
    const g = block.gradientMaxAbs + this.weightDecay * cur.parameters;
    if (this.momentum === 0) return { parameters: cur.parameters + this.lr * g, state0: 0, state1: 0, intermediate: g };
    const buf = s.steps === 0 ? g : this.momentum * cur.state0 + Math.abs(1 - this.dampening) * g;
    const step = this.nesterov ? g + this.momentum * buf : buf;
    return { parameters: cur.parameters + this.lr * step, state0: buf, state1: 0, intermediate: step };
  }

  dispose(): void {
    this.state?.free();
    this.state = null;
  }
}
