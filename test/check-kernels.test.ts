// The finite checks in the core against plain JS, with the bad value in the
// SIMD body, at a vector edge and in the scalar tail, on every build.

import { describe, expect, it } from 'vitest';
import { init, Tensor, type BuildName } from '../src/index.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('finite checks (%s build)', (build) => {
  it.each([0, 1, 3, 4, 5, 16, 17, 24, 67, 100])('maxAbs and firstNonFinite over %i values', async (n) => {
    const rt = await init({ build });
    const next = rng(n + 1);
    const values = randomArray(n, next).map((v) => v * 1e3);
    const t = Tensor.from(rt, values, [n], 'workspace');
    const expectedMax = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(rt.core.maxAbs(t.ptr, n)).toBe(Math.fround(expectedMax));
    expect(rt.core.firstNonFinite(t.ptr, n)).toBe(-1);
    for (const at of new Set([0, n >> 1, n - 1].filter((i) => i >= 0 && i < n))) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const copy = values.slice();
        copy[at] = bad;
        t.data.set(copy);
        expect(rt.core.firstNonFinite(t.ptr, n)).toBe(at);
        const m = rt.core.maxAbs(t.ptr, n);
        if (Number.isNaN(bad)) expect(m).toBeNaN();
        else expect(m).toBe(Infinity);
      }
    }
    t.free();
  });
});
