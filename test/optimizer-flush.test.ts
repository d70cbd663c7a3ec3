// Optimizer updates never write a subnormal float: WASM has no flush-to-zero
// mode and subnormal arithmetic costs about 70x on Intel cores, so state that
// decays toward zero (Adam's moments where a gradient is exactly 0, SGD's
// momentum buffer) is flushed to +0 once it leaves float32's normal range, as
// torch.set_flush_denormal(True) does. Normal values are untouched.

import { describe, expect, it } from 'vitest';
import { init, Linear, ReLU, Sequential, Adam, type BuildName, type Runtime } from '../src/index.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';

enableRelaxedSimdForTests();

const SMALLEST_NORMAL = 1.17549435e-38;
const isSubnormal = (v: number) => v !== 0 && Math.abs(v) < SMALLEST_NORMAL;

/** n floats in WASM memory, filled with `values` (repeated). */
function block(rt: Runtime, n: number, values: number[]): { ptr: number; read: () => Float32Array } {
  const ptr = rt.arena.alloc(n * 4, 'workspace', 'test block');
  const view = () => new Float32Array(rt.memory.buffer, ptr, n);
  view().set(Array.from({ length: n }, (_, i) => values[i % values.length]!));
  return { ptr, read: () => view().slice() };
}

// n = 11: two SIMD vectors and a scalar tail of 3.
const N = 11;

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('flush to zero (%s build)', (build) => {
  it('Adam: moments and parameters that decay below the normal range are written as 0, normal ones exactly', async () => {
    const rt = await init({ build, fresh: true });
    // m just above the smallest normal decays by beta1 = 0.9 to a subnormal; v likewise by 0.999.
    const p = block(rt, N, [1.5e-38, 0.5]);
    const g = block(rt, N, [0]);
    const state = block(rt, 2 * N, [...Array(N).fill(1.2e-38), ...Array(N).fill(1.1755e-38)]);
    expect(rt.core.adamStep(p.ptr, g.ptr, state.ptr, N, 5, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 1)).toBe(-1);
    const s = state.read();
    expect(Array.from(s).filter(isSubnormal)).toEqual([]);
    expect(Array.from(s.subarray(0, N))).toEqual(Array(N).fill(0));
    // No parameter is left subnormal, and a normal one keeps its exact value (a zero gradient moves nothing).
    const after = p.read();
    expect(Array.from(after).filter(isSubnormal)).toEqual([]);
    expect(after[1]).toBe(Math.fround(0.5));
  });

  it('SGD momentum: a buffer decaying below the normal range is written as 0', async () => {
    const rt = await init({ build, fresh: true });
    const p = block(rt, N, [1]);
    const g = block(rt, N, [0]);
    const buf = block(rt, N, [1.2e-38, 2e-38, 1]);
    expect(rt.core.sgdStep(p.ptr, g.ptr, buf.ptr, N, 0.1, 0.9, 0, 0, 0, 0, 1)).toBe(-1);
    const b = buf.read();
    expect(Array.from(b).filter(isSubnormal)).toEqual([]);
    // 1.2e-38 * 0.9 is subnormal: 0; 2e-38 * 0.9 = 1.8e-38 is normal: kept exactly.
    expect(b[0]).toBe(0);
    expect(b[1]).toBe(Math.fround(Math.fround(2e-38) * Math.fround(0.9)));
    expect(b[2]).toBe(Math.fround(0.9));
  });

  // Dead ReLU units: rows of the first layer whose gradients are exactly 0 after a start, for ~900 steps.
  it('a model whose gradients stay exactly zero keeps no subnormal Adam state after 900 steps', async () => {
    const rt = await init({ build, fresh: true });
    const m = new Sequential(rt, [Linear(2, 3), ReLU(), Linear(3, 2)], { seed: 3 });
    const opt = new Adam({ lr: 1e-3 });
    m.trainStep([1, -1], [0], opt);
    // All-zero inputs from now on: the first layer's weight gradients are exactly 0, so its moments only decay.
    for (let i = 0; i < 900; i++) m.trainStep([0, 0], [0], opt);
    // Read m and v where the optimizer keeps them (its state block: m, then v).
    const { ptr } = (opt as unknown as { state: { ptr: number } }).state;
    const moments = new Float32Array(rt.memory.buffer, ptr, 2 * m.parameterCount);
    expect(Array.from(moments).filter(isSubnormal)).toEqual([]);
    expect(Array.from(moments).filter((v) => v === 0).length).toBeGreaterThan(0); // the decayed ones were flushed
    for (const p of m.parameters()) expect(Array.from(p.data).filter(isSubnormal)).toEqual([]);
  });
});
