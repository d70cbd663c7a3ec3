// The optimizers wasmgrad names (CLI, profiler, estimator, benchmarks, demo),
// each with PyTorch's rules and defaults and the learning rate wasmgrad uses
// when none is given. One table: nothing else spells these names or defaults.

import { ArgumentError } from '../errors.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { SGD } from './sgd.js';

export const OPTIMIZERS = {
  sgd: { label: 'SGD', lr: 0.01, make: (lr: number) => new SGD({ lr }) },
  'sgd-momentum': { label: 'SGD with momentum 0.9', lr: 0.01, make: (lr: number) => new SGD({ lr, momentum: 0.9 }) },
  adam: { label: 'Adam', lr: 1e-3, make: (lr: number) => new Adam({ lr }) },
  adamw: { label: 'AdamW', lr: 1e-3, make: (lr: number) => new AdamW({ lr }) },
} as const satisfies Record<string, { label: string; lr: number; make: (lr: number) => Optimizer }>;

export type OptimizerName = keyof typeof OPTIMIZERS;
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as OptimizerName[];

/** The named optimizer with `lr`, or wasmgrad's default learning rate for it. */
export function makeOptimizer(name: OptimizerName, lr?: number): SGD | Adam {
  if (!Object.hasOwn(OPTIMIZERS, name)) throw new ArgumentError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(name)}`);
  const entry = OPTIMIZERS[name];
  return entry.make(lr ?? entry.lr);
}
