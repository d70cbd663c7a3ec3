// Dropout's seeded 1-byte mask: a draw depends only on (seed, element), so a
// forward recomputed with the same seed and offset reproduces the mask (also
// in pieces), the mask is one byte of 0/1 per element with about 1 - p kept,
// and p = 0 is the identity that saves, reads and writes no mask.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { init, type BuildName } from '../src/index.js';
import { dropoutBackward, dropoutForward, dropoutMaskBytes } from '../src/nn/ops/dropout.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';
import { WasmBuffers } from './helpers/wasm-buffers.js';

enableRelaxedSimdForTests();

const memoryDigest = (mem: WasmBuffers) => createHash('sha256').update(new Uint8Array(mem.rt.memory.buffer)).digest('hex');

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('dropout mask (%s build)', (build) => {
  const withBuffers = async (body: (mem: WasmBuffers) => void) => {
    const mem = new WasmBuffers(await init({ build }));
    try {
      body(mem);
    } finally {
      mem.free();
    }
  };

  it('the same seed and offset give the same mask and output; another seed or offset gives another mask', () =>
    withBuffers((mem) => {
      const n = 1000, p = 0.5, x = mem.f32(randomArray(n, rng(1)));
      const run = (seed: number, offset: number) => {
        const out = mem.f32(n), mask = mem.u8(n);
        dropoutForward(mem.rt, { n, p, seed, offset, x, out, mask });
        return { mask: Array.from(mem.readBytes(mask, n)), out: Array.from(mem.read(out, n)) };
      };
      const first = run(42, 0);
      expect(run(42, 0)).toEqual(first);
      expect(run(43, 0).mask).not.toEqual(first.mask);
      expect(run(42, 1).mask).not.toEqual(first.mask);
    }));

  it('one call over n elements equals calls over its pieces at their offsets (recomputation by blocks)', () =>
    withBuffers((mem) => {
      const n = 203, p = 0.3, seed = 7, x = mem.f32(randomArray(n, rng(2)));
      const whole = mem.u8(n), pieces = mem.u8(n), out = mem.f32(n);
      dropoutForward(mem.rt, { n, p, seed, offset: 1000, x, out, mask: whole });
      for (const [from, to] of [[0, 5], [5, 64], [64, 203]] as const) {
        dropoutForward(mem.rt, { n: to - from, p, seed, offset: 1000 + from, x: x + 4 * from, out: out + 4 * from, mask: pieces + from });
      }
      expect(Array.from(mem.readBytes(pieces, n))).toEqual(Array.from(mem.readBytes(whole, n)));
    }));

  it.each([0.1, 0.5, 0.9])('the mask is one byte of 0 or 1 per element, about 1 - p of them kept (p = %f)', (p) =>
    withBuffers((mem) => {
      const n = 100_000, x = mem.f32(n), mask = mem.u8(n, 9);
      expect(dropoutMaskBytes(n, p)).toBe(n);
      dropoutForward(mem.rt, { n, p, seed: 123, x, out: x, mask });
      const bytes = mem.readBytes(mask, n);
      expect(bytes.every((b) => b === 0 || b === 1)).toBe(true);
      const kept = bytes.reduce((s, b) => s + b, 0) / n;
      // Five standard deviations of a binomial fraction.
      expect(Math.abs(kept - (1 - p))).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }));

  it('p = 0 saves nothing and is the identity: out = x, dx = dout, the mask neither read nor written', () =>
    withBuffers((mem) => {
      const n = 67, x = randomArray(n, rng(3)), dout = randomArray(n, rng(4));
      expect(dropoutMaskBytes(n, 0)).toBe(0);
      const px = mem.f32(x), out = mem.f32(n), pd = mem.f32(dout), dx = mem.f32(n), mask = mem.u8(n, 7);
      dropoutForward(mem.rt, { n, p: 0, seed: 1, x: px, out, mask });
      expect(Array.from(mem.read(out, n))).toEqual(Array.from(x));
      dropoutBackward(mem.rt, { n, p: 0, dout: pd, mask, dx });
      expect(Array.from(mem.read(dx, n))).toEqual(Array.from(dout));
      expect(Array.from(mem.readBytes(mask, n))).toEqual(Array(n).fill(7));
      // No mask at all, and in place: nothing in memory changes.
      const before = memoryDigest(mem);
      dropoutForward(mem.rt, { n, p: 0, seed: 1, x: px, out: px, mask: 0 });
      dropoutBackward(mem.rt, { n, p: 0, dout: pd, mask: 0, dx: pd });
      expect(memoryDigest(mem)).toBe(before);
    }));
});
