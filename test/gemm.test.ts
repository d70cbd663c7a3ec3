import { describe, expect, it } from 'vitest';
import { init, gemm, matmul, Tensor, ShapeError, ArgumentError, type BuildName, type Runtime } from '../src/index.js';
import { randomArray, rng } from './helpers/rng.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { v8Major } from '../src/features.js';

enableRelaxedSimdForTests();

// float64 reference: C = alpha * op(A) op(B) + beta * C, and the error bound
// gamma_k * (|alpha| |op(A)||op(B)| + |beta| |C|) that any float32 summation
// order satisfies (Higham, Accuracy and Stability, §3.5), with k + 4 roundings
// to cover the alpha and beta products.
function reference(
  m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array,
  o: { transA: boolean; transB: boolean; alpha: number; beta: number; lda: number; ldb: number; ldc: number },
) {
  const out = new Float64Array(c.length);
  const bound = new Float64Array(c.length);
  const u = 2 ** -24;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, abs = 0;
      for (let p = 0; p < k; p++) {
        const av = o.transA ? a[p * o.lda + i]! : a[i * o.lda + p]!;
        const bv = o.transB ? b[j * o.ldb + p]! : b[p * o.ldb + j]!;
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      const ci = i * o.ldc + j;
      const cv = o.beta === 0 ? 0 : o.beta * c[ci]!;
      out[ci] = o.alpha * s + cv;
      bound[ci] = (k + 4) * u * (Math.abs(o.alpha) * abs + Math.abs(cv)) + 1e-30;
    }
  }
  return { out, bound };
}

function check(rt: Runtime, seed: number, m: number, n: number, k: number, transA: boolean, transB: boolean, alpha: number, beta: number, pad = 0) {
  const next = rng(seed);
  const lda = Math.max(1, transA ? m : k) + pad, ldb = Math.max(1, transB ? k : n) + pad, ldc = Math.max(1, n) + pad;
  const a = randomArray(Math.max(0, (transA ? k : m) * lda), next);
  const b = randomArray(Math.max(0, (transB ? n : k) * ldb), next);
  const c = randomArray(Math.max(0, m * ldc), next);
  const { out, bound } = reference(m, n, k, a, b, c, { transA, transB, alpha, beta, lda, ldb, ldc });
  const before = c.slice();
  gemm(rt, m, n, k, a, b, c, { transA, transB, alpha, beta, lda, ldb, ldc });
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const idx = i * ldc + j;
      if (j >= n) {
        // Padding between rows of C is never written.
        if (!Object.is(c[idx], before[idx])) throw new Error(`wrote padding C[${i}][${j}]`);
        continue;
      }
      const err = Math.abs(c[idx]! - out[idx]!);
      if (!(err <= bound[idx]!)) {
        throw new Error(
          `m=${m} n=${n} k=${k} transA=${transA} transB=${transB} alpha=${alpha} beta=${beta} pad=${pad}: ` +
            `C[${i}][${j}] = ${c[idx]} expected ${out[idx]} (error ${err} > bound ${bound[idx]})`,
        );
      }
    }
  }
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
const SCALES: [number, number][] = [[1, 0], [1, 1], [-0.5, -0.5], [0, 1], [0, -0.5], [1, -0.5]];
// Families around the register tiles (2x16, 6x8), the cache blocks (MC=72, KC=256, NC=512) and primes;
// n = 10 (an output layer) ends the dot path in a tile of two columns.
const M_FAMILY = [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 63, 64, 65, 67, 71, 72, 73, 79];
const N_FAMILY = [0, 1, 3, 7, 8, 10, 15, 16, 17, 35, 67, 511, 513];
const K_FAMILY = [0, 1, 2, 3, 4, 5, 67, 255, 256, 257, 513];

// The relaxed builds run either register tile, by engine (Runtime.gemmTile): both are checked on every engine.
const BUILD_TILES: [BuildName, '2x16' | '6x8' | undefined][] = [['simd', undefined], ['relaxed', '2x16'], ['relaxed', '6x8'], ['scalar', undefined]];

/** A runtime of `build` whose packed products run `tile` (a fresh instance: the shared one keeps the engine's choice). */
async function runtimeWithTile(build: BuildName, tile: '2x16' | '6x8' | undefined): Promise<Runtime> {
  if (!tile) return init({ build });
  const rt = await init({ build, fresh: true });
  expect(rt.core.gemmUseWideTile(+(tile === '6x8'))).toBe(tile === '6x8' ? 1 : 0);
  return rt;
}

