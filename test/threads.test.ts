// The threaded runtime: every kernel that splits across threads gives the
// same bits on 1, 2 and 3 threads (each element of a result is computed by
// one thread, in the single-thread order), memory stays measured == estimated
// with the per-thread packing workspace, and the workers' lifecycle and
// failures reach the caller as typed errors, never as a hang.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, ArgumentError, GPT, SGD, Sequential, ThreadError, init, mlp, type BuildName, type Runtime } from '../src/index.js';
import { profileMlp } from '../src/profile/profile-mlp.js';
import { profileGpt } from '../src/profile/profile-gpt.js';
import { pixelTable } from '../src/data/idx.js';
import { mlpGemmWorkspaceBytes } from '../src/estimate/mlp.js';
import { randomArray, rng } from './helpers/rng.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';

enableRelaxedSimdForTests();

const THREADS = [1, 2, 3];

function block(rt: Runtime, values: Float32Array) {
  const ptr = rt.arena.alloc(values.length * 4, 'workspace', 'test block');
  new Float32Array(rt.memory.buffer, ptr, values.length).set(values);
  return { ptr, read: () => new Float32Array(rt.memory.buffer, ptr, values.length).slice(), free: () => rt.arena.free(ptr) };
}

/** Index of the first element whose bits differ, or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Runs `work` on a fresh runtime of each thread count; every result must be bit-identical to one thread's, and the threaded runs must have split at least one call. */
async function sameOnEveryThreadCount(build: BuildName, work: (rt: Runtime) => Float32Array[]): Promise<void> {
  let single: Float32Array[] | undefined;
  for (const threads of THREADS) {
    const rt = await init({ build, threads, fresh: true });
    expect(rt.threads).toBe(threads);
    const before = rt.core.threadsParallelCalls();
    const results = work(rt);
    if (threads > 1) expect(rt.core.threadsParallelCalls() - before, 'calls that split').toBeGreaterThan(0);
    if (!single) single = results;
    else results.forEach((r, i) => expect(firstDifference(r, single![i]!), `result ${i} on ${threads} threads`).toBe(-1));
    rt.dispose();
  }
}

// Shapes that take each path (in place: k <= 64; dot: A B^T with A in L2; packed), with edges in every dimension.
const GEMM_SHAPES: [number, number, number][] = [
  [257, 100, 65], [64, 100, 784], [100, 784, 64], [64, 784, 100], [1, 1024, 300], [1024, 1, 300], [17, 513, 257], [300, 33, 64], [129, 129, 129],
];

