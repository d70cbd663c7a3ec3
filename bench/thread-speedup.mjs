// How much the threads gain on the products and training steps that issue
// targets name, without the JS around a benchmark call (bench gemm copies C
// back to JS after every call, as its peers must): one-thread and N-thread
// runtimes take turns of a few milliseconds, so a host whose speed drifts
// moves both alike. Median of the turns; speedup = one thread's time / N's.
// Run after `npm run build`: node bench/thread-speedup.mjs [threads, default 2]

import { ResidentImages } from '../dist/src/data/resident-images.js';
import { init, makeOptimizer, mlp, Sequential } from '../dist/src/index.js';

const threads = Number(process.argv[2] ?? 2);
const TURN_MS = 10, MEASURE_MS = 4000;
const runtimes = [await init({ build: 'simd', threads: 1, fresh: true }), await init({ build: 'simd', threads, fresh: true })];
if (runtimes[1].threads !== threads) throw new Error(`asked for ${threads} threads, the runtime runs ${runtimes[1].threads}: ${runtimes[1].threadsNote}`);

/** Median ms of one call of each of `calls`, timed in turns. */
function turns(calls) {
  const times = calls.map(() => []);
  const warm = performance.now();
  while (performance.now() - warm < 500) for (const call of calls) call();
  const start = performance.now();
  while (performance.now() - start < MEASURE_MS) {
    calls.forEach((call, i) => {
      const t0 = performance.now();
      let n = 0;
      do call(), n++;
      while (performance.now() - t0 < TURN_MS);
      times[i].push((performance.now() - t0) / n);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[t.length >> 1]);
}
const line = (what, [one, many], unit) => console.log(`${what.padEnd(34)} 1 thread ${unit(one).padStart(12)}   ${threads} threads ${unit(many).padStart(12)}   ${(one / many).toFixed(2)}x`);

const filled = (rt, floats) => {
  const p = rt.arena.alloc(floats * 4, 'workspace', 'operand');
  new Float32Array(rt.memory.buffer, p, floats).fill(0.25);
  return p;
};
const products = [
  ['square 256', 0, 0, 256, 256, 256], ['square 512', 0, 0, 512, 512, 512], ['square 1024', 0, 0, 1024, 1024, 1024],
  ['fc1 forward 64x784·784x100ᵀ', 0, 1, 64, 100, 784], ['fc1 weight gradient 100x64ᵀ·64x784', 1, 0, 100, 784, 64],
];
for (const [what, ta, tb, m, n, k] of products) {
  const calls = runtimes.map((rt) => {
    const a = filled(rt, m * k), b = filled(rt, k * n), c = filled(rt, m * n);
    return () => rt.core.gemm(ta, tb, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, c, n);
  });
  line(what, turns(calls), (ms) => `${((2 * m * n * k) / ms / 1e6).toFixed(1)} GFLOP/s`);
}

// Steps of 784-100-10 at batch 64, fed as `wasmgrad train` feeds them: batches gathered in the core from resident bytes.
const images = { count: 4096, rows: 28, cols: 28, images: Uint8Array.from({ length: 4096 * 784 }, (_, i) => (i * 2654435761) >>> 24), labels: Uint8Array.from({ length: 4096 }, (_, i) => i % 10) };
for (const name of ['sgd', 'adam']) {
  const calls = runtimes.map((rt) => {
    const model = new Sequential(rt, mlp([784, 100, 10], 'relu'), { seed: 1 });
    const opt = makeOptimizer(name, name === 'sgd' ? 0.01 : 1e-3);
    const resident = new ResidentImages(rt, images, 64);
    const order = Uint32Array.from({ length: images.count }, (_, i) => (i * 2654435761) % images.count);
    let first = 0;
    return () => {
      model.trainStepOn(resident.batch(order, first, 64), opt);
      first = (first + 64) % (images.count - 64);
    };
  });
  line(`training step, ${name}`, turns(calls), (ms) => `${Math.round(64_000 / ms).toLocaleString('en-US')} samples/s`);
}
runtimes[1].dispose();
