// The step plan: a training step (or an inference pass) described once, as the
// ordered list of what it allocates (category, bytes, layer, phase, what the
// tensor is), which kernel it calls with which buffers (and the MACs of each
// call), and what it frees. Sequential executes the plan against the core; the
// estimator folds the same plan without WASM; MAC counts and the GEMM
// workspace are read from it. Nothing else describes what a step allocates.
//
// A training step, in order:
//   setup     the gradients block (first step only), the GEMM packing
//             workspace (grows only), inputs: the batch x and its labels or targets
//   forward   per layer its output. Saved (`activations`) when backward reads it
//             (the next layer reads its input: a Linear, LeakyReLU, GELU, SiLU; or
//             the layer reads its own output: ReLU, Sigmoid, Tanh; or the loss
//             reads the prediction: MSE); otherwise a temporary (`workspace`),
//             freed as soon as the next layer has read it. In place, ReLU/Sigmoid/
//             Tanh overwrite their input. Cross-entropy saves its probabilities
//             and frees the logits.
//   backward  the loss gradient (`workspace`), then per Linear the input gradient
//             (`workspace`, skipped for the first layer unless asked for) while
//             the output gradient is still live; activations work in place on
//             the gradient. A saved tensor is freed when backward is done with it.
//   optimizer its state on the first step (`optimizer`), then the update; the
//             batch is freed last.
//
// Activation recomputation (`checkpoint`, Chen et al. 2016, per activation):
//   forward   a checkpointed activation still computes its output h (the next
//             Linear reads it), but nothing of it is saved: the Linear output z
//             that feeds it and h are temporaries; z is freed as soon as the
//             activation has read it, h right after the next Linear's forward.
//   backward  when backward reaches the Linear after a checkpointed activation,
//             it first re-runs the two layers' forward (phase 'backward', stamped
//             with the layer being recomputed), allocating as a step without
//             checkpointing would, so backward goes on unchanged. A Linear whose
//             own input is checkpointed too recomputes that one first. Same
//             kernels, same inputs, same order: results are bit-identical.

import { gemmWorkspaceBytes } from '../memory/gemm-workspace.js';
import type { Category, Phase } from '../memory/categories.js';
import type { GemmShape } from '../nn/layer.js';
import { countParameters, inWidth, type LayerSpec, layerName, moduleOf, outWidth } from '../nn/layers.js';
import { type LossKind, lossModule } from '../nn/loss.js';
import type { BuildName } from '../wasm-source.js';

/** A buffer of the plan, by number; the executor maps each to a pointer. */
export type BufferId = number;

/** What a buffer holds, so the executor knows which to fill or keep. */
export type BufferRole = 'batch' | 'target' | 'gradients' | 'output' | 'loss-saved' | 'loss-gradient' | 'input-gradient';

interface Stamp {
  /** The layer or component the op belongs to ("linear0", "relu1", "loss", "model", "adam"). */
  layer: string;
  phase: Phase;
}

export type PlanOp = Stamp &
  (
    | { op: 'alloc'; buffer: BufferId; category: Category; bytes: number; role: BufferRole; what: string }
    | { op: 'free'; buffer: BufferId; category: Category; bytes: number }
    /** Grow the runtime's GEMM packing workspace to at least `bytes` (it never shrinks). */
    | { op: 'reserve-workspace'; bytes: number }
    | { op: 'forward'; index: number; input: BufferId; output: BufferId; recompute: boolean; macs: number; gemmMacs: number }
    | { op: 'loss-forward'; prediction: BufferId; target: BufferId; saved: BufferId | null }
    | { op: 'loss-backward'; prediction: BufferId; target: BufferId; saved: BufferId | null; gradient: BufferId }
    | { op: 'backward'; index: number; input: BufferId; output: BufferId; gradOutput: BufferId; gradInput: BufferId | null; macs: number; gemmMacs: number }
    /** All gradients are written: check they are finite. */
    | { op: 'check-gradients' }
    /** The update; `stateBytes` of optimizer state are allocated by it first (first step only). */
    | { op: 'optimizer'; stateBytes: number }
  );

export interface StepPlanConfig {
  layers: readonly LayerSpec[];
  loss: LossKind;
  inplace: boolean;
  checkpoint: ReadonlySet<number>;
  batch: number;
  /** Scalar builds pack nothing for GEMM. */
  build: BuildName;
  /** Threads of the runtime (default 1): each packs its own GEMM panels. */
  threads?: number;
  /** Whether the first Linear computes d loss / d input as well. */
  inputGradient?: boolean;
  /** The update at the end of the step (none: forward and backward only). */
  optimizer?: { name: string; stateBytes: number } | null;
  /** What the model already holds from earlier steps. */
  hasGradients: boolean;
  hasOptimizerState: boolean;
}

/** Buffer 0 is always the batch x. */
export const BATCH: BufferId = 0;