describe.each(['simd', 'relaxed'] as BuildName[])('bit-identical on 1, 2 and 3 threads (%s build)', (build) => {
  it('gemm over shape families, all four transposes, alpha and beta, strided operands', async () => {
    await sameOnEveryThreadCount(build, (rt) => {
      const out: Float32Array[] = [];
      const next = rng(11);
      for (const [m, n, k] of GEMM_SHAPES) {
        for (const [transA, transB] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          const lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 5;
          const a = block(rt, randomArray((transA ? k : m) * lda, next)), b = block(rt, randomArray((transB ? n : k) * ldb, next));
          const c = block(rt, randomArray(m * ldc, next));
          const [alpha, beta] = transA ? [0.75, 0.5] : [1, 0];
          expect(rt.core.gemm(transA!, transB!, m, n, k, alpha, a.ptr, lda, b.ptr, ldb, beta, c.ptr, ldc)).toBe(1);
          out.push(c.read());
          [a, b, c].forEach((x) => x.free());
        }
      }
      return out;
    });
  });

  it('gemmBatched: the items split between threads', async () => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(12);
      // Attention's shapes: 8 items of (T x headDim) (headDim x T), heads side by side.
      const T = 64, d = 16, items = 8, ld = 3 * items * d;
      const qkv = block(rt, randomArray(T * ld, next)), scores = block(rt, new Float32Array(items * T * T));
      expect(rt.core.gemmBatched(0, 1, T, T, d, 0.25, qkv.ptr, ld, qkv.ptr + 4 * items * d, ld, 0, scores.ptr, T, items, items, d, 0, d, 0, T * T, 0)).toBe(1);
      return [scores.read()];
    });
  });

  it.each([
    ['ReLU', 0], ['Sigmoid', 2], ['GELU', 4], ['SiLU', 6],
  ] as const)('activation forward and backward over an odd count: %s', async (_name, kind) => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(16);
      const n = 100_003;
      const x = block(rt, randomArray(n, next)), y = block(rt, new Float32Array(n)), dy = block(rt, randomArray(n, next)), dx = block(rt, new Float32Array(n));
      rt.core.activationForward(kind, x.ptr, y.ptr, n, 0.01);
      rt.core.activationBackward(kind, kind === 0 || kind === 2 ? y.ptr : x.ptr, dy.ptr, dx.ptr, n, 0.01);
      return [y.read(), dx.read()];
    });
  });

  it('causal softmax forward and backward: the matrices split between threads', async () => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(17);
      const T = 67, count = 6, n = T * T * count;
      const s = block(rt, randomArray(n, next)), p = block(rt, new Float32Array(n)), dp = block(rt, randomArray(n, next)), ds = block(rt, new Float32Array(n));
      rt.core.causalSoftmaxForward(s.ptr, p.ptr, T, count);
      rt.core.causalSoftmaxBackward(p.ptr, dp.ptr, ds.ptr, T, count);
      return [p.read(), ds.read()];
    });
  });

  it('bias add (rows split) and bias gradient (columns split, each summed over the rows in order)', async () => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(18);
      const rows = 257, cols = 301;
      const y = block(rt, randomArray(rows * cols, next)), b = block(rt, randomArray(cols, next)), db = block(rt, new Float32Array(cols));
      rt.core.addBias(y.ptr, b.ptr, rows, cols);
      rt.core.biasGrad(y.ptr, db.ptr, rows, cols);
      return [y.read(), db.read()];
    });
  });

  it('LayerNorm and RMSNorm forward (rows split) and the residual add', async () => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(20);
      const rows = 300, h = 96, n = rows * h;
      const x = block(rt, randomArray(n, next)), w = block(rt, randomArray(h, next)), b = block(rt, randomArray(h, next));
      const out = [0, 1].map(() => ({ y: block(rt, new Float32Array(n)), mean: block(rt, new Float32Array(rows)), rstd: block(rt, new Float32Array(rows)) }));
      rt.core.normForward(1, x.ptr, w.ptr, b.ptr, out[0]!.y.ptr, out[0]!.mean.ptr, out[0]!.rstd.ptr, rows, h, 1e-5);
      rt.core.normForward(0, x.ptr, w.ptr, 0, out[1]!.y.ptr, 0, out[1]!.rstd.ptr, rows, h, 1e-5);
      rt.core.elementwiseAdd(x.ptr, out[0]!.y.ptr, out[1]!.y.ptr, n);
      return out.flatMap((o) => [o.y.read(), o.mean.read(), o.rstd.read()]);
    });
  });

  it('the batch gather of pixels: rows split between threads', async () => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(19);
      const images = 300, rowBytes = 785, rows = 67;
      const bytes = rt.arena.alloc(images * rowBytes, 'inputs', 'pixels');
      new Uint8Array(rt.memory.buffer, bytes, images * rowBytes).forEach((_, i, a) => (a[i] = Math.floor(next() * 256) & 255));
      const index = rt.arena.alloc(rows * 4, 'inputs', 'index');
      new Uint32Array(rt.memory.buffer, index, rows).forEach((_, i, a) => (a[i] = Math.floor(next() * images) % images));
      const out = block(rt, new Float32Array(rows * rowBytes));
      const table = block(rt, pixelTable({ mean: 0.2, std: 0.3 }));
      rt.core.gatherPixels(bytes, rowBytes, index, rows, out.ptr, table.ptr);
      return [out.read()];
    });
  });

  it('the largest |x| (the gradients check): ranges split between threads, one NaN or infinity anywhere still found', async () => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(21);
      const n = 100_003;
      const values = randomArray(n, next);
      const x = block(rt, values);
      const reference = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const at = (i: number, v: number) => (new Float32Array(rt.memory.buffer, x.ptr, n)[i] = v);
      const results = [rt.core.maxAbs(x.ptr, n)];
      expect(results[0]).toBe(reference);
      // The largest in the last slice, then non-finite values in it and in the first.
      at(n - 70, -9.5);
      results.push(rt.core.maxAbs(x.ptr, n));
      at(n - 2, Infinity);
      results.push(rt.core.maxAbs(x.ptr, n));
      at(3, NaN);
      results.push(rt.core.maxAbs(x.ptr, n));
      expect(results.slice(1)).toEqual([9.5, Infinity, NaN]);
      return [Float32Array.from(results)];
    });
  });

  it.each([
    ['sgd', { lr: 0.1 }],
    ['sgd momentum', { lr: 0.1, momentum: 0.9 }],
    ['sgd nesterov + decay', { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }],
    ['adam', { lr: 1e-3 }],
    ['adam + L2', { lr: 1e-3, weightDecay: 0.01 }],
    ['adamw', { lr: 1e-3, weightDecay: 0.1, decoupled: true }],
  ] as const)('optimizer step over an odd-sized block: %s', async (name, o) => {
    await sameOnEveryThreadCount(build, (rt) => {
      const next = rng(13);
      const n = 100_003;
      const p = block(rt, randomArray(n, next)), state = block(rt, new Float32Array(2 * n));
      for (let step = 1; step <= 3; step++) {
        const g = block(rt, randomArray(n, next));
        if (name.startsWith('sgd')) {
          const so = o as { lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number };
          rt.core.sgdStep(p.ptr, g.ptr, state.ptr, n, so.lr, so.momentum ?? 0, 0, so.weightDecay ?? 0, so.nesterov ? 1 : 0, step === 1 ? 1 : 0, 1);
        } else {
          const ao = o as { lr: number; weightDecay?: number; decoupled?: boolean };
          rt.core.adamStep(p.ptr, g.ptr, state.ptr, n, step, ao.lr, 0.9, 0.999, 1e-8, ao.weightDecay ?? 0, ao.decoupled ? 1 : 0, 1);
        }
        g.free();
      }
      return [p.read(), state.read()];
    });
  });
});

