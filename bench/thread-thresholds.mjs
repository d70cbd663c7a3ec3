// Where splitting a call across threads starts to pay, for the thresholds in
// assembly/threads.ts (PARALLEL_ELEMENTS) and assembly/kernels/gemm.ts
// (PARALLEL_MACS): s^3 GEMMs and Adam steps over n floats on one thread and
// on two, median of 15 batches of 200 calls each.
// Run after `npm run build`: node bench/thread-thresholds.mjs

import { init } from '../dist/src/index.js';

const one = await init({ build: 'simd', threads: 1, fresh: true });
const two = await init({ build: 'simd', threads: 2, fresh: true });
const filled = (rt, floats) => {
  const p = rt.arena.alloc(floats * 4, 'workspace', 'operand');
  new Float32Array(rt.memory.buffer, p, floats).fill(0.25);
  return p;
};
function medianMicroseconds(call) {
  for (let i = 0; i < 200; i++) call();
  const times = [];
  for (let r = 0; r < 15; r++) {
    const t = performance.now();
    for (let i = 0; i < 200; i++) call();
    times.push((performance.now() - t) / 200);
  }
  return times.sort((a, b) => a - b)[7] * 1000;
}
const line = (what, [t1, t2]) => console.log(`${what}: ${t1.toFixed(1)} us on 1 thread, ${t2.toFixed(1)} us on 2 (${(t1 / t2).toFixed(2)}x)`);

for (const s of [32, 40, 48, 56, 64, 80, 96, 128]) {
  line(`gemm ${s}^3 (${s ** 3} multiply-adds)`, [one, two].map((rt) => {
    const a = filled(rt, s * s), b = filled(rt, s * s), c = filled(rt, s * s);
    return medianMicroseconds(() => rt.core.gemm(0, 0, s, s, s, 1, a, s, b, s, 0, c, s));
  }));
}
for (const n of [4096, 8192, 16384, 32768, 65536]) {
  line(`adam over ${n} floats`, [one, two].map((rt) => {
    const p = filled(rt, n), g = filled(rt, n), state = filled(rt, 2 * n);
    let step = 0;
    return medianMicroseconds(() => rt.core.adamStep(p, g, state, n, ++step, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 1));
  }));
}
two.dispose();
