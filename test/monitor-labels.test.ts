// Natural labels as production delivers them: late, out of order, twice, or
// never; and the bounded map of predictions awaiting a label.

import { describe, expect, it } from 'vitest';
import { Monitor } from '../src/monitor/monitor.js';

const WINDOW = 1000;

describe('Monitor labels', () => {
  it('scores late and out-of-order labels against their prediction\'s window, with the feedback loop length', () => {
    const m = new Monitor({ windowMs: WINDOW, classes: 3 });
    for (let i = 0; i < 4; i++) m.recordPrediction({ id: i, time: 100 + i * 100, output: i % 3, latencyMs: 1 });
    // Labels in reverse order, 1.2 s to 1.5 s after: late, but within the default grace of one window.
    m.recordLabel({ id: 3, time: 1600, label: 0 }); // predicted 0: right
    m.recordLabel({ id: 2, time: 1650, label: 2 }); // right
    m.recordLabel({ id: 1, time: 1700, label: 0 }); // predicted 1: wrong
    const [w] = m.flush().windows;
    expect(w!.index).toBe(0);
    expect(w!.labels.labelled).toBe(3);
    expect(w!.labels.accuracy).toBeCloseTo(2 / 3, 12);
    expect(w!.labels.coverage).toBe(3 / 4); // id 0 never labelled
    expect(w!.labels.feedbackMs!.max).toBeCloseTo(1500, 0);
    expect(w!.labels.feedbackMs!.p50).toBeGreaterThan(1290);
  });

  it('ignores and counts a duplicate label, so the second cannot change accuracy', () => {
    const m = new Monitor({ windowMs: WINDOW, classes: 2 });
    m.recordPrediction({ id: 'a', time: 10, output: 1 });
    m.recordLabel({ id: 'a', time: 20, label: 1 });
    m.recordLabel({ id: 'a', time: 30, label: 0 });
    const r = m.flush();
    expect(r.windows[0]!.labels.accuracy).toBe(1);
    expect(r.counts.duplicateLabels).toBe(1);
    expect(r.counts.labels).toBe(2);
  });

  it('closes a window after the grace; a label after that is counted late, never scored', () => {
    const m = new Monitor({ windowMs: WINDOW, classes: 2, labelGraceMs: 500 });
    m.recordPrediction({ id: 1, time: 100, output: 0 });
    m.recordPrediction({ id: 2, time: 1600, output: 0 }); // 1600 >= 1000 + 500: window 0 closes
    expect(m.report().windows.map((w) => w.index)).toEqual([0]);
    expect(m.pendingCount).toBe(1); // id 1 stopped waiting when its window closed
    m.recordLabel({ id: 1, time: 1700, label: 0 });
    const r = m.flush();
    expect(r.windows[0]!.labels.labelled).toBe(0);
    expect(r.windows[0]!.labels.coverage).toBe(0);
    expect(r.windows[0]!.labels.accuracy).toBeNull();
    expect(r.counts.unmatchedLabels).toBe(1);
    // A prediction for the closed window is late: ignored and counted.
    m.recordPrediction({ id: 3, time: 200, output: 0 });
    expect(m.report().counts.latePredictions).toBe(1);
  });

  it('counts a label for no known prediction as unmatched', () => {
    const m = new Monitor({ windowMs: WINDOW, classes: 2 });
    m.recordLabel({ id: 'nobody', time: 5, label: 1 });
    expect(m.flush().counts.unmatchedLabels).toBe(1);
  });

  it('keeps at most maxPending predictions waiting; the evicted ones count as never labelled', () => {
    const m = new Monitor({ windowMs: 1e9, classes: 2, maxPending: 3 });
    for (let i = 0; i < 5; i++) m.recordPrediction({ id: i, time: i, output: 1 });
    expect(m.pendingCount).toBe(3);
    // 0 and 1 were evicted (oldest first): their labels match nothing.
    for (let i = 0; i < 5; i++) m.recordLabel({ id: i, time: 10 + i, label: 1 });
    const r = m.flush();
    expect(r.counts.evictedPending).toBe(2);
    expect(r.counts.unmatchedLabels).toBe(2);
    expect(r.windows[0]!.labels.labelled).toBe(3);
    expect(r.windows[0]!.labels.coverage).toBe(3 / 5);
  });

  it('scores log loss from probabilities and excludes failed requests from coverage', () => {
    const m = new Monitor({ windowMs: WINDOW, classes: 2 });
    m.recordPrediction({ id: 1, time: 1, output: [0.2, 0.8], latencyMs: 2 });
    m.recordPrediction({ id: 2, time: 2, error: true, latencyMs: 50 });
    m.recordLabel({ id: 1, time: 3, label: 1 });
    const [w] = m.flush().windows;
    expect(w!.labels.logLoss).toBeCloseTo(-Math.log(0.8), 12);
    expect(w!.errorRate).toBe(0.5);
    expect(w!.labels.coverage).toBe(1);
    expect(w!.latencyMs!.max).toBe(50);
  });

  it('ignores and counts a second prediction with an id still waiting for its label', () => {
    const m = new Monitor({ windowMs: WINDOW, classes: 2 });
    m.recordPrediction({ id: 1, time: 1, output: 0 });
    m.recordPrediction({ id: 1, time: 2, output: 1 });
    const r = m.flush();
    expect(r.counts.duplicatePredictions).toBe(1);
    expect(r.windows[0]!.predictions).toBe(1);
  });
});
