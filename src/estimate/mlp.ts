// The analytic training-memory model of an MLP, from its description alone.
//
// It walks a training step the way src/nn/sequential.ts runs one (the order
// is documented at the top of that file) and writes down every allocation and
// free it implies, with its category and size; folding those events gives
// live bytes, per-category peaks and the peak total with its composition.
// Weights, gradients and optimizer state come from modelStateBytes, the same
// function the transformer estimator uses, so both estimators share one model
// of model states. The tests hold this estimate equal, event for event and to
// the byte, to what the core's allocator measures.

import { type ActivationSpec, type LayerSpec, type LinearSpec, linearParameters, savesOutput } from '../nn/layers.js';
import { layerName, outWidth, validateCheckpoint, validateLayers, type LossKind } from '../nn/sequential.js';
import type { BuildName } from '../wasm-source.js';
import { type Category, type CategoryBytes, zeroCategoryBytes } from './categories.js';
import { gemmWorkspaceBytes } from './gemm-workspace.js';
import { modelStateBytes } from './model-states.js';
import { ArgumentError, checkInt } from '../errors.js';
import type { Phase } from '../arena.js';

export const MLP_OPTIMIZERS = ['sgd', 'sgd-momentum', 'adam', 'adamw'] as const;
export type MlpOptimizer = (typeof MLP_OPTIMIZERS)[number];

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

export interface MemorySummary {
  /** Live bytes per category after the last event. */
  live: CategoryBytes;
  /** Highest live bytes of each category on its own. */
  peak: CategoryBytes;
  /** Highest live bytes of all categories together, and what they were made of then. */
  peakTotal: number;
  atPeak: CategoryBytes;
  /** Index of the event at which the total first reached its peak (-1 with no events). */
  peakEvent: number;
}

/** Folds an event list into live bytes, peaks and the composition at the peak. */
export function summarizeEvents(events: readonly { kind: 'alloc' | 'free'; category: Category; bytes: number }[]): MemorySummary {
  const live = zeroCategoryBytes(), peak = zeroCategoryBytes();
  let peakTotal = 0, atPeak = zeroCategoryBytes(), peakEvent = -1, total = 0;
  events.forEach((e, i) => {
    const d = e.kind === 'alloc' ? e.bytes : -e.bytes;
    live[e.category] += d;
    total += d;
    if (live[e.category] > peak[e.category]) peak[e.category] = live[e.category];
    if (total > peakTotal) {
      peakTotal = total;
      atPeak = { ...live };
      peakEvent = i;
    }
  });
  return { live, peak, peakTotal, atPeak, peakEvent };
}

export function countParameters(layers: readonly LayerSpec[]): number {
  return layers.reduce((s, l) => s + (l.type === 'linear' ? linearParameters(l) : 0), 0);
}

