// Training-step throughput of the classic MNIST network (784-100-10, ReLU,
// softmax cross-entropy) at batch 64, with SGD and with Adam, next to
// TensorFlow.js's WASM backend training the identical network with the
// identical optimizer in the same process; and how much of wasmgrad's step
// is spent outside its five GEMMs.
//
// Fairness: both start from the same weights (tfjs gets W transposed, its
// layout) and train on the same fixed batch; tfjs keeps the batch resident
// as tensors while wasmgrad copies it into WASM memory every step (as a real
// training loop feeding new batches must); both return the loss to JS each
// step (wasmgrad's trainStep returns it, tfjs's cost is read with dataSync).
// Only tfjs-core ops are used (matMul, add, relu, losses.softmaxCrossEntropy,
// train.sgd / train.adam), the same computation tfjs-layers would run.
//
// Threads: wasmgrad's step is timed on the runtime's N threads and on one
// thread in the same run; its ratios to the one-thread peers use the
// one-thread rate (like for like), the rest of a row the N-thread one.

import { mlpGemmMacs, mlpGemmWorkspaceBytes } from '../estimate/mlp.js';
import { coreGemm, reserveGemmWorkspace } from '../gemm.js';
import { mlp } from '../nn/layers.js';
import { Random } from '../nn/random.js';
import { Sequential } from '../nn/sequential.js';
import { makeOptimizer } from '../optim/registry.js';
import type { Runtime } from '../runtime.js';
import { Tensor } from '../tensor.js';
import { ortWebTrainingInfo } from './ort-peer.js';
import { oneThreadRuntime } from './one-thread.js';
import type { TfjsWasmPeer } from './peers.js';
import { DEFAULT_WARMUP_MS, checkTimingOptions, timeCalls } from './timing.js';

export const TRAIN_OPTIMIZERS = ['sgd', 'adam'] as const;
export type TrainBenchOptimizer = (typeof TRAIN_OPTIMIZERS)[number];

/** Layer widths of the benchmarked network. */
export const TRAIN_BENCH_SIZES = [784, 100, 10] as const;
const LAYERS = mlp(TRAIN_BENCH_SIZES, 'relu');
const LR: Record<TrainBenchOptimizer, number> = { sgd: 0.01, adam: 1e-3 };

export interface TrainBenchOptions {
  batch?: number;
  /** Time per measurement, ms. */
  timeMs?: number;
  tfjs?: TfjsWasmPeer | false;
  /** A one-thread runtime of the same build, for the 'wasmgrad-1thread' rate. Default: init({ build, threads: 1 }) when the runtime runs more threads. */
  oneThread?: Runtime;
  /** Steps of the steady-state run (0: none). Default 5,000. */
  steadySteps?: number;
  onProgress?: (message: string) => void;
}

/**
 * A long run from a fresh model, on data where a quarter of the pixels go
 * dark after the first step (as an MNIST border does): their weights'
 * gradients are then exactly zero and the optimizer state decays toward the
 * subnormal range, which costs about 70x on Intel cores unless flushed.
 * Rates of the first and the last STEADY_BLOCK steps, wall time; the two
 * blocks are timed in turns (two models), so a host whose speed drifts moves
 * both alike.
 */
export interface SteadyState {
  steps: number;
  firstSamplesPerSecond: number;
  lastSamplesPerSecond: number;
  /** last / first: 1 means no slowdown. */
  ratio: number;
}

const STEADY_BLOCK = 500;
/** Turns each steady-state block is timed in. */
const STEADY_TURNS = 10;

export interface StepRate {
  samplesPerSecond: number;
  msPerStep: number;
}

export interface TrainBenchRow {
  optimizer: TrainBenchOptimizer;
  /** On the runtime's threads. */
  wasmgrad: StepRate;
  /** On one thread (with one thread: the same measurement as wasmgrad). */
  'wasmgrad-1thread': StepRate;
  /** wasmgrad samples/s over wasmgrad-1thread samples/s. */
  speedup: number;
  'tfjs-wasm': StepRate | null;
  /** wasmgrad-1thread samples/s over tfjs-wasm samples/s (both one thread). */
  ratio: number | null;
  /** The step's five GEMMs alone, same shapes, operands resident: ms per step. */
  gemmMsPerStep: number;
  /** Step time over GEMM time (target: at most 1.25). */
  stepOverGemm: number;
  /** Fraction of the step spent outside GEMM: 1 - gemm / step. */
  outsideGemm: number;
  /** GFLOP/s of the whole step, counting 2 FLOP per GEMM multiply-add. */
  gflops: number;
  /** First-step losses, a check that both trained the same network. */
  firstLoss: { wasmgrad: number; 'tfjs-wasm': number | null };
  steady: SteadyState | null;
}

