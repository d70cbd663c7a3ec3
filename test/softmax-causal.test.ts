// The core's causal softmax (assembly/kernels/softmax.ts) on every build:
// against float64 over row lengths around the SIMD width, in place and not,
// over scores far apart (where exp underflows), with NaN kept to its row.

import { describe, expect, it } from 'vitest';
import { init, type BuildName, type Runtime } from '../src/index.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

/** n floats in WASM memory holding `values`. */
function block(rt: Runtime, values: ArrayLike<number>) {
  const ptr = rt.arena.alloc(values.length * 4, 'workspace', 'test block');
  const view = () => new Float32Array(rt.memory.buffer, ptr, values.length);
  view().set(values);
  return { ptr, read: () => view().slice() };
}

/** Causal softmax of count T x T matrices, float64. */
function reference(s: Float32Array, seq: number): Float64Array {
  const p = new Float64Array(s.length);
  for (let r = 0; r < s.length / seq; r++) {
    const i = r % seq, row = r * seq;
    let mx = -Infinity, sum = 0;
    for (let j = 0; j <= i; j++) mx = Math.max(mx, s[row + j]!);
    for (let j = 0; j <= i; j++) sum += p[row + j] = Math.exp(s[row + j]! - mx);
    for (let j = 0; j <= i; j++) p[row + j]! /= sum;
  }
  return p;
}

/** ds = p (dp - rowsum(dp p)) over j <= i, float64. */
function referenceBackward(p: Float32Array, dp: Float32Array, seq: number): Float64Array {
  const ds = new Float64Array(p.length);
  for (let r = 0; r < p.length / seq; r++) {
    const i = r % seq, row = r * seq;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += dp[row + j]! * p[row + j]!;
    for (let j = 0; j <= i; j++) ds[row + j] = p[row + j]! * (dp[row + j]! - dot);
  }
  return ds;
}

const scores = (n: number, spread: number, seed: number) => {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * spread);
};

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('causal softmax (%s build)', (build) => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 17])('T = %i: forward out of place and in place, backward, against float64', async (seq) => {
    const rt = await init({ build, fresh: true });
    const count = 3, n = count * seq * seq;
    const s = scores(n, 6, seq);
    const src = block(rt, s), dst = block(rt, new Float32Array(n).fill(NaN));
    rt.core.causalSoftmaxForward(src.ptr, dst.ptr, seq, count);
    const p = dst.read();
    expect(Array.from(src.read())).toEqual(Array.from(s)); // out of place leaves the scores
    expectClose(p, reference(s, seq), { atol: 1e-7, rtol: 2e-6, label: 'probabilities' });
    for (let r = 0; r < count * seq; r++) {
      const i = r % seq;
      for (let j = i + 1; j < seq; j++) expect(p[r * seq + j]).toBe(0); // masked: exactly 0
    }
    rt.core.causalSoftmaxForward(src.ptr, src.ptr, seq, count);
    expect(Array.from(src.read())).toEqual(Array.from(p)); // in place: the same values

    const dp = scores(n, 1, seq + 50), g = block(rt, dp), ds = block(rt, new Float32Array(n).fill(NaN));
    rt.core.causalSoftmaxBackward(dst.ptr, g.ptr, ds.ptr, seq, count);
    const expected = referenceBackward(p, dp, seq);
    expectClose(ds.read(), expected, { atol: 1e-7, rtol: 1e-5, label: 'score gradients' });
    rt.core.causalSoftmaxBackward(dst.ptr, g.ptr, g.ptr, seq, count); // in place over dp
    expectClose(g.read(), expected, { atol: 1e-7, rtol: 1e-5, label: 'score gradients in place' });
  });

  it('scores 200 apart: exp underflows to (nearly) 0 where float64 does, the rest keeps float32 accuracy', async () => {
    const rt = await init({ build, fresh: true });
    const seq = 33, s = scores(seq * seq, 100, 9), x = block(rt, s);
    rt.core.causalSoftmaxForward(x.ptr, x.ptr, seq, 1);
    expectClose(x.read(), reference(s, seq), { atol: 1e-30, rtol: 3e-6, label: 'probabilities' });
  });

  it('a NaN score makes its own row NaN and leaves the other rows alone', async () => {
    const rt = await init({ build, fresh: true });
    const seq = 9, s = scores(seq * seq, 3, 4);
    s[6 * seq + 2] = NaN;
    const x = block(rt, s);
    rt.core.causalSoftmaxForward(x.ptr, x.ptr, seq, 1);
    const p = x.read(), expected = reference(s, seq);
    for (let r = 0; r < seq; r++) {
      const row = Array.from(p.subarray(r * seq, r * seq + r + 1));
      if (r === 6) expect(row.every(Number.isNaN)).toBe(true);
      else expectClose(row, expected.subarray(r * seq, r * seq + r + 1), { atol: 1e-7, rtol: 2e-6 });
    }
  });
});
