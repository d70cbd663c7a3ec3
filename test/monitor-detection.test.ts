// Detection on synthetic streams with a known change point (see
// helpers/change-point-stream.ts): for each SLO, no alert before the change
// and a violation alert within DETECTION_WINDOWS windows after it; and none
// at all on a stream that does not change. The measured delays and false
// alarms are the figures in README.md ("Monitoring a deployed model").

import { describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { Monitor } from '../src/monitor/monitor.js';
import { playChangePointStream, STREAM } from './helpers/change-point-stream.js';

const SLOS = ['drift.psi.max < 0.2', 'drift.prediction.psi < 0.2', 'accuracy >= 0.8', 'latency.p99 < 5ms'];
/** An alert must come from the window the change starts in, or the next one. */
const DETECTION_WINDOWS = 2;
const WINDOWS = 30, CHANGE_AT = 15, SEEDS = [1, 2, 3, 4, 5];

async function monitor() {
  const runtime = await init();
  return new Monitor({
    windowMs: STREAM.windowMs, classes: STREAM.classes, runtime, features: { count: STREAM.features }, reference: 5, slos: SLOS, labelGraceMs: 2000,
  });
}

describe('Monitor change-point detection', () => {
  it.each(SEEDS)('seed %i: every SLO alerts within 2 windows of the change and never before', async (seed) => {
    const m = await monitor();
    playChangePointStream(m, WINDOWS, CHANGE_AT, seed);
    const r = m.flush();
    expect(r.windows).toHaveLength(WINDOWS);
    const delays: Record<string, number> = {};
    for (const slo of SLOS) {
      const alerts = r.alerts.filter((a) => a.slo === slo);
      expect(alerts.filter((a) => a.window < CHANGE_AT), `${slo}: false alarms`).toEqual([]);
      const first = alerts.find((a) => a.kind === 'violated');
      expect(first, `${slo}: no alert`).toBeDefined();
      delays[slo] = first!.window - CHANGE_AT;
      expect(delays[slo]).toBeLessThan(DETECTION_WINDOWS);
      const result = r.slos.find((s) => s.slo === slo)!;
      expect(result.holds).toBe(false);
      expect(result.violatingWindows[0]).toBe(first!.window);
    }
    console.log(`seed ${seed}: detection delay in windows ${JSON.stringify(delays)}`);
  });

  it('raises no alert on 60 windows without a change', async () => {
    const m = await monitor();
    playChangePointStream(m, 60, Infinity, 99);
    const r = m.flush();
    expect(r.alerts).toEqual([]);
    expect(r.slos.every((s) => s.holds && s.violating === 0)).toBe(true);
    // Reference windows carry no drift; the other 55 are scored.
    expect(r.slos.find((s) => s.metric === 'drift.psi.max')!.evaluated).toBe(55);
  });
});
