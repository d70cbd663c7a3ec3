// Latency statistics of a serving check: nearest-rank percentiles, mean and
// serial throughput, from per-request times in milliseconds.
//
// Nearest-rank percentile (Hyndman & Fan 1996, definition 1): the p-th
// percentile of n sorted samples is the sample at rank ceil(p/100 * n),
// 1-based. It is always a latency that was actually observed (no
// interpolation), and p99 of fewer than 100 samples is the maximum, which is
// the honest answer for an SLO check on a small run.

import { ArgumentError } from '../errors.js';
import { formatInteger } from '../estimate/units.js';

/** The most requests (timed, and warm-up) one check runs: 8 bytes of latency each, 80 MB at most. */
export const MAX_REQUESTS = 10_000_000;

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface Throughput {
  /** Requests per second when served one after another: count / sum of latencies. */
  requestsPerSecond: number;
  /** requestsPerSecond times the batch each request carries. */
  samplesPerSecond: number;
}

/** The nearest-rank p-th percentile (0 < p <= 100) of samples sorted ascending. */
export function nearestRank(sortedAscending: ArrayLike<number>, p: number): number {
  const n = sortedAscending.length;
  if (n === 0) throw new ArgumentError('percentile of no samples: record at least one latency');
  if (!(p > 0 && p <= 100)) throw new ArgumentError(`percentile must be in (0, 100], got ${p}`);
  // p/100*n in floating point can land a hair above an integer (e.g. 0.29*100): round to 1e-9 first.
  const rank = Math.max(1, Math.ceil(Math.round((p / 100) * n * 1e9) / 1e9));
  return sortedAscending[rank - 1]!;
}

/** p50, p90, p99 (nearest rank), max and mean of latencies in milliseconds. */
export function summarizeLatencies(latenciesMs: ArrayLike<number>): LatencySummary {
  const n = latenciesMs.length;
  if (n === 0) throw new ArgumentError('no latencies to summarise: record at least one request');
  const sorted = Float64Array.from(latenciesMs);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sorted[i]!) || sorted[i]! < 0) throw new ArgumentError(`latency ${i} is ${sorted[i]} ms; latencies must be finite and >= 0`);
  }
  sorted.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    count: n,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p99: nearestRank(sorted, 99),
    max: sorted[n - 1]!,
    mean: sum / n,
  };
}

/** Serial throughput of `summary.count` requests of `batch` samples each. */
export function throughputOf(summary: LatencySummary, batch: number): Throughput {
  if (!Number.isInteger(batch) || batch < 1) throw new ArgumentError(`batch must be a positive integer, got ${batch}`);
  const requestsPerSecond = summary.mean > 0 ? 1000 / summary.mean : Infinity;
  return { requestsPerSecond, samplesPerSecond: requestsPerSecond * batch };
}

/** The SLO holds when p99 is at most the target. */
export function p99Holds(summary: LatencySummary, p99TargetMs: number): boolean {
  if (!(p99TargetMs > 0) || !Number.isFinite(p99TargetMs)) throw new ArgumentError(`p99 target must be a positive number of ms, got ${p99TargetMs}`);
  return summary.p99 <= p99TargetMs;
}

export interface TimeRequestsOptions {
  requests: number;
  /** Untimed requests first, so compilation tiers and caches settle (default 0). */
  warmup?: number;
  /** Runs before each request, outside the timed span (e.g. to prepare its input). */
  prepare?: (index: number) => void;
  /** Runs after each timed request, outside the timed span: its index, start time and latency (ms). */
  after?: (index: number, start: number, latencyMs: number) => void;
  /** Milliseconds from an arbitrary origin (default performance.now). */
  clock?: () => number;
}

/** Runs `request` warmup + requests times, one after another; returns the timed requests' latencies in ms. */
export function timeRequests(request: (index: number) => void, options: TimeRequestsOptions): Float64Array {
  const { requests, warmup = 0, prepare } = options;
  if (!Number.isInteger(requests) || requests < 1) throw new ArgumentError(`requests must be a positive integer, got ${requests}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new ArgumentError(`warmup must be an integer >= 0, got ${warmup}`);
  for (const [name, count] of [['requests', requests], ['warmup', warmup]] as const) {
    if (count > MAX_REQUESTS) throw new ArgumentError(`${name} must be at most ${formatInteger(MAX_REQUESTS)}, got ${count}`);
  }
  const clock = options.clock ?? (() => performance.now());
  for (let i = 0; i < warmup; i++) {
    prepare?.(i);
    request(i);
  }
  const latencies = new Float64Array(requests);
  for (let i = 0; i < requests; i++) {
    prepare?.(warmup + i);
    const start = clock();
    request(warmup + i);
    latencies[i] = clock() - start;
    options.after?.(i, start, latencies[i]!);
  }
  return latencies;
}