/** Every allocation and free of model construction followed by the configured training steps. */
export function mlpTrainingEvents(cfg: MlpTrainingConfig): MemoryEventEstimate[] {
  validateLayers(cfg.layers);
  const layers = cfg.layers;
  const loss = cfg.loss ?? 'cross_entropy';
  const inplace = cfg.inplace ?? false;
  const checkpointed = validateCheckpoint(layers, cfg.checkpoint);
  const build = cfg.build ?? 'simd';
  if (!MLP_OPTIMIZERS.includes(cfg.optimizer)) {
    throw new ArgumentError(`optimizer must be one of ${MLP_OPTIMIZERS.join(', ')}, got ${String(cfg.optimizer)}`);
  }
  if (cfg.batches.length === 0) throw new ArgumentError('batches must list at least one step');
  cfg.batches.forEach((b, i) => checkInt(`batches[${i}]`, b, 1));

  const P = countParameters(layers);
  const states = modelStateBytes(P, { precision: 'fp32', optimizer: cfg.optimizer });
  const linears = layers.filter((l): l is LinearSpec => l.type === 'linear');
  const inF = linears[0]!.inFeatures, outF = linears[linears.length - 1]!.outFeatures;
  const optimizerName = cfg.optimizer === 'sgd-momentum' ? 'sgd' : cfg.optimizer;

  const events: MemoryEventEstimate[] = [];
  let step = 0, layer = 'model', phase: Phase = 'setup';
  const alloc = (category: Category, bytes: number) => events.push({ kind: 'alloc', category, bytes, layer, phase, step });
  const free = (category: Category, bytes: number) => events.push({ kind: 'free', category, bytes, layer, phase, step });
  const at = (l: string, p: Phase) => ((layer = l), (phase = p));

  alloc('weights', states.weights);
  let scratch = 0;

  // Whether forward holds layer i's output only as a temporary (mirrors Sequential.droppedInForward).
  const droppedInForward = (i: number) => checkpointed.has(i) || (layers[i]!.type === 'linear' && checkpointed.has(i + 1));
  // Where layer i's output lives without checkpointing (mirrors Sequential.outputCategory).
  const outputCategory = (i: number): Category => {
    const l = layers[i]!;
    if (l.type === 'activation') return 'activations';
    const next = layers[i + 1];
    if (!next) return loss === 'mse' ? 'activations' : 'workspace';
    if (next.type === 'linear') return 'activations';
    return savesOutput(next.kind) && !inplace ? 'workspace' : 'activations';
  };

  for (const B of cfg.batches) {
    step++;
    at('model', 'setup');
    if (step === 1) alloc('gradients', states.gradients);
    const need = mlpGemmWorkspaceBytes(layers, B, build);
    if (need > scratch) {
      if (scratch) free('workspace', scratch);
      alloc('workspace', need);
      scratch = need;
    }
    const targetBytes = loss === 'cross_entropy' ? B * 4 : B * outF * 4;
    alloc('inputs', B * inF * 4);
    alloc('inputs', targetBytes);

    // Forward. outCat[i] is where layer i's output lives; an in-place activation shares its input's buffer.
    const outCat: Category[] = [];
    const sharesInput: boolean[] = [];
    const inCat = (i: number): Category => (i === 0 ? 'inputs' : outCat[i - 1]!);
    const bytesOut = (i: number) => B * outWidth(layers, i) * 4;
    layers.forEach((l, i) => {
      at(layerName(l, i), 'forward');
      if (l.type === 'activation' && inplace && savesOutput(l.kind)) {
        outCat[i] = inCat(i);
        sharesInput[i] = true;
      } else {
        outCat[i] = droppedInForward(i) ? 'workspace' : outputCategory(i);
        sharesInput[i] = false;
        alloc(outCat[i]!, bytesOut(i));
        if (l.type === 'activation' && (savesOutput(l.kind) || checkpointed.has(i))) free(inCat(i), bytesOut(i));
      }
      if (checkpointed.has(i - 1)) free(outCat[i - 1]!, bytesOut(i - 1));
    });
    // Re-runs checkpointed activation j and the Linear before it (mirrors Sequential's recompute).
    const recomputed = new Set<number>();
    const recompute = (j: number) => {
      const lin = j - 1;
      const act = layers[j] as ActivationSpec;
      if (checkpointed.has(lin - 1) && !recomputed.has(lin - 1)) recompute(lin - 1);
      recomputed.add(j);
      at(layerName(layers[lin]!, lin), 'backward');
      outCat[lin] = outputCategory(lin);
      alloc(outCat[lin]!, bytesOut(j));
      at(layerName(act, j), 'backward');
      if (sharesInput[j]) {
        outCat[j] = outCat[lin]!;
        return;
      }
      outCat[j] = 'activations';
      alloc('activations', bytesOut(j));
      if (savesOutput(act.kind)) free(outCat[lin]!, bytesOut(j));
    };
    const n = B * outF;
    at('loss', 'forward');
    if (loss === 'cross_entropy') {
      alloc('activations', n * 4);
      free('workspace', n * 4);
    }

    // Backward.
    at('loss', 'backward');
    alloc('workspace', n * 4);
    free(loss === 'cross_entropy' ? 'activations' : outCat[layers.length - 1]!, n * 4);
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      at(layerName(l, i), 'backward');
      if (l.type === 'linear') {
        if (checkpointed.has(i - 1) && !recomputed.has(i - 1)) {
          recompute(i - 1);
          at(layerName(l, i), 'backward');
        }
        if (i > 0) alloc('workspace', B * l.inFeatures * 4);
        free('workspace', B * l.outFeatures * 4);
        // A Linear fed by a Linear frees its saved input itself (no activation between them will).
        if (i > 0 && layers[i - 1]!.type === 'linear') free(outCat[i - 1]!, B * l.inFeatures * 4);
      } else {
        const bytes = B * outWidth(layers, i) * 4;
        free(outCat[i]!, bytes);
        if (!savesOutput(l.kind) && !sharesInput[i]) free(inCat(i), bytes);
      }
    }

    at(optimizerName, 'optimizer');
    if (step === 1 && states.optimizer > 0) alloc('optimizer', states.optimizer);
    at('model', 'setup');
    free('inputs', B * inF * 4);
    free('inputs', targetBytes);
  }
  return events;
}