describe('whole training steps are bit-identical on 1, 2 and 3 threads', () => {
  it.each(['sgd', 'adam', 'adamw'] as const)('784-100-10 at batch 64, three steps, %s: parameters and losses', async (opt) => {
    await sameOnEveryThreadCount('simd', (rt) => {
      const model = new Sequential(rt, mlp([784, 100, 10], 'relu'), { seed: 5 });
      const optimizer = opt === 'sgd' ? new SGD({ lr: 0.05, momentum: 0.9 }) : opt === 'adam' ? new Adam({ lr: 1e-3 }) : new AdamW({ lr: 1e-3, weightDecay: 0.1 });
      const next = rng(14);
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        const x = randomArray(64 * 784, next);
        const y = Int32Array.from({ length: 64 }, () => Math.floor(next() * 10) % 10);
        losses.push(model.trainStep(x, y, optimizer));
      }
      const out = [Float32Array.from(losses), ...model.parameters().map((p) => Float32Array.from(p.data))];
      model.dispose();
      return out;
    });
  });

  it('a GPT step with AdamW: loss and every parameter', async () => {
    await sameOnEveryThreadCount('simd', (rt) => {
      const gpt = new GPT(rt, { vocab: 37, seq: 64, hidden: 64, heads: 4, layers: 2 }, { seed: 3 });
      const next = rng(15);
      const rows = () => Array.from({ length: 4 }, () => Int32Array.from({ length: 64 }, () => Math.floor(next() * 37) % 37));
      const opt = new AdamW({ lr: 1e-3, weightDecay: 0.1 });
      const losses = [gpt.trainStep(rows(), rows(), opt), gpt.trainStep(rows(), rows(), opt)];
      const out = [Float32Array.from(losses), ...gpt.parameters().map((p) => Float32Array.from(p.data))];
      gpt.dispose();
      return out;
    });
  });
});

