// A Sequential model trained entirely in WASM: forward and backward of every
// layer run in the core, parameters and gradients each live in one flat block
// (llm.c style), and every buffer a step uses is allocated through the
// category-tagged arena, stamped with the layer and phase that asked for it.
//
// What a training step holds, and when (the memory estimator mirrors this):
//   setup     gradients block (first step only), GEMM packing workspace (grows
//             only), inputs: the batch x and its labels or targets
//   forward   per Linear: its output z. Saved (`activations`) when the next
//             layer needs it for backward (GELU/LeakyReLU input, the next
//             Linear's input, the MSE prediction, or an in-place ReLU/Sigmoid/
//             Tanh output); otherwise a temporary (`workspace`) freed as soon
//             as the activation has read it. Per activation: its output,
//             saved (`activations`): it is the next Linear's input and, for
//             ReLU/Sigmoid/Tanh, what backward differentiates from. The loss
//             saves softmax probabilities (cross-entropy); logits are a
//             temporary.
//   backward  the loss gradient (`workspace`), then per Linear the input
//             gradient (`workspace`, skipped for the first layer) while the
//             output gradient is still live; activations backward in place.
//             Saved tensors are freed as soon as backward has consumed them.
//   optimizer state on the first step (`optimizer`), then the update; the
//             batch is freed last.
//
// Activation recomputation (`checkpoint`, Chen et al. 2016, per activation):
//   forward   a checkpointed activation still computes its output h (the next
//             Linear reads it), but nothing of it is saved: the Linear output z
//             that feeds it and h are temporaries (`workspace`); z is freed as
//             soon as the activation has read it (whatever the kind: backward
//             recomputes it), h right after the next Linear's forward. In
//             place, z and h are one buffer, freed then.
//   backward  when backward reaches the Linear after a checkpointed activation
//             (it needs h for its weight gradient), it first re-runs the two
//             layers' forward, phase 'backward', events stamped with the layer
//             being recomputed: z (category as if never checkpointed), h
//             (`activations`), z freed at once for ReLU/Sigmoid/Tanh. The saved
//             tensors are then exactly those of a step without checkpointing,
//             and backward goes on unchanged. If the Linear's own input is a
//             checkpointed activation too, that one is recomputed first (and
//             kept: the next Linear back needs it), so each checkpointed layer
//             is recomputed once per step: extra forward MACs are those of the
//             Linear before each checkpointed activation. Same kernels, same
//             inputs, same order: results are bit-identical. A run of adjacent
//             checkpointed activations is re-materialised all at once when
//             backward reaches its end, so it lowers the forward's footprint
//             but not backward's; checkpointing every other one lowers both.

import type { Category } from '../estimate/categories.js';
import { ArgumentError, NonFiniteError, ShapeError, checkBoolean, checkInt, checkOptionKeys, clip, describeValue, isFiniteFloat32 } from '../errors.js';
import { coreGemm, reserveGemmWorkspace } from '../gemm.js';
import { checkOptimizer, type Optimizer, type ParameterBlock } from '../optim/optimizer.js';
import type { Phase } from '../arena.js';
import { checkRuntime, type Runtime } from '../runtime.js';
import { ACTIVATION_CODE, type ActivationSpec, type LayerSpec, type LinearSpec, savesOutput } from './layers.js';
import { Random } from './random.js';

export type LossKind = 'cross_entropy' | 'mse';

export interface SequentialOptions {
  /** Seed of the default (PyTorch nn.Linear, Kaiming-uniform) initialisation. */
  seed?: number;
  loss?: LossKind;
  /** ReLU, Sigmoid and Tanh overwrite their input instead of allocating an output. */
  inplace?: boolean;
  /**
   * Indices (in the layer list) of activation layers whose output is not saved
   * for backward but recomputed there from the Linear before it: less
   * activation memory for one more forward pass of that Linear.
   */
  checkpoint?: readonly number[];
}

export interface NamedParameter {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface StepResult {
  loss: number;
  /** d loss / d input, batch x inFeatures, when asked for. */
  inputGradient?: Float32Array;
}

interface ParameterSlot {
  name: string;
  shape: number[];
  /** Offset in floats within the weights (and gradients) block. */
  offset: number;
  count: number;
  layer: number;
}

/** Labels for cross-entropy (class indices) or targets for MSE (batch x outFeatures). */
export type Target = Int32Array | Float32Array | ArrayLike<number>;

export class Sequential {
  readonly layers: readonly LayerSpec[];
  readonly loss: LossKind;
  readonly inplace: boolean;
  /** Checkpointed activation layers, ascending. */
  readonly checkpoint: readonly number[];
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly parameterCount: number;
  /** Completed training steps. */
  steps = 0;

