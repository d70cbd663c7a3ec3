// Inputs that are views of WASM memory (a Tensor's data) stay readable while
// the step's own allocations grow the memory: the step reads the same bytes
// through the grown memory, and its results equal those from copies.
import { describe, expect, it } from 'vitest';
import { init, mlp, ResidentImages, Sequential, SGD, Tensor, type Runtime } from '../src/index.js';
import { GPT } from '../src/gpt/model.js';
import { Random } from '../src/nn/random.js';

/** Runs `call`, which must grow the runtime's memory: the views it was given are stale after it. */
function growing<T>(rt: Runtime, call: () => T): T {
  const bytes = rt.memory.buffer.byteLength;
  const result = call();
  expect(rt.memory.buffer.byteLength).toBeGreaterThan(bytes);
  return result;
}

/** An Int32Array view of a fresh tensor's bytes holding `values`. */
function int32View(rt: Runtime, values: Int32Array): Int32Array {
  const t = Tensor.empty(rt, [values.length], 'inputs', 'ids');
  const view = new Int32Array(rt.memory.buffer, t.ptr, values.length);
  view.set(values);
  return view;
}

describe('inputs that are views of WASM memory', () => {
  it.each([1, 2])('Sequential trainStep and forward read them across memory growth (%i threads)', async (threads) => {
    const rt = await init({ build: 'simd', threads });
    const rng = new Random(3);
    const batch = 32, layers = mlp([784, 512, 10]);
    const xValues = new Float32Array(batch * 784).map(() => rng.normal(0, 1));
    const labelValues = new Int32Array(batch).map((_, i) => (i * 7) % 10);
    const viewed = new Sequential(rt, layers, { seed: 5 }), copied = new Sequential(rt, layers, { seed: 5 });
    const x = Tensor.from(rt, xValues, [batch, 784]);
    const labels = int32View(rt, labelValues), xView = x.data;
    const lossFromViews = growing(rt, () => viewed.trainStep(xView, labels, new SGD({ lr: 0.1 })));
    expect(xView.buffer).not.toBe(rt.memory.buffer); // detached, or a shared memory's old, shorter buffer
    expect(lossFromViews).toBe(copied.trainStep(xValues, labelValues, new SGD({ lr: 0.1 })));

    rt.dispose();

    // forward alone, in a fresh runtime whose memory it has to grow.
    const small = await init({ build: 'simd', threads });
    const model = new Sequential(small, mlp([784, 16, 10]), { seed: 5 });
    const rows = 2048, input = Tensor.from(small, new Float32Array(rows * 784).map(() => rng.normal(0, 1)), [rows, 784]);
    const out = growing(small, () => model.forward(input.data));
    expect(out).toEqual(model.forward(input.toArray()));
    small.dispose();
  });

  it.each([1, 2])('GPT trainStep reads token rows that are views of WASM memory (%i threads)', async (threads) => {
    const rt = await init({ build: 'simd', threads });
    const config = { vocab: 31, seq: 16, hidden: 128, heads: 2, layers: 2 };
    const ids = (seed: number) => Array.from({ length: 32 }, (_, b) => Int32Array.from({ length: 16 }, (_, t) => (seed + 3 * b + 5 * t) % 31));
    const tokens = ids(1), targets = ids(2);
    const a = new GPT(rt, config, { seed: 1 }), b = new GPT(rt, config, { seed: 1 });
    const tokenViews = tokens.map((r) => int32View(rt, r)), targetViews = targets.map((r) => int32View(rt, r));
    const fromViews = growing(rt, () => a.trainStep(tokenViews, targetViews, new SGD({ lr: 0.1 })));
    expect(fromViews).toBe(b.trainStep(tokens, targets, new SGD({ lr: 0.1 })));
    rt.dispose();
  });

  it('ResidentImages copies images and labels that are views of WASM memory', async () => {
    const rt = await init({ build: 'simd', threads: 1 });
    const count = 4096, pixels = 784;
    const images = new Uint8Array(count * pixels).map((_, i) => (i * 37) % 256), labels = new Uint8Array(count).map((_, i) => i % 10);
    const store = Tensor.empty(rt, [(count * pixels + count) / 4], 'inputs', 'image bytes');
    const imageView = new Uint8Array(rt.memory.buffer, store.ptr, count * pixels), labelView = new Uint8Array(rt.memory.buffer, store.ptr + count * pixels, count);
    imageView.set(images);
    labelView.set(labels);
    const set = (img: Uint8Array, lab: Uint8Array) => ({ images: img, labels: lab, count, rows: 28, cols: 28 });
    const fromViews = growing(rt, () => new ResidentImages(rt, set(imageView, labelView), 64));
    const fromCopies = new ResidentImages(rt, set(images, labels), 64);
    const order = Uint32Array.from({ length: 64 }, (_, i) => (i * 61) % count);
    const a = new Sequential(rt, mlp([784, 32, 10]), { seed: 2 }), b = new Sequential(rt, mlp([784, 32, 10]), { seed: 2 });
    expect(a.trainStepOn(fromViews.batch(order, 0, 64), new SGD({ lr: 0.1 }))).toBe(b.trainStepOn(fromCopies.batch(order, 0, 64), new SGD({ lr: 0.1 })));
    rt.dispose();
  });

  it('refuses, by name, a view taken before the memory last grew, and leaves the model as it was', async () => {
    const rt = await init({ build: 'simd', threads: 1 });
    const model = new Sequential(rt, mlp([784, 8, 10]), { seed: 1 });
    const x = Tensor.from(rt, new Float32Array(784), [1, 784]);
    const stale = x.data, staleLabels = int32View(rt, new Int32Array([3]));
    const gpt = new GPT(rt, { vocab: 31, seq: 16, hidden: 32, heads: 2, layers: 1 }, { seed: 1 });
    const staleTokens = int32View(rt, new Int32Array(16));
    const grow = Tensor.empty(rt, [rt.memory.buffer.byteLength / 4], 'workspace', 'growth');
    expect(stale.buffer.byteLength).toBe(0); // detached by the growth
    const before = model.parameters().map((p) => p.data.slice());
    const opt = new SGD({ lr: 0.1 });
    expect(() => model.trainStep(stale, [3], opt)).toThrow(/Sequential: x is a view of a detached ArrayBuffer/);
    expect(() => model.trainStep(x.data, staleLabels, opt)).toThrow(/Sequential: target is a view of a detached ArrayBuffer/);
    expect(() => model.forward(stale)).toThrow(/Sequential: x is a view of a detached ArrayBuffer/);
    expect(() => gpt.trainStep([staleTokens], [new Int32Array(16)], opt)).toThrow(/GPT: tokens\[0\] is a view of a detached ArrayBuffer/);
    const images = new Uint8Array(rt.memory.buffer, grow.ptr, 784);
    Tensor.empty(rt, [rt.memory.buffer.byteLength / 4], 'workspace', 'more growth');
    expect(() => new ResidentImages(rt, { images, labels: new Uint8Array(1), count: 1, rows: 28, cols: 28 }, 1)).toThrow(/ResidentImages: images is a view of a detached ArrayBuffer/);
    expect(model.parameters().map((p) => p.data)).toEqual(before);
    rt.dispose();
  });
});