export function trainingStepPlan(cfg: StepPlanConfig): PlanOp[] {
  const { layers, inplace, checkpoint, batch: B } = cfg;
  const loss = lossModule(cfg.loss);
  const ops: PlanOp[] = [];
  let stamp: Stamp = { layer: 'model', phase: 'setup' };
  const at = (layer: string, phase: Phase) => (stamp = { layer, phase });
  const emit = (op: DistributiveOmit<PlanOp, keyof Stamp>) => ops.push({ ...op, ...stamp } as PlanOp);

  const live = new Map<BufferId, { category: Category; bytes: number }>();
  let nextId = 0;
  const alloc = (category: Category, bytes: number, role: BufferRole, what: string): BufferId => {
    const buffer = nextId++;
    live.set(buffer, { category, bytes });
    emit({ op: 'alloc', buffer, category, bytes, role, what });
    return buffer;
  };
  // Freeing what is no longer held is a no-op, so a buffer two paths could free is freed once.
  const free = (buffer: BufferId) => {
    const b = live.get(buffer);
    if (!b) return;
    live.delete(buffer);
    emit({ op: 'free', buffer, ...b });
  };

  const module = (i: number) => moduleOf(layers[i]!);
  const readsOutput = (i: number) => module(i).backwardReads === 'output';
  const isActivation = (i: number) => module(i).role === 'activation';
  const inPlace = (i: number) => isActivation(i) && inplace && readsOutput(i);
  const bytesOut = (i: number) => B * outWidth(layers, i) * 4;
  const widthIn = (i: number) => (i === 0 ? inWidth(layers) : outWidth(layers, i - 1));
  const wantsInputGradient = (i: number) => i > 0 || (cfg.inputGradient ?? false);

  // Whether forward holds layer i's output only as a temporary because of checkpointing.
  const droppedInForward = (i: number) => checkpoint.has(i) || (!isActivation(i) && checkpoint.has(i + 1));
  // Where layer i's output lives without checkpointing: saved if backward reads it.
  const outputCategory = (i: number): Category => {
    if (isActivation(i)) return 'activations';
    if (i === layers.length - 1) return loss.readsPrediction ? 'activations' : 'workspace';
    return readsOutput(i + 1) && !inPlace(i + 1) ? 'workspace' : 'activations';
  };

  // Setup.
  const gradients = cfg.hasGradients ? -1 : alloc('gradients', countParameters(layers) * 4, 'gradients', 'gradients');
  if (gradients >= 0) live.delete(gradients); // kept by the model across steps
  const reserveAt = ops.length;
  const x = alloc('inputs', B * inWidth(layers) * 4, 'batch', 'input batch');
  const classes = outWidth(layers, layers.length - 1);
  const target = alloc('inputs', loss.targetBytes(B, classes), 'target', cfg.loss === 'cross_entropy' ? 'labels' : 'targets');

  // Forward: outs[i] is the buffer of layer i's output (-1 while not held).
  const outs: BufferId[] = [];
  const input = (i: number) => (i === 0 ? x : outs[i - 1]!);
  const drop = (i: number) => {
    free(outs[i]!);
    outs[i] = -1;
  };
  const forward = (i: number, output: BufferId, recompute: boolean) => {
    const l = layers[i]!;
    emit({
      op: 'forward', index: i, input: input(i), output, recompute,
      macs: module(i).macs(l, B, wantsInputGradient(i)).forward, gemmMacs: gemmMacs(module(i).gemms(l, B, wantsInputGradient(i)).forward),
    });
  };
  layers.forEach((l, i) => {
    at(layerName(l, i), 'forward');
    if (inPlace(i)) {
      outs[i] = input(i);
      forward(i, outs[i]!, false);
    } else {
      const category = droppedInForward(i) ? 'workspace' : outputCategory(i);
      outs[i] = alloc(category, bytesOut(i), 'output', `output of layer ${i}`);
      forward(i, outs[i]!, false);
      // An activation reading its output is done with its input, and a
      // checkpointed activation recomputes its input in backward.
      if (isActivation(i) && (readsOutput(i) || checkpoint.has(i))) drop(i - 1);
    }
    // A checkpointed activation's output lives only until this Linear has read it.
    if (checkpoint.has(i - 1)) drop(i - 1);
  });

  // Re-runs the forward of checkpointed activation j and the Linear before it,
  // allocating as a step without checkpointing would have.
  const recompute = (j: number) => {
    const lin = j - 1;
    if (checkpoint.has(lin - 1) && outs[lin - 1]! < 0) recompute(lin - 1);
    at(layerName(layers[lin]!, lin), 'backward');
    outs[lin] = alloc(outputCategory(lin), bytesOut(lin), 'output', `output of layer ${lin} (recomputed)`);
    forward(lin, outs[lin]!, true);
    at(layerName(layers[j]!, j), 'backward');
    if (inPlace(j)) {
      outs[j] = outs[lin]!;
      forward(j, outs[j]!, true);
      return;
    }
    outs[j] = alloc('activations', bytesOut(j), 'output', `output of layer ${j} (recomputed)`);
    forward(j, outs[j]!, true);
    if (readsOutput(j)) drop(lin);
  };

  const last = layers.length - 1;
  const prediction = outs[last]!;
  at('loss', 'forward');
  const lossBytes = loss.savedBytes(B, classes);
  const saved = lossBytes > 0 ? alloc('activations', lossBytes, 'loss-saved', 'softmax probabilities') : null;
  emit({ op: 'loss-forward', prediction, target, saved });
  if (!loss.readsPrediction) free(prediction);

  // Backward.
  at('loss', 'backward');
  let grad = alloc('workspace', B * classes * 4, 'loss-gradient', 'loss gradient');
  emit({ op: 'loss-backward', prediction, target, saved, gradient: grad });
  free(saved ?? prediction);
  for (let i = last; i >= 0; i--) {
    const l = layers[i]!;
    at(layerName(l, i), 'backward');
    const m = module(i);
    if (!isActivation(i)) {
      if (checkpoint.has(i - 1) && outs[i - 1]! < 0) {
        recompute(i - 1);
        at(layerName(l, i), 'backward');
      }
      const dIn = wantsInputGradient(i) ? alloc('workspace', B * widthIn(i) * 4, 'input-gradient', `input gradient of layer ${i}`) : null;
      emit({
        op: 'backward', index: i, input: input(i), output: outs[i]!, gradOutput: grad, gradInput: dIn,
        macs: m.macs(l, B, wantsInputGradient(i)).backward, gemmMacs: gemmMacs(m.gemms(l, B, wantsInputGradient(i)).backward),
      });
      free(grad);
      grad = dIn ?? -1;
      // A Linear fed by a Linear frees its saved input itself (no activation between them will).
      if (i > 0 && !isActivation(i - 1)) free(input(i));
    } else {
      emit({ op: 'backward', index: i, input: input(i), output: outs[i]!, gradOutput: grad, gradInput: grad, macs: 0, gemmMacs: 0 });
      free(outs[i]!);
      if (!readsOutput(i)) free(input(i));
    }
  }
  if (grad >= 0) free(grad);
  at('model', 'setup');
  emit({ op: 'check-gradients' });

  if (cfg.optimizer) {
    at(cfg.optimizer.name, 'optimizer');
    emit({ op: 'optimizer', stateBytes: cfg.hasOptimizerState ? 0 : cfg.optimizer.stateBytes });
  }
  at('model', 'setup');
  free(x);
  free(target);

  // The workspace the step's products need, reserved before the batch is staged.
  const shapes = layers.flatMap((l, i) => {
    const g = moduleOf(l).gemms(l, B, wantsInputGradient(i));
    return [...g.forward, ...g.backward];
  });
  const workspace = Math.max(0, ...shapes.map((s) => gemmWorkspaceBytes(s.m, s.n, s.k, cfg.build, cfg.threads)));
  ops.splice(reserveAt, 0, { op: 'reserve-workspace', bytes: workspace, layer: 'model', phase: 'setup' });
  return ops;
}

