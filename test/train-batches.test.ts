// The training core over many batches: batch sizes that change between steps,
// what predict and in-place activations allocate, memory that stays flat over
// a long training loop, evaluate over a dataset with a partial last batch, and
// training that actually learns. Gradients and losses are checked against a
// float64 reference (forward from test/helpers/reference-mlp.ts, backward by
// the chain rule below), on every build.
//
// Tolerance against float64: |actual - expected| <= 1e-6 + 1e-4 |expected|.
// wasmgrad sums up to 100 rows x 10 features of float32 products, each rounded
// to ~6e-8 relative, of values of order 1: a few 1e-7 absolute at worst.

import { describe, expect, it } from 'vitest';
import {
  Adam,
  GELU,
  init,
  Linear,
  ReLU,
  Sequential,
  SGD,
  Sigmoid,
  Tanh,
  type ArenaEvent,
  type BuildName,
  type LayerSpec,
  type LossKind,
  type NamedParameter,
  type Runtime,
} from '../src/index.js';
import { expectClose } from './helpers/expect-close.js';
import { activationFunction, linearForward, mse, softmaxCrossEntropy } from './helpers/reference-mlp.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

const BUILDS: BuildName[] = ['simd', 'relaxed', 'scalar'];
const TOL = { atol: 1e-6, rtol: 1e-4 };

type Params = Record<string, Float64Array>;

// ---- float64 reference: forward, loss, backward ----

function params64(m: Sequential): Params {
  return Object.fromEntries(m.parameters().map((p) => [p.name, Float64Array.from(p.data)]));
}

/** d f / d x of the activations this file uses. */
function derivative(kind: string): (x: number) => number {
  if (kind === 'relu') return (x) => (x > 0 ? 1 : 0);
  if (kind === 'tanh') return (x) => 1 - Math.tanh(x) ** 2;
  throw new Error(`derivative: this file's reference has no ${kind}`);
}

interface Reference {
  output: Float64Array;
  loss: number;
  grads: Params;
}

/** Loss and every parameter gradient of a Sequential's layer list, in float64. */
function reference(layers: readonly LayerSpec[], loss: LossKind, params: Params, x: ArrayLike<number>, batch: number, target: ArrayLike<number>): Reference {
  // Forward, keeping each layer's input.
  const inputs: Float64Array[] = [];
  let cur: Float64Array = Float64Array.from(x);
  layers.forEach((l, i) => {
    inputs.push(cur);
    cur =
      l.type === 'linear'
        ? linearForward(cur, params[`${i}.weight`]!, l.bias ? params[`${i}.bias`]! : null, { batch, inFeatures: l.inFeatures, outFeatures: l.outFeatures })
        : cur.map(activationFunction(l.kind, l.slope));
  });
  const output = cur;
  const classes = output.length / batch;

  // d loss / d output: (softmax - onehot) / batch, or 2 (prediction - target) / n.
  let grad = new Float64Array(output.length);
  if (loss === 'cross_entropy') {
    for (let b = 0; b < batch; b++) {
      const row = output.subarray(b * classes, (b + 1) * classes);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      for (let c = 0; c < classes; c++) grad[b * classes + c] = (Math.exp(row[c]! - max) / sum - (c === target[b] ? 1 : 0)) / batch;
    }
  } else {
    for (let i = 0; i < output.length; i++) grad[i] = (2 * (output[i]! - target[i]!)) / output.length;
  }

  const grads: Params = {};
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    const input = inputs[i]!;
    if (l.type === 'activation') {
      const d = derivative(l.kind);
      grad = grad.map((g, k) => g * d(input[k]!));
      continue;
    }
    const { inFeatures: K, outFeatures: O } = l;
    const w = params[`${i}.weight`]!;
    const dW = new Float64Array(O * K), dX = new Float64Array(batch * K), db = new Float64Array(O);
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < O; o++) {
        const g = grad[b * O + o]!;
        db[o] += g;
        for (let k = 0; k < K; k++) {
          dW[o * K + k] += g * input[b * K + k]!;
          dX[b * K + k] += g * w[o * K + k]!;
        }
      }
    }
    grads[`${i}.weight`] = dW;
    if (l.bias) grads[`${i}.bias`] = db;
    grad = dX;
  }
  const value = loss === 'cross_entropy' ? softmaxCrossEntropy(output, target, classes) : mse(output, target);
  return { output, loss: value, grads };
}

// ---- data ----

