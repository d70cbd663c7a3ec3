// The core's per-feature histogram against a plain JS reference, on every
// build, with widths that exercise the SIMD body and the scalar tail, values
// outside the range (end bins) and exactly on bin edges.

import { describe, expect, it } from 'vitest';
import { init, Tensor, type BuildName } from '../src/index.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

function referenceHistogram(x: Float32Array, rows: number, cols: number, lo: number, scale: number, bins: number): Uint32Array {
  const counts = new Uint32Array(cols * bins);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // In float32, as the core computes: a value on a bin edge must land where the core puts it.
      const t = Math.floor(Math.fround(Math.fround(x[r * cols + c]! - lo) * Math.fround(scale)));
      counts[c * bins + Math.min(bins - 1, Math.max(0, t))]!++;
    }
  }
  return counts;
}

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('histogram kernel (%s build)', (build) => {
  it.each([
    [1, 1, 2], [3, 5, 10], [7, 4, 20], [17, 9, 7], [5, 784, 20],
  ])('%i rows of %i features into %i bins', async (rows, cols, bins) => {
    const rt = await init({ build });
    const next = rng(rows * 1000 + cols);
    // Values from -0.5 to 1.5 over the range [0, 1): a quarter fall outside it; some sit exactly on edges.
    const x = new Float32Array(rows * cols).map((_, i) => (i % 5 === 0 ? Math.floor(next() * bins) / bins : next() * 2 - 0.5));
    const lo = 0, scale = bins / 1;
    const input = Tensor.from(rt, x, [rows * cols], 'inputs');
    const countsPtr = rt.arena.alloc(cols * bins * 4, 'workspace');
    const counts = () => new Uint32Array(rt.memory.buffer, countsPtr, cols * bins);
    counts().fill(0);
    rt.core.histogram(input.ptr, rows, cols, lo, scale, bins, countsPtr);
    expect(Array.from(counts())).toEqual(Array.from(referenceHistogram(x, rows, cols, lo, scale, bins)));
    // It accumulates: a second batch adds to the counts.
    rt.core.histogram(input.ptr, rows, cols, lo, scale, bins, countsPtr);
    expect(Array.from(counts())).toEqual(Array.from(referenceHistogram(x, rows, cols, lo, scale, bins)).map((v) => 2 * v));
    rt.arena.free(countsPtr);
    input.free();
  });
});
