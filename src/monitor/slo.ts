// Service level objectives over the monitor's windows. Syntax (one SLO):
//
//   METRIC OP VALUE[UNIT] [@ TARGET%]
//
//   latency.p99 < 5ms            accuracy >= 0.85 @ 95%
//   drift.psi.max < 0.2          diversity.coverage >= 30%
//
// OP is <, <=, > or >=. A window complies when its metric satisfies the
// comparison; windows where the metric has no value (no labels yet, no
// reference) are not counted. The SLO holds when at least TARGET of the counted
// windows comply (default 99%). Error budget: the (1 - TARGET) share of
// counted windows allowed to violate; burn rate: the share that did, over
// that allowance (1 spends the budget exactly; above 1 overspends it).

import { ArgumentError, describeValue } from '../errors.js';
import type { WindowSummary } from './windows.js';

type Unit = 'duration' | 'ratio' | 'plain';

/** Every metric an SLO can name: how to read it from a window, and which units it takes. */
export const SLO_METRICS: Readonly<Record<string, { unit: Unit; read: (w: WindowSummary) => number | null | undefined }>> = {
  'latency.p50': { unit: 'duration', read: (w) => w.latencyMs?.p50 },
  'latency.p90': { unit: 'duration', read: (w) => w.latencyMs?.p90 },
  'latency.p99': { unit: 'duration', read: (w) => w.latencyMs?.p99 },
  'latency.max': { unit: 'duration', read: (w) => w.latencyMs?.max },
  'latency.mean': { unit: 'duration', read: (w) => w.latencyMs?.mean },
  throughput: { unit: 'plain', read: (w) => w.throughput },
  'errors.rate': { unit: 'ratio', read: (w) => w.errorRate },
  accuracy: { unit: 'ratio', read: (w) => w.labels.accuracy },
  logloss: { unit: 'plain', read: (w) => w.labels.logLoss },
  'labels.coverage': { unit: 'ratio', read: (w) => w.labels.coverage },
  'feedback.p50': { unit: 'duration', read: (w) => w.labels.feedbackMs?.p50 },
  'feedback.p90': { unit: 'duration', read: (w) => w.labels.feedbackMs?.p90 },
  'feedback.p99': { unit: 'duration', read: (w) => w.labels.feedbackMs?.p99 },
  'feedback.max': { unit: 'duration', read: (w) => w.labels.feedbackMs?.max },
  'drift.psi.max': { unit: 'plain', read: (w) => w.drift?.features?.psiMax },
  'drift.psi.mean': { unit: 'plain', read: (w) => w.drift?.features?.psiMean },
  'drift.ks.max': { unit: 'plain', read: (w) => w.drift?.features?.ksMax },
  'drift.ks.pvalue.min': { unit: 'plain', read: (w) => w.drift?.features?.ksPValueMin },
  'drift.prediction.psi': { unit: 'plain', read: (w) => w.drift?.predictionPsi },
  'drift.label.psi': { unit: 'plain', read: (w) => w.drift?.labelPsi },
  'diversity.entropy': { unit: 'plain', read: (w) => w.diversity?.entropy },
  'diversity.coverage': { unit: 'ratio', read: (w) => w.diversity?.coverage },
  'diversity.gini': { unit: 'ratio', read: (w) => w.diversity?.gini },
};

export const DEFAULT_TARGET = 0.99;
const OPS = { '<': (a: number, b: number) => a < b, '<=': (a: number, b: number) => a <= b, '>': (a: number, b: number) => a > b, '>=': (a: number, b: number) => a >= b };
type Op = keyof typeof OPS;
/** Milliseconds per duration unit; a bare number is milliseconds. */
const DURATION_UNITS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000 };

export interface Slo {
  /** The text it was parsed from. */
  text: string;
  metric: string;
  op: Op;
  /** In the metric's own unit (milliseconds for durations, a fraction for ratios). */
  threshold: number;
  /** Share of counted windows that must comply, in (0, 1]. */
  target: number;
}

const SYNTAX = /^\s*([a-z][a-z0-9.]*)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(us|ms|s|%)?\s*(?:@\s*(\d+\.?\d*|\.\d+)\s*%)?\s*$/i;

