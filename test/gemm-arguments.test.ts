// gemm and matmul arguments: options checked as what they are, operands and the
// runtime checked before anything is copied, stale views named, and products too
// large for wasm32 refused before anything is allocated.

import { describe, expect, it } from 'vitest';
import { ArgumentError, gemm, init, matmul, OutOfMemoryError, Tensor, WASM32_MAX_BYTES, type GemmOptions } from '../src/index.js';

const sep = (n: number) => n.toLocaleString('en-US');

const f32 = (...v: number[]) => new Float32Array(v);

describe('gemm options are checked as what they are', () => {
  // A is 2x3 as stored; with transA it is read as 3x2, so a truthy string that
  // reached the core as 0 would compute the untransposed product.
  it.each([
    ['transA as a string', { transA: 'false' }, /gemm: transA must be a boolean \(true or false\), got "false"/],
    ['transA as null', { transA: null }, /gemm: transA must be a boolean \(true or false\), got null/],
    ['alpha as null', { alpha: null }, /gemm: alpha must be a finite number, got null/],
    ['transB as a number', { transB: 1 }, /gemm: transB must be a boolean \(true or false\), got 1/],
    ['alpha as a string', { alpha: '2' }, /gemm: alpha must be a finite number, got "2"/],
    ['beta as a BigInt', { beta: 1n }, /gemm: beta must be a finite number, got 1n/],
    ['lda as a string', { lda: '3' }, /gemm: lda must be an integer >= 0, got "3"/],
    ['ldc beyond the core', { ldc: 2 ** 31 }, /gemm: ldc must be an integer <= 2147483647, got 2147483648/],
    ['a misspelt option', { transa: true }, /gemm: unknown option "transa"; known options: transA, transB, alpha, beta, lda, ldb, ldc/],
  ])('%s is an ArgumentError and C is untouched', async (_name, options, message) => {
    const rt = await init();
    const c = f32(7, 7, 7, 7);
    const call = () => gemm(rt, 2, 2, 3, f32(1, 2, 3, 4, 5, 6), f32(1, 2, 3, 4, 5, 6), c, options as GemmOptions);
    expect(call).toThrow(ArgumentError);
    expect(call).toThrow(message);
    expect(Array.from(c)).toEqual([7, 7, 7, 7]);
  });

  it.each([
    ['null', null],
    ['a string', 'transA'],
    ['an array', [true]],
  ])('options given as %s are an ArgumentError', async (_name, options) => {
    const rt = await init();
    expect(() => gemm(rt, 1, 1, 1, f32(1), f32(1), f32(0), options as never)).toThrow(/gemm: options must be an object, got /);
    expect(() => gemm(rt, 1, 1, 1, f32(1), f32(1), f32(0), options as never)).toThrow(ArgumentError);
  });

  it('options set to undefined take their defaults', async () => {
    const rt = await init();
    const c = f32(0);
    gemm(rt, 1, 1, 1, f32(2), f32(3), c, { transA: undefined, alpha: undefined });
    expect(c[0]).toBe(6);
  });

  it('sizes must be numbers: a symbol or a BigInt is named, not a TypeError', async () => {
    const rt = await init();
    expect(() => gemm(rt, Symbol('m') as never, 1, 1, f32(1), f32(1), f32(0))).toThrow(/gemm: m must be an integer >= 0, got Symbol\(m\)/);
    expect(() => matmul(rt, f32(1), f32(1), 1, 1n as never, 1)).toThrow(/matmul: k must be an integer >= 0, got 1n/);
  });
});

describe('operands', () => {
  it('an undefined C is named, not taken for a result to allocate', async () => {
    const rt = await init();
    expect(() => gemm(rt, 1, 1, 1, f32(1), f32(1), undefined as never)).toThrow(new ArgumentError('gemm: c must be a Float32Array or a Tensor, got undefined'));
  });
});

describe('gemm and matmul need a Runtime', () => {
  it.each([
    ['undefined', undefined, 'undefined'],
    ['an empty object', {}, 'an object'],
    ['null', null, 'null'],
  ])('%s as the runtime is an ArgumentError', (_name, rt, got) => {
    expect(() => gemm(rt as never, 1, 1, 1, f32(1), f32(1), f32(0))).toThrow(new ArgumentError(`gemm needs a Runtime from init(), got ${got}`));
    expect(() => matmul(rt as never, f32(1), f32(1), 1, 1, 1)).toThrow(new ArgumentError(`matmul needs a Runtime from init(), got ${got}`));
  });
});

