// Tensor.empty and Tensor.from arguments: the runtime, the shape, the values and
// the category are checked before anything is allocated.

import { describe, expect, it } from 'vitest';
import { ArgumentError, init, OutOfMemoryError, ShapeError, Tensor } from '../src/index.js';

describe('Tensor.empty and Tensor.from need a Runtime', () => {
  it.each([
    ['undefined', undefined, 'undefined'],
    ['an empty object', {}, 'an object'],
  ])('%s as the runtime is an ArgumentError', (_name, rt, got) => {
    expect(() => Tensor.empty(rt as never, [2])).toThrow(new ArgumentError(`Tensor.empty needs a Runtime from init(), got ${got}`));
    expect(() => Tensor.from(rt as never, [1, 2])).toThrow(new ArgumentError(`Tensor.from needs a Runtime from init(), got ${got}`));
  });
});

describe('shapes', () => {
  it('a hole in a shape array is named, not skipped', async () => {
    const rt = await init({ fresh: true });
    const live = rt.arena.live();
    // eslint-disable-next-line no-sparse-arrays
    expect(() => Tensor.empty(rt, [, 3] as number[])).toThrow(new ArgumentError('Tensor.empty: shape[0] must be an integer >= 0, got undefined'));
    expect(() => Tensor.empty(rt, [2, '3'] as never)).toThrow(new ArgumentError('Tensor.empty: shape[1] must be an integer >= 0, got "3"'));
    expect(() => Tensor.from(rt, [1], [Symbol('x')] as never)).toThrow(new ArgumentError('Tensor.from: shape[0] must be an integer >= 0, got Symbol(x)'));
    expect(() => Tensor.from(rt, [1, 2], null as never)).toThrow(new ArgumentError('Tensor.from: shape must be an array of sizes, e.g. [rows, cols], got null'));
    expect(rt.arena.live()).toBe(live);
  });

  it('a shape too large for wasm32 names its exact bytes and the limit', async () => {
    const rt = await init({ fresh: true });
    const live = rt.arena.live();
    // 3 * (2^51 + 1) elements: beyond 2^53, so a float64 product would round.
    const call = () => Tensor.empty(rt, [3, 2 ** 51 + 1, 4]);
    expect(call).toThrow(OutOfMemoryError);
    expect(call).toThrow(
      'Tensor.empty: shape [3, 2251799813685249, 4] has 27021597764222988 elements, 108086391056891952 bytes; a single WASM allocation must be below 4294967296 bytes (wasm32 limit)',
    );
    expect(rt.arena.live()).toBe(live);
  });
});

describe('Tensor.from values', () => {
  it.each([
    ['strings', ['1', 2], 'Tensor.from: values[0] must be a number, got "1"'],
    ['a hole', [1, , 3], 'Tensor.from: values[1] must be a number, got undefined'],
    ['an array-like of nothing', { length: 2 }, 'Tensor.from: values[0] must be a number, got undefined'],
    ['BigInts', new BigInt64Array(2), 'Tensor.from: values must be an array or typed array of numbers, got a BigInt64Array of 2'],
    ['null', null, 'Tensor.from: values must be an array or typed array of numbers, got null'],
  ])('%s are an ArgumentError, nothing allocated', async (_name, values, message) => {
    const rt = await init({ fresh: true });
    const live = rt.arena.live();
    expect(() => Tensor.from(rt, values as never)).toThrow(new ArgumentError(message));
    expect(rt.arena.live()).toBe(live);
  });

  it('a stale view is named, a live one copied (one thread: growth detaches the buffer)', async () => {
    const rt = await init({ fresh: true, threads: 1 });
    const source = Tensor.from(rt, [1, 2, 3, 4]);
    const view = source.data;
    // Allocating more than memory holds grows it, which detaches `view`.
    const grow = Tensor.empty(rt, [rt.arena.memoryBytes() / 4]);
    expect(() => Tensor.from(rt, view)).toThrow(ArgumentError);
    expect(() => Tensor.from(rt, view)).toThrow(
      "Tensor.from: values is a view of a detached ArrayBuffer (a tensor's data view goes stale when WASM memory grows): read tensor.data again, or pass the Tensor itself",
    );
    const live = source.data;
    const copy = Tensor.from(rt, live, [2, 2]);
    expect(Array.from(copy.data)).toEqual([1, 2, 3, 4]);
    for (const t of [source, grow, copy]) t.free();
  });

  it('a view of WASM memory survives the allocation of its own copy', async () => {
    const rt = await init({ fresh: true });
    const n = Math.ceil(rt.arena.memoryBytes() / 8);
    const source = Tensor.empty(rt, [n]);
    source.data.fill(3);
    // Copying n more floats cannot fit in the memory that holds the source now.
    const copy = Tensor.from(rt, source.data);
    expect(copy.data[n - 1]).toBe(3);
    expect(copy.size).toBe(n);
    source.free();
    copy.free();
  });

  it('a values/shape mismatch is still a ShapeError', async () => {
    const rt = await init();
    expect(() => Tensor.from(rt, [1, 2, 3], [2, 2])).toThrow(ShapeError);
  });
});

describe('Tensor.empty arguments', () => {
  it('a category that is not a string is named, not a TypeError', async () => {
    const rt = await init({ fresh: true });
    expect(() => Tensor.empty(rt, [2], Object.create(null))).toThrow(
      new ArgumentError('category must be one of weights, gradients, optimizer, activations, workspace, inputs, kvCache, got an object'),
    );
    expect(() => Tensor.empty(rt, [2], 'workspace', 7 as never)).toThrow(new ArgumentError('Tensor.empty: what must be a string, got 7'));
  });

  it('methods on a freed tensor are ArgumentErrors', async () => {
    const rt = await init();
    const t = Tensor.from(rt, [1, 2]);
    t.free();
    expect(() => t.data).toThrow(ArgumentError);
    expect(() => t.toArray()).toThrow(ArgumentError);
    expect(() => t.free()).toThrow(ArgumentError);
  });
});
