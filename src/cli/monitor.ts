/**
 * `wasmgrad monitor`: a deployed model's prediction and label logs (JSON
 * Lines, see src/monitor/log-reader.ts) through the Monitor: a window table,
 * SLO compliance and alerts.
 *
 *   wasmgrad monitor --demo drift [--data DIR] [--html FILE] [--json]
 *   wasmgrad monitor --demo feedback-loop [--html FILE] [--json]
 *   wasmgrad monitor <predictions.jsonl> [labels.jsonl] --classes N [--window 1m] [--features N]
 *                    [--bins 20] [--range 0,1] [--reference-windows 1 | --reference FILE]
 *                    [--slo "latency.p99 < 5ms"]... [--label-grace DURATION] [--max-pending N]
 *                    [--skip-bad] [--json] [--html FILE]
 *
 * Durations are a number with ms, s, m or h (a bare number is milliseconds).
 * --reference reads a reference profile (format "wasmgrad.monitor-reference/1",
 * what Monitor.reference() returns) instead of using the first windows.
 *
 * --demo drift trains an MLP on Fashion-MNIST and serves a test stream with a
 * brightness shift and then a class-mix shift injected at known windows
 * (src/monitor/demo-drift.ts). --demo feedback-loop retrains a recommender on
 * simulated users round after round on the clicks its own rankings caused,
 * without and with exploration (src/monitor/demo-feedback-loop.ts), and
 * prints both arms side by side (--json: "wasmgrad.monitor-feedback-loop/1",
 * src/report/monitor-feedback-loop.ts). Each demo writes
 * wasmgrad-monitor-<scenario>.html unless --html says where, and exits 0
 * (its SLOs are meant to fail).
 *
 * Exit codes: 0 every SLO holds (or none was given); 1 an SLO is violated;
 * 2 a bad option, a bad log line (the file and line are named; --skip-bad
 * skips and counts them instead) or an unreadable file.
 * --json prints the "wasmgrad.monitor/1" document (src/report/monitor-json.ts).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ArgumentError, clip, describeValue, firstLine } from '../errors.js';
import { DRIFT_DEMO, runDriftDemo } from '../monitor/demo-drift.js';
import { FEEDBACK_LOOP_DEMO, runFeedbackLoopDemo } from '../monitor/demo-feedback-loop.js';
import { feedLogs } from '../monitor/log-reader.js';
import type { FeatureBinning } from '../monitor/histograms.js';
import { checkProfile, DEFAULT_MAX_PENDING, Monitor } from '../monitor/monitor.js';
import { parseSlo, type Slo } from '../monitor/slo.js';
import type { ReferenceProfile } from '../monitor/windows.js';
import { feedbackLoopHtml, feedbackLoopJson, feedbackLoopTable } from '../report/monitor-feedback-loop.js';
import { monitorHtml } from '../report/monitor-html.js';
import { monitorJson, type MonitorRun } from '../report/monitor-json.js';
import { monitorTable } from '../report/monitor-table.js';
import { init } from '../runtime.js';
import { choice, intInRange, outputFile, positiveInt } from './options.js';

interface MonitorOptions {
  demo?: Demo;
  data?: string;
  classes?: number;
  window: number;
  features?: number;
  bins: number;
  range: [number, number];
  referenceWindows?: number;
  reference?: string;
  slo: Slo[];
  labelGrace?: number;
  maxPending: number;
  skipBad: boolean;
  json: boolean;
  html?: string;
}

const DEMOS = ['drift', 'feedback-loop'] as const;
type Demo = (typeof DEMOS)[number];

const DURATION = /^(\d+\.?\d*|\.\d+)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as 500ms, 10s, 5m or 1h, in milliseconds (a bare number is milliseconds). */
export function duration(value: string): number {
  const m = DURATION.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? 'ms']! : NaN;
  if (!(ms > 0) || !Number.isFinite(ms)) throw new InvalidArgumentError(`expected a duration above 0 such as 500ms, 10s, 5m or 1h, got ${describeValue(value, "'")}`);
  return ms;
}

function range(value: string): [number, number] {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) {
    throw new InvalidArgumentError(`expected low,high with low < high, like 0,1, got ${describeValue(value, "'")}`);
  }
  return [parts[0]!, parts[1]!];
}

function slo(value: string, previous: Slo[]): Slo[] {
  try {
    return [...previous, parseSlo(value)];
  } catch (e) {
    throw new InvalidArgumentError(firstLine(e));
  }
}

