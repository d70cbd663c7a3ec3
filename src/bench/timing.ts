// The one way wasmgrad's benchmarks time a call (GEMM shapes, training steps,
// the peak probe, the empty-call overhead): warm it up until V8 has tiered it
// up, then let tinybench sample it, and report the median and the fastest call.
//
// Warm-up matters: a wasm function's first calls run in V8's baseline compiler
// (Liftoff), about 3.7x slower, and the optimising compiler (TurboFan) starts
// only after a budget of executed code, compiling in the background. A sample
// is a batch of calls lasting at least SAMPLE_MS, divided by the batch size,
// so the timer's own cost stays out of microsecond-sized calls. Calls that are
// compared (wasmgrad on N threads and on one, the peers) are timed in turns
// (timeCalls), so that their ratio is taken under the same machine speed.
//
// A call that returns a promise (onnxruntime-web's session.run) is awaited,
// so its time runs to the promise's settlement; a synchronous call is never
// awaited, so it pays nothing for that.

import { Bench } from 'tinybench';
import { ArgumentError, NonFiniteError } from '../errors.js';

/** Shortest sample: a batch of calls lasting at least this long (ms). */
const SAMPLE_MS = 0.25;
/** Least warm-up when none is given, ms: enough for V8 to tier a small GEMM up. */
export const DEFAULT_WARMUP_MS = 400;

export interface TimingOptions {
  /** Time budget of the sampling after warm-up, ms. */
  timeMs: number;
  /** Least warm-up before sampling, ms (see warmUp). Default DEFAULT_WARMUP_MS. */
  warmupMs?: number;
}

export interface Timing {
  /** Median time of one call, ms: what a busy machine's interruptions move least. */
  medianMs: number;
  /** Fastest sample's time per call, ms: a ceiling's measure (what the core reaches when nothing interrupts it). */
  minMs: number;
  /** Samples tinybench took (each a batch of `batch` calls). */
  samples: number;
  batch: number;
}

/** Throws ArgumentError naming timeMs or warmupMs unless both are usable budgets; callers check before any work starts. */
export function checkTimingOptions({ timeMs, warmupMs = DEFAULT_WARMUP_MS }: TimingOptions): void {
  if (!(timeMs > 0) || !Number.isFinite(timeMs)) throw new ArgumentError(`timeMs must be a positive number of milliseconds, got ${timeMs}`, { field: 'timeMs' });
  if (!(warmupMs >= 0) || !Number.isFinite(warmupMs)) throw new ArgumentError(`warmupMs must be a number >= 0, got ${warmupMs}`, { field: 'warmupMs' });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A timed call: its result (an array whose first element feeds the checksum), or a promise of it. */
export type TimedCall = () => unknown;

const isPromise = (x: unknown): x is PromiseLike<unknown> => typeof (x as PromiseLike<unknown> | null)?.then === 'function';

/**
 * Calls `run` until V8 has optimised it: rounds of calls, at least ROUND_MS
 * each, with a pause between for the background compile to land, for at least
 * `minMs` and until the fastest call has not improved by more than 5% for three
 * rounds running (at most 10 * minMs). Returns that fastest call, ms.
 */
async function warmUp(run: TimedCall, minMs: number, awaited: boolean): Promise<number> {
  const ROUND_MS = 10;
  let best = Infinity;
  const start = performance.now();
  for (let steady = 0; ; ) {
    let fastest = Infinity;
    const roundStart = performance.now();
    for (let calls = 0; calls < 2 || performance.now() - roundStart < ROUND_MS; calls++) {
      const t0 = performance.now();
      if (awaited) await run();
      else run();
      fastest = Math.min(fastest, performance.now() - t0);
    }
    steady = fastest < 0.95 * best ? 0 : steady + 1;
    best = Math.min(best, fastest);
    const elapsed = performance.now() - start;
    if ((steady >= 3 && elapsed >= minMs) || elapsed >= 10 * minMs) return best;
    await sleep(5);
  }
}

/**
 * Times `run` (warm-up, then tinybench for `timeMs`). A returned array's first
 * element is summed into a checksum, so no call's result can be optimised away;
 * a NaN there is a NonFiniteError.
 */
export async function timeCall(run: TimedCall, options: TimingOptions): Promise<Timing> {
  return (await timeCalls([run], options))[0]!;
}

/**
 * Times several calls against each other, each for `timeMs` in all: each is
 * warmed up, then they take turns, ROUNDS slots each, so a machine whose speed
 * drifts (a shared host's clock, a neighbour's load) moves every call alike
 * and their ratio stays honest; timed one after the other, a drift of tens of
 * percent within seconds lands on whichever ran last.
 */
export async function timeCalls(runs: readonly TimedCall[], options: TimingOptions): Promise<Timing[]> {
  checkTimingOptions(options);
  const { timeMs, warmupMs = DEFAULT_WARMUP_MS } = options;
  const prepared: { run: TimedCall; awaited: boolean; batch: number; samples: number[] }[] = [];
  for (const run of runs) {
    const first = run();
    const awaited = isPromise(first);
    if (awaited) await first;
    const single = await warmUp(run, warmupMs, awaited);
    prepared.push({ run, awaited, batch: Math.max(1, Math.ceil(SAMPLE_MS / Math.max(single, 1e-6))), samples: [] });
  }
  const rounds = runs.length > 1 ? Math.max(1, Math.min(ROUNDS, Math.floor(timeMs / MIN_SLOT_MS))) : 1;
  let checksum = 0;
  for (let round = 0; round < rounds; round++) {
    for (const p of prepared) p.samples.push(...(await sampleSlot(p.run, p.awaited, p.batch, timeMs / rounds, (x) => (checksum += x))));
  }
  if (Number.isNaN(checksum)) throw new NonFiniteError('timed call: a result contained NaN');
  return prepared.map(({ batch, samples }) => {
    samples.sort((a, b) => a - b);
    return { medianMs: median(samples), minMs: samples[0]!, samples: samples.length, batch };
  });
}

/** Turns each call takes in timeCalls, and the shortest turn, ms. */
const ROUNDS = 15;
const MIN_SLOT_MS = 20;

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One turn: tinybench samples batches of `batch` calls for `timeMs`; the per-call times of its samples. */
async function sampleSlot(run: TimedCall, awaited: boolean, batch: number, timeMs: number, add: (x: number) => void): Promise<number[]> {
  // A short warm-up per turn brings the caches back after another call's turn.
  // throws: a call that throws rejects bench.run() with its own error.
  const bench = new Bench({ time: timeMs, iterations: 5, warmup: true, warmupTime: Math.min(200, timeMs / 5), warmupIterations: 2, throws: true, retainSamples: true });
  const addResult = (result: unknown) => add(Number((result as ArrayLike<number> | undefined)?.[0] ?? 0));
  const timed = (elapsed: number) => ({ overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed });
  if (awaited) {
    bench.add(
      'call',
      async () => {
        const t0 = bench.now();
        for (let i = 0; i < batch; i++) addResult(await run());
        return timed(bench.now() - t0);
      },
      { async: true },
    );
  } else {
    bench.add(
      'call',
      () => {
        const t0 = bench.now();
        for (let i = 0; i < batch; i++) addResult(run());
        return timed(bench.now() - t0);
      },
      { async: false },
    );
  }
  await bench.run();
  const r = bench.tasks[0]!.result;
  // Without an abort signal and with throws set, a task that ran has completed.
  if (r.state !== 'completed') throw new ArgumentError(`timed call ended ${r.state}`);
  return [...(r.latency.samples ?? [])];
}
