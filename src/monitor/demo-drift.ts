// `wasmgrad monitor --demo drift`: a model trained with wasmgrad on
// Fashion-MNIST serves a stream of test images, one second per window,
// labels coming back 3 s late for 70% of predictions. Two shifts are injected
// at known windows: a brightness and contrast change (washed-out images), then
// a change of class mix (mostly tops: T-shirt, pullover, coat, shirt). The
// monitor should flag input drift and falling accuracy at the first, and
// prediction and label drift at the second.

import { loadMnist } from '../data/mnist-files.js';
import { mlp } from '../nn/layers.js';
import { Random } from '../nn/random.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../optim/adam.js';
import type { Runtime } from '../runtime.js';
import { fit } from '../train/fit.js';
import { Monitor, type MonitorReport } from './monitor.js';

export const DRIFT_DEMO = {
  windows: 30,
  perWindow: 500,
  windowMs: 1000,
  labelDelayMs: 3000,
  labelledShare: 0.7,
  referenceWindows: 5,
  /** From this window on, pixels x become 0.35 + 0.5 x (brighter, half the contrast). */
  brightnessAt: 12,
  /** From this window on, pixels are as trained but 80% of images are tops (classes 0, 2, 4, 6). */
  classMixAt: 20,
  bins: 10,
  slos: ['drift.psi.max < 0.3', 'drift.prediction.psi < 0.2', 'drift.label.psi < 0.2', 'accuracy >= 0.75'],
};

const TOPS = [0, 2, 4, 6];

export interface DriftDemo {
  report: MonitorReport;
  /** Test accuracy of the trained model on the unshifted test set. */
  testAccuracy: number;
  dataDir: string;
}

export function runDriftDemo(rt: Runtime, dataDir?: string, seed = 1): DriftDemo {
  const data = loadMnist(dataDir);
  const features = data.train.rows * data.train.cols;
  const model = new Sequential(rt, mlp([features, 100, 10], 'relu'), { seed });
  const [epoch] = fit(model, new Adam({ lr: 1e-3 }), data.train, data.test, { epochs: 1, batchSize: 64, seed });
  const d = DRIFT_DEMO;
  const monitor = new Monitor({
    windowMs: d.windowMs, classes: 10, runtime: rt, features: { count: features, bins: d.bins, range: [0, 1] },
    reference: d.referenceWindows, slos: d.slos, labelGraceMs: d.labelDelayMs + d.windowMs,
  });
  const rng = new Random(seed);
  const byClass = Array.from({ length: 10 }, () => [] as number[]);
  for (let i = 0; i < data.test.count; i++) byClass[data.test.labels[i]!]!.push(i);
  const x = new Float32Array(features);
  for (let i = 0; i < 100; i++) model.predict(x); // warm-up, so the first window's latency is not the compiler's
  const labels: { id: number; time: number; label: number }[] = [];
  for (let i = 0; i < d.windows * d.perWindow; i++) {
    const time = (i * d.windowMs) / d.perWindow;
    const window = Math.floor(time / d.windowMs);
    while (labels.length > 0 && labels[0]!.time <= time) monitor.recordLabel(labels.shift()!);
    const tops = window >= d.classMixAt && rng.uniform(0, 1) < 0.8;
    const pool = tops ? byClass[TOPS[Math.floor(rng.uniform(0, TOPS.length))]!]! : null;
    const image = pool ? pool[Math.floor(rng.uniform(0, pool.length))]! : Math.floor(rng.uniform(0, data.test.count));
    const washed = window >= d.brightnessAt && window < d.classMixAt;
    for (let p = 0; p < features; p++) {
      const v = data.test.images[image * features + p]! / 255;
      x[p] = washed ? 0.35 + 0.5 * v : v;
    }
    const start = performance.now();
    const logits = model.predict(x);
    const latencyMs = performance.now() - start;
    monitor.recordPrediction({ id: i, time, output: softmax(logits), latencyMs, features: x });
    if (rng.uniform(0, 1) < d.labelledShare) labels.push({ id: i, time: time + d.labelDelayMs, label: data.test.labels[image]! });
  }
  for (const l of labels) monitor.recordLabel(l);
  const report = monitor.flush();
  return { report, testAccuracy: epoch!.testAccuracy, dataDir: data.dir };
}

function softmax(logits: Float32Array): Float64Array {
  const max = Math.max(...logits);
  const e = Float64Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
