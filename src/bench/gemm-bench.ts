// GEMM throughput, GFLOP/s = 2*M*N*K per second, for wasmgrad and its peers in
// one process and one run: the in-process peak probe, TensorFlow.js's WASM
// backend and a plain-JS loop see the same engine, machine and load, so their
// ratios mean something even on a busy machine.
//
// Timing (tinybench): one Bench per shape, one task per implementation. Before
// a task is timed it is called until V8 has tiered it up (see warmUp), then
// tinybench warms it up again and samples it for `timeMs`. A sample is a batch
// of calls lasting at least SAMPLE_MS, divided by the batch size, so the timer's
// own cost stays out of microsecond-sized shapes. GFLOP/s comes from the
// MEDIAN per-call time, which a busy machine's interruptions move least.

import os from 'node:os';
import { Bench } from 'tinybench';
import { ArgumentError, checkInt } from '../errors.js';
import type { EngineFeatures } from '../features.js';
import { gemm } from '../gemm.js';
import type { Runtime } from '../runtime.js';
import { Tensor } from '../tensor.js';
import type { BuildName } from '../wasm-source.js';
import { measurePeak } from './peak.js';
import { loadTfjsWasm, prepareJs, type PreparedGemm, type TfjsWasmInfo, type TfjsWasmPeer } from './peers.js';

/** C (m x n) = op(A) (m x k) * op(B) (k x n), row-major, as wasmgrad's gemm takes it. */
export interface GemmShape {
  label: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** Every column of the report; `peak` is the probe, the others compute the GEMM. */
export const IMPLEMENTATIONS = ['wasmgrad', 'peak', 'tfjs-wasm', 'js'] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];
export type TimedImplementation = Exclude<Implementation, 'peak'>;
const TIMED: readonly TimedImplementation[] = ['wasmgrad', 'tfjs-wasm', 'js'];

export const DEFAULT_SQUARE_SIZES: readonly number[] = [64, 128, 256, 512, 1024];
/** The plain-JS loop runs only up to the work of a 256^3 product by default (~20 ms a call); beyond, it takes minutes. */
export const JS_DEFAULT_MAX_MACS = 256 ** 3;
/** Largest square size accepted: three 4096^2 float32 matrices are 192 MiB, well inside wasm32 memory. */
export const MAX_SQUARE_SIZE = 4096;
/** Per-task time budget (ms) when none is given: the default `bench gemm` takes about 70 s on 2 cores. */
export const DEFAULT_TIME_MS = 1500;
/** Least warm-up per task, ms: enough for V8 to tier a small GEMM up (see warmUp). */
export const DEFAULT_WARMUP_MS = 400;
/** Shortest sample: a batch of calls lasting at least this long (ms). */
const SAMPLE_MS = 0.25;

/** "fc1 fwd 64x784·784x100ᵀ": the operands as op(A)·op(B), ᵀ marking a transposed operand. */
function shapeLabel(name: string, m: number, n: number, k: number, transA: boolean, transB: boolean): string {
  return `${name} ${m}x${k}${transA ? 'ᵀ' : ''}·${k}x${n}${transB ? 'ᵀ' : ''}`;
}

export function gemmShape(name: string, m: number, n: number, k: number, transA = false, transB = false): GemmShape {
  checkInt('m', m, 1);
  checkInt('n', n, 1);
  checkInt('k', k, 1);
  return { label: shapeLabel(name, m, n, k, transA, transB), m, n, k, transA, transB };
}

export function squareShapes(sizes: readonly number[]): GemmShape[] {
  return sizes.map((s, i) => {
    checkInt(`sizes[${i}]`, s, 1);
    if (s > MAX_SQUARE_SIZE) throw new ArgumentError(`sizes[${i}] must be at most ${MAX_SQUARE_SIZE}, got ${s}`);
    return gemmShape('square', s, s, s);
  });
}

/**
 * The five GEMMs of one training step of a 784-100-10 MLP at batch 64, as a
 * Linear layer with PyTorch's W[out][in] computes them (y = x W^T):
 * forward y = x W^T (B transposed), weight gradient dW = dY^T X (A transposed),
 * input gradient dX = dY W (fc2 only: fc1's input is the data, which needs no gradient).
 */
export const MLP_TRAINING_SHAPES: readonly GemmShape[] = [
  gemmShape('fc1 fwd', 64, 100, 784, false, true),
  gemmShape('fc2 fwd', 64, 10, 100, false, true),
  gemmShape('fc2 dW', 10, 100, 64, true, false),
  gemmShape('fc2 dX', 64, 100, 10, false, false),
  gemmShape('fc1 dW', 100, 784, 64, true, false),
];

export function gemmFlops(shape: GemmShape): number {
  return 2 * shape.m * shape.n * shape.k;
}

