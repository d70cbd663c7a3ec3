// The core's adamStep and sgdStep are the float32 updates of their headers
// (assembly/optim/adam.ts, sgd.ts) bit for bit, in SIMD lanes and in the
// scalar tail alike, for each of their loops: Adam, Adam with L2 weight decay,
// AdamW; plain SGD, momentum, and the general loop (first step, Nesterov, decay).

import { describe, expect, it } from 'vitest';
import { init, type BuildName } from '../src/index.js';
import { randomArray, rng } from './helpers/rng.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';

enableRelaxedSimdForTests();

const f = Math.fround;
const SMALLEST_NORMAL = 2 ** -126;
const flush = (x: number) => (Math.abs(x) < SMALLEST_NORMAL ? 0 : x);

/** One element's update in float32, operation by operation as the kernel does it. */
function reference(p: number, g: number, m: number, v: number, step: number, lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean) {
  [lr, b1, b2, eps, wd] = [lr, b1, b2, eps, wd].map(f) as [number, number, number, number, number];
  const stepSize = f(lr / (1 - b1 ** step));
  const inv = f(1 / Math.sqrt(1 - b2 ** step));
  if (decoupled) p = f(p * f(1 - lr * wd));
  else if (wd !== 0) g = f(g + f(p * wd));
  const m2 = f(f(m * b1) + f(g * f(1 - b1)));
  const v2 = f(f(v * b2) + f(f(g * g) * f(1 - b2)));
  const denom = f(f(f(Math.sqrt(v2)) * inv) + eps);
  return { p: flush(f(p - f(stepSize * f(m2 / denom)))), m: flush(m2), v: flush(v2) };
}

/** One element's SGD update in float32, as the kernel does it. */
function sgdReference(p: number, g: number, buf: number, lr: number, mom: number, damp: number, wd: number, nesterov: boolean, first: boolean) {
  [lr, mom, damp, wd] = [lr, mom, damp, wd].map(f) as [number, number, number, number];
  if (wd !== 0) g = f(g + f(p * wd));
  let b = buf;
  if (mom !== 0) {
    b = first ? g : f(f(buf * mom) + f(g * f(1 - damp)));
    g = nesterov ? f(g + f(b * mom)) : b;
  }
  return { p: flush(f(p - f(g * lr))), buf: flush(b) };
}

const CASES: [string, number, boolean][] = [['Adam', 0, false], ['Adam, L2 decay 0.1', 0.1, false], ['AdamW, decay 0.01', 0.01, true]];

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('adamStep (%s build)', (build) => {
  it.each(CASES)('%s: every element is the float32 reference exactly', async (_name, wd, decoupled) => {
    const rt = await init({ build, fresh: true });
    const n = 4 * 9 + 3; // vectors and a scalar tail
    const next = rng(17);
    const p = randomArray(n, next), g = randomArray(n, next);
    const m = randomArray(n, next).map((x) => f(x * 0.1)), v = randomArray(n, next).map((x) => f(x * x * 0.01));
    g[5] = 0; m[5] = 1.2e-38; v[5] = 1.1755e-38; // decays below the normal range: flushed
    const block = (values: Float32Array) => {
      const ptr = rt.arena.alloc(values.length * 4, 'workspace', 'adam test');
      new Float32Array(rt.memory.buffer, ptr, values.length).set(values);
      return ptr;
    };
    const state = new Float32Array(2 * n);
    state.set(m);
    state.set(v, n);
    const pp = block(p), gp = block(g), sp = block(state);
    expect(rt.core.adamStep(pp, gp, sp, n, 3, 1e-3, 0.9, 0.999, 1e-8, wd, +decoupled, 1)).toBe(-1);
    const pOut = new Float32Array(rt.memory.buffer, pp, n), sOut = new Float32Array(rt.memory.buffer, sp, 2 * n);
    for (let i = 0; i < n; i++) {
      const r = reference(p[i]!, g[i]!, m[i]!, v[i]!, 3, 1e-3, 0.9, 0.999, 1e-8, wd, decoupled);
      expect([i, pOut[i], sOut[i], sOut[n + i]]).toEqual([i, r.p, r.m, r.v]);
    }
  });
});

const SGD_CASES: [string, number, number, number, boolean, boolean][] = [
  ['plain', 0, 0, 0, false, false],
  ['momentum 0.9', 0.9, 0, 0, false, false],
  ['momentum 0.9, dampening 0.1', 0.9, 0.1, 0, false, false],
  ['momentum, first step', 0.9, 0, 0, false, true],
  ['Nesterov momentum, decay 0.01', 0.9, 0, 0.01, true, false],
  ['plain, decay 0.01', 0, 0, 0.01, false, false],
];

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('sgdStep (%s build)', (build) => {
  it.each(SGD_CASES)('%s: every element is the float32 reference exactly', async (_name, mom, damp, wd, nesterov, first) => {
    const rt = await init({ build, fresh: true });
    const n = 4 * 9 + 3;
    const next = rng(29);
    const p = randomArray(n, next), g = randomArray(n, next), buf = randomArray(n, next);
    g[4] = 0; buf[4] = 1.2e-38; // decays below the normal range: flushed
    const block = (values: Float32Array) => {
      const ptr = rt.arena.alloc(values.length * 4, 'workspace', 'sgd test');
      new Float32Array(rt.memory.buffer, ptr, values.length).set(values);
      return ptr;
    };
    const pp = block(p), gp = block(g), bp = block(buf);
    expect(rt.core.sgdStep(pp, gp, bp, n, 0.01, mom, damp, wd, +nesterov, +first, 1)).toBe(-1);
    const pOut = new Float32Array(rt.memory.buffer, pp, n), bOut = new Float32Array(rt.memory.buffer, bp, n);
    for (let i = 0; i < n; i++) {
      const r = sgdReference(p[i]!, g[i]!, buf[i]!, 0.01, mom, damp, wd, nesterov, first);
      expect([i, pOut[i], mom === 0 ? r.buf : bOut[i]]).toEqual([i, r.p, r.buf]);
    }
  });
});