/**
 * Inference: each layer's output a temporary (`workspace`), freed once the
 * next layer has read it; nothing saved. The last output is left for the
 * caller, who reads and frees it; then the batch is freed.
 */
export function inferencePlan(layers: readonly LayerSpec[], batch: number, batchCategory: Category, batchWhat: string): { ops: PlanOp[]; result: BufferId } {
  const ops: PlanOp[] = [];
  const xBytes = batch * inWidth(layers) * 4;
  ops.push({ op: 'alloc', buffer: BATCH, category: batchCategory, bytes: xBytes, role: 'batch', what: batchWhat, layer: 'model', phase: 'setup' });
  let cur = BATCH;
  layers.forEach((l, i) => {
    const stamp = { layer: layerName(l, i), phase: 'forward' as const };
    const out = i + 1, bytes = batch * outWidth(layers, i) * 4;
    ops.push({ op: 'alloc', buffer: out, category: 'workspace', bytes, role: 'output', what: `output of layer ${i}`, ...stamp });
    const m = moduleOf(l);
    ops.push({ op: 'forward', index: i, input: cur, output: out, recompute: false, macs: m.macs(l, batch, false).forward, gemmMacs: gemmMacs(m.gemms(l, batch, false).forward), ...stamp });
    if (cur !== BATCH) ops.push({ op: 'free', buffer: cur, category: 'workspace', bytes: batch * outWidth(layers, i - 1) * 4, ...stamp });
    cur = out;
  });
  return { ops, result: cur };
}

/** Multiply-accumulates of the products a call runs (what the core's counter adds). */
function gemmMacs(shapes: readonly GemmShape[]): number {
  return shapes.reduce((s, g) => s + g.m * g.n * g.k, 0);
}

/** Omit over each member of a union (TypeScript's Omit collapses unions). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
