// Property: any one bad argument to init, gemm, matmul, Tensor.empty, Tensor.from
// or a freed tensor's methods is refused with one of wasmgrad's typed errors, on
// one line, quickly, with the caller's arrays and the arena's live bytes as they were.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES, gemm, init, matmul, Tensor, type Runtime } from '../src/index.js';
import { anyBadValue, badArray, badBoolean, badFloat32, badInteger, badNumbers, badOptions, badRuntime, badType, oneBadArgument } from './helpers/bad-values.js';
import { expectRefused as expectRefusedWith, expectTypedOneLine, TIME_LIMIT_MS, withArgument } from './helpers/refusal.js';
import { randomArray, rng } from './helpers/rng.js';

const params = { numRuns: 150, seed: 15 };

/** Refused, with the arena's live bytes as they were. */
const expectRefused = (rt: Runtime, call: () => unknown, inputs: readonly unknown[]) => expectRefusedWith(call, inputs, () => rt.arena.liveByCategory());
const badGemmOptions = badOptions({
  transA: badBoolean, transB: badBoolean, alpha: badFloat32, beta: badFloat32, lda: badInteger, ldb: badInteger, ldc: badInteger,
});

describe('bad input to the library surface is refused with a typed one-line error', () => {
  let rt: Runtime;
  let other: Runtime;
  beforeAll(async () => {
    rt = await init({ fresh: true });
    other = await init({ fresh: true });
  });

  it('gemm(rt, m, n, k, a, b, c, options)', () => {
    const next = rng(1);
    const m = 2, n = 3, k = 4;
    const badMatrix = (length: number, shape: number[]) =>
      fc.oneof(
        badArray(length),
        fc.constant(null).map(() => {
          const t = Tensor.empty(rt, shape);
          t.free();
          return t;
        }),
        fc.constant(null).map(() => Tensor.empty(other, shape)),
      );
    const generators = [badRuntime, badInteger, badInteger, badInteger, badMatrix(m * k, [m, k]), badMatrix(k * n, [k, n]), badMatrix(m * n, [m, n]), badGemmOptions];
    fc.assert(
      fc.property(oneBadArgument(generators), ([at, value]) => {
        const valid = [rt, m, n, k, randomArray(m * k, next), randomArray(k * n, next), randomArray(m * n, next), { alpha: 0.5 }];
        const args = withArgument(valid, at, value);
        expectRefused(rt, () => (gemm as (...a: unknown[]) => void)(...args), args.slice(4, 7));
      }),
      params,
    );
  });

  it('matmul(rt, a, b, m, k, n)', () => {
    const next = rng(2);
    const m = 3, k = 2, n = 5;
    const generators = [badRuntime, badArray(m * k), badArray(k * n), badInteger, badInteger, badInteger];
    fc.assert(
      fc.property(oneBadArgument(generators), ([at, value]) => {
        const args = withArgument([rt, randomArray(m * k, next), randomArray(k * n, next), m, k, n], at, value);
        expectRefused(rt, () => (matmul as (...a: unknown[]) => unknown)(...args), args.slice(1, 3));
      }),
      params,
    );
  });

  // Shapes that are not arrays of safe integers >= 0 ([] is a valid scalar shape), or too large for wasm32.
  const badShape = fc.oneof(
    anyBadValue.filter((v) => v !== undefined && !Array.isArray(v)),
    fc.tuple(fc.array(fc.nat({ max: 4 }), { maxLength: 3 }), badInteger).map(([dims, bad]) => [...dims, bad]),
    fc.array(fc.integer({ min: 2 ** 16, max: 2 ** 30 }), { minLength: 3, maxLength: 4 }),
  );
  const badCategory = fc.oneof(
    badType.filter((v) => v !== undefined),
    fc.string({ maxLength: 10 }).filter((s) => !(CATEGORIES as readonly string[]).includes(s)),
  );

  it('Tensor.empty(rt, shape, category, what)', () => {
    const generators = [badRuntime, badShape, badCategory, badType.filter((v) => v !== undefined && typeof v !== 'string')];
    fc.assert(
      fc.property(oneBadArgument(generators), ([at, value]) => {
        const args = withArgument([rt, [2, 3], 'workspace', 'a tensor'], at, value);
        expectRefused(rt, () => (Tensor.empty as (...a: unknown[]) => unknown)(...args), [args[1]]);
      }),
      params,
    );
  });

  it('Tensor.from(rt, values, shape, category)', () => {
    const mismatched = fc.array(fc.nat({ max: 6 }), { maxLength: 3 }).filter((s) => s.reduce((a, b) => a * b, 1) !== 4);
    const generators = [badRuntime, badNumbers(4), fc.oneof(badShape, mismatched), badCategory];
    fc.assert(
      fc.property(oneBadArgument(generators), ([at, value]) => {
        const args = withArgument([rt, [1, 2, 3, 4], [2, 2], 'inputs'], at, value);
        expectRefused(rt, () => (Tensor.from as (...a: unknown[]) => unknown)(...args), [args[1], args[2]]);
      }),
      params,
    );
  });

  it("a freed tensor's methods", () => {
    fc.assert(
      fc.property(fc.constantFrom('data', 'toArray', 'free'), (method) => {
        const t = Tensor.from(rt, [1, 2, 3]);
        t.free();
        expectRefused(rt, () => (method === 'data' ? t.data : t[method]()), []);
      }),
      { numRuns: 20 },
    );
  });

  it('init(options) rejects, never throws', async () => {
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const badWasm = fc.oneof(
      fc.uint8Array({ maxLength: 32 }),
      fc.uint8Array({ maxLength: 32 }).map((tail) => new Uint8Array([...header, ...tail])),
      fc.constantFrom<unknown>('', 'not a url', './core.wasm', 'nosuchscheme:core.wasm', new URL('file:///nonexistent/core.wasm')),
      badType.filter((v) => v !== undefined && typeof v !== 'string'),
    );
    const badInitOptions = badOptions({
      build: fc.oneof(badType, fc.string({ maxLength: 8 }).filter((s) => !['auto', 'relaxed', 'simd', 'scalar'].includes(s))),
      fresh: badBoolean,
      wasm: badWasm,
    });
    await fc.assert(
      fc.asyncProperty(badInitOptions, async (options) => {
        let pending: Promise<unknown> | undefined;
        const start = performance.now();
        expect(() => (pending = init(options as never))).not.toThrow();
        const error = await pending!.then(() => undefined, (e: unknown) => e ?? new Error('rejected with nothing'));
        expect(performance.now() - start).toBeLessThan(TIME_LIMIT_MS);
        expect(error, 'init must reject').toBeDefined();
        expectTypedOneLine(error);
      }),
      params,
    );
  });
});
