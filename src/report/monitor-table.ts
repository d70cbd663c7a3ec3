/**
 * The `wasmgrad monitor` text report: one row per window (a "!" after a
 * value that violated an SLO), then the SLOs and the alerts.
 */
import { formatInteger } from '../estimate/units.js';
import { SLO_METRICS, type SloResult } from '../monitor/slo.js';
import type { WindowSummary } from '../monitor/windows.js';
import type { MonitorRun } from './monitor-json.js';

interface Column {
  head: string;
  /** The SLO metric this column shows, to mark violations. */
  metric?: string;
  cell: (w: WindowSummary) => string;
}

export const fixed = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? '-' : v.toFixed(digits));
export const percent = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);

const COLUMNS: Column[] = [
  { head: 'window', cell: (w) => String(w.index) },
  { head: 'start', cell: (w) => formatTime(w.start) },
  { head: 'requests', cell: (w) => formatInteger(w.predictions) },
  { head: 'errors', metric: 'errors.rate', cell: (w) => percent(w.errorRate) },
  { head: 'p50 ms', metric: 'latency.p50', cell: (w) => fixed(w.latencyMs?.p50, 3) },
  { head: 'p99 ms', metric: 'latency.p99', cell: (w) => fixed(w.latencyMs?.p99, 3) },
  { head: 'accuracy', metric: 'accuracy', cell: (w) => percent(w.labels.accuracy) },
  { head: 'labelled', metric: 'labels.coverage', cell: (w) => percent(w.labels.coverage) },
  { head: 'PSI max', metric: 'drift.psi.max', cell: (w) => fixed(w.drift?.features?.psiMax, 3) },
  { head: 'KS max', metric: 'drift.ks.max', cell: (w) => fixed(w.drift?.features?.ksMax, 3) },
  { head: 'pred PSI', metric: 'drift.prediction.psi', cell: (w) => fixed(w.drift?.predictionPsi, 3) },
  { head: 'label PSI', metric: 'drift.label.psi', cell: (w) => fixed(w.drift?.labelPsi, 3) },
  { head: 'entropy', metric: 'diversity.entropy', cell: (w) => fixed(w.diversity?.entropy, 2) },
  { head: 'coverage', metric: 'diversity.coverage', cell: (w) => percent(w.diversity?.coverage) },
  { head: 'Gini', metric: 'diversity.gini', cell: (w) => fixed(w.diversity?.gini, 3) },
];

/** Times that look like epoch milliseconds (after 1973) as ISO dates; others as milliseconds. */
export function formatTime(ms: number): string {
  return ms >= 1e11 ? new Date(ms).toISOString().replace('.000Z', 'Z') : `${formatInteger(ms)} ms`;
}

export function monitorTable(run: MonitorRun): string {
  const { report } = run;
  const violated = (slo: SloResult) => new Set(slo.violatingWindows);
  const marks = COLUMNS.map((c) => report.slos.filter((s) => s.metric === c.metric).map(violated));
  const rows = report.windows.map((w) => COLUMNS.map((c, k) => `${c.cell(w)}${marks[k]!.some((v) => v.has(w.index)) ? '!' : ''}`));
  const widths = COLUMNS.map((c, k) => Math.max(c.head.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]) => cells.map((s, k) => (k <= 1 ? s.padEnd(widths[k]!) : s.padStart(widths[k]!))).join('  ').trimEnd();
  const out = [
    `wasmgrad monitor: ${formatInteger(report.windows.length)} windows of ${formatInteger(report.windowMs)} ms, ${formatInteger(report.counts.predictions)} predictions, ${formatInteger(report.counts.labels)} labels`,
    '',
    line(COLUMNS.map((c) => c.head)),
    ...rows.map(line),
  ];
  const c = report.counts;
  out.push('', `labels: ${formatInteger(c.duplicateLabels)} duplicate (ignored), ${formatInteger(c.unmatchedLabels)} unmatched (unknown id, evicted or too late); ` +
    `predictions: ${formatInteger(c.duplicatePredictions)} duplicate, ${formatInteger(c.latePredictions)} late, ${formatInteger(c.evictedPending)} evicted unlabelled`);
  if (run.skipped.predictions + run.skipped.labels > 0) {
    out.push(`skipped bad lines: ${formatInteger(run.skipped.predictions)} in predictions, ${formatInteger(run.skipped.labels)} in labels (first: ${run.skipped.first})`);
  }
  if (report.slos.length > 0) {
    out.push('', 'SLOs:');
    for (const s of report.slos) out.push(`  ${s.holds ? 'holds   ' : 'VIOLATED'}  ${describeSlo(s)}`);
  }
  if (report.alerts.length > 0) {
    out.push('', 'alerts:');
    for (const a of report.alerts) out.push(`  window ${a.window} (ends ${formatTime(a.time)}): ${a.kind} ${a.slo} (value ${formatValue(a.metric, a.value)})`);
  }
  return `${out.join('\n')}\n`;
}

export function describeSlo(s: SloResult): string {
  const compliance = s.compliance === null ? 'no window had a value' : `${(s.compliance * 100).toFixed(1)}% of ${formatInteger(s.evaluated)} windows comply (target ${(s.target * 100).toFixed(1)}%)`;
  const burn = s.burnRate === null ? '' : `, burn rate ${s.burnRate.toFixed(2)}`;
  return `${s.slo}: ${compliance}, ${formatInteger(s.violating)} violating${burn}`;
}

function formatValue(metric: string, value: number): string {
  const unit = SLO_METRICS[metric]?.unit;
  return unit === 'duration' ? `${value.toFixed(3)} ms` : unit === 'ratio' ? `${(value * 100).toFixed(1)}%` : value.toPrecision(4);
}