/** What runTrainBench measured; src/report/bench-train-document.ts makes it the `bench train` document. */
export interface TrainBenchResult {
  network: string;
  /** Threads the wasmgrad rates ran on. */
  threads: number;
  /** Why the runtime runs on fewer threads than asked (null when it runs all of them). */
  threadsNote: string | null;
  batch: number;
  lr: { sgd: number; adam: number };
  gemmMacsPerStep: number;
  rows: TrainBenchRow[];
  /** onnxruntime-web trains nothing here: why (its package has no training API). */
  'ort-web': { available: false; reason: string };
}

/** One model of the steady-state run: its steps so far and the ms of those timed. */
interface SteadyRun {
  model: Sequential;
  opt: ReturnType<typeof makeOptimizer>;
  done: number;
  ms: number;
}

/**
 * Trains a model for `steps - STEADY_BLOCK` steps untimed, then times its
 * last STEADY_BLOCK steps in turns with the first STEADY_BLOCK of a fresh
 * model of the same seed. Each model's first step is on x, the rest on x
 * with its first quarter of pixels dark.
 */
function steadyState(rt: Runtime, name: TrainBenchOptimizer, x: Float32Array, labels: Int32Array, batch: number, steps: number): SteadyState {
  const inF = TRAIN_BENCH_SIZES[0];
  const dark = x.map((v, i) => (i % inF < inF / 4 ? 0 : v));
  const runs: SteadyRun[] = [];
  const trainer = () => {
    const run = { model: new Sequential(rt, LAYERS, { seed: 1 }), opt: makeOptimizer(name, LR[name]), done: 0, ms: 0 };
    runs.push(run);
    return run;
  };
  const advance = (run: SteadyRun, count: number) => {
    const t0 = performance.now();
    for (let s = 0; s < count; s++, run.done++) run.model.trainStep(run.done === 0 ? x : dark, labels, run.opt);
    run.ms += performance.now() - t0;
  };
  try {
    const late = trainer();
    advance(late, steps - STEADY_BLOCK);
    late.ms = 0;
    const fresh = trainer();
    for (let turn = 0; turn < STEADY_TURNS; turn++) {
      for (const run of [fresh, late]) advance(run, STEADY_BLOCK / STEADY_TURNS);
    }
    const first = (batch * STEADY_BLOCK * 1000) / fresh.ms, last = (batch * STEADY_BLOCK * 1000) / late.ms;
    return { steps, firstSamplesPerSecond: first, lastSamplesPerSecond: last, ratio: last / first };
  } finally {
    for (const run of runs) {
      run.opt.dispose();
      run.model.dispose();
    }
  }
}

export async function runTrainBench(rt: Runtime, options: TrainBenchOptions = {}): Promise<TrainBenchResult> {
  const batch = options.batch ?? 64;
  const timeMs = options.timeMs ?? 1500;
  checkTimingOptions({ timeMs });
  const progress = options.onProgress ?? (() => {});
  const rng = new Random(42);
  const [inF, , classes] = TRAIN_BENCH_SIZES;
  const x = Float32Array.from({ length: batch * inF }, () => rng.uniform(0, 1));
  const labels = Int32Array.from({ length: batch }, () => rng.nextUint32() % classes);
  const single = await oneThreadRuntime(rt, options.oneThread);

  const rows: TrainBenchRow[] = [];
  for (const name of TRAIN_OPTIMIZERS) {
    const { firstLoss, ms, ms1, tfFirst, tfMs, gemmMs } = await timeRow(rt, single, name, x, labels, batch, timeMs, options.tfjs, progress);
    const tfRate = tfMs === null ? null : { samplesPerSecond: (batch * 1000) / tfMs, msPerStep: tfMs };
    const steadySteps = options.steadySteps ?? 5000;
    let steady: SteadyState | null = null;
    if (steadySteps >= 2 * STEADY_BLOCK) {
      progress(`train: wasmgrad ${name}, ${steadySteps} steps`);
      steady = steadyState(rt, name, x, labels, batch, steadySteps);
    }
    const wasm = { samplesPerSecond: (batch * 1000) / ms, msPerStep: ms };
    const wasm1 = { samplesPerSecond: (batch * 1000) / ms1, msPerStep: ms1 };
    rows.push({
      steady,
      optimizer: name,
      wasmgrad: wasm,
      'wasmgrad-1thread': wasm1,
      speedup: wasm.samplesPerSecond / wasm1.samplesPerSecond,
      'tfjs-wasm': tfRate,
      ratio: tfRate ? wasm1.samplesPerSecond / tfRate.samplesPerSecond : null,
      gemmMsPerStep: gemmMs,
      stepOverGemm: ms / gemmMs,
      outsideGemm: 1 - gemmMs / ms,
      gflops: (2 * mlpGemmMacs(LAYERS, batch)) / (ms * 1e6),
      firstLoss: { wasmgrad: firstLoss, 'tfjs-wasm': tfFirst },
    });
  }
  return {
    network: `${TRAIN_BENCH_SIZES.join('-')} ReLU, softmax cross-entropy`,
    threads: rt.threads,
    threadsNote: rt.threadsNote ?? null,
    batch,
    lr: { ...LR },
    gemmMacsPerStep: mlpGemmMacs(LAYERS, batch),
    rows,
    'ort-web': await ortWebTrainingInfo(),
  };
}