/** GFLOP/s of `flops` done in `ms` milliseconds. */
export function gflopsOf(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

/** a / b, or null when either is missing (or b is zero). */
export function ratioOf(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

export interface Measurement {
  /** Median time of one call, ms. */
  medianMs: number;
  /** Samples tinybench took (each a batch of `batch` calls). */
  samples: number;
  batch: number;
}

export interface GemmShapeResult extends GemmShape {
  flops: number;
  /** GFLOP/s per implementation; null when not run. `peak` is the run's probe, the same on every shape. */
  gflops: Record<Implementation, number | null>;
  /** peak: wasmgrad / peak; tfjs: wasmgrad / tfjs-wasm. */
  ratio: { peak: number | null; tfjs: number | null };
  /** Median ms per call, the number gflops is computed from. */
  ms: Record<TimedImplementation, number | null>;
  samples: Record<TimedImplementation, number | null>;
}

/** One shape's row of the report, from its measured times and the run's peak. */
export function shapeResult(shape: GemmShape, measured: Partial<Record<TimedImplementation, Measurement | null>>, peakGflops: number | null): GemmShapeResult {
  const flops = gemmFlops(shape);
  const ms = {} as Record<TimedImplementation, number | null>;
  const samples = {} as Record<TimedImplementation, number | null>;
  for (const impl of TIMED) {
    ms[impl] = measured[impl]?.medianMs ?? null;
    samples[impl] = measured[impl]?.samples ?? null;
  }
  const rate = (t: number | null) => (t === null ? null : gflopsOf(flops, t));
  const gflops: Record<Implementation, number | null> = {
    wasmgrad: rate(ms.wasmgrad),
    peak: peakGflops,
    'tfjs-wasm': rate(ms['tfjs-wasm']),
    js: rate(ms.js),
  };
  return {
    label: shape.label, m: shape.m, n: shape.n, k: shape.k, transA: shape.transA, transB: shape.transB,
    flops,
    gflops,
    ratio: { peak: ratioOf(gflops.wasmgrad, peakGflops), tfjs: ratioOf(gflops.wasmgrad, gflops['tfjs-wasm']) },
    ms,
    samples,
  };
}

export interface EngineInfo {
  build: BuildName;
  features: EngineFeatures;
  node: string;
  v8: string;
  cpu: string;
  cores: number;
  /** 1, 5 and 15 minute load averages when the run started (all zero on Windows). */
  loadavg: number[];
  /** ISO 8601 time the run started. */
  date: string;
}

export function engineInfo(rt: Runtime): EngineInfo {
  const cpus = os.cpus();
  return {
    build: rt.build,
    features: { ...rt.features },
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

export interface GemmBenchReport extends EngineInfo {
  schema: 'wasmgrad.bench.gemm/1';
  statistic: 'median';
  /** Time budget per task, ms. */
  timeMs: number;
  /** Least warm-up per task before timing, ms. */
  warmupMs: number;
  /** Median time of an empty (0x0x0) core gemm call: the JS-to-WASM call overhead, ns. */
  overheadNs: number;
  peak: { gflops: number; chains: number; lanes: number; byChains: { chains: number; gflops: number }[] };
  peers: { 'tfjs-wasm': TfjsWasmInfo; js: { maxMacs: number | null } };
  shapes: GemmShapeResult[];
}

export interface GemmBenchOptions {
  /** Default: DEFAULT_SQUARE_SIZES then MLP_TRAINING_SHAPES. */
  shapes?: readonly GemmShape[];
  /** Time budget per implementation per shape, ms. Default DEFAULT_TIME_MS. */
  timeMs?: number;
  /** Least warm-up per implementation per shape, ms, before tinybench's own warm-up. Default DEFAULT_WARMUP_MS. */
  warmupMs?: number;
  /** Time budget of the peak probe per chain count, ms. Default 300. */
  peakTimeMs?: number;
  /** Largest multiply-add count the plain-JS loop runs; Infinity runs it everywhere. Default JS_DEFAULT_MAX_MACS. */
  jsMaxMacs?: number;
  /** A loaded tfjs-wasm peer, or false to leave it out. Default: loadTfjsWasm(). */
  tfjs?: TfjsWasmPeer | false;
  /** Progress lines (for stderr). */
  onProgress?: (message: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `run` until V8 has optimised it. Its first calls run baseline code
 * (Liftoff for wasm, Ignition/Sparkplug for JS); the optimising compiler starts
 * only once a function has used up a budget of executed code (for a small GEMM,
 * thousands of calls: about half a second here) and then compiles in the
 * background, which a busy second core delays further. So: rounds of calls, at
 * least ROUND_MS each, with a pause between for the compile to land, for at
 * least `minMs` and until the fastest call has not improved by more than 5% for
 * three rounds running (at most 10 * minMs). Returns that fastest call, ms.
 */
async function warmUp(run: () => unknown, minMs: number): Promise<number> {
  const ROUND_MS = 10;
  let best = Infinity;
  const start = performance.now();
  for (let steady = 0; ; ) {
    let fastest = Infinity;
    const roundStart = performance.now();
    for (let calls = 0; calls < 2 || performance.now() - roundStart < ROUND_MS; calls++) {
      const t0 = performance.now();
      run();
      fastest = Math.min(fastest, performance.now() - t0);
    }
    steady = fastest < 0.95 * best ? 0 : steady + 1;
    best = Math.min(best, fastest);
    const elapsed = performance.now() - start;
    if ((steady >= 3 && elapsed >= minMs) || elapsed >= 10 * minMs) return best;
    await sleep(5);
  }
}

/** Times each prepared implementation as one tinybench task; returns the median ms per call. */
async function timeTasks(tasks: [string, () => unknown][], timeMs: number, warmupMs: number): Promise<Map<string, Measurement>> {
  const bench = new Bench({
    time: timeMs,
    iterations: 5,
    warmup: true,
    warmupTime: Math.min(200, timeMs / 5),
    warmupIterations: 2,
    throws: true,
  });
  let checksum = 0;
  const batches = new Map<string, number>();
  for (const [name, run] of tasks) {
    const single = await warmUp(run, warmupMs);
    const batch = Math.max(1, Math.ceil(SAMPLE_MS / Math.max(single, 1e-6)));
    batches.set(name, batch);
    bench.add(
      name,
      () => {
        const t0 = bench.now();
        for (let i = 0; i < batch; i++) checksum += Number((run() as ArrayLike<number> | undefined)?.[0] ?? 0);
        const elapsed = bench.now() - t0;
        return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed };
      },
      { async: false },
    );
  }
  await bench.run();
  // The checksum keeps every result observable, so no call can be optimised away.
  if (Number.isNaN(checksum)) throw new Error('gemm bench: a result contained NaN');
  const out = new Map<string, Measurement>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`gemm bench: task '${task.name}' ended ${r.state}${r.state === 'errored' ? `: ${r.error.message}` : ''}`);
    out.set(task.name, { medianMs: r.latency.p50, samples: r.latency.samplesCount, batch: batches.get(task.name)! });
  }
  return out;
}

/** Deterministic inputs in [-1, 1) (mulberry32), so every run multiplies the same numbers. */
function uniform(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function prepareWasmgrad(rt: Runtime, shape: GemmShape, a: Float32Array, b: Float32Array): PreparedGemm {
  const { m, n, k, transA, transB } = shape;
  const tensors: Tensor[] = [];
  try {
    tensors.push(Tensor.from(rt, a, transA ? [k, m] : [m, k], 'inputs'));
    tensors.push(Tensor.from(rt, b, transB ? [n, k] : [k, n], 'inputs'));
    tensors.push(Tensor.empty(rt, [m, n], 'workspace', 'gemm bench C'));
  } catch (e) {
    for (const t of tensors) t.free();
    throw e;
  }
  const [ta, tb, tc] = tensors as [Tensor, Tensor, Tensor];
  return {
    // Inputs stay resident in WASM memory; C is copied back to JS, as tfjs's dataSync() copies its result.
    run() {
      gemm(rt, m, n, k, ta, tb, tc, { transA, transB });
      return tc.toArray();
    },
    dispose() {
      for (const t of tensors) t.free();
    },
  };
}

/**
 * Throws unless `other` computed the same C as wasmgrad within float32
 * rounding: |error| <= 2 k u sum|a b| <= 2 k^2 u for entries in [-1, 1)
 * (Higham 2002, §3.1). A different transpose would miss it by O(sqrt k).
 */
function checkAgreement(shape: GemmShape, name: string, expected: Float32Array, actual: Float32Array): void {
  const bound = 2 * shape.k * shape.k * 2 ** -24;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(expected[i] - actual[i]);
    if (!(diff <= bound)) {
      throw new Error(
        `gemm bench: ${name} and wasmgrad disagree on ${shape.label}: C[${Math.floor(i / shape.n)}][${i % shape.n}] = ` +
          `${actual[i]} vs ${expected[i]} (difference ${diff} > ${bound.toExponential(2)})`,
      );
    }
  }
}

/** JS-to-WASM call overhead: an empty 0x0x0 gemm, straight to the core export, ns per call. */
async function measureOverhead(rt: Runtime, timeMs: number, warmupMs: number): Promise<number> {
  const calls = 1000;
  const emptyCalls = () => {
    for (let i = 0; i < calls; i++) rt.core.gemm(0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1);
  };
  const t = await timeTasks([['empty call', emptyCalls]], timeMs, warmupMs);
  return (t.get('empty call')!.medianMs / calls) * 1e6;
}

/**
 * Measures every shape on wasmgrad, tfjs-wasm and plain JS, plus the peak probe
 * and the call overhead, in this process.
 *
 * Fairness: every implementation gets its inputs already resident (wasmgrad
 * Tensors in WASM memory, tfjs tensors in its WASM heap, JS Float32Arrays), each
 * created once per shape outside the timing; every call computes C with the
 * same transposes and returns it to JS as a fresh Float32Array (wasmgrad:
 * toArray(); tfjs: dataSync()); all are warmed up the same way. Each
 * implementation's C is checked against wasmgrad's before timing.
 */
export async function runGemmBench(rt: Runtime, options: GemmBenchOptions = {}): Promise<GemmBenchReport> {
  const shapes = options.shapes ?? [...squareShapes(DEFAULT_SQUARE_SIZES), ...MLP_TRAINING_SHAPES];
  const timeMs = options.timeMs ?? DEFAULT_TIME_MS;
  const jsMaxMacs = options.jsMaxMacs ?? JS_DEFAULT_MAX_MACS;
  const warmupMs = options.warmupMs ?? DEFAULT_WARMUP_MS;
  const progress = options.onProgress ?? (() => {});
  if (!(timeMs > 0) || !Number.isFinite(timeMs)) throw new ArgumentError(`timeMs must be a positive number of milliseconds, got ${timeMs}`);
  if (!(warmupMs >= 0) || !Number.isFinite(warmupMs)) throw new ArgumentError(`warmupMs must be a number >= 0, got ${warmupMs}`);
  if (!(jsMaxMacs >= 0)) throw new ArgumentError(`jsMaxMacs must be a number >= 0 (Infinity: no limit), got ${jsMaxMacs}`);
  if (shapes.length === 0) throw new ArgumentError('shapes must list at least one GEMM shape');

  const engine = engineInfo(rt);
  progress(`loading TensorFlow.js (WASM backend)`);
  const tfjs = options.tfjs === false ? null : (options.tfjs ?? (await loadTfjsWasm()));
  const tfjsInfo: TfjsWasmInfo = tfjs?.info ?? { available: false, reason: 'left out (tfjs: false)', version: null, backend: null, simd: null, threads: null };
  if (!tfjsInfo.available) progress(`tfjs-wasm not measured: ${tfjsInfo.reason}`);

  progress(`peak probe (${rt.build} build)`);
  const peak = await measurePeak(rt, { timeMs: options.peakTimeMs ?? 300 });
  progress('empty-call overhead');
  const overheadNs = await measureOverhead(rt, Math.min(timeMs, 500), warmupMs);

  const results: GemmShapeResult[] = [];
  for (const [index, shape] of shapes.entries()) {
    progress(`[${index + 1}/${shapes.length}] ${shape.label}`);
    const a = uniform(shape.m * shape.k, 1 + index);
    const b = uniform(shape.k * shape.n, 1001 + index);
    const prepared = new Map<TimedImplementation, PreparedGemm>();
    try {
      prepared.set('wasmgrad', prepareWasmgrad(rt, shape, a, b));
      if (tfjs?.prepare) prepared.set('tfjs-wasm', tfjs.prepare(shape, a, b));
      if (shape.m * shape.n * shape.k <= jsMaxMacs) prepared.set('js', prepareJs(shape, a, b));
      const expected = prepared.get('wasmgrad')!.run();
      for (const [name, p] of prepared) if (name !== 'wasmgrad') checkAgreement(shape, name, expected, p.run());
      const times = await timeTasks([...prepared].map(([name, p]) => [name, () => p.run()]), timeMs, warmupMs);
      const measured: Partial<Record<TimedImplementation, Measurement>> = {};
      for (const impl of TIMED) {
        const t = times.get(impl);
        if (t) measured[impl] = t;
      }
      results.push(shapeResult(shape, measured, peak.gflops));
    } finally {
      for (const p of prepared.values()) p.dispose();
    }
  }

  return {
    schema: 'wasmgrad.bench.gemm/1',
    ...engine,
    statistic: 'median',
    timeMs,
    warmupMs,
    overheadNs,
    peak: { gflops: peak.gflops, chains: peak.chains, lanes: peak.lanes, byChains: peak.byChains.map(({ chains, gflops }) => ({ chains, gflops })) },
    peers: { 'tfjs-wasm': tfjsInfo, js: { maxMacs: Number.isFinite(jsMaxMacs) ? jsMaxMacs : null } },
    shapes: results,
  };
}