interface Dataset {
  x: Float32Array;
  target: Int32Array | Float32Array;
  rows: number;
}

function dataset(rows: number, inFeatures: number, outFeatures: number, loss: LossKind, seed: number): Dataset {
  const next = rng(seed);
  const x = randomArray(rows * inFeatures, next);
  const target = loss === 'cross_entropy' ? Int32Array.from({ length: rows }, () => Math.floor(next() * outFeatures)) : randomArray(rows * outFeatures, next);
  return { x, target, rows };
}

/** Rows [start, end) of a dataset. */
function rowsOf(d: Dataset, start: number, end: number): Dataset {
  const inF = d.x.length / d.rows, perRow = d.target.length / d.rows;
  return { x: d.x.subarray(start * inF, end * inF), target: d.target.subarray(start * perRow, end * perRow), rows: end - start };
}

function bits(params: NamedParameter[]): number[][] {
  return params.map((p) => Array.from(new Uint32Array(p.data.buffer)));
}

// 6 -> 10 -> 8 -> 3 (or 2 for MSE): ReLU and Tanh, odd widths.
function net(loss: LossKind): LayerSpec[] {
  return [Linear(6, 10), ReLU(), Linear(10, 8, { bias: false }), Tanh(), Linear(8, loss === 'cross_entropy' ? 3 : 2)];
}

