// torch.optim.Adam (L2 weight decay added to the gradient) and torch.optim.AdamW
// (decoupled weight decay). m and v share one state block of 2 * count floats.

import { ArgumentError, checkFloat32, checkOptions, describeValue, orDefault } from '../errors.js';
import { decayRanges, type Optimizer, type ParameterBlock } from './optimizer.js';
import { applyUpdate, checkOwner, currentBounds, type NextBounds, type OptimizerState, updateWithState } from './state.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam implements Optimizer {
  readonly name: string = 'adam';
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private state: OptimizerState | null = null;

  constructor(options: AdamOptions = {}, defaultWeightDecay = 0) {
    checkOptions(this.constructor.name, options, ['lr', 'betas', 'eps', 'weightDecay']);
    // Only undefined takes a default: null is a value, and refused.
    this.lr = orDefault(options.lr, 1e-3) as number;
    this.betas = orDefault(options.betas, [0.9, 0.999]) as [number, number];
    this.eps = orDefault(options.eps, 1e-8) as number;
    this.weightDecay = orDefault(options.weightDecay, defaultWeightDecay) as number;
    for (const [name, v] of [['lr', this.lr], ['eps', this.eps], ['weightDecay', this.weightDecay]] as const) {
      checkFloat32(`${this.constructor.name} ${name}`, v);
      if (v < 0) throw new ArgumentError(`${this.constructor.name} ${name} must be >= 0, got ${v}`);
    }
    if (!Array.isArray(this.betas) || this.betas.length !== 2) {
      throw new ArgumentError(`${this.constructor.name} betas must be a pair [beta1, beta2], got ${describeValue(this.betas)}`);
    }
    this.betas.forEach((b, i) => {
      if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new ArgumentError(`${this.constructor.name} betas[${i}] must be in [0, 1), got ${describeValue(b)}`);
    });
  }

  stateBytes(count: number): number {
    return 2 * count * 4;
  }

  check(block: ParameterBlock): void {
    checkOwner(this.state, block);
  }

  hasState(owner: object): boolean {
    return this.state?.block.owner === owner;
  }

  step(block: ParameterBlock): number {
    const { state, bad } = updateWithState(this.state, block, this.stateBytes(block.count), `${this.name} moments (m, v)`, (s) => {
      // One kernel call per weight-decay group; each group keeps its m and v side by side ([m1 v1][m2 v2]).
      const run = (apply: boolean) => {
        for (const [start, n, decays] of decayRanges(block)) {
          const bad = block.runtime.core.adamStep(
            block.weights + 4 * start, block.gradients + 4 * start, s.ptr + 8 * start, n, s.steps + 1,
            this.lr, this.betas[0], this.betas[1], this.eps, decays ? this.weightDecay : 0, +this.decoupled, +apply,
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
   * Worst cases after this update: |m'| <= beta1 |m| + (1 - beta1) |g'|,
   * |v'| <= beta2 |v| + (1 - beta2) g'^2, and |p'| <= |p| |decay| + (lr / (1 - beta1^t)) |m'| / eps,
   * because the update's denominator is at least eps. The kernel also computes
   * g'^2 and m' / eps-sized quotients, which must stay finite on their own.
   */
  private nextBounds(s: OptimizerState, block: ParameterBlock): NextBounds {
    const cur = currentBounds(s, block);
    const [b1, b2] = this.betas;
    const g = block.gradientMaxAbs + (this.decoupled ? 0 : this.weightDecay * cur.parameters);
    const m = b1 * cur.state0 + (1 - b1) * g;
    const v = b2 * cur.state1 + (1 - b2) * g * g;
    const stepSize = this.lr / (1 - b1 ** (s.steps + 1));
    // A group without decay keeps its parameters' scale: factor 1.
    const decay = this.decoupled ? Math.max(Math.abs(1 - this.lr * this.weightDecay), (block.decayed ?? block.count) < block.count ? 1 : 0) : 1;
    const quotient = this.eps > 0 ? m / this.eps : NaN;
    const p = cur.parameters * decay + stepSize * quotient;
    return { parameters: p, state0: m, state1: v, intermediate: Math.max(g * g, quotient) };
  }

  dispose(): void {
    this.state?.free();
    this.state = null;
  }
}

/** AdamW: decoupled weight decay, default 0.01 as in PyTorch. */
export class AdamW extends Adam {
  override readonly name = 'adamw';
  protected override readonly decoupled = true;

  constructor(options: AdamOptions = {}) {
    super(options, 0.01);
  }
}
