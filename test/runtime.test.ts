// init(): which build runs, one shared instance per build, and bad requests as rejections.

import { describe, expect, it } from 'vitest';
import { ArgumentError, detectFeatures, init, pickBuild } from '../src/index.js';

describe('init', () => {
  it('picks the best build the engine validates and shares one instance per build', async () => {
    const rt = await init();
    expect(rt.build).toBe(pickBuild(detectFeatures()));
    expect(await init()).toBe(rt);
    expect(await init({ build: rt.build })).toBe(rt);
    const fresh = await init({ fresh: true });
    expect(fresh).not.toBe(rt);
    expect(fresh.build).toBe(rt.build);
  });

  it('an unknown build is a rejected promise, not a synchronous throw', async () => {
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = init({ build: 'fastest' as never }))).not.toThrow();
    await expect(pending).rejects.toThrow(ArgumentError);
    await expect(init({ build: 'fastest' as never })).rejects.toThrow('init: build must be one of auto, relaxed, simd, scalar; got "fastest"');
  });

  it('a .wasm given as a path Node cannot resolve, or a file that is not there, is named', async () => {
    await expect(init({ wasm: 'build/wasmgrad-simd.wasm' })).rejects.toThrow(ArgumentError);
    await expect(init({ wasm: 'build/wasmgrad-simd.wasm' })).rejects.toThrow(
      "wasm: cannot resolve 'build/wasmgrad-simd.wasm' to a URL; outside a page give an absolute URL (in Node, a file: URL) or the bytes",
    );
    await expect(init({ wasm: 'file:///nonexistent/wasmgrad.wasm' })).rejects.toThrow('wasmgrad: could not load file:///nonexistent/wasmgrad.wasm: ENOENT');
  });

  it('a module that is not a wasmgrad core is named as such', async () => {
    const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // a valid module with no exports
    await expect(init({ wasm: empty })).rejects.toThrow('wasm: this module is not a wasmgrad core (missing exports: memory, buildKind, ');
  });
});

describe('the core and the package name the same memory categories', () => {
  it.each(['simd', 'relaxed', 'scalar'] as const)('%s build: the core keeps a counter for each of CATEGORIES', async (build) => {
    const { enableRelaxedSimdForTests } = await import('./helpers/relaxed.js');
    enableRelaxedSimdForTests();
    const { CATEGORIES } = await import('../src/memory/categories.js');
    const rt = await init({ build });
    expect(rt.core.arenaCategoryCount()).toBe(CATEGORIES.length);
  });
});

describe('every core build is instantiated through @assemblyscript/loader', () => {
  // The debug build is not shipped, so it is read from build/ as bytes.
  it.each([
    ['simd', 'simd'],
    ['relaxed', 'relaxed'],
    ['scalar', 'scalar'],
    ['debug', 'simd'],
  ] as const)('wasmgrad-%s.wasm runs as the %s build and multiplies like it', async (file, build) => {
    const { enableRelaxedSimdForTests } = await import('./helpers/relaxed.js');
    enableRelaxedSimdForTests();
    const { readFile } = await import('node:fs/promises');
    const { matmul } = await import('../src/index.js');
    const rt = await init({ fresh: true, build, wasm: await readFile(new URL(`../build/wasmgrad-${file}.wasm`, import.meta.url)) });
    expect(rt.build).toBe(build);
    const a = Float32Array.from({ length: 6 }, (_, i) => i + 1);
    const b = Float32Array.from({ length: 6 }, (_, i) => i - 2);
    expect(Array.from(matmul(rt, a, b, 2, 3, 2))).toEqual([4, 10, 4, 19]);
  });

  it("calls the kernels through the instance's own exports, not the loader's JavaScript wrappers", async () => {
    const rt = await init({ fresh: true });
    for (const name of ['gemm', 'addBias', 'buildKind'] as const) {
      // A WebAssembly export prints as native code; the loader's wrapper prints its JavaScript source.
      expect(Function.prototype.toString.call(rt.core[name])).toMatch(/\[native code\]/);
      expect('original' in rt.core[name]).toBe(false);
    }
  });
});
