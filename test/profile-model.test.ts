// profile(model, options): the memory profile of an existing model's configuration.

import { describe, expect, it } from 'vitest';

import { ArgumentError } from '../src/errors.js';
import { Linear, ReLU, Tanh } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { profile } from '../src/profile/profile-model.js';
import { profileMlp } from '../src/profile/profile-mlp.js';
import { init } from '../src/runtime.js';

describe('profile(model)', () => {
  it("measures the model's own configuration, the same as profileMlp, and leaves the model as it was", async () => {
    const rt = await init({ build: 'scalar' });
    const layers = [Linear(12, 8), Tanh(), Linear(8, 6), ReLU(), Linear(6, 3)];
    const model = new Sequential(rt, layers, { loss: 'mse', inplace: true, checkpoint: [1], seed: 3 });
    const before = model.parameters();
    const live = rt.arena.liveByCategory();
    const p = await profile(model, { batch: 5, optimizer: 'sgd-momentum' });
    const q = await profileMlp({ layers, batch: 5, optimizer: 'sgd-momentum', loss: 'mse', inplace: true, checkpoint: [1], build: 'scalar' });
    expect(p).toMatchObject({ build: 'scalar', loss: 'mse', inplace: true, checkpoint: [1], optimizer: 'sgd-momentum', batches: [5, 5] });
    expect(p.measured.peak).toEqual(q.measured.peak);
    expect(p.measured.peak).toEqual(p.estimated.peak);
    expect(model.parameters()).toEqual(before);
    expect(rt.arena.liveByCategory()).toEqual(live);
    await expect(profile(model, { loss: 'mse' } as never)).rejects.toThrow(new ArgumentError('profile: unknown option "loss"; known options: batch, batches, optimizer, seed, lr'));
    model.dispose();
  });
});