  private readonly slots: ParameterSlot[] = [];
  private readonly linearOffsets = new Map<number, { w: number; b: number }>();
  private readonly checkpointed: ReadonlySet<number>;
  private weightsPtr: number;
  private gradientsPtr = 0;
  private disposed = false;
  /** Bumped by setParameters, so optimizer bounds taken before it are not trusted. */
  private version = 0;
  /** Largest |gradient| of the last backward pass (NaN before the first). */
  private gradientMaxAbs = NaN;
  /** Why gradients() has nothing to give: before the first step, or after a backward pass that failed part-way. */
  private gradientsMissing = 'no gradients yet: run trainStep or lossAndGradients first';

  constructor(
    readonly runtime: Runtime,
    layers: readonly LayerSpec[],
    options: SequentialOptions = {},
  ) {
    checkRuntime(runtime, 'Sequential');
    checkOptionKeys('Sequential', options, ['seed', 'loss', 'inplace', 'checkpoint']);
    validateLayers(layers);
    this.layers = layers.map((l) => ({ ...l }));
    this.loss = options.loss ?? 'cross_entropy';
    if (this.loss !== 'cross_entropy' && this.loss !== 'mse') {
      throw new ArgumentError(`loss must be 'cross_entropy' or 'mse', got ${String(this.loss)}`);
    }
    this.inplace = options.inplace ?? false;
    checkBoolean('inplace', this.inplace);
    this.checkpointed = validateCheckpoint(this.layers, options.checkpoint);
    this.checkpoint = [...this.checkpointed].sort((a, b) => a - b);
    const linears = this.layers.filter((l): l is LinearSpec => l.type === 'linear');
    this.inFeatures = linears[0]!.inFeatures;
    this.outFeatures = linears[linears.length - 1]!.outFeatures;

    let offset = 0;
    this.layers.forEach((l, i) => {
      if (l.type !== 'linear') return;
      const w = offset;
      this.slots.push({ name: `${i}.weight`, shape: [l.outFeatures, l.inFeatures], offset, count: l.inFeatures * l.outFeatures, layer: i });
      offset += l.inFeatures * l.outFeatures;
      let b = -1;
      if (l.bias) {
        b = offset;
        this.slots.push({ name: `${i}.bias`, shape: [l.outFeatures], offset, count: l.outFeatures, layer: i });
        offset += l.outFeatures;
      }
      this.linearOffsets.set(i, { w, b });
    });
    this.parameterCount = offset;

    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new ArgumentError(`seed must be an integer, got ${String(seed)}`);
    runtime.arena.setContext('model', 'setup');
    this.weightsPtr = runtime.arena.alloc(offset * 4, 'weights', `weights of ${offset} parameters`);
    this.initialise(seed);
  }

  /** PyTorch's nn.Linear default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)), from a seeded generator. */
  private initialise(seed: number): void {
    const rng = new Random(seed);
    const w = this.weightView();
    for (const s of this.slots) {
      const l = this.layers[s.layer] as LinearSpec;
      const bound = 1 / Math.sqrt(l.inFeatures);
      for (let i = 0; i < s.count; i++) w[s.offset + i] = rng.uniform(-bound, bound);
    }
  }

  private weightView(): Float32Array {
    this.checkAlive();
    return new Float32Array(this.runtime.memory.buffer, this.weightsPtr, this.parameterCount);
  }

  // ---- parameters and gradients, in PyTorch's names and layout ----

  parameters(): NamedParameter[] {
    const w = this.weightView();
    return this.slots.map((s) => ({ name: s.name, shape: [...s.shape], data: w.slice(s.offset, s.offset + s.count) }));
  }

  /** Gradients of the last step (or lossAndGradients call). */
  gradients(): NamedParameter[] {
    this.checkAlive();
    if (this.gradientsMissing) throw new ArgumentError(this.gradientsMissing);
    const g = new Float32Array(this.runtime.memory.buffer, this.gradientsPtr, this.parameterCount);
    return this.slots.map((s) => ({ name: s.name, shape: [...s.shape], data: g.slice(s.offset, s.offset + s.count) }));
  }

