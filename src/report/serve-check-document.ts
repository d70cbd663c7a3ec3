/**
 * An inference latency check as a document (`wasmgrad serve-check --json`)
 * and as the lines people read, drawn from the same document.
 *
 * JSON fields (stable; new ones may be added):
 *   format            "wasmgrad.serve-check/1"
 *   layers            layer sizes, input to output, e.g. [784, 100, 10]
 *   model             the layers spelled out, e.g. "Linear(784, 100) -> ReLU -> Linear(100, 10)"
 *   weights           absolute path of the weights file, or null (default initialisation)
 *   batch             samples per request
 *   requests          timed requests
 *   warmup            untimed requests before them
 *   percentileMethod  "nearest-rank"
 *   latencyMs         { p50, p90, p99, max, mean } per request, milliseconds (to the nanosecond)
 *   throughput        { requestsPerSecond, samplesPerSecond } (two decimals)
 *   slo               { p99Ms, holds } or null when no p99 target was given
 *   build             the core build that ran: "relaxed" | "simd" | "scalar"
 *   threads           the threads it ran on (--threads)
 */
import type { SloResult } from '../monitor/slo.js';
import { colours } from './colours.js';
import { buildAndThreads } from './runs-on.js';
import type { LatencySummary, Throughput } from '../serve/latency.js';
import type { BuildName } from '../wasm-source.js';

export interface ServeCheckDocument {
  format: 'wasmgrad.serve-check/1';
  layers: number[];
  model: string;
  weights: string | null;
  batch: number;
  requests: number;
  warmup: number;
  percentileMethod: 'nearest-rank';
  latencyMs: Omit<LatencySummary, 'count'>;
  throughput: Throughput;
  slo: { p99Ms: number; holds: boolean } | null;
  /** --slo objectives, evaluated by the Monitor over windows of the run (empty: none given). */
  slos: SloResult[];
  build: BuildName;
  threads: number;
}

/** What a check measured, as the document's fields before rounding. */
export type ServeCheckRun = Omit<ServeCheckDocument, 'format' | 'percentileMethod' | 'latencyMs'> & { latencyMs: LatencySummary };

// Nanoseconds are the timer's resolution; more digits are noise.
const ns = (v: number) => Math.round(v * 1e6) / 1e6;
const round2 = (v: number) => Math.round(v * 100) / 100;

export function serveCheckDocument(run: ServeCheckRun): ServeCheckDocument {
  const { latencyMs: l, throughput: t } = run;
  return {
    format: 'wasmgrad.serve-check/1',
    layers: run.layers,
    model: run.model,
    weights: run.weights,
    batch: run.batch,
    requests: run.requests,
    warmup: run.warmup,
    percentileMethod: 'nearest-rank',
    latencyMs: { p50: ns(l.p50), p90: ns(l.p90), p99: ns(l.p99), max: ns(l.max), mean: ns(l.mean) },
    throughput: { requestsPerSecond: round2(t.requestsPerSecond), samplesPerSecond: round2(t.samplesPerSecond) },
    slo: run.slo,
    slos: run.slos,
    build: run.build,
    threads: run.threads,
  };
}

/** The human report. `seed` is the initialisation seed, named when no weights file was given. */
export function renderServeCheckTable(doc: ServeCheckDocument, options: { seed: number; colour?: boolean }): string {
  const c = colours(options.colour ?? false);
  const { latencyMs: l, throughput, slo } = doc;
  const ms = (v: number) => v.toFixed(3);
  const lines = [
    c.bold(`wasmgrad serve-check: ${doc.model}, batch ${doc.batch}, ${buildAndThreads(doc.build, doc.threads)}`),
    `${doc.requests} requests after ${doc.warmup} warm-up, ${doc.weights ? `weights ${doc.weights}` : `initialisation seed ${options.seed}`}`,
    `latency ms (nearest rank): p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  mean ${ms(l.mean)}`,
    `throughput (one request at a time): ${Math.round(throughput.requestsPerSecond).toLocaleString('en-US')} requests/s, ` +
      `${Math.round(throughput.samplesPerSecond).toLocaleString('en-US')} samples/s`,
  ];
  if (slo) lines.push(`SLO p99 <= ${slo.p99Ms} ms: ${slo.holds ? c.green('holds') : c.red('violated')} (p99 ${ms(l.p99)} ms)`);
  for (const s of doc.slos) {
    const share = s.compliance === null ? 'no window evaluated' : `${(100 * s.compliance).toFixed(1)}% of ${s.evaluated} windows compliant, target ${(100 * s.target).toFixed(1)}%`;
    lines.push(`SLO ${s.slo}: ${s.holds ? c.green('holds') : c.red('violated')} (${share})`);
  }
  return `${lines.join('\n')}\n`;
}
