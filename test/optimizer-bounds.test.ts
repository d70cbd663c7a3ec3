// Optimizers skip their check pass only when a worst-case bound proves the
// update finite; gradients that would overflow the update are still refused
// after many good steps, with the model and optimizer state untouched.

import { describe, expect, it } from 'vitest';
import { Adam, init, Linear, NonFiniteError, ReLU, SGD, Sequential, type BuildName, type Optimizer } from '../src/index.js';

const bits = (m: Sequential) => Buffer.concat(m.parameters().map((p) => Buffer.from(p.data.buffer)));

describe.each(['simd', 'scalar'] as BuildName[])('update bounds (%s build)', (build) => {
  it.each([
    ['adam', () => new Adam({ lr: 1e-3 })],
    ['sgd with momentum', () => new SGD({ lr: 100, momentum: 0.9 })],
  ] as [string, () => Optimizer][])('%s: an overflowing update after good steps is refused, and training goes on', async (_n, make) => {
    const rt = await init({ build });
    const m = new Sequential(rt, [Linear(3, 4), ReLU(), Linear(4, 2)], { seed: 5 });
    const opt = make();
    const x = new Float32Array([0.5, -1, 2, 1, 0.25, -0.5]).map((v) => v * 1e-3);
    const y = [0, 1];
    for (let i = 0; i < 5; i++) m.trainStep(x, y, opt);
    const before = bits(m);
    // Inputs of about 1e37 give gradients of about 1e37: g*g overflows in Adam, lr*g (1e39) in SGD.
    const huge = x.map((v) => v * 1e40);
    expect(() => m.trainStep(huge, y, opt)).toThrow(NonFiniteError);
    expect(bits(m).equals(before)).toBe(true);
    expect(m.steps).toBe(5);
    // The optimizer state was not touched either: the next good step matches a twin that never saw the bad batch.
    const twin = new Sequential(rt, [Linear(3, 4), ReLU(), Linear(4, 2)], { seed: 5 });
    const twinOpt = make();
    for (let i = 0; i < 6; i++) twin.trainStep(x, y, twinOpt);
    m.trainStep(x, y, opt);
    expect(bits(m).equals(bits(twin))).toBe(true);
  });
});
