// `wasmgrad monitor` run as a user runs it (node dist/src/cli.js) on logs
// with a change at window 4 of 6: the table, the wasmgrad.monitor/1
// document, the HTML report, exit codes, and bad log lines.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './helpers/cli.js';
import { rng } from './helpers/rng.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-cli-monitor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = (name: string, lines: unknown[]) => {
  const path = join(root, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
};

/** 6 windows of 5 s, 100 predictions each; from window 4 on, slow (p99 9 ms), half wrong, and feature 1 shifted. */
function logs() {
  const next = rng(7);
  const predictions: unknown[] = [], labels: unknown[] = [];
  for (let i = 0; i < 600; i++) {
    const time = i * 50, changed = time >= 20_000;
    predictions.push({ id: `r${i}`, time, output: i % 4, latencyMs: changed && i % 10 === 0 ? 9 : 1, features: [next(), changed ? 0.9 : next()] });
    if (i % 3 !== 0) labels.push({ id: `r${i}`, time: time + 500, label: changed && i % 2 === 0 ? (i + 1) % 4 : i % 4 });
  }
  return { predictions, labels };
}

const SLOS = ['--slo', 'latency.p99 < 5ms', '--slo', 'accuracy >= 0.8', '--slo', 'drift.psi.max < 0.5'];

describe('wasmgrad monitor', () => {
  let p: string, l: string, html: string, table: CliRun, json: CliRun, holds: CliRun;
  beforeAll(async () => {
    const { predictions, labels } = logs();
    p = file('p.jsonl', predictions);
    l = file('l.jsonl', labels);
    html = join(root, 'report.html');
    const base = ['monitor', p, l, '--classes', '4', '--window', '5s', '--features', '2', '--bins', '5'];
    [table, json, holds] = await Promise.all([
      runCli([...base, ...SLOS, '--html', html]),
      runCli([...base, ...SLOS, '--json']),
      runCli([...base, '--slo', 'latency.p99 < 50ms', '--json']),
    ]);
  });

  it('prints the window table, marks violations, lists the SLOs and alerts, and exits 1 when an SLO fails', () => {
    expect(table.stderr).toBe('');
    expect(table.code).toBe(1);
    const rows = table.stdout.split('\n').filter((s) => /^\d+ /.test(s));
    expect(rows).toHaveLength(6);
    expect(rows.slice(0, 4).every((r) => !r.includes('!'))).toBe(true);
    expect(rows[4]).toMatch(/9\.000!.*!/);
    expect(table.stdout).toContain('VIOLATED  latency.p99 < 5ms: 66.7% of 6 windows comply (target 99.0%), 2 violating');
    expect(table.stdout).toContain('window 4 (ends 25,000 ms): violated accuracy >= 0.8');
  });

  it('--json: the wasmgrad.monitor/1 document', () => {
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(Object.keys(doc)).toEqual(['format', 'windowMs', 'classes', 'logs', 'demo', 'reference', 'skipped', 'counts', 'latencyRelativeError', 'psiEpsilon', 'windows', 'slos', 'alerts', 'holds']);
    expect(doc).toMatchObject({ format: 'wasmgrad.monitor/1', windowMs: 5000, classes: 4, logs: { predictions: p, labels: l }, reference: { windows: 1 }, holds: false });
    expect(doc.counts).toMatchObject({ predictions: 600, labels: 400, duplicateLabels: 0, unmatchedLabels: 0 });
    expect(doc.windows).toHaveLength(6);
    const w4 = doc.windows[4];
    expect(Object.keys(w4)).toEqual(['index', 'start', 'end', 'predictions', 'errors', 'errorRate', 'throughput', 'latencyMs', 'labels', 'drift', 'diversity']);
    expect(w4.latencyMs.p99).toBe(9);
    expect(w4.throughput).toBe(20);
    expect(w4.drift.features.psiMaxFeature).toBe(1);
    expect(w4.drift.features.psi).toBeUndefined(); // per-feature arrays stay in the library
    expect(doc.windows[0].drift).toBeNull(); // the reference window
    expect(doc.slos.map((s: { violatingWindows: number[] }) => s.violatingWindows)).toEqual([[4, 5], [4, 5], [4, 5]]);
    expect(doc.alerts.map((a: { window: number; kind: string }) => `${a.kind}@${a.window}`)).toEqual(['violated@4', 'violated@4', 'violated@4']);
  });

  it('exits 0 when every SLO holds', () => {
    expect(holds.code).toBe(0);
    expect(JSON.parse(holds.stdout).holds).toBe(true);
  });

  it('--html: a self-contained page with the charts, SLO lines and violating windows shaded', () => {
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toMatch(/<script|<link|src="http/);
    for (const id of ['latency', 'accuracy', 'drift', 'diversity', 'entropy']) expect(page).toContain(`class="wasmgrad-monitor-${id}"`);
    const latency = page.slice(page.indexOf('class="wasmgrad-monitor-latency"'), page.indexOf('class="wasmgrad-monitor-accuracy"'));
    expect(latency).toContain('latency.p99 &lt; 5ms');
    expect([...latency.matchAll(/data-window="(\d+)"/g)].map((m) => m[1])).toEqual(['4', '5']);
    expect(page).toContain('<h2>SLOs: violated</h2>');
  });

  it('a bad line is an error naming the file and line (exit 2); --skip-bad skips and counts it', async () => {
    const bad = file('bad.jsonl', [{ id: 'a', time: 1, output: 0 }, '{"id": "b", "time": 2, "output"', { id: 'c', time: 3, output: 7 }, { id: 'd', time: 'yesterday', output: 0 }]);
    const stopped = await runCli(['monitor', bad, '--classes', '4']);
    expect(stopped.code).toBe(2);
    expect(stopped.stdout).toBe('');
    expect(stopped.stderr.trim().split('\n')).toHaveLength(1);
    expect(stopped.stderr).toMatch(/^error: .*bad\.jsonl line 2: not valid JSON \(.*\) \(or pass --skip-bad to skip and count bad lines\)/);
    const skipped = await runCli(['monitor', bad, '--classes', '4', '--skip-bad', '--json']);
    expect(skipped.code).toBe(0);
    const doc = JSON.parse(skipped.stdout);
    expect(doc.skipped).toMatchObject({ predictions: 3, labels: 0 });
    expect(doc.counts.predictions).toBe(1);
    const classes = await runCli(['monitor', file('c.jsonl', [{ id: 'c', time: 3, output: 7 }]), '--classes', '4']);
    expect(classes.stderr).toMatch(/c\.jsonl line 1: prediction output must be a class from 0 to 3, got 7 /);
  });

  it.each([
    [['--classes', '4', '--window', '0s'], /--window <duration>' argument '0s' is invalid. expected a duration above 0/],
    [['--classes', '4', '--slo', 'latency.p98 < 5ms'], /unknown metric "latency.p98"/],
    [['--window', '1s'], /required option '--classes <n>' not specified/],
    [['--classes', '4', '--reference', '/nonexistent/ref.json'], /--reference \/nonexistent\/ref.json: cannot read it \(ENOENT\)/],
  ])('refuses %j on one line, exit 2', async (args, message) => {
    const r = await runCli(['monitor', join(root, 'p.jsonl'), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('an unreadable log is one line, exit 2', async () => {
    const r = await runCli(['monitor', join(root, 'missing.jsonl'), '--classes', '4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: predictions log .*missing\.jsonl: cannot read it \(ENOENT\)/);
  });
});