describe('memory stays measured == estimated with threads', () => {
  it.each([1, 2, 3])('784-100-10 profile on %i threads: every category, the packing workspace once per thread', async (threads) => {
    const p = await profileMlp({ layers: mlp([784, 100, 10], 'relu'), batches: [64, 17], threads, build: 'simd' });
    expect(p.threads).toBe(threads);
    expect(p.measured.peak).toEqual(p.estimated.peak);
    expect(p.measured.live).toEqual(p.estimated.live);
    expect(p.measured.peakTotal).toBe(p.estimated.peakTotal);
    const one = await profileMlp({ layers: mlp([784, 100, 10], 'relu'), batches: [64, 17], threads: 1, build: 'simd' });
    const packing = mlpGemmWorkspaceBytes(mlp([784, 100, 10], 'relu'), 64, 'simd');
    expect(packing).toBeGreaterThan(0);
    expect(p.measured.peak.workspace - one.measured.peak.workspace).toBe((threads - 1) * packing);
  });

  it('a GPT profile on 3 threads', async () => {
    const p = await profileGpt({ model: { vocab: 29, seq: 32, hidden: 32, heads: 4, layers: 2 }, batch: 2, threads: 3, build: 'simd' });
    expect(p.threads).toBe(3);
    expect(p.measured.peak).toEqual(p.estimate.summary.peak);
    expect(p.measured.live).toEqual(p.estimate.summary.live);
  });
});