  /**
   * Sets parameters by name (all or some), from `{ name: values }`, a Map (a
   * state dict), or a parameters() list (whose shapes are checked too). Every
   * value is checked before any is written, so a bad argument leaves the model
   * as it was.
   */
  setParameters(values: Record<string, ArrayLike<number>> | ReadonlyMap<string, ArrayLike<number>> | readonly NamedParameter[]): void {
    this.checkAlive();
    const entries = parameterEntries(values);
    const seen = new Set<string>();
    const plan = entries.map(({ name, data, shape }) => {
      const slot = this.slots.find((s) => s.name === name);
      if (!slot) throw new ArgumentError(`unknown parameter '${clip(name)}'; this model has ${this.slots.map((s) => s.name).join(', ')}`);
      if (seen.has(name)) throw new ArgumentError(`parameter '${name}' is given twice`);
      seen.add(name);
      if (typeof data !== 'object' || data === null || !Number.isSafeInteger(data.length)) {
        throw new ArgumentError(`parameter '${name}' needs a Float32Array or array of numbers, got ${describeValue(data)}`);
      }
      if (shape !== undefined && (!Array.isArray(shape) || shape.length !== slot.shape.length || shape.some((d, i) => d !== slot.shape[i]))) {
        throw new ShapeError(`parameter '${name}' has shape [${slot.shape.join(', ')}], got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describeValue(shape)}`);
      }
      if (data.length !== slot.count) {
        throw new ShapeError(`parameter '${name}' needs ${slot.count} values (shape [${slot.shape.join(', ')}]), got ${data.length}`);
      }
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (typeof v !== 'number') throw new ArgumentError(`parameter '${name}' has a value that is not a number at index ${i}: ${describeValue(v)}`);
        // Weights are float32: a value beyond its range would be stored as infinity.
        if (!isFiniteFloat32(v)) {
          const why = Number.isFinite(v) ? ' (beyond float32)' : '';
          throw new NonFiniteError(`parameter '${name}' has a non-finite value at index ${i}: ${v}${why}`);
        }
      }
      return { slot, data };
    });
    const w = this.weightView();
    for (const { slot, data } of plan) w.set(data, slot.offset);
    this.version++;
  }

  // ---- inference ----

  /** Runs the model forward on a batch (rows of inFeatures) without saving anything for backward. */
  predict(x: ArrayLike<number>): Float32Array {
    const batch = this.batchOf(x);
    const rt = this.runtime;
    const xPtr = this.stage(x, 'inputs', 'input batch');
    try {
      const out = this.forwardTemporaries(xPtr, batch);
      try {
        return new Float32Array(rt.memory.buffer, out, batch * this.outFeatures).slice();
      } finally {
        rt.arena.free(out);
      }
    } finally {
      rt.arena.free(xPtr);
    }
  }

  /** Same as predict. */
  forward(x: ArrayLike<number>): Float32Array {
    return this.predict(x);
  }