describe.each(BUILDS)('%s build', (build) => {
  let rt: Runtime;
  const runtime = async () => (rt ??= await init({ build }));

  it.each(['cross_entropy', 'mse'] as LossKind[])('batch sizes 64, 64, 17, 1, 100 in turn: each step matches float64 (%s)', async (loss) => {
    const layers = net(loss);
    const m = new Sequential(await runtime(), layers, { seed: 11, loss });
    const lr = 0.05;
    const opt = new SGD({ lr });
    const data = dataset(64 + 64 + 17 + 1 + 100, 6, m.outFeatures, loss, 5);
    let start = 0;
    for (const batch of [64, 64, 17, 1, 100]) {
      const b = rowsOf(data, start, start + batch);
      start += batch;
      const before = params64(m);
      const ref = reference(layers, loss, before, b.x, batch, b.target);
      const value = m.trainStep(b.x, b.target, opt);
      expectClose(value, ref.loss, { ...TOL, label: `batch ${batch}: loss` });
      for (const g of m.gradients()) expectClose(g.data, ref.grads[g.name]!, { ...TOL, label: `batch ${batch}: gradient of ${g.name}` });
      // Plain SGD: p <- p - lr g.
      for (const p of m.parameters()) {
        const expected = before[p.name]!.map((v, i) => v - lr * ref.grads[p.name]![i]!);
        expectClose(p.data, expected, { ...TOL, label: `batch ${batch}: ${p.name} after the step` });
      }
    }
    expect(m.steps).toBe(5);
    opt.dispose();
    m.dispose();
  });

  it('predict saves no activations, holds at most two layer outputs, and frees everything it allocates', async () => {
    const rt = await runtime();
    const layers = net('cross_entropy');
    const m = new Sequential(rt, layers, { seed: 2 });
    const batch = 50;
    const { x } = dataset(batch, 6, 3, 'cross_entropy', 9);
    const arena = rt.arena;
    expect(arena.live('activations')).toBe(0);

    // The first predict may grow the runtime's GEMM packing workspace (kept for later products); nothing else stays.
    const live0 = arena.liveByCategory(), scratch0 = rt.core.gemmScratchReserved();
    arena.resetPeak();
    m.predict(x);
    expect(arena.peak('activations')).toBe(0);
    const grown = rt.core.gemmScratchReserved() - scratch0;
    expect(arena.liveByCategory()).toEqual({ ...live0, workspace: live0.workspace + grown });

    // Once the workspace covers the shapes: exactly the staged batch as `inputs`,
    // and two adjacent layer outputs at most as `workspace`.
    const live1 = arena.liveByCategory();
    arena.resetPeak();
    const out = m.predict(x);
    expect(arena.liveByCategory()).toEqual(live1);
    expect(arena.peak('activations')).toBe(0);
    expect(arena.peak('gradients')).toBe(live1.gradients);
    expect(arena.peak('optimizer')).toBe(live1.optimizer);
    expect(arena.peak('inputs') - live1.inputs).toBe(batch * 6 * 4);
    const widths = [10, 10, 8, 8, 3];
    const twoOutputs = Math.max(...widths.map((w, i) => w + (i > 0 ? widths[i - 1]! : 0)));
    expect(arena.peak('workspace') - live1.workspace).toBe(batch * twoOutputs * 4);

    expectClose(out, reference(layers, 'cross_entropy', params64(m), x, batch, new Int32Array(batch)).output, { ...TOL, label: 'predict' });
    m.dispose();
  });

  it.each(['cross_entropy', 'mse'] as LossKind[])('inplace: true gives the same gradients and parameters bit for bit, with no higher peak (%s)', async (loss) => {
    const rt = await runtime();
    const out = loss === 'cross_entropy' ? 4 : 3;
    const layers = [Linear(10, 16), ReLU(), Linear(16, 16), Sigmoid(), Linear(16, 12), Tanh(), Linear(12, 12), GELU(), Linear(12, out)];
    const models = [false, true].map((inplace) => new Sequential(rt, layers, { seed: 4, loss, inplace }));
    const opts = models.map(() => new Adam({ lr: 0.01 }));
    const data = dataset(9 * 3, 10, out, loss, 21);
    // Warm both (gradients block, GEMM workspace) so step peaks compare like with like.
    for (const m of models) m.lossAndGradients(data.x.subarray(0, 90), data.target.subarray(0, data.target.length / 3));

    for (let step = 0; step < 3; step++) {
      const b = rowsOf(data, step * 9, step * 9 + 9);
      const peaks = models.map((m, k) => {
        const live = rt.arena.live();
        rt.arena.resetPeak();
        m.trainStep(b.x, b.target, opts[k]!);
        return rt.arena.peak() - live;
      });
      expect(peaks[1]).toBeLessThanOrEqual(peaks[0]!);
      expect(bits(models[1]!.gradients())).toEqual(bits(models[0]!.gradients()));
      expect(bits(models[1]!.parameters())).toEqual(bits(models[0]!.parameters()));
    }
    const [a, b] = models.map((m) => m.lossAndGradients(data.x.subarray(0, 90), data.target.subarray(0, data.target.length / 3), { inputGradient: true }));
    expect(b!.loss).toBe(a!.loss);
    expect(Array.from(b!.inputGradient!)).toEqual(Array.from(a!.inputGradient!));
    opts.forEach((o) => o.dispose());
    models.forEach((m) => m.dispose());
  });

  // In place, a ReLU does not hold its input and its output at once. That lowers
  // the forward peak; the step's peak is often set in backward instead, where
  // the next Linear's input gradient sits beside the saved ReLU output either way.
  it('inplace: true lowers the forward peak of a wide ReLU layer', async () => {
    const rt = await runtime();
    const batch = 8;
    const { x, target } = dataset(batch, 10, 4, 'cross_entropy', 29);
    const forwardPeaks = [false, true].map((inplace) => {
      const m = new Sequential(rt, [Linear(10, 64), ReLU(), Linear(64, 4)], { seed: 6, inplace });
      m.lossAndGradients(x, target); // the gradients block and GEMM workspace first
      const live = rt.arena.live();
      rt.arena.startLog();
      m.lossAndGradients(x, target);
      const events = rt.arena.stopLog();
      m.dispose();
      const total = (e: ArenaEvent) => Object.values(e.live).reduce((sum, v) => sum + v, 0);
      return Math.max(...events.filter((e) => e.phase === 'forward').map(total)) - live;
    });
    expect(forwardPeaks[1]).toBeLessThan(forwardPeaks[0]!);
  });

  it('10,000 Adam steps (8-16-4, batch 8, a partial last batch) end with the live bytes and memory size of step 1', async () => {
    const rt = await runtime();
    const m = new Sequential(rt, [Linear(8, 16), ReLU(), Linear(16, 4)], { seed: 8 });
    const opt = new Adam({ lr: 1e-3 });
    const data = dataset(61, 8, 4, 'cross_entropy', 13); // 7 batches of 8, then one of 5
    const batches: Dataset[] = [];
    for (let s = 0; s < data.rows; s += 8) batches.push(rowsOf(data, s, Math.min(data.rows, s + 8)));

    // One pass first, so the partial batch has run too before the reference point.
    batches.forEach((b) => m.trainStep(b.x, b.target, opt));
    const live = rt.arena.liveByCategory(), memory = rt.memory.buffer.byteLength;
    for (let step = batches.length; step < 10_000; step++) {
      const b = batches[step % batches.length]!;
      m.trainStep(b.x, b.target, opt);
    }
    expect(m.steps).toBe(10_000);
    expect(rt.arena.liveByCategory()).toEqual(live);
    expect(rt.memory.buffer.byteLength).toBe(memory);
    opt.dispose();
    m.dispose();
  });

  it('evaluate over 103 rows in batches of 1, 16, 103 and 500 equals the float64 loss and accuracy', async () => {
    const rt = await runtime();
    for (const loss of ['cross_entropy', 'mse'] as LossKind[]) {
      const layers = net(loss);
      const m = new Sequential(rt, layers, { seed: 17, loss });
      const data = dataset(103, 6, m.outFeatures, loss, 19);
      const ref = reference(layers, loss, params64(m), data.x, data.rows, data.target);
      let accuracy: number | null = null;
      if (loss === 'cross_entropy') {
        let correct = 0, closest = Infinity;
        for (let r = 0; r < data.rows; r++) {
          const row = Array.from(ref.output.subarray(r * 3, r * 3 + 3));
          const sorted = [...row].sort((p, q) => q - p);
          closest = Math.min(closest, sorted[0]! - sorted[1]!);
          if (row.indexOf(sorted[0]!) === data.target[r]) correct++;
        }
        // No near-tie between the top two logits (float32 logits are good to ~1e-7), so rounding cannot change an argmax.
        expect(closest).toBeGreaterThan(1e-5);
        accuracy = correct / data.rows;
      }
      const before = bits(m.parameters());
      for (const batchSize of [1, 16, 103, 500]) {
        const result = m.evaluate(data.x, data.target, { batchSize });
        expectClose(result.loss, ref.loss, { ...TOL, label: `${loss} loss, batches of ${batchSize}` });
        expect(result.accuracy).toBe(accuracy);
      }
      expect(bits(m.parameters())).toEqual(before);
      expect(m.steps).toBe(0);
      m.dispose();
    }
  });

  it('learns: three separable clusters (Adam, cross-entropy) and a linear map (SGD with momentum, MSE)', async () => {
    const rt = await runtime();
    const next = rng(23);
    const rows = 96;

    // Classes are three well-separated centres in 4-d, plus noise of 0.3.
    const centres = [[1, 1, 0, 0], [-1, 0, 1, 0], [0, -1, -1, 1]];
    const labels = Int32Array.from({ length: rows }, (_, r) => r % 3);
    const x = Float32Array.from({ length: rows * 4 }, (_, i) => centres[labels[Math.floor(i / 4)]!]![i % 4]! + 0.3 * (2 * next() - 1));
    const classifier = new Sequential(rt, [Linear(4, 16), ReLU(), Linear(16, 3)], { seed: 1 });
    const adam = new Adam({ lr: 0.01 });
    const start = classifier.evaluate(x, labels);
    for (let step = 0; step < 300; step++) {
      const s = (step * 16) % rows;
      classifier.trainStep(x.subarray(s * 4, (s + 16) * 4), labels.subarray(s, s + 16), adam);
    }
    const end = classifier.evaluate(x, labels);
    expect(start.loss).toBeGreaterThan(0.5);
    expect(end.loss).toBeLessThan(0.05 * start.loss);
    expect(end.accuracy).toBe(1);

    // Targets y = A x for a fixed 2 x 4 matrix A.
    const A = randomArray(8, next);
    const targets = Float32Array.from({ length: rows * 2 }, (_, i) => {
      const r = Math.floor(i / 2), o = i % 2;
      let y = 0;
      for (let k = 0; k < 4; k++) y += A[o * 4 + k]! * x[r * 4 + k]!;
      return y;
    });
    const regressor = new Sequential(rt, [Linear(4, 16), Tanh(), Linear(16, 2)], { seed: 2, loss: 'mse' });
    const sgd = new SGD({ lr: 0.05, momentum: 0.9 });
    const mseStart = regressor.evaluate(x, targets).loss;
    for (let step = 0; step < 300; step++) {
      const s = (step * 16) % rows;
      regressor.trainStep(x.subarray(s * 4, (s + 16) * 4), targets.subarray(s * 2, (s + 16) * 2), sgd);
    }
    expect(regressor.evaluate(x, targets).loss).toBeLessThan(0.02 * mseStart);

    [adam, sgd].forEach((o) => o.dispose());
    [classifier, regressor].forEach((m) => m.dispose());
  });
});