describe.each(BUILD_TILES)('gemm (%s build, tile %s)', (build, tile) => {
  const runtime = (): Promise<Runtime> => runtimeWithTile(build, tile);

  it('matches the float64 reference over M families, every transpose and scale', async () => {
    const rt = await runtime();
    let seed = 1;
    for (const [ta, tb] of TRANSPOSES) for (const [al, be] of SCALES) for (const m of M_FAMILY) check(rt, seed++, m, 9, 5, ta, tb, al, be);
  });

  it('matches the reference over N and K families, every transpose', async () => {
    const rt = await runtime();
    let seed = 1000;
    for (const [ta, tb] of TRANSPOSES) {
      for (const n of N_FAMILY) check(rt, seed++, 5, n, 7, ta, tb, 1, 1);
      for (const k of K_FAMILY) check(rt, seed++, 6, 10, k, ta, tb, -0.5, 0);
    }
  });

  it('matches the reference on awkward sizes that cross every cache block, with strided leading dimensions', async () => {
    const rt = await runtime();
    let seed = 2000;
    for (const [ta, tb] of TRANSPOSES) {
      check(rt, seed++, 67, 67, 67, ta, tb, 1, 0, 3);
      check(rt, seed++, 130, 19, 257, ta, tb, -0.5, 1, 1);
      check(rt, seed++, 65, 520, 300, ta, tb, 1, -0.5, 5);
    }
  });

  // The shape-picked paths: in place (op(B) = B, k <= 64, A resident), dot
  // (A B^T, A resident) and packed, around their edges: N about one and two
  // 4-, 6- and 16-wide panels, K about 4-wide steps and the in-place limit, odd M.
  const NARROW_N = [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 15, 16, 17, 33];
  const NARROW_K = [1, 2, 3, 4, 5, 9, 10, 11, 63, 64, 65];
  it('matches the reference on narrow N and short K, every transpose, scale and stride', async () => {
    const rt = await runtime();
    let seed = 3000;
    for (const [ta, tb] of TRANSPOSES) {
      for (const n of NARROW_N) for (const k of NARROW_K) {
        const [al, be] = SCALES[seed % SCALES.length]!;
        check(rt, seed++, 5, n, k, ta, tb, al, be, seed % 3);
      }
    }
  });

  it('matches the reference on the 784-100-10 training shapes at batch 64 and near them', async () => {
    const rt = await runtime();
    let seed = 4000;
    for (const m of [63, 64, 65]) {
      for (const pad of [0, 3]) {
        check(rt, seed++, m, 100, 784, false, true, 1, 0, pad); // fc1 forward
        check(rt, seed++, m, 10, 100, false, true, 1, 1, pad); // fc2 forward
        check(rt, seed++, 10, 100, m, true, false, 1, 0, pad); // fc2 dW
        check(rt, seed++, m, 100, 10, false, false, -0.5, 0, pad); // fc2 dX
        check(rt, seed++, 100, 784, m, true, false, 1, -0.5, pad); // fc1 dW
      }
    }
    // Past the resident-A limit (m*k = 65,536 floats) the packed path takes over.
    check(rt, seed++, 65, 40, 1024, false, true, 1, 0, 1);
    check(rt, seed++, 1025, 17, 64, false, false, 1, 1, 1);
  });

  it('writes no row of C past m when C lies in WASM memory, on every path and edge tile', async () => {
    const rt = await runtime();
    const next = rng(4500);
    const SENTINEL = 12345.5;
    for (const [m, n, k, transA, transB] of [[100, 784, 64, true, false], [5, 17, 300, false, false], [7, 40, 1024, false, true], [11, 10, 100, false, true], [13, 100, 10, false, false]] as const) {
      for (const beta of [0, 1, -0.5]) {
        const a = randomArray((transA ? k : m) * (transA ? m : k), next), b = randomArray(k * n, next);
        const c = Tensor.from(rt, new Float32Array((m + 8) * n).fill(SENTINEL), [(m + 8) * n]);
        gemm(rt, m, n, k, a, b, c.data.subarray(0, m * n), { transA, transB, beta });
        const after = c.toArray().subarray(m * n);
        expect(after.every((v) => v === SENTINEL), `${m}x${n}x${k} beta=${beta}: a row past m was written`).toBe(true);
        c.free();
      }
    }
  });

  it('counts exactly m*n*k multiply-accumulates per product', async () => {
    const rt = await runtime();
    rt.resetMacs();
    matmul(rt, new Float32Array(7 * 13), new Float32Array(13 * 5), 7, 13, 5);
    matmul(rt, new Float32Array(784 * 64), new Float32Array(784 * 100), 64, 784, 100);
    expect(rt.macs()).toBe(BigInt(7 * 13 * 5 + 64 * 784 * 100));
    rt.resetMacs();
    expect(rt.macs()).toBe(0n);
  });
});