  /** Mean loss and (for cross-entropy) accuracy over a dataset, in batches. */
  evaluate(x: ArrayLike<number>, target: Target, options: { batchSize?: number } = {}): { loss: number; accuracy: number | null } {
    const n = this.batchOf(x);
    this.checkTarget(target, n);
    checkOptionKeys('evaluate', options, ['batchSize']);
    const bs = options.batchSize ?? 256;
    checkInt('batchSize', bs, 1);
    let lossSum = 0, correct = 0;
    const C = this.outFeatures;
    for (let start = 0; start < n; start += bs) {
      const end = Math.min(n, start + bs);
      const out = this.predict(sliceRows(x, start, end, this.inFeatures));
      for (let r = 0; r < end - start; r++) {
        const row = out.subarray(r * C, (r + 1) * C);
        // NaN compares false with everything: an argmax over it would name class 0.
        const bad = row.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          throw new NonFiniteError(`evaluate: the model's output for row ${start + r} is ${row[bad]} at column ${bad}, so loss and accuracy are undefined`);
        }
        if (this.loss === 'cross_entropy') {
          const label = target[start + r]!;
          let mx = -Infinity, arg = 0;
          for (let c = 0; c < C; c++) if (row[c]! > mx) { mx = row[c]!; arg = c; }
          let sum = 0;
          for (let c = 0; c < C; c++) sum += Math.exp(row[c]! - mx);
          lossSum += Math.log(sum) + mx - row[label]!;
          if (arg === label) correct++;
        } else {
          for (let c = 0; c < C; c++) lossSum += (row[c]! - target[(start + r) * C + c]!) ** 2 / C;
        }
      }
    }
    return { loss: lossSum / n, accuracy: this.loss === 'cross_entropy' ? correct / n : null };
  }

  // ---- training ----

  /**
   * One training step: forward, loss, backward and the optimizer update.
   * Returns the loss. If the loss or a gradient is NaN or infinite, throws
   * NonFiniteError and leaves the parameters and optimizer state untouched.
   */
  trainStep(x: ArrayLike<number>, target: Target, optimizer: Optimizer): number {
    checkOptimizer(optimizer);
    return this.runStep(x, target, optimizer, false).loss;
  }

  /** Forward, loss and backward without an update; gradients() then holds them. */
  lossAndGradients(x: ArrayLike<number>, target: Target, options: { inputGradient?: boolean } = {}): StepResult {
    checkOptionKeys('lossAndGradients', options, ['inputGradient']);
    const inputGradient = options.inputGradient ?? false;
    checkBoolean('inputGradient', inputGradient);
    return this.runStep(x, target, null, inputGradient);
  }

  /** The flat parameter block an optimizer updates. */
  parameterBlock(): ParameterBlock {
    this.checkAlive();
    return {
      runtime: this.runtime, weights: this.weightsPtr, gradients: this.gradientsPtr, count: this.parameterCount, owner: this,
      version: this.version, written: () => ++this.version, gradientMaxAbs: this.gradientMaxAbs,
    };
  }

  /** Bytes of GEMM packing workspace a step with this batch needs (the largest of its products). */
  gemmWorkspaceBytes(batch: number): number {
    const core = this.runtime.core;
    let bytes = 0;
    let first = true;
    for (const l of this.layers) {
      if (l.type !== 'linear') continue;
      bytes = Math.max(
        bytes,
        core.gemmScratchBytes(batch, l.outFeatures, l.inFeatures),
        core.gemmScratchBytes(l.outFeatures, l.inFeatures, batch),
        first ? 0 : core.gemmScratchBytes(batch, l.inFeatures, l.outFeatures),
      );
      first = false;
    }
    return bytes;
  }

  private runStep(x: ArrayLike<number>, target: Target, optimizer: Optimizer | null, wantInputGrad: boolean): StepResult {
    const batch = this.batchOf(x);
    this.checkTarget(target, batch);
    optimizer?.check(this.parameterBlock());
    const rt = this.runtime, arena = rt.arena, core = rt.core;
    const stepNo = this.steps + 1;

    // Everything this step allocates, so a failure part-way frees it all.
    const live = new Set<number>();
    const alloc = (bytes: number, category: Category, what: string) => {
      const p = arena.alloc(bytes, category, what);
      live.add(p);
      return p;
    };
    const free = (p: number) => {
      if (live.delete(p)) arena.free(p);
    };
    const at = (layer: string, phase: Phase) => arena.setContext(layer, phase);

    try {
      at('model', 'setup');
      if (!this.gradientsPtr) this.gradientsPtr = arena.alloc(this.parameterCount * 4, 'gradients', 'gradients');
      reserveGemmWorkspace(rt, this.gemmWorkspaceBytes(batch));
      const xPtr = alloc(batch * this.inFeatures * 4, 'inputs', 'input batch');
      new Float32Array(rt.memory.buffer, xPtr, batch * this.inFeatures).set(x);
      const targetPtr = this.stageTarget(target, batch, alloc);

      // Forward: outs[i] is layer i's output (0 while not held); outs[-1] is x.
      const outs: number[] = [];
      const input = (i: number) => (i === 0 ? xPtr : outs[i - 1]!);
      const drop = (i: number) => {
        free(outs[i]!);
        outs[i] = 0;
      };
      this.layers.forEach((l, i) => {
        at(layerName(l, i), 'forward');
        if (l.type === 'activation' && this.inplace && savesOutput(l.kind)) {
          this.forwardLayer(i, input(i), input(i), batch);
          outs[i] = input(i);
        } else {
          const category = this.droppedInForward(i) ? 'workspace' : this.outputCategory(i);
          outs[i] = alloc(batch * outWidth(this.layers, i) * 4, category, `output of layer ${i}`);
          this.forwardLayer(i, input(i), outs[i]!, batch);
          // A ReLU/Sigmoid/Tanh differentiates from its output, and a checkpointed
          // activation recomputes its input in backward: either way the input is done.
          if (l.type === 'activation' && (savesOutput(l.kind) || this.checkpointed.has(i))) drop(i - 1);
        }
        // A checkpointed activation's output lives only until this Linear has read it.
        if (this.checkpointed.has(i - 1)) drop(i - 1);
      });

      // Re-runs the forward of checkpointed activation j and the Linear before it,
      // allocating as a step without checkpointing would have (header comment).
      const recompute = (j: number) => {
        const lin = j - 1;
        const act = this.layers[j] as ActivationSpec;
        if (this.checkpointed.has(lin - 1) && !outs[lin - 1]) recompute(lin - 1);
        const bytes = batch * outWidth(this.layers, j) * 4;
        at(layerName(this.layers[lin]!, lin), 'backward');
        outs[lin] = alloc(bytes, this.outputCategory(lin), `output of layer ${lin} (recomputed)`);
        this.forwardLayer(lin, input(lin), outs[lin]!, batch);
        at(layerName(act, j), 'backward');
        if (this.inplace && savesOutput(act.kind)) {
          this.forwardLayer(j, outs[lin]!, outs[lin]!, batch);
          outs[j] = outs[lin]!;
          return;
        }
        outs[j] = alloc(bytes, 'activations', `output of layer ${j} (recomputed)`);
        this.forwardLayer(j, outs[lin]!, outs[j]!, batch);
        if (savesOutput(act.kind)) drop(lin);
      };

      const last = this.layers.length - 1;
      const prediction = outs[last]!;
      const n = batch * this.outFeatures;
      at('loss', 'forward');
      let loss: number;
      let probs = 0;
      if (this.loss === 'cross_entropy') {
        probs = alloc(n * 4, 'activations', 'softmax probabilities');
        loss = core.crossEntropyForward(prediction, targetPtr, probs, batch, this.outFeatures);
        free(prediction);
      } else {
        loss = core.mseForward(prediction, targetPtr, n);
      }
      if (!Number.isFinite(loss)) throw this.nonFiniteLoss(stepNo, loss, x);

      // Backward.
      at('loss', 'backward');
      let grad = alloc(n * 4, 'workspace', 'loss gradient');
      if (this.loss === 'cross_entropy') {
        core.crossEntropyBackward(probs, targetPtr, grad, batch, this.outFeatures);
        free(probs);
      } else {
        core.mseBackward(prediction, targetPtr, grad, n);
        free(prediction);
      }
      let inputGradient: Float32Array | undefined;
      // From here the gradients block is overwritten: until it is whole and finite, gradients() has none to give.
      this.gradientsMissing = `no gradients: the backward pass of step ${stepNo} did not complete`;
      for (let i = last; i >= 0; i--) {
        const l = this.layers[i]!;
        at(layerName(l, i), 'backward');
        if (l.type === 'linear') {
          if (this.checkpointed.has(i - 1) && !outs[i - 1]) {
            recompute(i - 1);
            at(layerName(l, i), 'backward');
          }
          const { w, b } = this.linearOffsets.get(i)!;
          const gW = this.gradientsPtr + w * 4;
          // dW = dY^T X  (out x in)
          coreGemm(rt, 1, 0, l.outFeatures, l.inFeatures, batch, 1, grad, l.outFeatures, input(i), l.inFeatures, 0, gW, l.inFeatures);
          if (b >= 0) core.biasGrad(grad, this.gradientsPtr + b * 4, batch, l.outFeatures);
          if (i > 0 || wantInputGrad) {
            // dX = dY W  (batch x in)
            const dIn = alloc(batch * l.inFeatures * 4, 'workspace', `input gradient of layer ${i}`);
            coreGemm(rt, 0, 0, batch, l.inFeatures, l.outFeatures, 1, grad, l.outFeatures, this.weightsPtr + w * 4, l.inFeatures, 0, dIn, l.inFeatures);
            if (i === 0) inputGradient = new Float32Array(rt.memory.buffer, dIn, batch * l.inFeatures).slice();
            free(grad);
            grad = dIn;
          } else {
            free(grad);
            grad = 0;
          }
          // A Linear fed by a Linear frees its saved input itself (no activation between them will).
          if (i > 0 && this.layers[i - 1]!.type === 'linear') free(input(i));
        } else {
          const width = outWidth(this.layers, i);
          const saved = savesOutput(l.kind) ? outs[i]! : input(i);
          core.activationBackward(ACTIVATION_CODE[l.kind], saved, grad, grad, batch * width, l.slope);
          free(outs[i]!);
          if (!savesOutput(l.kind)) free(input(i));
        }
      }
      if (grad) free(grad);
      this.checkGradients(stepNo);
      this.gradientsMissing = '';

      if (optimizer) {
        at(optimizer.name, 'optimizer');
        const bad = optimizer.step(this.parameterBlock());
        if (bad >= 0) {
          const s = this.slots.find((q) => bad >= q.offset && bad < q.offset + q.count)!;
          throw new NonFiniteError(
            `step ${stepNo}: the ${optimizer.name} update would make ${s.name} (layer ${s.layer}, ${layerName(this.layers[s.layer]!, s.layer)}) non-finite; parameters and optimizer state were not updated`,
          );
        }
        this.steps = stepNo;
      }
      at('model', 'setup');
      return inputGradient ? { loss, inputGradient } : { loss };
    } finally {
      for (const p of live) arena.free(p);
      arena.setContext('model', 'setup');
    }
  }

  /** Whether the forward pass holds layer i's output only as a temporary because of checkpointing. */
  private droppedInForward(i: number): boolean {
    return this.checkpointed.has(i) || (this.layers[i]!.type === 'linear' && this.checkpointed.has(i + 1));
  }

  /** Where layer i's output lives during training without checkpointing (see the header comment). */
  private outputCategory(i: number): Category {
    const l = this.layers[i]!;
    if (l.type === 'activation') return 'activations';
    const next = this.layers[i + 1];
    if (!next) return this.loss === 'mse' ? 'activations' : 'workspace';
    if (next.type === 'linear') return 'activations';
    return savesOutput(next.kind) && !this.inplace ? 'workspace' : 'activations';
  }

  /**
   * The forward pass over the batch at `xPtr` with nothing kept for backward:
   * each layer's output is a workspace temporary, freed once the next layer has
   * read it. Stops early when `stop(i, output)` says so. Returns the last output
   * (the caller frees it); on an error frees all it allocated.
   */
  private forwardTemporaries(xPtr: number, batch: number, stop: (i: number, output: number) => boolean = () => false): number {
    const arena = this.runtime.arena;
    let cur = xPtr, next = 0;
    try {
      for (let i = 0; i < this.layers.length; i++) {
        arena.setContext(layerName(this.layers[i]!, i), 'forward');
        next = arena.alloc(batch * outWidth(this.layers, i) * 4, 'workspace', `output of layer ${i}`);
        this.forwardLayer(i, cur, next, batch);
        if (cur !== xPtr) arena.free(cur);
        cur = next;
        next = 0;
        if (stop(i, cur)) break;
      }
      return cur;
    } catch (e) {
      if (next) arena.free(next);
      if (cur !== xPtr) arena.free(cur);
      throw e;
    }
  }

  private forwardLayer(i: number, input: number, output: number, batch: number): void {
    const l = this.layers[i]!;
    const core = this.runtime.core;
    if (l.type === 'linear') {
      const { w, b } = this.linearOffsets.get(i)!;
      // y = x W^T (+ b)
      coreGemm(this.runtime, 0, 1, batch, l.outFeatures, l.inFeatures, 1, input, l.inFeatures, this.weightsPtr + w * 4, l.inFeatures, 0, output, l.outFeatures);
      if (b >= 0) core.addBias(output, this.weightsPtr + b * 4, batch, l.outFeatures);
    } else {
      core.activationForward(ACTIVATION_CODE[l.kind], input, output, batch * outWidth(this.layers, i), l.slope);
    }
  }

  private checkGradients(step: number): void {
    const core = this.runtime.core;
    // One pass answers "all finite?" and gives the optimizer its bound.
    this.gradientMaxAbs = core.maxAbs(this.gradientsPtr, this.parameterCount);
    if (Number.isFinite(this.gradientMaxAbs)) return;
    // Backward order: an overflow that starts in a late layer flows into every earlier one.
    for (const s of [...this.slots].reverse()) {
      const bad = core.firstNonFinite(this.gradientsPtr + s.offset * 4, s.count);
      if (bad >= 0) {
        const v = new Float32Array(this.runtime.memory.buffer, this.gradientsPtr + (s.offset + bad) * 4, 1)[0];
        const message = `step ${step}: gradient of ${s.name} (layer ${s.layer}, ${layerName(this.layers[s.layer]!, s.layer)}) is ${v} at index ${bad}; parameters were not updated`;
        this.gradientsMissing = `no gradients: ${message}`;
        throw new NonFiniteError(message);
      }
    }
  }

  /** Names where a non-finite loss came from: the batch itself or the first layer whose output goes non-finite. */
  private nonFiniteLoss(step: number, loss: number, x: ArrayLike<number>): NonFiniteError {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      // The batch is copied in as float32, where a value beyond its range is infinite.
      if (!isFiniteFloat32(v)) {
        const r = Math.floor(i / this.inFeatures), c = i % this.inFeatures;
        const why = Number.isFinite(v) ? ' (beyond float32)' : '';
        return new NonFiniteError(`step ${step}: loss is ${loss} because the input batch has ${v}${why} at row ${r}, column ${c}; parameters were not updated`);
      }
    }
    let where = 'the loss itself (check the targets)';
    const batch = this.batchOf(x);
    const rt = this.runtime;
    const xPtr = this.stage(x, 'workspace', 'diagnostic forward');
    try {
      const out = this.forwardTemporaries(xPtr, batch, (i, output) => {
        if (rt.core.firstNonFinite(output, batch * outWidth(this.layers, i)) < 0) return false;
        where = `the output of layer ${i} (${layerName(this.layers[i]!, i)})`;
        return true;
      });
      rt.arena.free(out);
    } finally {
      rt.arena.free(xPtr);
    }
    return new NonFiniteError(`step ${step}: loss is ${loss}; the first non-finite value appears in ${where}; parameters were not updated`);
  }

  // ---- argument checks ----

  private batchOf(x: ArrayLike<number>): number {
    this.checkAlive();
    if (typeof x !== 'object' || x === null || !Number.isSafeInteger(x.length) || x.length < 0) {
      throw new ArgumentError(`x must be a Float32Array (or array of numbers) of batch x inFeatures values, got ${describeValue(x)}`);
    }
    if (x.length === 0 || x.length % this.inFeatures !== 0) {
      throw new ShapeError(`x has ${x.length} values; expected a positive multiple of inFeatures = ${this.inFeatures} (batch x ${this.inFeatures})`);
    }
    return x.length / this.inFeatures;
  }

  private checkTarget(target: Target, batch: number): void {
    if (typeof target !== 'object' || target === null || !Number.isSafeInteger(target.length) || target.length < 0) {
      throw new ArgumentError(`target must be an array of labels (cross-entropy) or targets (mse), got ${describeValue(target)}`);
    }
    if (this.loss === 'cross_entropy') {
      if (target.length !== batch) throw new ShapeError(`labels has ${target.length} entries; the batch has ${batch} rows`);
      for (let i = 0; i < target.length; i++) {
        const v = target[i]!;
        if (!Number.isInteger(v) || v < 0 || v >= this.outFeatures) {
          throw new ArgumentError(`label ${i} is ${v}; labels must be integers in [0, ${this.outFeatures - 1}] for ${this.outFeatures} classes`);
        }
      }
    } else if (target.length !== batch * this.outFeatures) {
      throw new ShapeError(`targets has ${target.length} values; expected batch ${batch} x outFeatures ${this.outFeatures} = ${batch * this.outFeatures}`);
    }
  }

  private stage(x: ArrayLike<number>, category: Category, what: string): number {
    const p = this.runtime.arena.alloc(x.length * 4, category, what);
    new Float32Array(this.runtime.memory.buffer, p, x.length).set(x);
    return p;
  }

  private stageTarget(target: Target, batch: number, alloc: (b: number, c: Category, w: string) => number): number {
    if (this.loss === 'cross_entropy') {
      const p = alloc(batch * 4, 'inputs', 'labels');
      new Int32Array(this.runtime.memory.buffer, p, batch).set(target);
      return p;
    }
    const p = alloc(target.length * 4, 'inputs', 'targets');
    new Float32Array(this.runtime.memory.buffer, p, target.length).set(target);
    return p;
  }

  private checkAlive(): void {
    if (this.disposed) throw new ArgumentError('this model was disposed');
  }

  /** Frees the model's weights and gradients. */
  dispose(): void {
    if (this.disposed) return;
    this.runtime.arena.free(this.weightsPtr);
    if (this.gradientsPtr) this.runtime.arena.free(this.gradientsPtr);
    this.disposed = true;
  }
}