/** Something timed in a row's turns: one call of `step` is one training step (or its GEMMs alone). */
interface Timed {
  step(): number;
  dispose(): void;
}

/**
 * The optimizer's row, timed in turns (timeCalls): a fresh model's first
 * step, then the median ms of its next steps, on the runtime, on one thread
 * (when the runtime runs more) and in tfjs-wasm from the same initial
 * weights; and the step's GEMMs alone on the runtime.
 */
async function timeRow(
  rt: Runtime, single: Runtime, name: TrainBenchOptimizer, x: Float32Array, labels: Int32Array, batch: number, timeMs: number,
  tfjs: TfjsWasmPeer | false | undefined, progress: (message: string) => void,
) {
  const timed = new Map<'threads' | 'one' | 'tfjs' | 'gemm', Timed>();
  try {
    const model = (on: Runtime): Timed & { model: Sequential } => {
      const m = new Sequential(on, LAYERS, { seed: 1 });
      const opt = makeOptimizer(name, LR[name]);
      return { model: m, step: () => m.trainStep(x, labels, opt), dispose: () => (opt.dispose(), m.dispose()) };
    };
    const first = model(rt);
    timed.set('threads', first);
    if (single !== rt) timed.set('one', model(single));
    if (tfjs && tfjs.tf && (await registerTfjsGradients())) timed.set('tfjs', tfjsTrainer(tfjs.tf as TfTraining, first.model.parameters(), x, labels, batch, name));
    const firstLoss = new Map([...timed].map(([key, t]) => [key, t.step()]));
    timed.set('gemm', gemmOnly(rt, batch));
    progress(`train: ${name}: wasmgrad on ${rt.threads} thread${rt.threads > 1 ? 's' : ''}${timed.has('one') ? ', on 1' : ''}${timed.has('tfjs') ? ', tfjs-wasm' : ''} and the GEMMs alone, in turns`);
    const timings = await timeCalls([...timed.values()].map((t) => () => void t.step()), { timeMs, warmupMs: Math.min(DEFAULT_WARMUP_MS, timeMs) });
    const ms = new Map([...timed.keys()].map((key, i) => [key, timings[i]!.medianMs]));
    return {
      firstLoss: firstLoss.get('threads')!, ms: ms.get('threads')!, ms1: ms.get('one') ?? ms.get('threads')!,
      tfFirst: firstLoss.get('tfjs') ?? null, tfMs: ms.get('tfjs') ?? null, gemmMs: ms.get('gemm')!,
    };
  } finally {
    for (const t of timed.values()) t.dispose();
  }
}