describe('the 2x16 and 6x8 register tiles (and the dot path\'s 2x4 and 2x6)', () => {
  it('give bit-identical products (each element is the same chain over k), every transpose, scale and stride', async () => {
    const [narrow, wide] = await Promise.all([runtimeWithTile('relaxed', '2x16'), runtimeWithTile('relaxed', '6x8')]);
    const next = rng(77);
    for (const [m, n, k] of [[256, 256, 256], [67, 67, 67], [100, 784, 64], [64, 100, 784], [64, 10, 100], [5, 13, 7], [130, 19, 257], [7, 520, 300], [65, 40, 1024]] as const) {
      for (const [transA, transB] of TRANSPOSES) for (const [alpha, beta] of [[1, 0], [1, 1], [-0.5, -0.5]] as const) {
        const pad = (m + n) % 3, lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        const a = randomArray((transA ? k : m) * lda, next), b = randomArray((transB ? n : k) * ldb, next), c0 = randomArray(m * ldc, next);
        const [c1, c2] = [c0.slice(), c0.slice()];
        gemm(narrow, m, n, k, a, b, c1, { transA, transB, alpha, beta, lda, ldb, ldc });
        gemm(wide, m, n, k, a, b, c2, { transA, transB, alpha, beta, lda, ldb, ldc });
        const differs = c1.findIndex((v, i) => !Object.is(v, c2[i]));
        expect(differs, `${m}x${n}x${k} transA=${transA} transB=${transB} alpha=${alpha} beta=${beta}: first different element`).toBe(-1);
      }
    }
  });

  it('the runtime runs 6x8 in the relaxed builds on V8 13 and later, 2x16 otherwise, and says which', async () => {
    const v8 = Number.parseInt(process.versions.v8, 10);
    const relaxed = await init({ build: 'relaxed' });
    expect(relaxed.gemmTile).toBe(v8 >= 13 ? '6x8' : '2x16');
    expect(relaxed.describe()).toContain(`GEMM tile ${relaxed.gemmTile})`);
    expect((await init({ build: 'simd' })).gemmTile).toBe('2x16');
    const scalar = await init({ build: 'scalar' });
    expect(scalar.gemmTile).toBeUndefined();
    expect(scalar.describe()).not.toContain('GEMM tile');
    // Where the V8 version comes from: Node's, Deno's, a Chromium page's user agent (Chrome 156 runs V8 15.6); none for other engines.
    expect(v8Major()).toBe(v8);
    expect(v8Major({ Deno: { version: { v8: '13.7.152.6-rusty' } } })).toBe(13);
    expect(v8Major({ navigator: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.8078.73 Safari/537.36' } })).toBe(15);
    expect(v8Major({ navigator: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/129.0.0.0 Safari/537.36' } })).toBe(12);
    expect(v8Major({ navigator: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0' } })).toBeUndefined();
    // Only the relaxed builds have the 6x8 tile.
    expect((await init({ build: 'simd', fresh: true })).core.gemmUseWideTile(1)).toBe(0);
  });
});

describe('gemm semantics', () => {
  it('beta = 0 overwrites C, so NaN already in C does not survive (BLAS convention)', async () => {
    const rt = await init();
    const c = new Float32Array([NaN, Infinity, NaN, -Infinity]);
    gemm(rt, 2, 2, 1, new Float32Array([1, 2]), new Float32Array([3, 4]), c, { beta: 0 });
    expect(Array.from(c)).toEqual([3, 4, 6, 8]);
  });

  it('k = 0 gives beta * C', async () => {
    const rt = await init();
    const c = new Float32Array([1, 2, 3, 4]);
    gemm(rt, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, { beta: -0.5 });
    expect(Array.from(c)).toEqual([-0.5, -1, -1.5, -2]);
  });

  it('computes non-finite inputs IEEE-style', async () => {
    const rt = await init();
    const c = matmul(rt, new Float32Array([Infinity, 1, NaN, 1]), new Float32Array([1, 0, 1, 1]), 2, 2, 2);
    expect(c[0]).toBe(Infinity);
    expect(Number.isNaN(c[1])).toBe(true); // Infinity * 0

    expect(Number.isNaN(c[2])).toBe(true);
    expect(Number.isNaN(c[3])).toBe(true);
  });

  it('works zero-copy on tensors in WASM memory', async () => {
    const rt = await init();
    const next = rng(7);
    const a = Tensor.from(rt, randomArray(3 * 4, next), [3, 4]);
    const b = Tensor.from(rt, randomArray(4 * 2, next), [4, 2]);
    const c = Tensor.empty(rt, [3, 2]);
    gemm(rt, 3, 2, 4, a, b, c);
    const expected = matmul(rt, a.toArray(), b.toArray(), 3, 4, 2);
    expect(Array.from(c.data)).toEqual(Array.from(expected));
    for (const t of [a, b, c]) t.free();
  });
});

describe('gemm argument errors name the argument and the sizes, before WASM runs', () => {
  it.each([
    ['a too short', () => [2, 2, 3, new Float32Array(5), new Float32Array(6), new Float32Array(4), {}], /a has 5 elements, expected at least 6/],
    ['b too short', () => [2, 2, 3, new Float32Array(6), new Float32Array(5), new Float32Array(4), {}], /b has 5 elements, expected at least 6/],
    ['c too short', () => [2, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(3), {}], /c has 3 elements, expected at least 4/],
    ['lda too small', () => [2, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(4), { lda: 2 }], /lda must be >= 3/],
    ['ldb too small (transposed)', () => [2, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(4), { transB: true, ldb: 2 }], /ldb must be >= 3/],
    ['negative m', () => [-1, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(4), {}], /m must be an integer >= 0, got -1/],
    ['fractional k', () => [2, 2, 1.5, new Float32Array(6), new Float32Array(6), new Float32Array(4), {}], /k must be an integer >= 0, got 1.5/],
    ['NaN alpha', () => [2, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(4), { alpha: NaN }], /alpha must be a finite number/],
    ['plain array', () => [2, 2, 3, [1, 2, 3, 4, 5, 6], new Float32Array(6), new Float32Array(4), {}], /a must be a Float32Array or a Tensor/],
    ['null b', () => [2, 2, 3, new Float32Array(6), null, new Float32Array(4), {}], /b must be a Float32Array or a Tensor/],
    ['alpha beyond float32', () => [2, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(4), { alpha: 1e39 }], /alpha must fit in float32 \(\|x\| <= 3.4028235e38\), got 1e\+39/],
    ['beta beyond float32', () => [2, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(4), { beta: -1e39 }], /beta must fit in float32/],
  ])('%s', async (_name, args, message) => {
    const rt = await init();
    const [m, n, k, a, b, c, o] = args() as Parameters<typeof gemm> extends [Runtime, ...infer R] ? R : never;
    const macs = rt.macs();
    expect(() => gemm(rt, m, n, k, a, b, c, o)).toThrow(message);
    expect(rt.macs()).toBe(macs);
  });

  it('a freed Tensor is refused, its block never read or written', async () => {
    const rt = await init();
    const a = Tensor.from(rt, [1, 2, 3, 4], [2, 2]);
    a.free();
    const c = new Float32Array(4);
    expect(() => gemm(rt, 2, 2, 2, new Float32Array(4), new Float32Array(4), a)).toThrow(/gemm: c is a freed tensor/);
    expect(() => gemm(rt, 2, 2, 2, a, new Float32Array(4), c)).toThrow(ArgumentError);
  });

  it('errors are typed', async () => {
    const rt = await init();
    expect(() => matmul(rt, new Float32Array(1), new Float32Array(1), 2, 2, 2)).toThrow(ShapeError);
    expect(() => matmul(rt, new Float32Array(4), new Float32Array(4), 2, 2, -2)).toThrow(ArgumentError);
  });
});

describe('Tensor', () => {
  it('refuses an unknown memory category or a bad shape before the core allocates', async () => {
    const rt = await init({ fresh: true });
    const live = rt.arena.liveByCategory();
    expect(() => Tensor.empty(rt, [4], 'scratch' as never)).toThrow(ArgumentError);
    expect(() => Tensor.empty(rt, [4], 'scratch' as never)).toThrow(
      'category must be one of weights, gradients, optimizer, activations, workspace, inputs, kvCache, got "scratch"',
    );
    expect(rt.arena.liveByCategory()).toEqual(live);
    expect(() => Tensor.empty(rt, 12 as never)).toThrow('shape must be an array of sizes, e.g. [rows, cols], got 12');
    expect(() => Tensor.empty(rt, [3, -1])).toThrow('shape[1] must be an integer >= 0, got -1');
    expect(() => Tensor.from(rt, [1, 2], [-1, -2])).toThrow('shape[0] must be an integer >= 0, got -1');
    expect(() => Tensor.from(rt, 7 as never)).toThrow('Tensor.from: values must be an array or typed array of numbers');
    // Reading the counters of an unknown category is an error too, not the total.
    expect(() => rt.arena.live('scratch' as never)).toThrow(ArgumentError);
    expect(() => rt.arena.peak('scratch' as never)).toThrow(ArgumentError);
  });
});

describe('views over WASM memory', () => {
  it('a tensor view stays valid after memory grows', async () => {
    const rt = await init({ build: 'scalar' });
    const t = Tensor.from(rt, [1, 2, 3], [3]);
    const before = rt.memory.buffer.byteLength;
    const big = Tensor.empty(rt, [4 * 1024 * 1024]); // 16 MiB forces growth
    expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
    t.data[1] = 5;
    expect(Array.from(t.toArray())).toEqual([1, 5, 3]);
    big.free();
    t.free();
    expect(() => t.data).toThrow(/freed/);
  });
});