/** The packing workspace a step reserves: the largest of its products. */
export function mlpGemmWorkspaceBytes(layers: readonly LayerSpec[], batch: number, build: BuildName): number {
  let bytes = 0, first = true;
  for (const l of layers) {
    if (l.type !== 'linear') continue;
    bytes = Math.max(
      bytes,
      gemmWorkspaceBytes(batch, l.outFeatures, l.inFeatures, build),
      gemmWorkspaceBytes(l.outFeatures, l.inFeatures, batch, build),
      first ? 0 : gemmWorkspaceBytes(batch, l.inFeatures, l.outFeatures, build),
    );
    first = false;
  }
  return bytes;
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
  /** Each input, weight, bias and output value touched once, 4 bytes each. */
  minimumBytes: number;
}

/** Per-layer parameters, MACs, saved bytes and data movement of one training step at `batch`. */
export function mlpLayerCosts(
  layers: readonly LayerSpec[],
  batch: number,
  options: { loss?: LossKind; inplace?: boolean; checkpoint?: readonly number[] } = {},
): LayerCost[] {
  validateLayers(layers);
  const checkpointed = validateCheckpoint(layers, options.checkpoint);
  const events = mlpTrainingEvents({
    layers, batches: [batch], optimizer: 'sgd', loss: options.loss, inplace: options.inplace, checkpoint: options.checkpoint, build: 'scalar',
  });
  let firstLinear = true;
  return layers.map((l, i) => {
    const name = layerName(l, i);
    const savedBytes = events
      .filter((e) => e.layer === name && e.phase === 'forward' && e.kind === 'alloc' && e.category === 'activations')
      .reduce((s, e) => s + e.bytes, 0);
    const width = outWidth(layers, i);
    if (l.type !== 'linear') {
      return { index: i, name, outputShape: [batch, width], parameters: 0, macsForward: 0, macsBackward: 0, savedBytes, macsRecompute: 0, naiveBytes: 0, minimumBytes: 0 };
    }
    const weightMacs = batch * l.inFeatures * l.outFeatures;
    const biasMacs = l.bias ? batch * l.outFeatures : 0;
    const macsForward = weightMacs + biasMacs;
    const macsBackward = weightMacs + biasMacs + (firstLinear ? 0 : weightMacs);
    firstLinear = false;
    return {
      index: i, name, outputShape: [batch, width], parameters: linearParameters(l), macsForward, macsBackward, savedBytes,
      macsRecompute: checkpointed.has(i + 1) ? macsForward : 0,
      naiveBytes: 3 * 4 * macsForward,
      minimumBytes: 4 * (batch * l.inFeatures + linearParameters(l) + batch * l.outFeatures),
    };
  });
}

/**
 * GEMM multiply-accumulates of one training step: forward, weight gradient,
 * input gradient unless first, and the forward again of each Linear that feeds
 * a checkpointed activation.
 */
export function mlpGemmMacs(layers: readonly LayerSpec[], batch: number, checkpoint?: readonly number[]): number {
  const checkpointed = validateCheckpoint(layers, checkpoint);
  let macs = 0, first = true;
  layers.forEach((l, i) => {
    if (l.type !== 'linear') return;
    const passes = (first ? 2 : 3) + (checkpointed.has(i + 1) ? 1 : 0);
    macs += batch * l.inFeatures * l.outFeatures * passes;
    first = false;
  });
  return macs;
}

/** Saved bytes the loss itself keeps (softmax probabilities for cross-entropy). */
export function lossSavedBytes(layers: readonly LayerSpec[], batch: number, loss: LossKind = 'cross_entropy'): number {
  const linears = layers.filter((l): l is LinearSpec => l.type === 'linear');
  return loss === 'cross_entropy' ? batch * linears[linears.length - 1]!.outFeatures * 4 : 0;
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