export function registerMonitorCommand(program: Command): Command {
  return program
    .command('monitor')
    .description('production metrics of a deployed model from its prediction and label logs (JSON Lines): windows, drift, diversity, SLOs; exit 1 when an SLO fails')
    .argument('[predictions]', 'prediction log: one JSON object per line {id, time, output, latencyMs, features?, error?}')
    .argument('[labels]', 'label log: one JSON object per line {id, time, label}')
    .option('--demo <scenario>', 'run a scenario instead of reading logs: drift (Fashion-MNIST, injected shifts), feedback-loop (a recommender retrained on its own clicks, without and with exploration)', choice(DEMOS))
    .option('--data <dir>', 'with --demo drift: the Fashion-MNIST directory (default $WASMGRAD_DATA, then /usr/share/datasets/fashion-mnist)')
    .option('--classes <n>', 'classes (or catalogue items) a prediction names: outputs 0 to n-1 (required with logs)', intInRange(1, 1_000_000))
    .option('--window <duration>', 'tumbling window length (500ms, 10s, 5m, 1h)', duration, 60_000)
    .option('--features <n>', 'input features per prediction (their drift is scored)', intInRange(1, 1_000_000))
    .option('--bins <n>', 'bins per feature for PSI and KS', intInRange(2, 10_000), 20)
    .option('--range <low,high>', 'the range the feature bins split', range, [0, 1])
    .option('--reference-windows <n>', 'score drift against the first n windows (default 1)', positiveInt)
    .option('--reference <file>', 'score drift against a reference profile file (wasmgrad.monitor-reference/1)')
    .option('--slo <slo>', 'an SLO, e.g. "latency.p99 < 5ms @ 99%" (repeatable)', slo, [])
    .option('--label-grace <duration>', 'how long after its end a window waits for labels (default: one window)', duration)
    .option('--max-pending <n>', 'predictions kept waiting for a label; beyond, the oldest count as never labelled', positiveInt, DEFAULT_MAX_PENDING)
    .option('--skip-bad', 'skip and count bad log lines instead of stopping at the first', false)
    .option('--json', 'print the wasmgrad.monitor/1 JSON document on stdout', false)
    .option('--html <file>', 'write a self-contained HTML report with time-series charts')
    .action(async (predictions: string | undefined, labels: string | undefined, o: MonitorOptions) => {
      if (o.demo !== undefined) {
        if (predictions !== undefined) throw new ArgumentError('--demo runs its own stream: give no log files with it');
        return o.demo === 'drift' ? runDriftDemoCommand(o) : runFeedbackLoopDemoCommand(o);
      }
      if (predictions === undefined) throw new ArgumentError('give a prediction log (and optionally a label log), or --demo drift or feedback-loop');
      if (o.classes === undefined) throw new ArgumentError("required option '--classes <n>' not specified: how many classes predictions name");
      if (o.reference !== undefined && o.referenceWindows !== undefined) throw new ArgumentError('--reference and --reference-windows are alternatives: give one');
      const htmlPath = o.html === undefined ? undefined : outputFile('--html', o.html);
      const binning = o.features !== undefined ? { count: o.features, bins: o.bins, range: o.range } : null;
      const reference = o.reference === undefined ? (o.referenceWindows ?? 1) : readProfile(o.reference, o.classes, binning);
      const monitor = new Monitor({
        windowMs: o.window,
        classes: o.classes,
        ...(binning ? { runtime: await init(), features: binning } : {}),
        reference,
        slos: o.slo,
        labelGraceMs: o.labelGrace ?? o.window,
        maxPending: o.maxPending,
      });
      const logs = { predictions: resolve(predictions), labels: labels === undefined ? null : resolve(labels) };
      const skipped = await feedLogs(monitor, { predictions: logs.predictions, ...(logs.labels ? { labels: logs.labels } : {}) }, { skipBad: o.skipBad });
      const run: MonitorRun = {
        report: monitor.flush(),
        logs,
        reference: o.reference === undefined ? { windows: o.referenceWindows ?? 1 } : { file: resolve(o.reference) },
        skipped,
      };
      process.stdout.write(o.json ? `${JSON.stringify(monitorJson(run), null, 2)}\n` : monitorTable(run));
      if (htmlPath !== undefined) writeFileSync(htmlPath, monitorHtml(run));
      if (!run.report.slos.every((s) => s.holds)) process.exitCode = 1;
    });
}