/** Parses one SLO; ArgumentError names the SLO and what is wrong with it. */
export function parseSlo(text: unknown): Slo {
  if (typeof text !== 'string') throw new ArgumentError(`SLO must be a string such as "latency.p99 < 5ms", got ${describeValue(text)}`);
  const m = SYNTAX.exec(text);
  const where = `SLO ${describeValue(text)}`;
  if (!m) throw new ArgumentError(`${where}: expected METRIC OP VALUE[UNIT] [@ TARGET%], e.g. "latency.p99 < 5ms @ 99%"`);
  const [, metric, op, number, unit, target] = m as unknown as [string, string, Op, string, string | undefined, string | undefined];
  const spec = SLO_METRICS[metric];
  if (!spec) throw new ArgumentError(`${where}: unknown metric ${describeValue(metric)}; known metrics: ${Object.keys(SLO_METRICS).join(', ')}`);
  let threshold = Number(number);
  if (unit !== undefined) {
    const u = unit.toLowerCase();
    if (spec.unit === 'duration' && u in DURATION_UNITS) threshold *= DURATION_UNITS[u]!;
    else if (spec.unit === 'ratio' && u === '%') threshold /= 100;
    else throw new ArgumentError(`${where}: ${metric} takes ${spec.unit === 'duration' ? 'us, ms or s' : spec.unit === 'ratio' ? '% or a fraction' : 'no unit'}, got ${describeValue(unit)}`);
  }
  const share = target === undefined ? DEFAULT_TARGET : Number(target) / 100;
  if (!(share > 0 && share <= 1)) throw new ArgumentError(`${where}: the target must be above 0% and at most 100%, got ${target}%`);
  return { text: text.trim(), metric, op, threshold, target: share };
}

export interface SloAlert {
  kind: 'violated' | 'recovered';
  slo: string;
  metric: string;
  /** The window whose close raised it, and that window's end time. */
  window: number;
  time: number;
  value: number;
  threshold: number;
}

export interface SloResult {
  slo: string;
  metric: string;
  op: Op;
  threshold: number;
  target: number;
  /** Windows where the metric had a value. */
  evaluated: number;
  compliant: number;
  violating: number;
  /** compliant / evaluated, or null when no window was evaluated. */
  compliance: number | null;
  /** compliance >= target; true when nothing was evaluated (see `evaluated`). */
  holds: boolean;
  errorBudget: { allowedWindows: number; usedWindows: number; remaining: number | null };
  /** Violating share over the allowed share; null with a 100% target. */
  burnRate: number | null;
  /** Indices of violating windows, the first MAX_LISTED_WINDOWS of them. */
  violatingWindows: number[];
}

/** Violating windows listed per SLO (the count is always exact). */
export const MAX_LISTED_WINDOWS = 1000;

/** Tracks one SLO window by window, in bounded memory, raising alerts on each change of state. */
export class SloTracker {
  private evaluated = 0;
  private violating = 0;
  private inViolation = false;
  private readonly listed: number[] = [];

  constructor(readonly slo: Slo) {}

  /** Scores one closed window; returns an alert when the SLO starts or stops being violated. */
  observe(w: WindowSummary): SloAlert | null {
    const value = SLO_METRICS[this.slo.metric]!.read(w);
    if (value === null || value === undefined) return null;
    this.evaluated++;
    const ok = OPS[this.slo.op](value, this.slo.threshold);
    if (!ok) {
      this.violating++;
      if (this.listed.length < MAX_LISTED_WINDOWS) this.listed.push(w.index);
    }
    if (ok === !this.inViolation) return null;
    this.inViolation = !ok;
    return { kind: ok ? 'recovered' : 'violated', slo: this.slo.text, metric: this.slo.metric, window: w.index, time: w.end, value, threshold: this.slo.threshold };
  }

  result(): SloResult {
    const { text, metric, op, threshold, target } = this.slo;
    const compliant = this.evaluated - this.violating;
    const compliance = this.evaluated === 0 ? null : compliant / this.evaluated;
    const allowed = (1 - target) * this.evaluated;
    return {
      slo: text, metric, op, threshold, target,
      evaluated: this.evaluated,
      compliant,
      violating: this.violating,
      compliance,
      // Compared in counts, so a target of 99% over 100 windows allows exactly one.
      holds: this.violating <= allowed + 1e-9,
      errorBudget: { allowedWindows: allowed, usedWindows: this.violating, remaining: allowed === 0 ? null : 1 - this.violating / allowed },
      burnRate: target === 1 ? null : this.evaluated === 0 ? 0 : this.violating / this.evaluated / (1 - target),
      violatingWindows: [...this.listed],
    };
  }
}
