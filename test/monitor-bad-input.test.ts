// Bad input to the Monitor: a typed ArgumentError naming the field, and
// nothing recorded (the windows, counts and pending map are as before).

import { describe, expect, it } from 'vitest';
import { ArgumentError, init } from '../src/index.js';
import { Monitor } from '../src/monitor/monitor.js';

async function monitor() {
  const m = new Monitor({ windowMs: 1000, classes: 3, runtime: await init(), features: { count: 4 } });
  m.recordPrediction({ id: 'ok', time: 5, output: 1, latencyMs: 1, features: [0.1, 0.2, 0.3, 0.4] });
  return m;
}

describe('Monitor bad input', () => {
  it.each([
    [{ id: null, time: 1, output: 0 }, /prediction id must be a string or a finite number, got null/],
    [{ id: 1, time: NaN, output: 0 }, /prediction time must be a finite number of milliseconds, got NaN/],
    [{ id: 1, time: 1, output: 3 }, /prediction output must be a class from 0 to 2, got 3/],
    [{ id: 1, time: 1, output: [0.5, 0.5] }, /prediction output must be a class from 0 to 2 or 3 probabilities, got \[0.5,0.5\]/],
    [{ id: 1, time: 1, output: [0.5, 1.5, 0] }, /prediction output\[1\] must be a probability from 0 to 1, got 1.5/],
    [{ id: 1, time: 1, output: 0, latencyMs: -1 }, /prediction latencyMs must be a finite number >= 0, got -1/],
    [{ id: 1, time: 1, output: 0, features: [0, 0, 0] }, /prediction features must have 4 values, got 3/],
    [{ id: 1, time: 1, output: 0, features: [0, NaN, 0, 0] }, /prediction features\[1\] must be a finite float32, got NaN/],
    [{ id: 1, time: 1e6, output: 0, features: [0, 0, 0, 1e39] }, /prediction features\[3\] must be a finite float32, got 1e\+39/],
    [{ id: 1, time: 1, output: 0, features: 'pixels' }, /prediction features must be an array of numbers, got "pixels"/],
    [{ id: 1, time: 1, output: 0, error: 'yes' }, /prediction error must be true or false, got "yes"/],
  ])('recordPrediction(%j)', async (p, message) => {
    const m = await monitor();
    const before = JSON.stringify(m.report());
    expect(() => m.recordPrediction(p as never)).toThrow(ArgumentError);
    expect(() => m.recordPrediction(p as never)).toThrow(message);
    expect(JSON.stringify(m.report())).toBe(before);
    expect(m.pendingCount).toBe(1);
    // The window of the refused prediction at 1e6 was never opened: the stream carries on.
    expect(m.flush().windows.map((w) => [w.index, w.predictions])).toEqual([[0, 1]]);
  });

  it.each([
    [{ id: 'ok', time: 6, label: 3 }, /label must be a class from 0 to 2, got 3/],
    [{ id: 'ok', time: 6, label: 1.5 }, /label must be a class from 0 to 2, got 1.5/],
    [{ id: 'ok', time: '6', label: 1 }, /label time must be a finite number of milliseconds, got "6"/],
    [undefined, /recordLabel: expected an object \{ id, time, label \}, got undefined/],
  ])('recordLabel(%j)', async (l, message) => {
    const m = await monitor();
    expect(() => m.recordLabel(l as never)).toThrow(message);
    expect(m.pendingCount).toBe(1);
    expect(m.report().counts.labels).toBe(0);
  });

  it.each([
    [{ windowMs: 0, classes: 2 }, /Monitor: windowMs must be a finite number > 0, got 0/],
    [{ windowMs: 10, classes: 0 }, /Monitor: classes must be an integer >= 1, got 0/],
    [{ windowMs: 10, classes: 2, window: 5 }, /Monitor: unknown option "window"; known options: windowMs/],
    [{ windowMs: 10, classes: 2, features: { count: 4 } }, /Monitor with features needs a Runtime from init\(\), got undefined/],
    [{ windowMs: 10, classes: 2, slos: ['accuracy > 2 @ 0%'] }, /target must be above 0%/],
    [{ windowMs: 10, classes: 2, reference: { format: 'x' } }, /reference profile: expected format "wasmgrad.monitor-reference\/1", got "x"/],
    [{ windowMs: 10, classes: 2, reference: { format: 'wasmgrad.monitor-reference/1', predictions: [1], labels: [1, 1], features: null } }, /reference profile: predictions must be 2 counts \(one per class\)/],
  ])('new Monitor(%j)', (options, message) => {
    expect(() => new Monitor(options as never)).toThrow(ArgumentError);
    expect(() => new Monitor(options as never)).toThrow(message);
  });
});