/** The five GEMMs of one step on resident operands, straight to the core. */
function gemmOnly(rt: Runtime, batch: number): Timed {
  const [i, h, o] = TRAIN_BENCH_SIZES;
  const operands: Tensor[] = [];
  const t = (n: number) => {
    const tensor = Tensor.empty(rt, [n], 'workspace', 'train bench operand');
    operands.push(tensor);
    return tensor;
  };
  const dispose = () => {
    for (const m of operands) m.free();
  };
  try {
    const x = t(batch * i), w1 = t(h * i), z1 = t(batch * h), w2 = t(o * h), z2 = t(batch * o), g1 = t(h * i), g2 = t(o * h), dh = t(batch * h);
    for (const m of [x, w1, w2, z2]) m.data.fill(0.01);
    // What a training step reserves, so no product allocates while timed.
    reserveGemmWorkspace(rt, mlpGemmWorkspaceBytes(LAYERS, batch, rt.build, rt.threads));
    const step = () => {
      coreGemm(rt, 0, 1, batch, h, i, 1, x.ptr, i, w1.ptr, i, 0, z1.ptr, h); // fc1 forward
      coreGemm(rt, 0, 1, batch, o, h, 1, z1.ptr, h, w2.ptr, h, 0, z2.ptr, o); // fc2 forward
      coreGemm(rt, 1, 0, o, h, batch, 1, z2.ptr, o, z1.ptr, h, 0, g2.ptr, h); // fc2 dW
      coreGemm(rt, 0, 0, batch, h, o, 1, z2.ptr, o, w2.ptr, h, 0, dh.ptr, h); // fc2 dX
      coreGemm(rt, 1, 0, h, i, batch, 1, dh.ptr, h, x.ptr, i, 0, g1.ptr, i); // fc1 dW
      return 0;
    };
    return { step, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/**
 * tfjs-core's Node bundle ships no gradient functions; the @tensorflow/tfjs
 * union package registers them in tfjs's global registry, which the core the
 * WASM backend runs on shares. False when that package is not installed.
 */
async function registerTfjsGradients(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs' as string);
    return true;
  } catch {
    return false;
  }
}

// The slice of tfjs-core used here, typed structurally (tfjs stays optional).
interface TfT {
  dataSync(): Float32Array | Int32Array;
  dispose(): void;
}
interface TfTraining {
  tensor2d(v: Float32Array, shape: [number, number]): TfT;
  tensor1d(v: Int32Array | Float32Array, dtype?: string): TfT;
  variable(t: TfT): TfT;
  oneHot(indices: TfT, depth: number): TfT;
  matMul(a: TfT, b: TfT): TfT;
  add(a: TfT, b: TfT): TfT;
  relu(a: TfT): TfT;
  losses: { softmaxCrossEntropy(onehot: TfT, logits: TfT): TfT };
  train: { sgd(lr: number): TfOptimizer; adam(lr: number, b1: number, b2: number, eps: number): TfOptimizer };
}
interface TfOptimizer {
  minimize(f: () => TfT, returnCost: true): TfT;
  dispose(): void;
}

function tfjsTrainer(
  tf: TfTraining,
  params: { name: string; shape: number[]; data: Float32Array }[],
  x: Float32Array,
  labels: Int32Array,
  batch: number,
  optimizer: TrainBenchOptimizer,
) {
  const [inF, hidden, classes] = TRAIN_BENCH_SIZES;
  const byName = new Map(params.map((p) => [p.name, p.data]));
  // PyTorch layout W[out][in] -> tfjs's [in][out].
  const transpose = (w: Float32Array, out: number, inn: number) => {
    const t = new Float32Array(w.length);
    for (let r = 0; r < out; r++) for (let c = 0; c < inn; c++) t[c * out + r] = w[r * inn + c]!;
    return t;
  };
  const w1 = tf.variable(tf.tensor2d(transpose(byName.get('0.weight')!, hidden, inF), [inF, hidden]));
  const b1 = tf.variable(tf.tensor1d(byName.get('0.bias')!, 'float32'));
  const w2 = tf.variable(tf.tensor2d(transpose(byName.get('2.weight')!, classes, hidden), [hidden, classes]));
  const b2 = tf.variable(tf.tensor1d(byName.get('2.bias')!, 'float32'));
  const xs = tf.tensor2d(x, [batch, inF]);
  const idx = tf.tensor1d(labels, 'int32');
  const ys = tf.oneHot(idx, classes);
  // PyTorch's Adam defaults, so both run the same update rule.
  const opt = optimizer === 'sgd' ? tf.train.sgd(LR.sgd) : tf.train.adam(LR.adam, 0.9, 0.999, 1e-8);
  const loss = () => tf.losses.softmaxCrossEntropy(ys, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xs, w1), b1)), w2), b2));
  return {
    step(): number {
      const cost = opt.minimize(loss, true);
      const v = cost.dataSync()[0]!;
      cost.dispose();
      return v;
    },
    dispose() {
      for (const t of [w1, b1, w2, b2, xs, idx, ys]) t.dispose();
      opt.dispose();
    },
  };
}
