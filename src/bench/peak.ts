// The in-process compute ceiling: the core's peakProbe runs independent
// multiply-add chains on registers only (no loads or stores), so its rate is
// what this engine can reach on this core, and wasmgrad / peak says how much of
// it the GEMM kernel uses. Measured in the same process as the GEMM, so both
// see the same engine, flags and machine load.

import { ArgumentError, checkInt } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { BuildName } from '../wasm-source.js';

/** Chain counts the SIMD probe implements (TurboFan keeps 8-12 live v128 accumulators in registers). */
export const PEAK_CHAINS = [8, 10, 12] as const;
export type PeakChains = (typeof PEAK_CHAINS)[number];

/** The scalar build runs 8 scalar chains whatever it is asked for. */
const SCALAR_CHAINS = 8;

/** f32 lanes per multiply-add: 4 in a v128, 1 in the scalar build. */
export function peakLanes(build: BuildName): number {
  return build === 'scalar' ? 1 : 4;
}

/** The chain count the probe really runs for a request (the scalar build ignores the request). */
export function peakChainsRun(build: BuildName, chains: number): number {
  if (!(PEAK_CHAINS as readonly number[]).includes(chains)) {
    throw new ArgumentError(`peak probe: chains must be one of ${PEAK_CHAINS.join(', ')}, got ${chains}`);
  }
  return build === 'scalar' ? SCALAR_CHAINS : chains;
}

/** Multiply-adds one `peakProbe(chains, iters)` call performs: iters * chains * lanes. */
export function peakProbeMacs(build: BuildName, chains: number, iters: number): number {
  checkInt('iters', iters, 1);
  return iters * peakChainsRun(build, chains) * peakLanes(build);
}

export interface PeakChainResult {
  /** Chains the probe ran. */
  chains: number;
  /** Best rate over the timed calls, GFLOP/s (2 FLOP per multiply-add). */
  gflops: number;
  /** Iterations per timed call and the fastest call's duration, from which gflops follows. */
  iters: number;
  bestSeconds: number;
}

export interface PeakResult {
  /** The best chain count's rate, GFLOP/s. */
  gflops: number;
  chains: number;
  lanes: number;
  /** Every chain count tried, in order. */
  byChains: PeakChainResult[];
}

export interface PeakOptions {
  /** Timed budget per chain count, in ms (after warm-up). Default 300. */
  timeMs?: number;
  /** Chain counts to try. Default 8, 10, 12 (only 8 in the scalar build). */
  chains?: readonly number[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds one call takes. */
function timeCall(rt: Runtime, chains: number, iters: number): number {
  const t0 = performance.now();
  rt.core.peakProbe(chains, iters);
  return (performance.now() - t0) / 1e3;
}

/**
 * V8 runs a wasm function's first calls in its baseline compiler (Liftoff,
 * several times slower) and tiers up to TurboFan in the background; the new code
 * is used from the next call on. So: call, pause so the compile can finish, and
 * repeat until two rounds in a row agree within 10% (or 12 rounds pass).
 * Returns the iteration count that makes one call last about `callMs`.
 */
async function warmUp(rt: Runtime, chains: number, callMs: number): Promise<number> {
  let iters = 1 << 16;
  let previous = 0;
  for (let round = 0, agreed = 0; round < 12 && agreed < 2; round++) {
    const rate = iters / timeCall(rt, chains, iters);
    agreed = previous > 0 && Math.abs(rate - previous) <= 0.1 * previous ? agreed + 1 : 0;
    previous = rate;
    // Keep calls short while warming: a long Liftoff call only delays tier-up.
    iters = Math.max(1 << 12, Math.min(1 << 26, Math.round((rate * Math.min(callMs, 5)) / 1e3)));
    await sleep(2);
  }
  return Math.max(1 << 12, Math.min(1 << 28, Math.round((previous * callMs) / 1e3)));
}

/** Runs the probe for each chain count, best of several ~10 ms calls each, and reports the fastest. */
export async function measurePeak(rt: Runtime, options: PeakOptions = {}): Promise<PeakResult> {
  const timeMs = options.timeMs ?? 300;
  if (!(timeMs > 0) || !Number.isFinite(timeMs)) throw new ArgumentError(`peak probe: timeMs must be a positive number, got ${timeMs}`);
  const requested = options.chains ?? PEAK_CHAINS;
  if (requested.length === 0) throw new ArgumentError('peak probe: chains must list at least one chain count');
  const chainsToRun = [...new Set(requested.map((c) => peakChainsRun(rt.build, c)))];
  const lanes = peakLanes(rt.build);
  const byChains: PeakChainResult[] = [];
  for (const chains of chainsToRun) {
    const iters = await warmUp(rt, chains, Math.min(10, timeMs / 4));
    let best = Infinity;
    for (let spent = 0, calls = 0; spent < timeMs / 1e3 || calls < 3; calls++) {
      const s = timeCall(rt, chains, iters);
      best = Math.min(best, s);
      spent += s;
    }
    // The best call, not the mean: a ceiling is what the core reaches when nothing interrupts it.
    byChains.push({ chains, iters, bestSeconds: best, gflops: (2 * peakProbeMacs(rt.build, chains, iters)) / best / 1e9 });
  }
  const top = byChains.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  return { gflops: top.gflops, chains: top.chains, lanes, byChains };
}
