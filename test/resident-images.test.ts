// A dataset resident in WASM memory: the core's gather-and-scale of a shuffled
// batch equals pixelsToFloat32 bit for bit on every build, and a training step
// fed from it equals one fed the same batch as arrays.

import { describe, expect, it } from 'vitest';
import { ArgumentError, init, Linear, ReLU, Sequential, SGD, type BuildName } from '../src/index.js';
import { pixelsToFloat32 } from '../src/data/idx.js';
import { ResidentImages } from '../src/data/resident-images.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

/** `count` images of rows x cols random bytes (every byte value appears), labels below `classes`. */
function images(count: number, rows: number, cols: number, classes: number) {
  const r = rng(count * rows + cols);
  const pixels = Uint8Array.from({ length: count * rows * cols }, (_, i) => (i < 256 ? i : Math.floor(r() * 256)));
  const labels = Uint8Array.from({ length: count }, () => Math.floor(r() * classes));
  return { images: pixels, labels, count, rows, cols };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('resident images (%s build)', (build) => {
  // Rows of 35 pixels (two 16-pixel SIMD groups and a tail of 3), 45 (two of 16, two of 4, a tail
  // of 1) and 784 (49 of 16, as Fashion-MNIST).
  it.each([
    ['plain x/255', undefined, 5, 7],
    ['normalized', { mean: 0.2860, std: 0.3530 }, 5, 7],
    ['normalized', { mean: 0.2860, std: 0.3530 }, 5, 9],
    ['plain x/255', undefined, 28, 28],
  ])('%s, %ix%i: a gathered batch equals pixelsToFloat32 of the same rows, bit for bit', async (_name, normalization, h, w) => {
    const rt = await init({ build, fresh: true });
    const data = images(20, h, w, 3);
    const n = h * w;
    const resident = new ResidentImages(rt, data, 6, normalization);
    // Image 0 (whose first 256 pixels are every byte value) twice.
    const order = Uint32Array.from([19, 3, 0, 7, 0, 12, 5, 1]);
    const x = rt.arena.alloc(6 * n * 4, 'workspace'), y = rt.arena.alloc(6 * 4, 'workspace');
    resident.batch(order, 2, 6).fill(x, y);
    const expected = new Float32Array(6 * n);
    const picked = new Uint8Array(6 * n);
    for (let r = 0; r < 6; r++) picked.set(data.images.subarray(order[2 + r]! * n, (order[2 + r]! + 1) * n), r * n);
    pixelsToFloat32(picked, expected, normalization);
    expect(bits(new Float32Array(rt.memory.buffer, x, 6 * n))).toEqual(bits(expected));
    expect(Array.from(new Int32Array(rt.memory.buffer, y, 6))).toEqual(Array.from(order.subarray(2, 8), (i) => data.labels[i]!));
  });

  it('a training step fed from resident images equals one fed the same batch as arrays', async () => {
    const rt = await init({ build, fresh: true });
    const data = images(16, 4, 4, 3);
    const layers = [Linear(16, 8), ReLU(), Linear(8, 3)];
    const a = new Sequential(rt, layers, { seed: 4 }), b = new Sequential(rt, layers, { seed: 4 });
    const optA = new SGD({ lr: 0.1, momentum: 0.9 }), optB = new SGD({ lr: 0.1, momentum: 0.9 });
    const resident = new ResidentImages(rt, data, 5);
    const order = Uint32Array.from([3, 9, 14, 0, 7, 1, 2, 4, 5, 6]);
    for (const first of [0, 5]) {
      const x = new Float32Array(5 * 16), picked = new Uint8Array(5 * 16);
      for (let r = 0; r < 5; r++) picked.set(data.images.subarray(order[first + r]! * 16, (order[first + r]! + 1) * 16), r * 16);
      pixelsToFloat32(picked, x);
      const labels = Array.from(order.subarray(first, first + 5), (i) => data.labels[i]!);
      expect(a.trainStepOn(resident.batch(order, first, 5), optA)).toBe(b.trainStep(x, labels, optB));
    }
    expect(a.parameters().map((p) => bits(p.data))).toEqual(b.parameters().map((p) => bits(p.data)));
  });

  it('holds its bytes as inputs until disposed, and refuses batches it cannot give', async () => {
    const rt = await init({ build, fresh: true });
    const before = rt.arena.live('inputs');
    const resident = new ResidentImages(rt, images(10, 2, 3, 2), 4);
    expect(rt.arena.live('inputs') - before).toBeGreaterThanOrEqual(60 + 10 + 16);
    const order = Uint32Array.from({ length: 10 }, (_, i) => i);
    expect(() => resident.batch(order, 0, 5)).toThrow(ArgumentError);
    expect(() => resident.batch(order, 8, 3)).toThrow(/runs past the order's 10 entries/);
    expect(() => resident.batch(Uint32Array.from([0, 10]), 0, 2)).toThrow(/order\[1\] is 10; there are 10 images/);
    resident.dispose();
    expect(rt.arena.live('inputs')).toBe(before);
    expect(() => resident.batch(order, 0, 2)).toThrow(/disposed/);
  });
});

describe('ResidentImages refuses what is not an image set of bytes', () => {
  it.each([
    ['undefined', undefined, /ResidentImages: data must be an image set \{ images, labels, count, rows, cols \}, got undefined/],
    ['null', null, /data must be an image set/],
    ['without a count', { images: new Uint8Array(4), labels: new Uint8Array(1), rows: 2, cols: 2 }, /ResidentImages count must be an integer >= 1, got undefined/],
    ['of zero rows', { images: new Uint8Array(0), labels: new Uint8Array(1), count: 1, rows: 0, cols: 2 }, /ResidentImages rows must be an integer >= 1, got 0/],
    ['of plain arrays (values would wrap modulo 256)', { images: [300, 2, 3, 4], labels: new Uint8Array(1), count: 1, rows: 2, cols: 2 }, /ResidentImages: images must be a Uint8Array of bytes, got \[300,2,3,4\]/],
    ['with float labels', { images: new Uint8Array(4), labels: new Float32Array(1), count: 1, rows: 2, cols: 2 }, /ResidentImages: labels must be a Uint8Array of bytes/],
  ])('refuses data %s with an ArgumentError, allocating nothing', async (_name, data, message) => {
    const rt = await init({ build: 'simd', fresh: true });
    const live = rt.arena.liveByCategory();
    expect(() => new ResidentImages(rt, data as never, 4)).toThrow(ArgumentError);
    expect(() => new ResidentImages(rt, data as never, 4)).toThrow(message);
    expect(rt.arena.liveByCategory()).toEqual(live);
  });
});

describe('trainStepOn', () => {
  it.each([
    ['null', null, /trainStepOn needs a batch source with rows and fill\(\), got null/],
    ['no fill', { rows: 2 }, /trainStepOn needs a batch source/],
    ['zero rows', { rows: 0, fill: () => {} }, /source rows must be an integer >= 1, got 0/],
  ])('refuses a source that is %s before anything changes', async (_name, source, message) => {
    const rt = await init({ build: 'simd', fresh: true });
    const m = new Sequential(rt, [Linear(4, 2)], { seed: 1 });
    const live = rt.arena.liveByCategory();
    expect(() => m.trainStepOn(source as never, new SGD({ lr: 0.1 }))).toThrow(message);
    expect(rt.arena.liveByCategory()).toEqual(live);
    expect(m.steps).toBe(0);
  });
});
