// Training memory of an MLP, measured: a real model trained for real steps in
// a fresh WASM instance, every allocation logged by the core's allocator, next
// to the analytic estimate of the same configuration.

import type { CategoryBytes } from '../memory/categories.js';
import { estimateMlp, mlpGemmMacs, type LayerCost, type MemoryEventEstimate, type MemorySummary, type MlpOptimizer, summarizeEvents } from '../estimate/mlp.js';
import { ArgumentError, OutOfMemoryError, checkInt, checkOptions, describeValue, orDefault } from '../errors.js';
import type { ArenaEvent } from '../arena.js';
import { WASM32_MAX_BYTES, byteCount } from '../arena.js';
import type { LayerSpec } from '../nn/layers.js';
import { Random } from '../nn/random.js';
import { type LossKind, Sequential, checkSequentialOptions } from '../nn/sequential.js';
import { makeOptimizer } from '../optim/registry.js';
import { init, type BuildName } from '../runtime.js';

export interface MlpProfileOptions {
  layers: readonly LayerSpec[];
  /** Batch size of each measured step (default two full steps of `batch`). */
  batches?: readonly number[];
  batch?: number;
  optimizer?: MlpOptimizer;
  loss?: LossKind;
  inplace?: boolean;
  /** Activation layers recomputed in backward instead of saved (SequentialOptions.checkpoint). */
  checkpoint?: readonly number[];
  build?: BuildName | 'auto';
  /** Threads of the measuring runtime (init's default when absent). */
  threads?: number;
  seed?: number;
  lr?: number;
}

export interface MeasuredMemory {
  live: CategoryBytes;
  peak: CategoryBytes;
  peakTotal: number;
  atPeak: CategoryBytes;
  /** Index in the profile's `events` of the event at which the total first reached its peak. */
  peakEvent: number;
  /** What WASM memory holds in all (memory.buffer.byteLength) and the part no category owns. */
  memoryBytes: number;
  runtimeBytes: number;
}

export interface MlpProfile {
  /** Threads the measuring runtime ran on (each packs its own GEMM panels). */
  threads: number;
  build: BuildName;
  engine: string;
  parameters: number;
  batches: number[];
  optimizer: MlpOptimizer;
  loss: LossKind;
  inplace: boolean;
  /** Checkpointed activation layers, ascending. */
  checkpoint: number[];
  losses: number[];
  measured: MeasuredMemory;
  estimated: MemorySummary;
  events: ArenaEvent[];
  /** Index in `events` of each step's first event (events before the first are model construction). */
  stepStarts: number[];
  estimatedEvents: MemoryEventEstimate[];
  layers: LayerCost[];
  /** GEMM multiply-accumulates the core counted in the last step, and what the layer costs predict. */
  gemmMacs: { measured: number; estimated: number };
}

const PROFILE_OPTIONS: readonly (keyof MlpProfileOptions)[] = ['layers', 'batches', 'batch', 'optimizer', 'loss', 'inplace', 'checkpoint', 'build', 'threads', 'seed', 'lr'];

export async function profileMlp(options: MlpProfileOptions): Promise<MlpProfile> {
  // Every option is checked before a runtime is built or anything allocated.
  const o = checkOptions('profileMlp', options, PROFILE_OPTIONS) as unknown as MlpProfileOptions;
  const config = checkSequentialOptions(o.layers, { seed: o.seed, loss: o.loss, inplace: o.inplace, checkpoint: o.checkpoint });
  const { loss, inplace } = config;
  const checkpoint = [...config.checkpoint].sort((a, b) => a - b);
  const batch = orDefault(o.batch, 64);
  checkInt('batch', batch, 1);
  const batches = orDefault(o.batches, [batch, batch]);
  if (!Array.isArray(batches) || batches.length === 0) throw new ArgumentError(`profileMlp: batches must be a non-empty array of batch sizes, got ${describeValue(batches)}`);
  batches.forEach((b: unknown, i) => checkInt(`batches[${i}]`, b, 1));
  const optimizer = orDefault(o.optimizer, 'adam') as MlpOptimizer;
  const opt = makeOptimizer(optimizer, o.lr);
  const rt = await init({ build: orDefault(o.build, 'auto') as BuildName | 'auto', threads: o.threads, fresh: true });
  const estimate = estimateMlp({ layers: o.layers, batches, optimizer, loss, inplace, checkpoint, build: rt.build, threads: rt.threads });

  // Refuse what wasm32 cannot hold before allocating anything.
  if (estimate.summary.peakTotal >= WASM32_MAX_BYTES) {
    throw new OutOfMemoryError(
      `this configuration needs ${byteCount(estimate.summary.peakTotal)} bytes at its peak; WASM memory (wasm32) holds at most ${byteCount(WASM32_MAX_BYTES)} bytes`,
    );
  }

  rt.arena.startLog();
  const model = new Sequential(rt, o.layers, { seed: config.seed, loss, inplace, checkpoint });
  const rng = new Random(config.seed + 1);
  const losses: number[] = [];
  let gemmMacs = 0;
  let events: ArenaEvent[];
  const stepStarts: number[] = [];
  try {
    for (const b of batches) {
      stepStarts.push(rt.arena.eventCount());
      const x = new Float32Array(b * model.inFeatures).map(() => rng.uniform(-1, 1));
      const target =
        loss === 'cross_entropy'
          ? Int32Array.from({ length: b }, () => rng.nextUint32() % model.outFeatures)
          : new Float32Array(b * model.outFeatures).map(() => rng.uniform(-1, 1));
      rt.resetMacs();
      losses.push(model.trainStep(x, target, opt));
      gemmMacs = Number(rt.macs());
    }
  } finally {
    events = rt.arena.stopLog();
  }
  const fromLog = summarizeEvents(events);
  const measured: MeasuredMemory = {
    live: rt.arena.liveByCategory(),
    peak: rt.arena.peakByCategory(),
    peakTotal: rt.arena.peak(),
    atPeak: fromLog.atPeak,
    peakEvent: fromLog.peakEvent,
    memoryBytes: rt.arena.memoryBytes(),
    runtimeBytes: rt.arena.runtimeBytes(),
  };
  const engine = rt.describe(), threads = rt.threads;
  rt.dispose(); // its workers; the measurement is complete
  return {
    build: rt.build,
    threads,
    engine,
    parameters: estimate.parameters,
    batches,
    optimizer,
    loss,
    inplace,
    checkpoint,
    losses,
    measured,
    estimated: estimate.summary,
    events,
    stepStarts,
    estimatedEvents: estimate.events,
    layers: estimate.layers,
    gemmMacs: { measured: gemmMacs, estimated: mlpGemmMacs(o.layers, batches[batches.length - 1]!, checkpoint) },
  };
}
