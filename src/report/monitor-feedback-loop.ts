/**
 * The `wasmgrad monitor --demo feedback-loop` reports: both arms (no
 * exploration, exploration) side by side, round by round, then each arm's
 * normal monitor report. The `--json` document, format
 * "wasmgrad.monitor-feedback-loop/1":
 *
 *   format    "wasmgrad.monitor-feedback-loop/1"
 *   demo      "feedback-loop"
 *   world     the simulated world (FeedbackWorld in src/monitor/feedback-loop-sim.ts)
 *   items     catalogue size (the monitor's classes)
 *   slos      the SLOs both arms are monitored against
 *   arms      per arm: name, epsilon (share of slots shown to random items), clicks (per round),
 *             monitor: that arm's "wasmgrad.monitor/1" document (one window per round; labels.accuracy
 *             is the share of recommendations in the user's true top set)
 */
import type { FeedbackArm, FeedbackLoopDemo } from '../monitor/demo-feedback-loop.js';
import type { WindowSummary } from '../monitor/windows.js';
import { formatInteger } from '../estimate/units.js';
import { STYLE } from './html.js';
import { alertSection, sloSection } from './monitor-html.js';
import { monitorJson, type MonitorRun } from './monitor-json.js';
import { renderMonitorChart, SERIES_COLOURS } from './monitor-svg.js';
import { fixed, monitorTable, percent } from './monitor-table.js';
import { escapeXml } from './types.js';

type Read = (w: WindowSummary) => number | null | undefined;

/** The figures compared round by round: [column head, chart title, unit, read]. */
const FIGURES: [string, string, string, Read, (v: number | null | undefined) => string][] = [
  ['accuracy', 'True accuracy: share of recommendations in the user\u2019s true top set', 'share', (w) => w.labels.accuracy, percent],
  ['coverage', 'Catalogue coverage of the recommendations', 'share of the catalogue', (w) => w.diversity?.coverage, percent],
  ['entropy', 'Entropy of the recommended items', 'bits', (w) => w.diversity?.entropy, (v) => fixed(v, 2)],
  ['Gini', 'Gini coefficient of exposure', 'Gini', (w) => w.diversity?.gini, (v) => fixed(v, 3)],
];

export function armRun(arm: FeedbackArm): MonitorRun {
  return { report: arm.report, logs: null, demo: 'feedback-loop', reference: { windows: 1 }, skipped: { predictions: 0, labels: 0, first: null } };
}

export function feedbackLoopJson(demo: FeedbackLoopDemo): Record<string, unknown> {
  return {
    format: 'wasmgrad.monitor-feedback-loop/1',
    demo: 'feedback-loop',
    world: demo.world,
    items: demo.items,
    slos: demo.slos,
    arms: demo.arms.map((a) => ({ name: a.name, epsilon: a.epsilon, clicks: a.clicks, monitor: monitorJson(armRun(a)) })),
  };
}

/** Rounds as rows, each arm's figures as a group of columns, then each arm's monitor table. */
export function feedbackLoopTable(demo: FeedbackLoopDemo): string {
  const heads = [...FIGURES.map(([head]) => head), 'clicks'];
  const rounds = demo.arms[0]!.report.windows.length;
  const cells = demo.arms.map((a) => Array.from({ length: rounds }, (_, r) => [...FIGURES.map(([, , , read, format]) => format(read(a.report.windows[r]!))), formatInteger(a.clicks[r]!)]));
  const widths = cells.map((rows) => heads.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length))));
  const group = (a: number, values: string[]) => values.map((v, k) => v.padStart(widths[a]![k]!)).join('  ');
  const groupWidth = (a: number) => group(a, heads).length;
  const line = (first: string, groups: string[]) => `${first.padStart(5)} | ${groups.join(' | ')}`.trimEnd();
  const out = [
    line('', demo.arms.map((a, i) => a.name.padEnd(groupWidth(i)))),
    line('round', demo.arms.map((_, i) => group(i, heads))),
    ...Array.from({ length: rounds }, (_, r) => line(String(r + 1), demo.arms.map((_, i) => group(i, cells[i]![r]!)))),
    '',
  ];
  for (const a of demo.arms) out.push(`--- ${a.name} ---`, monitorTable(armRun(a)));
  return out.join('\n');
}

export function feedbackLoopHtml(demo: FeedbackLoopDemo): string {
  const windows = demo.arms[0]!.report.windows.map((w) => w.index);
  const charts = FIGURES.map(([head, title, unit, read], i) => {
    const metric = ['accuracy', 'diversity.coverage', 'diversity.entropy', 'diversity.gini'][i]!;
    const svg = renderMonitorChart({
      id: `feedback-${head.toLowerCase()}`, title, unit, windows,
      series: demo.arms.map((a, k) => ({ name: a.name, colour: SERIES_COLOURS[k]!, values: a.report.windows.map((w) => read(w) ?? null) })),
      thresholds: demo.arms[0]!.report.slos.filter((s) => s.metric === metric).map((s) => ({ label: s.slo, value: s.threshold })),
      violating: new Set(),
    });
    return `<section id="chart-${head.toLowerCase()}">\n${svg}\n</section>`;
  });
  const arms = demo.arms.flatMap((a, k) => [
    sloSection(a.report.slos, a.report.slos.every((s) => s.holds), `slos-${k}`, `SLOs, ${a.name}`),
    alertSection(armRun(a), `alerts-${k}`, `Alerts, ${a.name}`),
  ]);
  const w = demo.world;
  const subtitle = `${w.rounds} rounds of ${formatInteger(w.users)} simulated users, ${w.slots} recommendations each from ${demo.items} items; window = round (x axis: window index, round = index + 1)`;
  return [
    '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8"/>', '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    '<title>wasmgrad monitor: feedback loop</title>', `<style>${STYLE}</style>`, '</head>', '<body>', '<main>',
    '<header>', '<h1>wasmgrad monitor: a degenerate feedback loop</h1>', `<p class="subtitle">${escapeXml(subtitle)}</p>`, '</header>',
    ...charts,
    ...arms,
    '<footer>Generated by wasmgrad. Dashed lines are the SLO thresholds both arms are monitored against.</footer>',
    '</main>', '</body>', '</html>', '',
  ].join('\n');
}
