// The SLO syntax, compliance, error budget, burn rate and the alert events
// raised when an SLO starts and stops being violated.

import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.js';
import { Monitor } from '../src/monitor/monitor.js';
import { parseSlo } from '../src/monitor/slo.js';

describe('SLO syntax', () => {
  it.each([
    ['latency.p99 < 5ms', { metric: 'latency.p99', op: '<', threshold: 5, target: 0.99 }],
    ['latency.p99<=250us @ 95%', { metric: 'latency.p99', op: '<=', threshold: 0.25, target: 0.95 }],
    ['feedback.p90 < 2s', { metric: 'feedback.p90', op: '<', threshold: 2000, target: 0.99 }],
    ['accuracy >= 85% @ 100%', { metric: 'accuracy', op: '>=', threshold: 0.85, target: 1 }],
    ['drift.psi.max < 0.2', { metric: 'drift.psi.max', op: '<', threshold: 0.2, target: 0.99 }],
    ['diversity.coverage >= 0.3 @ 90%', { metric: 'diversity.coverage', op: '>=', threshold: 0.3, target: 0.9 }],
  ])('%s', (text, expected) => {
    expect(parseSlo(text)).toMatchObject(expected);
  });

  it.each([
    ['latency.p99 5ms', /expected METRIC OP VALUE/],
    ['latency.p98 < 5ms', /unknown metric "latency.p98"; known metrics: latency.p50/],
    ['accuracy >= 0.8ms', /accuracy takes % or a fraction, got "ms"/],
    ['drift.psi.max < 20%', /drift.psi.max takes no unit/],
    ['accuracy >= 0.8 @ 0%', /target must be above 0% and at most 100%, got 0%/],
    ['accuracy >= 0.8 @ 101%', /at most 100%/],
  ])('refuses %s', (text, message) => {
    expect(() => parseSlo(text)).toThrow(ArgumentError);
    expect(() => parseSlo(text)).toThrow(message);
  });

  it('refuses a non-string', () => {
    expect(() => parseSlo(5)).toThrow(/SLO must be a string such as "latency.p99 < 5ms", got 5/);
  });
});

describe('SLO compliance and alerts', () => {
  /** Ten 1-second windows; windows 3, 4 and 7 are slow (p99 10 ms), the rest 1 ms. */
  function slowWindows(slo: string) {
    const alerts: unknown[] = [];
    const m = new Monitor({ windowMs: 1000, classes: 2, slos: [slo], onAlert: (a) => alerts.push(a) });
    for (let w = 0; w < 10; w++) {
      for (let i = 0; i < 10; i++) m.recordPrediction({ id: w * 10 + i, time: w * 1000 + i, output: 0, latencyMs: [3, 4, 7].includes(w) ? 10 : 1 });
    }
    return { report: m.flush(), alerts };
  }

  it('counts compliant windows, spends the error budget and alerts on each change of state', () => {
    const { report, alerts } = slowWindows('latency.p99 < 5ms @ 80%');
    const s = report.slos[0]!;
    expect(s).toMatchObject({ evaluated: 10, compliant: 7, violating: 3, compliance: 0.7, holds: false, violatingWindows: [3, 4, 7] });
    expect(s.errorBudget.allowedWindows).toBeCloseTo(2, 12);
    expect(s.errorBudget.remaining).toBeCloseTo(-0.5, 12); // overspent by half
    expect(s.burnRate).toBeCloseTo(1.5, 12);
    expect(report.alerts.map((a) => [a.kind, a.window])).toEqual([['violated', 3], ['recovered', 5], ['violated', 7], ['recovered', 8]]);
    expect(alerts).toEqual(report.alerts);
    expect(report.alerts[0]).toMatchObject({ slo: 'latency.p99 < 5ms @ 80%', value: 10, threshold: 5, time: 4000 });
  });

  it('holds when violations stay within the budget', () => {
    const s = slowWindows('latency.p99 < 5ms @ 70%').report.slos[0]!;
    expect(s.holds).toBe(true);
    expect(s.burnRate).toBeCloseTo(1, 12);
  });

  it('skips windows where the metric has no value', () => {
    const s = slowWindows('accuracy >= 0.9').report.slos[0]!;
    expect(s).toMatchObject({ evaluated: 0, compliance: null, holds: true, burnRate: 0 });
  });
});