/** Checks that layers chain: Linear, then optional activation, ..., ending with a Linear. */
export function validateLayers(layers: readonly LayerSpec[]): void {
  if (!Array.isArray(layers) || layers.length === 0) throw new ArgumentError('a Sequential needs at least one layer');
  let width: number | null = null;
  layers.forEach((l, i) => {
    if (l?.type === 'linear') {
      checkInt(`layer ${i} inFeatures`, l.inFeatures, 1);
      checkInt(`layer ${i} outFeatures`, l.outFeatures, 1);
      if (width !== null && l.inFeatures !== width) {
        throw new ShapeError(`layer ${i} (Linear) takes ${l.inFeatures} features but layer ${i - 1} produces ${width}`);
      }
      width = l.outFeatures;
    } else if (l?.type === 'activation') {
      if (!Object.hasOwn(ACTIVATION_CODE, l.kind)) throw new ArgumentError(`layer ${i}: unknown activation '${String(l.kind)}'`);
      if (i === 0 || layers[i - 1]!.type !== 'linear') throw new ArgumentError(`layer ${i} (${l.kind}) must follow a Linear layer`);
      // The core reads the slope as float32, where 1e39 is infinite.
      if (!isFiniteFloat32(l.slope)) {
        throw new ArgumentError(`layer ${i}: slope must be finite${Number.isFinite(l.slope) ? ' in float32' : ''}, got ${l.slope}`);
      }
    } else {
      throw new ArgumentError(`layer ${i} is not a layer description (use Linear(), ReLU(), ...)`);
    }
  });
  if (layers[layers.length - 1]!.type !== 'linear') throw new ArgumentError('the last layer must be a Linear (the loss takes its output)');
}

