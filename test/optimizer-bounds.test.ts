// Optimizers skip their check pass only when a worst-case bound proves the
// update finite; gradients that would overflow the update are still refused
// after many good steps, with the model and optimizer state untouched.

import { describe, expect, it } from 'vitest';
import { Adam, init, Linear, NonFiniteError, ReLU, SGD, Sequential, type BuildName, type Optimizer } from '../src/index.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';

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

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('updates that would write a non-finite value (%s build)', (build) => {
  const ready = async () => {
    enableRelaxedSimdForTests();
    return init({ build });
  };

  // Gradients of about 2e19: every stored value's float64 bound is below 1e37,
  // but g * g (4e38) overflows float32 inside the kernel, so v would become Infinity.
  it('Adam with gradients whose square overflows float32 is refused, and m, v and the weights stay as they were', async () => {
    const rt = await ready();
    const m = new Sequential(rt, [Linear(3, 4), ReLU(), Linear(4, 2)], { seed: 5 });
    const opt = new Adam();
    const x = new Float32Array([0.5, -1, 2, 1, 0.25, -0.5]);
    m.trainStep(x, [0, 1], opt);
    const before = bits(m);
    const huge = x.map((v) => v * 7e19);
    m.lossAndGradients(huge, [0, 1]);
    const gmax = Math.max(...m.gradients().flatMap((p) => Array.from(p.data, Math.abs)));
    expect(gmax).toBeGreaterThan(1.9e19); // its square is beyond float32
    expect(gmax * gmax * 1e-3).toBeLessThan(1e37); // while (1 - beta2) g^2 looks safe
    expect(() => m.trainStep(huge, [0, 1], opt)).toThrow(NonFiniteError);
    expect(bits(m).equals(before)).toBe(true);
    // The moments were not written: the next good step equals a twin's that never saw the batch.
    const twin = new Sequential(rt, [Linear(3, 4), ReLU(), Linear(4, 2)], { seed: 5 });
    const twinOpt = new Adam();
    twin.trainStep(x, [0, 1], twinOpt);
    twin.trainStep(x, [0, 1], twinOpt);
    m.trainStep(x, [0, 1], opt);
    expect(bits(m).equals(bits(twin))).toBe(true);
  });

  // Each optimizer carries a bound on |parameter| from its own last update; a
  // write by another optimizer in between must make it measure afresh. With
  // MSE on Linear(1, 1) and x = 0 the prediction is the bias b, its gradient
  // 2 (b - t), and SGD with lr 1 moves b to 2t - b: the targets steer b exactly.
  it('an optimizer whose bound another optimizer made stale still refuses an overflowing update', async () => {
    const rt = await ready();
    const m = new Sequential(rt, [Linear(1, 1)], { seed: 1, loss: 'mse' });
    const first = new SGD({ lr: 1 });
    m.trainStep([0], [0], first); // first now carries |p| <= about 1
    m.trainStep([0], [-1.695e38], new SGD({ lr: 1 })); // another optimizer: b = -3.39e38
    const b = m.parameters()[1]!.data[0]!;
    expect(b).toBeLessThan(-3.38e38);
    const before = bits(m);
    // The target -3.4e38 (float32) gives a gradient of 2e36, safe against the
    // stale bound (1 + 2e36 < 1e37), but b - 2e36 is -Infinity in float32.
    const target = b - 1e36;
    expect(Math.fround(target)).toBeGreaterThan(-3.4028e38);
    expect(() => m.trainStep([0], [target], first)).toThrow(/step 3: the sgd update would make 0.bias/);
    expect(bits(m).equals(before)).toBe(true);
  });
});
