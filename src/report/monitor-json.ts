/**
 * The `wasmgrad monitor --json` document, format "wasmgrad.monitor/1":
 *
 *   format       "wasmgrad.monitor/1"
 *   windowMs     window length, milliseconds
 *   classes      classes (catalogue items) predictions name
 *   logs         { predictions, labels }: absolute paths (labels null when not given); null for --demo
 *   demo         the --demo scenario, or null
 *   reference    { windows: N } (the first N windows) or { file: path }
 *   skipped      { predictions, labels, first }: bad lines skipped with --skip-bad, the first one's error
 *   counts       predictions, labels, duplicatePredictions, latePredictions, duplicateLabels,
 *                unmatchedLabels, evictedPending (see MonitorCounts)
 *   latencyRelativeError  percentiles are nearest-rank within this relative error
 *   psiEpsilon   the floor on bin shares in PSI
 *   windows      per window: index, start, end, predictions, errors, errorRate, throughput,
 *                latencyMs { p50, p90, p99, max, mean } | null,
 *                labels { labelled, coverage, accuracy, logLoss, feedbackMs { p50, p90, p99, max, mean } | null },
 *                drift { features { psiMax, psiMaxFeature, psiMean, ksMax, ksMaxFeature, ksPValueMin } | null,
 *                        predictionPsi, labelPsi } | null (null in the reference windows),
 *                diversity { entropy (bits), coverage, gini } | null;  a metric without data is null
 *   slos         per SLO: slo, metric, op, threshold, target, evaluated, compliant, violating, compliance,
 *                holds, errorBudget { allowedWindows, usedWindows, remaining }, burnRate, violatingWindows
 *   alerts       { kind: "violated" | "recovered", slo, metric, window, time, value, threshold }, in order
 *   holds        every SLO holds (the exit code is 1 when not)
 *
 * Per-feature scores (psi, ks, pValue per feature) are left out: the library's WindowSummary has them.
 */
import { RELATIVE_ERROR } from '../monitor/latency.js';
import { PSI_EPSILON } from '../monitor/drift.js';
import type { MonitorReport } from '../monitor/monitor.js';
import type { SkippedLines } from '../monitor/log-reader.js';
import type { WindowSummary } from '../monitor/windows.js';

export interface MonitorRun {
  report: MonitorReport;
  /** The log files read, or null for a demo. */
  logs: { predictions: string; labels: string | null } | null;
  /** The demo that produced the stream, if any. */
  demo?: string;
  reference: { windows: number } | { file: string };
  skipped: SkippedLines;
}

export function monitorJson(run: MonitorRun): Record<string, unknown> {
  const { report } = run;
  return {
    format: 'wasmgrad.monitor/1',
    windowMs: report.windowMs,
    classes: report.classes,
    logs: run.logs,
    demo: run.demo ?? null,
    reference: run.reference,
    skipped: run.skipped,
    counts: report.counts,
    latencyRelativeError: RELATIVE_ERROR,
    psiEpsilon: PSI_EPSILON,
    windows: report.windows.map(withoutPerFeature),
    slos: report.slos,
    alerts: report.alerts,
    holds: report.slos.every((s) => s.holds),
  };
}

function withoutPerFeature(w: WindowSummary): unknown {
  if (!w.drift?.features) return w;
  const { psi: _psi, ks: _ks, pValue: _p, ...summary } = w.drift.features;
  return { ...w, drift: { ...w.drift, features: summary } };
}
