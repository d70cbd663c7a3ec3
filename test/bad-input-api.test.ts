// Property: any one bad argument to init, gemm, matmul, Tensor.empty, Tensor.from
// or a freed tensor's methods is refused with one of wasmgrad's typed errors, on
// one line, quickly, with the caller's arrays and the arena's live bytes as they were.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ArgumentError, CATEGORIES, gemm, init, matmul, NonFiniteError, OutOfMemoryError, ShapeError, Tensor, type Runtime,
} from '../src/index.js';
import { anyBadValue, badArray, badBoolean, badFloat32, badInteger, badNumbers, badType } from './helpers/bad-values.js';
import { randomArray, rng } from './helpers/rng.js';

const TYPED_ERRORS = [ArgumentError, ShapeError, OutOfMemoryError, NonFiniteError];
/** Generous for 2 shared cores; a refusal is checks only, well under a millisecond. */
const TIME_LIMIT_MS = 1000;
const NUM_RUNS = 150;
const params = { numRuns: NUM_RUNS, seed: 15 };

function expectTypedOneLine(error: unknown): void {
  expect(TYPED_ERRORS.some((E) => error instanceof E), `${String((error as Error)?.name)}: ${String((error as Error)?.message)}`).toBe(true);
  expect((error as Error).message).not.toMatch(/[\n\r\u2028\u2029]/);
}

/** What a caller could see change: the elements of its arrays. */
function snapshot(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) return x.buffer.byteLength > 0 ? Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)) : 'empty or detached';
  return Array.isArray(x) ? [...x] : x;
}

/** Calls `call`, which must be refused, and checks how. */
function expectRefused(rt: Runtime, call: () => unknown, inputs: readonly unknown[]): void {
  const before = inputs.map(snapshot);
  const live = rt.arena.liveByCategory();
  const start = performance.now();
  let error: unknown = undefined, threw = false;
  try {
    call();
  } catch (e) {
    threw = true;
    error = e;
  }
  expect(performance.now() - start).toBeLessThan(TIME_LIMIT_MS);
  expect(threw, 'the call must be refused').toBe(true);
  expectTypedOneLine(error);
  inputs.forEach((x, i) => expect(snapshot(x)).toEqual(before[i]));
  expect(rt.arena.liveByCategory()).toEqual(live);
}

/** Replaces argument `at` of `args` with `value`. */
function withArgument(args: readonly unknown[], at: number, value: unknown): unknown[] {
  const out = [...args];
  out[at] = value;
  return out;
}

const notAnObject = (v: unknown) => v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v));

/** Options objects with one unknown key or one known key set to a bad value of its kind (never undefined: that is the default). */
function badOptions(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const known = Object.keys(fields);
  return fc.oneof(
    anyBadValue.filter(notAnObject),
    fc.string({ maxLength: 8 }).filter((k) => !known.includes(k)).map((k) => ({ [k]: 1 })),
    ...known.map((key) => fields[key]!.filter((v) => v !== undefined).map((v) => ({ [key]: v }))),
  );
}

const badRuntime = fc.oneof(anyBadValue, fc.constantFrom<unknown>({ arena: {} }, { core: {}, memory: {} }));
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
      fc.property(fc.nat({ max: generators.length - 1 }).chain((at) => generators[at]!.map((v) => [at, v] as const)), ([at, value]) => {
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
      fc.property(fc.nat({ max: generators.length - 1 }).chain((at) => generators[at]!.map((v) => [at, v] as const)), ([at, value]) => {
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
      fc.property(fc.nat({ max: generators.length - 1 }).chain((at) => generators[at]!.map((v) => [at, v] as const)), ([at, value]) => {
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
      fc.property(fc.nat({ max: generators.length - 1 }).chain((at) => generators[at]!.map((v) => [at, v] as const)), ([at, value]) => {
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
