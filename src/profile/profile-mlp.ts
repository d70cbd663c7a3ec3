// Training memory of an MLP, measured: a real model trained for real steps in
// a fresh WASM instance, every allocation logged by the core's allocator, next
// to the analytic estimate of the same configuration.

import type { CategoryBytes } from '../memory/categories.js';
import { estimateMlp, mlpGemmMacs, type LayerCost, type MemoryEventEstimate, type MemorySummary, type MlpOptimizer, summarizeEvents } from '../estimate/mlp.js';
import { OutOfMemoryError, checkInt } from '../errors.js';
import type { ArenaEvent } from '../arena.js';
import { WASM32_MAX_BYTES } from '../arena.js';
import type { LayerSpec } from '../nn/layers.js';
import { Random } from '../nn/random.js';
import { type LossKind, Sequential, validateCheckpoint, validateLayers } from '../nn/sequential.js';
import { makeOptimizer } from '../optim/make-optimizer.js';
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

export async function profileMlp(options: MlpProfileOptions): Promise<MlpProfile> {
  const optimizer = options.optimizer ?? 'adam';
  const loss = options.loss ?? 'cross_entropy';
  const inplace = options.inplace ?? false;
  const batch = options.batch ?? 64;
  checkInt('batch', batch, 1);
  const batches = [...(options.batches ?? [batch, batch])];
  validateLayers(options.layers);
  const checkpoint = [...validateCheckpoint(options.layers, options.checkpoint)].sort((a, b) => a - b);
  const rt = await init({ build: options.build ?? 'auto', fresh: true });
  const estimate = estimateMlp({ layers: options.layers, batches, optimizer, loss, inplace, checkpoint, build: rt.build });

  // Refuse what wasm32 cannot hold before allocating anything.
  if (estimate.summary.peakTotal >= WASM32_MAX_BYTES) {
    throw new OutOfMemoryError(
      `this configuration needs ${estimate.summary.peakTotal} bytes at its peak; WASM memory (wasm32) holds at most ${WASM32_MAX_BYTES} bytes`,
    );
  }

  rt.arena.startLog();
  const model = new Sequential(rt, options.layers, { seed: options.seed ?? 0, loss, inplace, checkpoint });
  const opt = makeOptimizer(optimizer, options.lr);
  const rng = new Random((options.seed ?? 0) + 1);
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
  return {
    build: rt.build,
    engine: rt.describe(),
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
    gemmMacs: { measured: gemmMacs, estimated: mlpGemmMacs(options.layers, batches[batches.length - 1]!, checkpoint) },
  };
}
