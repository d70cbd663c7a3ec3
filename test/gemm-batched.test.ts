// The core's batched strided GEMM (assembly/kernels/gemm-batched.ts): each item
// of a (groups x inner) batch is the product gemm computes alone at its offsets.

import { describe, expect, it } from 'vitest';
import { init, type BuildName, type Runtime } from '../src/index.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

function block(rt: Runtime, values: Float32Array) {
  const ptr = rt.arena.alloc(values.length * 4, 'workspace', 'test block');
  new Float32Array(rt.memory.buffer, ptr, values.length).set(values);
  return { ptr, read: () => new Float32Array(rt.memory.buffer, ptr, values.length).slice() };
}

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('gemmBatched (%s build)', (build) => {
  it('2 x 3 items of op(A) op(B) at two-level strides, A transposed, B not, beta 0.5: each as one gemm', async () => {
    const rt = await init({ build, fresh: true });
    const next = rng(3);
    // Items (g, j): A^T is 5 x 7 (A stored 7 x 5 with lda 20), B 7 x 6 (ldb 8), C 5 x 6 (ldc 9).
    const m = 5, n = 6, k = 7, groups = 2, inner = 3;
    const aInner = 5, aOuter = 7 * 20, bInner = 7 * 8, bOuter = 3 * 7 * 8 + 11, cInner = 5 * 9, cOuter = 3 * 5 * 9 + 2;
    const a = randomArray(groups * aOuter, next), b = randomArray(groups * bOuter, next), c = randomArray(groups * cOuter, next);
    const [pa, pb, pc] = [block(rt, a), block(rt, b), block(rt, c)];
    const single = [block(rt, c)][0]!;
    for (let g = 0; g < groups; g++) {
      for (let j = 0; j < inner; j++) {
        const off = (x: number, outer: number, innerStride: number) => x + 4 * (g * outer + j * innerStride);
        expect(rt.core.gemm(1, 0, m, n, k, 1.5, off(pa.ptr, aOuter, aInner), 20, off(pb.ptr, bOuter, bInner), 8, 0.5, off(single.ptr, cOuter, cInner), 9)).toBe(1);
      }
    }
    rt.resetMacs();
    expect(rt.core.gemmBatched(1, 0, m, n, k, 1.5, pa.ptr, 20, pb.ptr, 8, 0.5, pc.ptr, 9, groups * inner, inner, aInner, aOuter, bInner, bOuter, cInner, cOuter)).toBe(1);
    expect(rt.macs()).toBe(BigInt(groups * inner * m * n * k));
    const got = pc.read(), want = single.read();
    expectClose(got, want, { atol: 0, rtol: 0, label: 'batched against one by one' });
    // Elements between the items' C blocks are untouched.
    expect(got[6]).toBe(c[6]);
    expect(got[cOuter - 1]).toBe(c[cOuter - 1]);
  });

  it('count 0 does nothing', async () => {
    const rt = await init({ build, fresh: true });
    const c = block(rt, Float32Array.of(7));
    rt.resetMacs();
    expect(rt.core.gemmBatched(0, 0, 1, 1, 1, 1, c.ptr, 1, c.ptr, 1, 0, c.ptr, 1, 0, 1, 0, 0, 0, 0, 0, 0)).toBe(1);
    expect(rt.macs()).toBe(0n);
    expect(c.read()[0]).toBe(7);
  });
});
