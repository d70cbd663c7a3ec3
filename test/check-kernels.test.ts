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

  it('maxAbs finds a NaN whatever its sign and payload, and the largest |x| among -0, subnormals and negatives', async () => {
    const rt = await init({ build });
    const bits = new Uint32Array(37);
    const values = new Float32Array(bits.buffer);
    values.set([-0, 1e-45, -1e-40, -3.5, 2.25, -1e30, 1e-38].concat(Array(30).fill(0.5)));
    const t = Tensor.from(rt, values, [values.length], 'workspace');
    expect(rt.core.maxAbs(t.ptr, values.length)).toBe(Math.fround(1e30));
    for (const nan of [0xffc00000, 0x7f800001, 0xffffffff, 0x7fffffff]) {
      for (const at of [0, 17, 36]) {
        const copy = new Uint32Array(bits);
        copy[at] = nan;
        t.data.set(new Float32Array(copy.buffer));
        expect(rt.core.maxAbs(t.ptr, values.length), `NaN bits 0x${nan.toString(16)} at ${at}`).toBeNaN();
      }
    }
    t.free();
  });
});
