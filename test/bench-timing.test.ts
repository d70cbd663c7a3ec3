// timeCall and timeCalls, the one timer of every benchmark: warm-up first, then
// median and fastest call; compared calls timed in turns.
import { describe, expect, it } from 'vitest';
import { timeCall, timeCalls } from '../src/bench/timing.js';
import { ArgumentError, NonFiniteError } from '../src/index.js';

/** Busy-waits `ms` milliseconds. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('timeCall', () => {
  it('reports the median and the fastest call, from at least five samples', async () => {
    const t = await timeCall(() => spin(0.3), { timeMs: 30, warmupMs: 5 });
    expect(t.samples).toBeGreaterThanOrEqual(5);
    expect(t.minMs).toBeGreaterThanOrEqual(0.29);
    expect(t.medianMs).toBeGreaterThanOrEqual(t.minMs);
    expect(t.medianMs).toBeLessThan(3);
  });

  it('warms up until the call stops getting faster, so slow first calls (baseline code) stay out of the figures', async () => {
    // The first 20 calls (40 ms) are 10x slower, as a wasm function is before V8 tiers it up; the warm-up outlasts them.
    let calls = 0;
    const t = await timeCall(() => spin(calls++ < 20 ? 2 : 0.2), { timeMs: 30, warmupMs: 60 });
    expect(calls).toBeGreaterThan(20);
    expect(t.medianMs).toBeLessThan(1);
    expect(t.minMs).toBeGreaterThanOrEqual(0.19);
  });

  it('batches calls shorter than the timer can see, and reports time per call', async () => {
    const t = await timeCall(() => 0, { timeMs: 20, warmupMs: 5 });
    expect(t.batch).toBeGreaterThan(1);
    expect(t.medianMs).toBeLessThan(0.01);
  });

  it('awaits a call that returns a promise (an async peer such as onnxruntime-web), timing it to its settlement', async () => {
    // Each call resolves after a 0.3 ms busy wait in a later task, so only awaiting it sees the time.
    const later = () => new Promise<Float32Array>((resolve) => setImmediate(() => (spin(0.3), resolve(Float32Array.of(1)))));
    const t = await timeCall(later, { timeMs: 30, warmupMs: 5 });
    expect(t.minMs).toBeGreaterThanOrEqual(0.29);
    expect(t.medianMs).toBeLessThan(5);
    await expect(timeCall(async () => [NaN], { timeMs: 10, warmupMs: 1 })).rejects.toBeInstanceOf(NonFiniteError);
  });

  it('refuses a budget that is not a positive number of milliseconds, naming it', async () => {
    await expect(timeCall(() => 0, { timeMs: 0 })).rejects.toMatchObject({ name: 'ArgumentError', field: 'timeMs' });
    await expect(timeCall(() => 0, { timeMs: 10, warmupMs: -1 })).rejects.toBeInstanceOf(ArgumentError);
  });

  it('says so when a timed result is NaN', async () => {
    await expect(timeCall(() => [NaN], { timeMs: 10, warmupMs: 1 })).rejects.toBeInstanceOf(NonFiniteError);
  });
});

describe('timeCalls', () => {
  it('times compared calls in turns, so a machine that slows down moves both alike and their ratio holds', async () => {
    // The "machine" slows steadily (each call costs more the later it runs), as a shared host can within seconds.
    // Timed one after the other, the second call would take the slower half and read about 3x the first, not 2x.
    const start = performance.now();
    const slowdown = () => 1 + (performance.now() - start) / 400;
    const order: string[] = [];
    const [a, b] = await timeCalls([() => (order.push('a'), spin(0.1 * slowdown())), () => (order.push('b'), spin(0.2 * slowdown()))], { timeMs: 300, warmupMs: 5 });
    expect(b!.medianMs / a!.medianMs).toBeGreaterThan(1.6);
    expect(b!.medianMs / a!.medianMs).toBeLessThan(2.5);
    const turns = order.filter((x, i) => i > 0 && x !== order[i - 1]).length;
    expect(turns).toBeGreaterThanOrEqual(2 * 15 - 1);
    expect(a!.samples).toBeGreaterThanOrEqual(15 * 5);
  });

  it('gives one call the whole budget in one turn, as timeCall does', async () => {
    const [t] = await timeCalls([() => spin(0.2)], { timeMs: 30, warmupMs: 5 });
    expect(t!.samples).toBeGreaterThanOrEqual(5);
    expect(t!.minMs).toBeGreaterThanOrEqual(0.19);
  });

  it('refuses a budget that is not a positive number of milliseconds before calling anything', async () => {
    let called = false;
    await expect(timeCalls([() => (called = true)], { timeMs: -5 })).rejects.toMatchObject({ name: 'ArgumentError', field: 'timeMs' });
    expect(called).toBe(false);
  });
});
