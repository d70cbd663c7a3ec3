// The transformer estimator's model-state rule (modelStateBytes) is the one the
// MLP estimator uses, and on every MLP wasmgrad can run it gives exactly the
// bytes the core's allocator measures: one model of training memory, not two.

import { describe, expect, it } from 'vitest';
import { Linear, activation } from '../src/index.js';
import { modelStateBytes } from '../src/estimate/model-states.js';
import { MLP_OPTIMIZERS } from '../src/estimate/mlp.js';
import { profileMlp } from '../src/profile/profile-mlp.js';

const NETWORKS = [
  [784, 100, 10],
  [13, 7, 5, 3],
  [300, 64, 64, 64, 9],
];

describe('model states: transformer rule == MLP estimate == measured (fp32, one device)', () => {
  it.each(NETWORKS.flatMap((sizes) => MLP_OPTIMIZERS.map((o) => [sizes.join('-'), o, sizes] as const)))('%s with %s', async (_n, optimizer, sizes) => {
    const layers = sizes.slice(1).flatMap((out, i) => (i === 0 ? [Linear(sizes[0]!, out)] : [activation('relu'), Linear(sizes[i]!, out)]));
    const p = await profileMlp({ layers, batch: 16, optimizer, build: 'simd' });
    const rule = modelStateBytes(p.parameters, { precision: 'fp32', optimizer });
    expect({ weights: p.measured.live.weights, gradients: p.measured.live.gradients, optimizer: p.measured.live.optimizer }).toEqual(rule);
    expect({ weights: p.estimated.live.weights, gradients: p.estimated.live.gradients, optimizer: p.estimated.live.optimizer }).toEqual(rule);
  });
});
