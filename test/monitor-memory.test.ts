// The monitor's memory does not grow with the stream: 10 million events
// (5 million predictions, 5 million labels, a tenth of them for predictions
// that never get one) in a few seconds, with the live heap (after a full
// collection) growing by less than 8 MB after the first half million events.

import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Monitor } from '../src/monitor/monitor.js';

const PREDICTIONS = 5_000_000;
const MAX_HEAP_GROWTH = 8 * 1024 * 1024;

/** The heap still in use after a full garbage collection. */
function liveHeap(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe('Monitor memory', () => {
  it('stays bounded over 10 million events', () => {
    const m = new Monitor({ windowMs: 10_000, classes: 10, maxPending: 1000, slos: ['latency.p99 < 5ms', 'accuracy >= 0.5'] });
    let baseline = 0;
    const started = performance.now();
    for (let i = 0; i < PREDICTIONS; i++) {
      m.recordPrediction({ id: i, time: i, output: i % 10, latencyMs: (i % 100) / 50 });
      // Labels arrive 50 predictions late; every tenth one never arrives (its id is unknown).
      m.recordLabel({ id: i % 10 === 0 ? -1 : i - 50, time: i, label: (i + 10 - 50 % 10) % 10 });
      if (i === 250_000) baseline = liveHeap();
    }
    const r = m.flush();
    const seconds = (performance.now() - started) / 1000;
    const growth = liveHeap() - baseline;
    expect(growth).toBeLessThan(MAX_HEAP_GROWTH);
    expect(m.pendingCount).toBe(0);
    expect(r.windows).toHaveLength(PREDICTIONS / 10_000);
    expect(r.counts.predictions).toBe(PREDICTIONS);
    expect(r.counts.labels).toBe(PREDICTIONS);
    expect(r.counts.unmatchedLabels).toBe(PREDICTIONS / 10 + 45); // the never-arriving ones and 45 ids below 0
    expect(r.windows[1]!.labels.accuracy).toBe(1);
    expect(seconds).toBeLessThan(20);
    console.log(`10M events in ${seconds.toFixed(1)} s, heap growth ${(growth / 1e6).toFixed(1)} MB`);
  }, 60_000);
});