async function runDriftDemoCommand(o: MonitorOptions): Promise<void> {
  const htmlPath = outputFile('--html', o.html ?? 'wasmgrad-monitor-drift.html');
  const demo = runDriftDemo(await init(), o.data);
  const d = DRIFT_DEMO;
  const run: MonitorRun = { report: demo.report, logs: null, demo: 'drift', reference: { windows: d.referenceWindows }, skipped: { predictions: 0, labels: 0, first: null } };
  writeFileSync(htmlPath, monitorHtml(run));
  if (o.json) {
    process.stdout.write(`${JSON.stringify(monitorJson(run), null, 2)}\n`);
    return;
  }
  const first = (slo: string) => demo.report.alerts.find((a) => a.slo === slo && a.kind === 'violated')?.window ?? 'never';
  process.stdout.write([
    `wasmgrad monitor --demo drift: a 784-100-10 MLP trained 1 epoch on Fashion-MNIST (${demo.dataDir}), test accuracy ${(demo.testAccuracy * 100).toFixed(1)}%,`,
    `serves ${d.windows} windows of ${d.perWindow} test images; labels come back ${d.labelDelayMs / 1000} s late for ${d.labelledShare * 100}% of them.`,
    `Injected: from window ${d.brightnessAt}, washed-out images (0.35 + 0.5 x); from window ${d.classMixAt}, images as trained but 80% tops.`,
    `First alerts: input drift at window ${first(d.slos[0]!)}, prediction drift ${first(d.slos[1]!)}, accuracy ${first(d.slos[3]!)}, label drift ${first(d.slos[2]!)}.`,
    `HTML report: ${htmlPath}`,
    '',
    monitorTable(run),
  ].join('\n'));
}

async function runFeedbackLoopDemoCommand(o: MonitorOptions): Promise<void> {
  if (o.data !== undefined) throw new ArgumentError('--data is for --demo drift (Fashion-MNIST); --demo feedback-loop simulates its own users');
  const htmlPath = outputFile('--html', o.html ?? 'wasmgrad-monitor-feedback-loop.html');
  const demo = runFeedbackLoopDemo(await init());
  writeFileSync(htmlPath, feedbackLoopHtml(demo));
  if (o.json) {
    process.stdout.write(`${JSON.stringify(feedbackLoopJson(demo), null, 2)}\n`);
    return;
  }
  const d = FEEDBACK_LOOP_DEMO, w = d.world;
  const first = (a: (typeof demo.arms)[number], metric: string) => a.report.alerts.find((x) => x.metric === metric && x.kind === 'violated')?.window;
  const fate = demo.arms.map((a) => {
    const alerts = ['accuracy', 'diversity.coverage', 'diversity.gini'].map((m) => first(a, m)).filter((x) => x !== undefined);
    return `${a.name}: ${alerts.length === 0 ? 'no SLO alert' : `first SLO alert at window ${Math.min(...alerts)} (round ${Math.min(...alerts) + 1})`}`;
  });
  process.stdout.write([
    `wasmgrad monitor --demo feedback-loop: a ${w.segments}-${w.hidden}-${demo.items} MLP recommends ${w.slots} of ${demo.items} items to ${w.users.toLocaleString('en-US')} simulated users a round,`,
    `${w.segments} segments, each with ${w.favourites} favourite items at a time; favourites move on one item every ${w.driftEvery} rounds and ${w.mainstream} mainstream items appeal a little to everyone.`,
    `Clicks only on what is shown, slot k examined with probability ${w.examine}^k; the model is retrained each round on the clicks its own rankings caused,`,
    `once as is and once with ${d.epsilon * 100}% of the slots shown to random items. A round is a monitor window; accuracy is the share of the model's`,
    `recommendations in the user's true top set (labels from the simulator), diversity that of the model's own top ${w.slots}.`,
    ...fate,
    `HTML report: ${htmlPath}`,
    '',
    feedbackLoopTable(demo),
  ].join('\n'));
}

function readProfile(file: string, classes: number, binning: FeatureBinning | null): ReferenceProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ArgumentError(`--reference ${clip(file)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? firstLine(e)})`);
  }
  try {
    return checkProfile(JSON.parse(text), classes, binning);
  } catch (e) {
    throw new ArgumentError(`--reference ${clip(file)}: ${e instanceof SyntaxError ? `not valid JSON (${firstLine(e)})` : firstLine(e)}`);
  }
}