describe('Float32Array views of WASM memory', () => {
  /** Grows the runtime's memory by allocating (and freeing) a block larger than what it holds now. */
  function growMemory(rt: Awaited<ReturnType<typeof init>>): void {
    const before = rt.memory.buffer;
    rt.arena.free(rt.arena.alloc(rt.arena.memoryBytes(), 'workspace', 'growth'));
    expect(rt.memory.buffer).not.toBe(before);
  }

  it('a view captured before memory grew is named as stale, as any operand (one thread: growth detaches the buffer)', async () => {
    const rt = await init({ fresh: true, threads: 1 });
    const t = Tensor.from(rt, [1, 2, 3, 4], [2, 2]);
    const stale = t.data;
    growMemory(rt);
    const c = f32(9, 9, 9, 9);
    for (const [name, args] of [
      ['a', [stale, f32(1, 0, 0, 1), c]],
      ['b', [f32(1, 0, 0, 1), stale, c]],
      ['c', [f32(1, 0, 0, 1), f32(1, 0, 0, 1), stale]],
    ] as const) {
      const call = () => gemm(rt, 2, 2, 2, args[0], args[1], args[2]);
      expect(call).toThrow(ArgumentError);
      expect(call).toThrow(
        `gemm: ${name} is a view of a detached ArrayBuffer (a tensor's data view goes stale when WASM memory grows): read tensor.data again, or pass the Tensor itself`,
      );
    }
    expect(Array.from(c)).toEqual([9, 9, 9, 9]);
    expect(() => matmul(rt, stale, f32(1), 2, 2, 1)).toThrow(/matmul: a is a view of a detached ArrayBuffer/);
  });

  it('with threads, memory is shared and growth detaches nothing: a view captured before it still computes', async () => {
    const rt = await init({ fresh: true, threads: 2, build: 'simd' });
    const t = Tensor.from(rt, [1, 2, 3, 4], [2, 2]);
    const old = t.data;
    growMemory(rt);
    const c = f32(9, 9, 9, 9);
    gemm(rt, 2, 2, 2, old, f32(1, 0, 0, 1), c);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    rt.dispose();
  });

  it('a live view passed as an operand is used in place, even when the call grows memory', async () => {
    const rt = await init({ fresh: true });
    const a = Tensor.from(rt, [1, 2, 3, 4], [2, 2]);
    const c = Tensor.from(rt, [0, 0, 0, 0], [2, 2]);
    const before = rt.arena.liveByCategory();
    // B (2x2) stored with a row stride larger than the memory left, so copying it in grows memory.
    const ldb = Math.ceil(rt.arena.memoryBytes() / 4);
    const b = new Float32Array(ldb + 2);
    b[0] = 1; b[ldb] = 10; // B = [[1, 0], [10, 0]]
    gemm(rt, 2, 2, 2, a.data, b, c.data, { ldb });
    // c.data was a view of the old buffer; the product is in the tensor.
    expect(Array.from(c.data)).toEqual([21, 0, 43, 0]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4]);
    // The copy of B is freed; only the packing workspace the runtime keeps may have grown.
    expect({ ...rt.arena.liveByCategory(), workspace: 0 }).toEqual({ ...before, workspace: 0 });
  });
});

describe('products too large for wasm32 are refused before anything is allocated', () => {
  it('matmul of 100000x1 by 1x100000 names the bytes its result needs and the limit', async () => {
    const rt = await init({ fresh: true });
    const live = rt.arena.live();
    const a = new Float32Array(100_000).fill(1), b = new Float32Array(100_000).fill(2);
    const call = () => matmul(rt, a, b, 100_000, 1, 100_000);
    expect(call).toThrow(OutOfMemoryError);
    const scratch = rt.core.gemmScratchBytes(100_000, 100_000, 1) - rt.core.gemmScratchReserved();
    expect(call).toThrow(
      `matmul: needs ${sep(40_000_800_000 + scratch)} bytes of WASM memory (copies of a 400,000, b 400,000, result 40,000,000,000, packing workspace ${sep(scratch)}) ` +
        `but at most ${sep(WASM32_MAX_BYTES - live)} bytes are free (wasm32 limit 4,294,967,296 bytes, ${sep(live)} bytes live)`,
    );
    expect(rt.arena.live()).toBe(live);
    expect(a.every((v) => v === 1) && b.every((v) => v === 2)).toBe(true);
  });

  it('sizes whose product is beyond 2^53 are counted exactly', async () => {
    const rt = await init();
    const m = 2 ** 30 + 1;
    // (2^30 + 1)^2 elements of 4 bytes: 4611686027017322500, which a float64 cannot hold.
    expect(() => matmul(rt, f32(), f32(), m, 0, m)).toThrow(/needs 4,611,686,027,017,322,500 bytes of WASM memory \(copies of a 0, b 0, result 4,611,686,027,017,322,500\)/);
  });

  it('matmul checks its operands before it allocates its result', async () => {
    const rt = await init();
    const arrayBytes = process.memoryUsage().arrayBuffers;
    // A 30000x30000 result would be 3.6 GB; a and b are far too short for it anyway.
    expect(() => matmul(rt, f32(1), f32(1), 30_000, 30_000, 30_000)).toThrow(/matmul: a has 1 elements, expected at least 900000000/);
    expect(process.memoryUsage().arrayBuffers - arrayBytes).toBeLessThan(1e6);
  });

  it('gemm refuses copies that cannot fit beside the live bytes without allocating any of them', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    const filler = rt.arena.alloc(WASM32_MAX_BYTES - rt.arena.memoryBytes() - 100_000, 'workspace', 'filler');
    const live = rt.arena.liveByCategory();
    const a = new Float32Array(20_000).fill(1), b = new Float32Array(20_000).fill(1), c = new Float32Array(4).fill(5);
    rt.arena.startLog();
    expect(() => gemm(rt, 2, 2, 10_000, a, b, c, { transB: true })).toThrow(OutOfMemoryError);
    expect(() => gemm(rt, 2, 2, 10_000, a, b, c, { transB: true })).toThrow(/gemm: needs [\d,]+ bytes of WASM memory \(copies of a 80,000, b 80,000, c 16, packing workspace [\d,]+\)/);
    expect(rt.arena.stopLog()).toEqual([]);
    expect(rt.arena.liveByCategory()).toEqual(live);
    expect(Array.from(c)).toEqual([5, 5, 5, 5]);
    rt.arena.free(filler);
  });
});
