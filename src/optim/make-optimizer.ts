// The optimizers the CLI and the profiler name (MLP_OPTIMIZERS), each with
// PyTorch's defaults and the learning rate wasmgrad uses when none is given.

import { ArgumentError } from '../errors.js';
import type { MlpOptimizer } from '../estimate/mlp.js';
import { Adam, AdamW } from './adam.js';
import { SGD } from './sgd.js';

/** Default learning rate: 0.01 for SGD, 0.001 for Adam and AdamW. */
export function makeOptimizer(name: MlpOptimizer, lr?: number): SGD | Adam {
  switch (name) {
    case 'sgd': return new SGD({ lr: lr ?? 0.01 });
    case 'sgd-momentum': return new SGD({ lr: lr ?? 0.01, momentum: 0.9 });
    case 'adam': return new Adam({ lr: lr ?? 1e-3 });
    case 'adamw': return new AdamW({ lr: lr ?? 1e-3 });
    default: throw new ArgumentError(`optimizer must be sgd, sgd-momentum, adam or adamw, got ${String(name)}`);
  }
}