/**
 * Checks a `checkpoint` list against (already validated) layers and returns it as a set: each
 * entry an index of an activation layer, none twice. (An activation is always
 * preceded and followed by a Linear, validateLayers sees to it: the one before
 * recomputes its input, the one after is why its output is needed.)
 */
export function validateCheckpoint(layers: readonly LayerSpec[], checkpoint: readonly number[] | undefined): ReadonlySet<number> {
  const set = new Set<number>();
  if (checkpoint === undefined) return set;
  if (!Array.isArray(checkpoint)) throw new ArgumentError(`checkpoint must be an array of activation-layer indices, got ${String(checkpoint)}`);
  const activations = layers.flatMap((l, i) => (l.type === 'activation' ? [i] : []));
  const these = activations.length ? `this model's activation layers are ${activations.join(', ')}` : 'this model has no activation layers';
  checkpoint.forEach((c, k) => {
    if (!Number.isInteger(c) || c < 0 || c >= layers.length) {
      throw new ArgumentError(`checkpoint[${k}] must be a layer index in [0, ${layers.length - 1}], got ${c}; ${these}`);
    }
    const l = layers[c]!;
    if (l.type !== 'activation') {
      throw new ArgumentError(`checkpoint[${k}] is layer ${c}, a Linear; only activation layers can be checkpointed (${these})`);
    }
    if (set.has(c)) throw new ArgumentError(`checkpoint lists layer ${c} (${layerName(l, c)}) twice`);
    set.add(c);
  });
  return set;
}

