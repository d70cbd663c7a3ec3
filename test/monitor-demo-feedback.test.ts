// `wasmgrad monitor --demo feedback-loop`: a recommender retrained only on the
// clicks its own rankings caused loses true accuracy and diversity round by
// round; with 30% of the slots shown to random items it does not. The figures
// are the Monitor's (accuracy from the simulator's labels, diversity of the
// model's own top 4), for the default seed.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedbackSimulation, topIndices } from '../src/monitor/feedback-loop-sim.js';
import { FEEDBACK_LOOP_DEMO, runFeedbackLoopDemo, type FeedbackLoopDemo } from '../src/monitor/demo-feedback-loop.js';
import type { WindowSummary } from '../src/monitor/windows.js';
import { ArgumentError } from '../src/errors.js';
import { init, type Runtime } from '../src/runtime.js';
import { runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-feedback-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const accuracy = (w: WindowSummary) => w.labels.accuracy!;
const coverage = (w: WindowSummary) => w.diversity!.coverage;
const gini = (w: WindowSummary) => w.diversity!.gini;
const entropy = (w: WindowSummary) => w.diversity!.entropy;

describe('the feedback-loop simulation', () => {
  let rt: Runtime;
  let demo: FeedbackLoopDemo;
  beforeAll(async () => {
    rt = await init();
    demo = runFeedbackLoopDemo(rt);
  }, 60_000);

  it('has one monitor window per round for each arm, every recommendation labelled', () => {
    const { rounds, users, slots } = FEEDBACK_LOOP_DEMO.world;
    expect(demo.arms.map((a) => a.epsilon)).toEqual([0, FEEDBACK_LOOP_DEMO.epsilon]);
    for (const a of demo.arms) {
      expect(a.report.windows).toHaveLength(rounds);
      expect(a.report.windows.every((w) => w.predictions === users * slots && w.labels.labelled === users * slots)).toBe(true);
      expect(a.report.counts.unmatchedLabels).toBe(0);
    }
  });

  it('without exploration, true accuracy and coverage fall round by round and Gini rises', () => {
    const w = demo.arms[0]!.report.windows;
    const [first, last] = [w[0]!, w.at(-1)!];
    expect(accuracy(last)).toBeLessThanOrEqual(accuracy(first) - 0.3);
    expect(coverage(last)).toBeLessThanOrEqual(coverage(first) - 0.2);
    expect(entropy(last)).toBeLessThanOrEqual(entropy(first) - 1);
    expect(gini(last)).toBeGreaterThanOrEqual(gini(first) + 0.15);
    // Round by round: never more than a point better than the round before.
    for (let r = 1; r < w.length; r++) {
      expect(accuracy(w[r]!)).toBeLessThanOrEqual(accuracy(w[r - 1]!) + 0.01);
      expect(coverage(w[r]!)).toBeLessThanOrEqual(coverage(w[r - 1]!) + 0.01);
    }
    expect(demo.arms[0]!.report.slos.some((s) => !s.holds)).toBe(true);
  });

  it('with 30% exploration, true accuracy and coverage hold (within 0.05) and every SLO holds', () => {
    const w = demo.arms[1]!.report.windows;
    const [first, last] = [w[0]!, w.at(-1)!];
    expect(accuracy(last)).toBeGreaterThanOrEqual(accuracy(first) - 0.05);
    expect(coverage(last)).toBeGreaterThanOrEqual(coverage(first) - 0.05);
    expect(Math.min(...w.map(accuracy))).toBeGreaterThanOrEqual(accuracy(first) - 0.1);
    expect(gini(last)).toBeLessThanOrEqual(gini(demo.arms[0]!.report.windows.at(-1)!) - 0.1);
    expect(demo.arms[1]!.report.slos.map((s) => [s.slo, s.holds])).toEqual(FEEDBACK_LOOP_DEMO.slos.map((s) => [s, true]));
  });

  it('is deterministic for a seed, and another seed gives another run', () => {
    const again = runFeedbackLoopDemo(rt);
    expect(again.arms.map((a) => a.report)).toEqual(demo.arms.map((a) => a.report));
    const other = runFeedbackLoopDemo(rt, 2);
    expect(other.arms.map((a) => a.clicks)).not.toEqual(demo.arms.map((a) => a.clicks));
  }, 60_000);

  it('both arms serve the same users: exploration changes only what is shown', () => {
    const a = new FeedbackSimulation(rt, FEEDBACK_LOOP_DEMO.world, 0, 7);
    const b = new FeedbackSimulation(rt, FEEDBACK_LOOP_DEMO.world, 0.3, 7);
    try {
      const [ua, ub] = [a.drawUsers(50), b.drawUsers(50)];
      expect(ub).toEqual(ua);
      const shown = b.recommend(ub);
      expect(shown.map((s) => s.ranked)).toEqual(a.recommend(ua).map((s) => s.ranked));
      expect(shown.some((s) => s.shown.join() !== s.ranked.join())).toBe(true);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('refuses a world whose favourites would run past the pool, and an epsilon outside 0 to 1', () => {
    expect(() => new FeedbackSimulation(rt, { ...FEEDBACK_LOOP_DEMO.world, nichePerSegment: 5 }, 0, 1)).toThrow(ArgumentError);
    expect(() => new FeedbackSimulation(rt, { ...FEEDBACK_LOOP_DEMO.world, nichePerSegment: 5 }, 0, 1)).toThrow(/nichePerSegment must be at least favourites \+ rounds \/ driftEvery = 9, got 5/);
    expect(() => new FeedbackSimulation(rt, FEEDBACK_LOOP_DEMO.world, 1.5, 1)).toThrow(/epsilon must be a share from 0 to 1, got 1.5/);
  });

  it('knows the truth: favourites move on one item every 2 rounds, and out-of-fashion items get no clicks', () => {
    const sim = new FeedbackSimulation(rt, FEEDBACK_LOOP_DEMO.world, 0, 1);
    try {
      const favourites = [0, 1, 2, 3].map((round) => ((sim.round = round), sim.favouritesOf(1)));
      expect(favourites).toEqual([[9, 10, 11], [10, 11, 12], [10, 11, 12], [11, 12, 13]]);
      sim.round = 1;
      const a = FEEDBACK_LOOP_DEMO.world.appeal;
      expect([sim.appeal(1, 9), sim.appeal(1, 10), sim.appeal(1, 36), sim.appeal(0, 10)]).toEqual([a.stale, a.favourite, a.mainstream, a.other]);
      expect([sim.wanted(1, 11), sim.wanted(1, 36), sim.wanted(1, 9)]).toEqual([11, 10, 10]);
    } finally {
      sim.dispose();
    }
  });

  it('topIndices gives the k largest, largest first', () => {
    expect(topIndices([0.1, 0.9, 0.3, 0.9, -1], 3)).toEqual([1, 3, 2]);
    expect(topIndices([2, 1], 5)).toEqual([0, 1]);
  });
});

describe('wasmgrad monitor --demo feedback-loop', () => {
  it('prints both arms side by side, round by round, then each monitor table, and writes the HTML report', async () => {
    const html = join(root, 'feedback.html');
    const r = await runCli(['monitor', '--demo', 'feedback-loop', '--html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => /^\s*round\b/.test(l));
    expect(lines[head - 1]).toMatch(/^\s+\| no exploration\s+\| 30% exploration$/);
    expect(lines[head]!.match(/accuracy/g)).toHaveLength(2);
    expect(lines[head + 1]).toMatch(/^\s*1 \|/);
    expect(lines[head + FEEDBACK_LOOP_DEMO.world.rounds]).toMatch(/^\s*12 \|/);
    expect(r.stdout).toContain('--- no exploration ---');
    expect(r.stdout).toContain('--- 30% exploration ---');
    expect(r.stdout).toMatch(/no exploration: first SLO alert at window \d+/);
    expect(r.stdout).toContain('30% exploration: no SLO alert');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('class="wasmgrad-monitor-feedback-accuracy"');
    expect(page).toContain('id="slos-1"');
  }, 60_000);

  it('--json prints the wasmgrad.monitor-feedback-loop/1 document with a wasmgrad.monitor/1 report per arm', async () => {
    const r = await runCli(['monitor', '--demo', 'feedback-loop', '--json', '--html', join(root, 'f.html')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ format: 'wasmgrad.monitor-feedback-loop/1', demo: 'feedback-loop', items: 40, slos: FEEDBACK_LOOP_DEMO.slos });
    expect(doc.arms.map((a: { name: string; epsilon: number }) => [a.name, a.epsilon])).toEqual([['no exploration', 0], ['30% exploration', 0.3]]);
    for (const a of doc.arms) {
      expect(a.monitor).toMatchObject({ format: 'wasmgrad.monitor/1', demo: 'feedback-loop', classes: 40, logs: null });
      expect(a.monitor.windows).toHaveLength(FEEDBACK_LOOP_DEMO.world.rounds);
    }
    const [greedy, exploring] = doc.arms.map((a: { monitor: { windows: WindowSummary[] } }) => a.monitor.windows);
    expect(accuracy(greedy.at(-1))).toBeLessThan(accuracy(exploring.at(-1)) - 0.3);
    expect(doc.arms[0].monitor.holds).toBe(false);
    expect(doc.arms[1].monitor.holds).toBe(true);
  }, 60_000);

  it('refuses an unknown scenario naming the valid ones, and --data with feedback-loop', async () => {
    const unknown = await runCli(['monitor', '--demo', 'loop']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('expected one of drift, feedback-loop');
    const data = await runCli(['monitor', '--demo', 'feedback-loop', '--data', root]);
    expect(data.code).toBe(2);
    expect(data.stderr.trim()).toMatch(/--data is for --demo drift/);
    expect(data.stderr.trim().split('\n')).toHaveLength(1);
  });
});