describe('init({ threads })', () => {
  it.each([0, 65, 1.5, '2', null])('refuses threads %s with an ArgumentError naming it', async (threads) => {
    await expect(init({ threads: threads as number })).rejects.toThrow(ArgumentError);
    await expect(init({ threads: threads as number })).rejects.toThrow(/threads/);
  });

  it('runs the scalar build on one thread and says why', async () => {
    const rt = await init({ build: 'scalar', threads: 2, fresh: true });
    expect(rt.threads).toBe(1);
    expect(rt.describe()).toMatch(/1 thread \(one thread: the scalar build has no threaded variant\)/);
  });

  it('describes the threads it runs', async () => {
    const rt = await init({ build: 'simd', threads: 3, fresh: true });
    expect(rt.describe()).toMatch(/^wasmgrad simd build, 3 threads \(engine:/);
    rt.dispose();
  });
});

describe('lifecycle and failures', () => {
  it('dispose() ends the workers; the runtime goes on on one thread, and init() then makes a new one', async () => {
    const rt = await init({ build: 'simd', threads: 2 });
    expect(rt.threads).toBe(2);
    rt.dispose();
    expect(rt.threads).toBe(1);
    const a = block(rt, new Float32Array(256 * 256).fill(1)), c = block(rt, new Float32Array(256 * 256));
    expect(rt.core.gemm(0, 0, 256, 256, 256, 1, a.ptr, 256, a.ptr, 256, 0, c.ptr, 256)).toBe(1);
    expect(c.read()[0]).toBe(256);
    const again = await init({ build: 'simd', threads: 2 });
    expect(again).not.toBe(rt);
    expect(again.threads).toBe(2);
    again.dispose();
  });

  it('a Node process that used a threaded runtime exits by itself', () => {
    const script = `
      import { init, Tensor, gemm } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};
      const rt = await init({ threads: 2 });
      const a = Tensor.from(rt, new Float32Array(512 * 512).fill(1), [512, 512]), c = Tensor.empty(rt, [512, 512]);
      gemm(rt, 512, 512, 512, a, a, c);
      console.log(rt.threads, c.data[0]);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.error).toBeUndefined();
    expect(run.stdout.trim()).toBe('2 512');
    expect(run.status).toBe(0);
  });

  it('a worker whose slice fails is a ThreadError from the call that waited on it; the runtime then runs on one thread', async () => {
    // The workers' fault injection (src/threads/worker.js): each slice a worker claims throws before it runs.
    process.env.WASMGRAD_TEST_WORKER_FAILURE = '1';
    const rt = await init({ build: 'simd', threads: 2, fresh: true }).finally(() => delete process.env.WASMGRAD_TEST_WORKER_FAILURE);
    const n = 512;
    const a = block(rt, new Float32Array(n * n).fill(1)), c = block(rt, new Float32Array(n * n));
    // The caller claims slices too: a worker that wakes late may find none left, so a few calls may pass.
    let error: unknown;
    for (let i = 0; i < 20 && error === undefined; i++) {
      try {
        rt.core.gemm(0, 0, n, n, n, 1, a.ptr, n, a.ptr, n, 0, c.ptr, n);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(ThreadError);
    expect(String(error)).toMatch(/^ThreadError: threads: worker 1 failed during a parallel call: Error: failure injected by WASMGRAD_TEST_WORKER_FAILURE\. The call did not complete; this runtime now runs on one thread$/);
    expect(rt.threads).toBe(1);
    expect(rt.describe()).toMatch(/1 thread \(one thread since worker 1 failed: Error: failure injected/);
    expect(rt.core.gemm(0, 0, n, n, n, 1, a.ptr, n, a.ptr, n, 0, c.ptr, n)).toBe(1);
    expect(c.read().every((v) => v === n)).toBe(true);
  });

  /**
   * A two-thread runtime started with a test hook of src/threads/worker.js or
   * supervisor.js set, and a 512^3 product on it.
   */
  async function runtimeWith(hook: 'WASMGRAD_TEST_WORKER_DEATH' | 'WASMGRAD_TEST_SUPERVISOR_DEATH', value: string) {
    process.env[hook] = value;
    const rt = await init({ build: 'simd', threads: 2, fresh: true }).finally(() => delete process.env[hook]);
    const n = 512;
    const a = block(rt, new Float32Array(n * n).fill(1)), c = block(rt, new Float32Array(n * n));
    return { rt, n, a, c, product: () => rt.core.gemm(0, 0, n, n, n, 1, a.ptr, n, a.ptr, n, 0, c.ptr, n) };
  }

  /** A two-thread runtime whose worker ends (process.exit: no finally runs) at `when`. */
  const runtimeWhoseWorkerDies = (when: 'in-slice' | 'on-wake') => runtimeWith('WASMGRAD_TEST_WORKER_DEATH', when);

  /** The error of the first of up to 20 calls that throws. */
  function firstError(call: () => unknown): unknown {
    for (let i = 0; i < 20; i++) {
      try {
        call();
      } catch (e) {
        return e;
      }
    }
    return undefined;
  }

  it('a worker that ends in the middle of its slice is a ThreadError from the waiting call, not a hang; the runtime then runs on one thread', async () => {
    const { rt, n, c, product } = await runtimeWhoseWorkerDies('in-slice');
    expect(rt.threads).toBe(2);
    const error = firstError(product);
    expect(error).toBeInstanceOf(ThreadError);
    expect(String(error)).toBe(
      'ThreadError: threads: worker 1 failed during a parallel call: worker 1 ended (exit code 3). The call did not complete; this runtime now runs on one thread',
    );
    expect(rt.describe()).toMatch(/1 thread \(one thread since worker 1 failed: worker 1 ended \(exit code 3\)\)/);
    expect(product()).toBe(1);
    expect(c.read().every((v) => v === n)).toBe(true);
  });

  it('the supervisor thread ending while a worker holds a slice is a ThreadError from the waiting call, not a hang; the runtime then runs on one thread', async () => {
    // The worker holds its slice for 10 s; the supervisor ends within a millisecond of seeing it held.
    const { rt, n, c, product } = await runtimeWith('WASMGRAD_TEST_SUPERVISOR_DEATH', '1');
    const error = firstError(product);
    expect(error).toBeInstanceOf(ThreadError);
    expect(String(error)).toBe(
      'ThreadError: threads: worker 1 failed during a parallel call: the supervisor of the workers ended (exit code 4), and worker 1 with it. The call did not complete; this runtime now runs on one thread',
    );
    expect(rt.threads).toBe(1);
    expect(product()).toBe(1);
    expect(c.read().every((v) => v === n)).toBe(true);
  });

  it('a worker that ends holding no slice leaves the call to the other threads; the runtime then runs on one thread and says why', async () => {
    const { rt, n, c, product } = await runtimeWhoseWorkerDies('on-wake');
    product();
    expect(c.read().every((v) => v === n)).toBe(true);
    // The supervisor's word arrives through the event loop.
    for (let waited = 0; rt.threads > 1 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(rt.threads).toBe(1);
    expect(rt.describe()).toMatch(/1 thread \(one thread since worker 1 ended \(exit code 3\)\)/);
    new Float32Array(rt.memory.buffer, c.ptr, n * n).fill(0);
    expect(product()).toBe(1);
    expect(c.read().every((v) => v === n)).toBe(true);
  });
});
