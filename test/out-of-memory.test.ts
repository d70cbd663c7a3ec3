// Out of memory is an error that names the bytes and the limit, raised before
// anything is half-built, and it never loses the caller's model.

import { describe, expect, it } from 'vitest';
import { init, Linear, OutOfMemoryError, ReLU, Sequential, SGD, WASM32_MAX_BYTES } from '../src/index.js';

describe('out of memory', () => {
  it('an allocation memory cannot grow to names the request and the limit', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    const live = rt.arena.liveByCategory();
    // 3 GB fits in wasm32's 4 GiB; another 2 GB cannot.
    const big = rt.arena.alloc(3_000_000_000, 'workspace', 'a big buffer');
    expect(() => rt.arena.alloc(2_000_000_000, 'workspace', 'a huge buffer')).toThrow(OutOfMemoryError);
    expect(() => rt.arena.alloc(2_000_000_000, 'workspace', 'a huge buffer')).toThrow(
      /cannot allocate 2,000,000,000 bytes \(workspace\) for a huge buffer: WASM memory holds \d{1,3}(,\d{3})* bytes and could not grow \(limit 4,294,967,296 bytes\)/,
    );
    rt.arena.free(big);
    expect(rt.arena.liveByCategory()).toEqual(live);
  });

  it('a model whose weights exceed wasm32 is refused before anything is allocated', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    const before = rt.arena.live();
    expect(() => new Sequential(rt, [Linear(60_000, 20_000)])).toThrow(
      /cannot allocate 4,800,080,000 bytes for weights of 1200020000 parameters: a single WASM allocation must be below 4,294,967,296 bytes/,
    );
    expect(rt.arena.live()).toBe(before);
  });

  it('a training step that runs out of memory frees what it took and leaves the model as it was', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    // A 1,100,000-unit hidden layer at batch 1000: its output alone would be 4.4 GB.
    const model = new Sequential(rt, [Linear(4, 1_100_000), ReLU(), Linear(1_100_000, 2)], { seed: 3 });
    const opt = new SGD({ lr: 0.1 });
    const bytesOf = () => Buffer.concat(model.parameters().map((p) => Buffer.from(p.data.buffer)));
    const params = bytesOf();
    const live = rt.arena.liveByCategory();
    const x = new Float32Array(1000 * 4).fill(0.5);
    const labels = new Int32Array(1000);
    expect(() => model.trainStep(x, labels, opt)).toThrow(OutOfMemoryError);
    expect(bytesOf().equals(params)).toBe(true);
    expect(model.steps).toBe(0);
    // Gradients are allocated on the first step and kept; everything the step took is back.
    const after = rt.arena.liveByCategory();
    expect({ ...after, gradients: 0, workspace: 0 }).toEqual({ ...live, gradients: 0, workspace: 0 });
    expect(after.activations).toBe(0);
    expect(after.inputs).toBe(0);
    // The model still trains on a batch that fits.
    expect(Number.isFinite(model.trainStep(x.subarray(0, 8), labels.subarray(0, 2), opt))).toBe(true);
    expect(model.steps).toBe(1);
  });

  it('predict with no room left for the GEMM packing workspace throws instead of returning what memory held', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    const model = new Sequential(rt, [Linear(784, 100), ReLU(), Linear(100, 10)], { seed: 1 });
    // Leave well under the 120,832 bytes per thread the first product (1x784 by 784x100) packs into,
    // but room for the input row and the layer outputs.
    const filler = rt.arena.alloc(WASM32_MAX_BYTES - rt.arena.memoryBytes() - 40_000, 'workspace', 'filler');
    const live = rt.arena.liveByCategory();
    expect(() => model.predict(new Float32Array(784).fill(0.5))).toThrow(
      new RegExp(`cannot allocate ${(120_832 * rt.threads).toLocaleString('en-US')} bytes \\(workspace\\) for GEMM packing workspace: WASM memory holds \\d{1,3}(,\\d{3})* bytes and could not grow`),
    );
    expect(rt.arena.liveByCategory()).toEqual(live);
    rt.arena.free(filler);
    expect(model.predict(new Float32Array(784).fill(0.5))).toHaveLength(10);
  });
});
