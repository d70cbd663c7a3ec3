// The in-process compute ceiling: the core's peakProbe runs independent
// multiply-add chains on registers only (no loads or stores), so its rate is
// what this engine can reach on this core, and wasmgrad / peak says how much of
// it the GEMM kernel uses. Measured in the same process as the GEMM, so both
// see the same engine, flags and machine load.

import { ArgumentError, checkInt } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { BuildName } from '../wasm-source.js';
import { DEFAULT_WARMUP_MS, checkTimingOptions, timeCall } from './timing.js';

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
    throw new ArgumentError(`peak probe: chains must be one of ${PEAK_CHAINS.join(', ')}, got ${chains}`, { field: 'chains' });
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

/**
 * The iteration count that makes one call last about `callMs`, from one short
 * call. That call may still run baseline code (several times slower), so the
 * warmed-up calls timed later are shorter; they stay well above the timer's resolution.
 */
function itersForCall(rt: Runtime, chains: number, callMs: number): number {
  const probe = 1 << 16;
  const t0 = performance.now();
  rt.core.peakProbe(chains, probe);
  const ms = Math.max(performance.now() - t0, 1e-3);
  return Math.max(1 << 12, Math.min(1 << 28, Math.round((probe * callMs) / ms)));
}

/** Runs the probe for each chain count, timed by timeCall (warm-up, then ~`callMs` calls), and reports the fastest. */
export async function measurePeak(rt: Runtime, options: PeakOptions = {}): Promise<PeakResult> {
  const timeMs = options.timeMs ?? 300;
  checkTimingOptions({ timeMs });
  const requested = options.chains ?? PEAK_CHAINS;
  if (requested.length === 0) throw new ArgumentError('peak probe: chains must list at least one chain count', { field: 'chains' });
  const chainsToRun = [...new Set(requested.map((c) => peakChainsRun(rt.build, c)))];
  const lanes = peakLanes(rt.build);
  const byChains: PeakChainResult[] = [];
  for (const chains of chainsToRun) {
    const iters = itersForCall(rt, chains, Math.min(10, timeMs / 4));
    const timing = await timeCall(() => rt.core.peakProbe(chains, iters), { timeMs, warmupMs: Math.min(DEFAULT_WARMUP_MS, timeMs) });
    // The fastest call, not the median: a ceiling is what the core reaches when nothing interrupts it.
    const bestSeconds = timing.minMs / 1e3;
    byChains.push({ chains, iters, bestSeconds, gflops: (2 * peakProbeMacs(rt.build, chains, iters)) / bestSeconds / 1e9 });
  }
  const top = byChains.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  return { gflops: top.gflops, chains: top.chains, lanes, byChains };
}
