// The analytic training-memory model of an MLP, from its description alone:
// the step plans that Sequential executes (src/plan/step-plan.ts), folded
// without WASM into every allocation and free with its category and size;
// folding those events gives live bytes, per-category peaks and the peak
// total with its composition. The tests hold this estimate equal, event for
// event and to the byte, to what the core's allocator measures.

import { ArgumentError, checkInt } from '../errors.js';
import type { Category, Phase } from '../memory/categories.js';
import { type MemorySummary, summarizeEvents } from '../memory/events.js';
import { countParameters, type LayerSpec, layerName, moduleOf, outWidth, validateCheckpoint, validateLayers } from '../nn/layers.js';
import { type LossKind, lossModule } from '../nn/loss.js';
import { makeOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../optim/registry.js';
import { planEvents, planGemmMacs, planLayerTotals, planWorkspaceBytes } from '../plan/fold.js';
import { trainingStepPlan } from '../plan/step-plan.js';
import type { BuildName } from '../wasm-source.js';

export { countParameters } from '../nn/layers.js';
export { summarizeEvents, type MemorySummary } from '../memory/events.js';

/** The optimizers an MLP profile or estimate names (the optimizer registry's). */
export const MLP_OPTIMIZERS = OPTIMIZER_NAMES;
export type MlpOptimizer = OptimizerName;

export interface MlpTrainingConfig {
  layers: readonly LayerSpec[];
  loss?: LossKind;
  optimizer: MlpOptimizer;
  /** Batch size of each training step, in order (a last partial batch is just a smaller entry). */
  batches: readonly number[];
  inplace?: boolean;
  /** Activation layers recomputed in backward instead of saved (SequentialOptions.checkpoint). */
  checkpoint?: readonly number[];
  /** Scalar builds need no GEMM packing workspace. */
  build?: BuildName;
  /** Threads of the runtime (default 1): each packs its own GEMM panels. */
  threads?: number;
}

export interface MemoryEventEstimate {
  kind: 'alloc' | 'free';
  category: Category;
  bytes: number;
  layer: string;
  phase: Phase;
  /** 0 for model construction, then the 1-based training step. */
  step: number;
}

interface PlanOptions {
  loss?: LossKind;
  inplace?: boolean;
  checkpoint?: readonly number[];
  build?: BuildName;
  threads?: number;
}

/** The plan of one training step of a fresh model: its first, or a later one (gradients and optimizer state in place). */
function stepPlan(layers: readonly LayerSpec[], batch: number, options: PlanOptions, optimizer: MlpOptimizer | null = null, later = false) {
  const opt = optimizer && makeOptimizer(optimizer);
  const params = countParameters(layers);
  return trainingStepPlan({
    layers, loss: options.loss ?? 'cross_entropy', inplace: options.inplace ?? false, checkpoint: validateCheckpoint(layers, options.checkpoint),
    batch, build: options.build ?? 'simd', threads: options.threads, optimizer: opt && { name: opt.name, stateBytes: opt.stateBytes(params) },
    hasGradients: later, hasOptimizerState: later,
  });
}

/** Every allocation and free of model construction followed by the configured training steps. */
export function mlpTrainingEvents(cfg: MlpTrainingConfig): MemoryEventEstimate[] {
  validateLayers(cfg.layers);
  validateCheckpoint(cfg.layers, cfg.checkpoint);
  if (!OPTIMIZER_NAMES.includes(cfg.optimizer)) {
    throw new ArgumentError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(cfg.optimizer)}`, { field: 'optimizer' });
  }
  if (!Array.isArray(cfg.batches) || cfg.batches.length === 0) throw new ArgumentError('batches must list at least one step', { field: 'batches' });
  cfg.batches.forEach((b, i) => checkInt(`batches[${i}]`, b, 1));

  // Model construction allocates the weights block (Sequential's constructor).
  const events: MemoryEventEstimate[] = [{ kind: 'alloc', category: 'weights', bytes: countParameters(cfg.layers) * 4, layer: 'model', phase: 'setup', step: 0 }];
  const fold = { workspaceBytes: 0 };
  cfg.batches.forEach((batch, s) => {
    for (const e of planEvents(stepPlan(cfg.layers, batch, cfg, cfg.optimizer, s > 0), fold)) events.push({ ...e, step: s + 1 });
  });
  return events;
}

/** The packing workspace a step reserves: the largest of its products. */
export function mlpGemmWorkspaceBytes(layers: readonly LayerSpec[], batch: number, build: BuildName, threads = 1): number {
  return planWorkspaceBytes(stepPlan(layers, batch, { build, threads }));
}

export interface LayerCost {
  index: number;
  name: string;
  outputShape: number[];
  parameters: number;
  /** torchinfo's convention: batch * (in*out + out) for a Linear with bias; 0 for activations. */
  macsForward: number;
  /** Weight gradient batch*in*out, bias gradient batch*out, input gradient batch*in*out unless first. */
  macsBackward: number;
  /** Bytes of tensors this layer's forward allocates and keeps for backward (0 if its output is a temporary or checkpointed). */
  savedBytes: number;
  /**
   * Forward MACs run again in backward (torchinfo convention): a Linear whose
   * output feeds a checkpointed activation is recomputed once per step; 0 otherwise.
   */
  macsRecompute: number;
  /** Operand traffic of the forward pass: three 4-byte values per MAC (input, weight, running sum). */
  naiveBytes: number;
  /** Each input, weight, bias and output value touched once, 4 bytes each (layers with MACs only). */
  minimumBytes: number;
}

/** Per-layer parameters, MACs, saved bytes and data movement of one training step at `batch`, read from its plan. */
export function mlpLayerCosts(
  layers: readonly LayerSpec[],
  batch: number,
  options: { loss?: LossKind; inplace?: boolean; checkpoint?: readonly number[] } = {},
): LayerCost[] {
  validateLayers(layers);
  const names = layers.map((l, i) => layerName(l, i));
  const totals = planLayerTotals(stepPlan(layers, batch, { ...options, build: 'scalar' }), names);
  return layers.map((l, i) => {
    const t = totals[i]!;
    const parameters = countParameters([l]);
    const inW = i === 0 ? (l as { inFeatures: number }).inFeatures : outWidth(layers, i - 1);
    const width = outWidth(layers, i);
    return {
      index: i, name: names[i]!, outputShape: [batch, width], parameters, ...t,
      naiveBytes: 3 * 4 * t.macsForward,
      minimumBytes: moduleOf(l).role === 'linear' ? 4 * (batch * inW + parameters + batch * width) : 0,
    };
  });
}

/**
 * GEMM multiply-accumulates of one training step: forward, weight gradient,
 * input gradient unless first, and the forward again of each Linear that feeds
 * a checkpointed activation.
 */
export function mlpGemmMacs(layers: readonly LayerSpec[], batch: number, checkpoint?: readonly number[]): number {
  validateLayers(layers);
  return planGemmMacs(stepPlan(layers, batch, { checkpoint }));
}

/** Saved bytes the loss itself keeps (softmax probabilities for cross-entropy). */
export function lossSavedBytes(layers: readonly LayerSpec[], batch: number, loss: LossKind = 'cross_entropy'): number {
  return lossModule(loss).savedBytes(batch, outWidth(layers, layers.length - 1));
}

export interface MlpEstimate {
  parameters: number;
  events: MemoryEventEstimate[];
  summary: MemorySummary;
  /** Per-layer costs at the last step's batch size. */
  layers: LayerCost[];
}

export function estimateMlp(cfg: MlpTrainingConfig): MlpEstimate {
  const events = mlpTrainingEvents(cfg);
  return {
    parameters: countParameters(cfg.layers),
    events,
    summary: summarizeEvents(events),
    layers: mlpLayerCosts(cfg.layers, cfg.batches[cfg.batches.length - 1]!, cfg),
  };
}