export function layerName(l: LayerSpec, i: number): string {
  return l.type === 'linear' ? `linear${i}` : `${l.kind}${i}`;
}

/** Features out of layer i. */
export function outWidth(layers: readonly LayerSpec[], i: number): number {
  for (let j = i; j >= 0; j--) {
    const l = layers[j]!;
    if (l.type === 'linear') return l.outFeatures;
  }
  throw new ArgumentError('no Linear before layer ' + i);
}

/** The (name, values, shape?) entries of any form setParameters takes. */
function parameterEntries(values: unknown): { name: string; data: ArrayLike<number>; shape?: unknown }[] {
  if (values instanceof Map) return [...values].map(([name, data]) => ({ name: String(name), data }));
  if (Array.isArray(values)) {
    return values.map((p, i) => {
      if (typeof p !== 'object' || p === null || typeof p.name !== 'string') {
        throw new ArgumentError(`setParameters list entry ${i} must be { name, shape, data } as parameters() returns, got ${describeValue(p)}`);
      }
      return { name: p.name, data: p.data, shape: p.shape };
    });
  }
  if (typeof values === 'object' && values !== null && !ArrayBuffer.isView(values)) {
    return Object.entries(values).map(([name, data]) => ({ name, data }));
  }
  throw new ArgumentError(`setParameters needs { name: values }, a Map or a parameters() list, got ${describeValue(values)}`);
}

function sliceRows(x: ArrayLike<number>, start: number, end: number, width: number): ArrayLike<number> {
  return x instanceof Float32Array ? x.subarray(start * width, end * width) : Array.prototype.slice.call(x, start * width, end * width);
}

