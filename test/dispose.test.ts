// One name releases memory: dispose() on a Tensor, a model and an optimizer.

import { expect, it } from 'vitest';

import { Linear, ReLU } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { Adam } from '../src/optim/adam.js';
import { init } from '../src/runtime.js';
import { Tensor } from '../src/tensor.js';

it('dispose() on a Tensor, a model and its optimizer returns every byte they held; disposing again does nothing', async () => {
  const rt = await init({ build: 'simd' });
  const live = rt.arena.liveByCategory();
  const t = Tensor.from(rt, new Float32Array(10), [2, 5]);
  const model = new Sequential(rt, [Linear(5, 4), ReLU(), Linear(4, 2)]);
  const opt = new Adam();
  model.trainStep(t.data, [0, 1], opt);
  for (const thing of [t, model, opt]) {
    thing.dispose();
    thing.dispose();
  }
  expect(t.isFreed).toBe(true);
  const after = rt.arena.liveByCategory();
  // What stays is the GEMM packing workspace, which the runtime keeps for its next call.
  expect({ ...after, workspace: live.workspace }).toEqual(live);
});
