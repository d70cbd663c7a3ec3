// A synthetic serving stream with a known change point, for the monitor's
// detection tests: 1,000 predictions a second (one window each), 16 input
// features in [0, 1), 10 classes, labels 1.5 s late for 80% of predictions.
// From `changeAt` (a window index) on: inputs 0.15 brighter, the class mix
// skewed to classes 0-2, accuracy from 90% down to 60%, p99 latency from
// about 2 ms to 8 ms (1% of requests slow before, 3% after).

import type { Monitor } from '../../src/monitor/monitor.js';
import { rng } from './rng.js';

export const STREAM = { windowMs: 1000, perWindow: 1000, features: 16, classes: 10, labelDelayMs: 1500 };

export function playChangePointStream(m: Monitor, windows: number, changeAt: number, seed: number): void {
  const next = rng(seed);
  const labels: { id: number; time: number; label: number }[] = [];
  const features = new Float32Array(STREAM.features);
  for (let i = 0; i < windows * STREAM.perWindow; i++) {
    const time = i * (STREAM.windowMs / STREAM.perWindow);
    const shifted = Math.floor(time / STREAM.windowMs) >= changeAt;
    while (labels.length > 0 && labels[0]!.time <= time) m.recordLabel(labels.shift()!);
    for (let f = 0; f < features.length; f++) features[f] = Math.min(0.999, 0.3 + 0.4 * next() + (shifted ? 0.15 : 0));
    const predicted = shifted && next() < 0.7 ? Math.floor(next() * 3) : Math.floor(next() * STREAM.classes);
    const latencyMs = next() < (shifted ? 0.03 : 0.01) ? (shifted ? 8 : 2) : 0.5 + 0.5 * next();
    m.recordPrediction({ id: i, time, output: predicted, latencyMs, features });
    if (next() < 0.8) {
      const right = next() < (shifted ? 0.6 : 0.9);
      labels.push({ id: i, time: time + STREAM.labelDelayMs, label: right ? predicted : (predicted + 1 + Math.floor(next() * 9)) % STREAM.classes });
    }
  }
  for (const l of labels) m.recordLabel(l);
}
