// The drift reference: the first N windows, or a saved profile that scores a
// later stream exactly as the first monitor scored it.

import { describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { Monitor } from '../src/monitor/monitor.js';
import { rng } from './helpers/rng.js';

function play(m: Monitor, windows: number, seed: number) {
  const next = rng(seed);
  for (let i = 0; i < windows * 200; i++) {
    const time = i * 5;
    const shift = Math.floor(time / 1000) >= 3 ? 0.3 : 0;
    m.recordPrediction({ id: `${seed}-${i}`, time, output: Math.floor(next() * 4), features: [next(), Math.min(0.99, next() * 0.5 + shift)] });
  }
  return m.flush();
}

describe('Monitor drift reference', () => {
  it('uses the first N windows and scores the later ones; a saved profile scores them the same', async () => {
    const runtime = await init();
    const options = { windowMs: 1000, classes: 4, runtime, features: { count: 2, bins: 8 } };
    const first = new Monitor({ ...options, reference: 2 });
    expect(first.reference()).toBeNull(); // not until its windows have closed
    const a = play(first, 5, 1);
    expect(a.windows.map((w) => w.drift === null)).toEqual([true, true, false, false, false]);
    expect(a.windows[2]!.drift!.features!.psiMax).toBeLessThan(0.1);
    expect(a.windows[3]!.drift!.features!.psiMaxFeature).toBe(1);
    expect(a.windows[3]!.drift!.features!.psiMax).toBeGreaterThan(0.5);
    const profile = first.reference()!;
    expect(profile.features!.counts.reduce((s, c) => s + c, 0)).toBe(2 * 400); // 2 features x 400 rows
    // A new monitor with the saved profile (as JSON, as a file holds it) scores from its first window.
    const second = new Monitor({ ...options, reference: JSON.parse(JSON.stringify(profile)) });
    const b = play(second, 5, 1);
    expect(b.windows.map((w) => w.drift?.features?.psi)).toEqual(a.windows.map((w, i) => (i < 2 ? b.windows[i]!.drift!.features!.psi : w.drift!.features!.psi)));
    expect(b.windows[0]!.drift).not.toBeNull();
  });

  it('returns every feature histogram buffer to WASM memory when windows close', async () => {
    const runtime = await init();
    const live = runtime.arena.live();
    play(new Monitor({ windowMs: 1000, classes: 4, runtime, features: { count: 2 } }), 4, 2);
    expect(runtime.arena.live()).toBe(live);
  });
});
