// A Sequential model trained entirely in WASM: parameters and gradients each
// live in one flat block (llm.c style), and a step is run by executing its
// step plan (src/plan/step-plan.ts, which says what a step allocates and
// when): every buffer through the category-tagged arena, stamped with the
// layer and phase the plan names, every kernel call through the layer's
// module (src/nn/layers/).

import type { Category } from '../memory/categories.js';
import { ArgumentError, NonFiniteError, ShapeError, checkBoolean, checkInt, checkOptions, describeValue, isFiniteFloat32, orDefault } from '../errors.js';
import { checkOptimizer, type Optimizer, type ParameterBlock } from '../optim/optimizer.js';
import { StepBuffers } from '../plan/step-buffers.js';
import { BATCH, type BufferId, inferencePlan, type PlanOp, trainingStepPlan } from '../plan/step-plan.js';
import { checkRuntime, type Runtime } from '../runtime.js';
import type { LayerCall } from './layer.js';
import { type LayerSpec, layerName, moduleOf, outWidth, parameterSlots, validateCheckpoint, validateLayers } from './layers.js';
import { LOSS_KINDS, type LossKind, lossModule } from './loss.js';
import { checkParameterValues, type NamedParameter, readParameters, type ParameterValues } from './named-parameters.js';
import { Random } from './random.js';
import { readerOf } from '../memory/wasm-views.js';
import { checkLiveView } from '../tensor.js';

export { layerName, outWidth, validateCheckpoint, validateLayers } from './layers.js';
export type { LossKind } from './loss.js';
export type { NamedParameter, ParameterValue, ParameterValues } from './named-parameters.js';

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

export interface StepResult {
  loss: number;
  /** d loss / d input, batch x inFeatures, when asked for. */
  inputGradient?: Float32Array;
}

/** Labels for cross-entropy (class indices) or targets for MSE (batch x outFeatures). */
export type Target = Int32Array | Float32Array | ArrayLike<number>;

/**
 * A batch that writes itself into the step's buffers in WASM memory, such as
 * rows gathered in the core from a dataset that lives there (ResidentImages):
 * no JS loop over the values and no copy in.
 */
export interface BatchSource {
  readonly rows: number;
  /** Writes rows x inFeatures float32 at `x`, and the rows' labels (int32) or targets (float32) at `target`. */
  fill(x: number, target: number): void;
}

/** What a step reads: arrays the caller holds, or a source that fills WASM memory itself. */
type StepInput = { x: ArrayLike<number>; target: Target } | { source: BatchSource };


/** Seeds are 32-bit: the generator reads seed >>> 0, so -1 or 2^32 would silently be another seed. */
const MAX_SEED = 2 ** 32 - 1;

/**
 * Checks a layer list and Sequential options (everything but the runtime)
 * and returns the options with their defaults, allocating nothing: what the
 * constructor runs first, and what callers that build a model later (the
 * profiler) run before any other work.
 */
export function checkSequentialOptions(layers: readonly LayerSpec[], options: SequentialOptions | undefined): { loss: LossKind; inplace: boolean; checkpoint: ReadonlySet<number>; seed: number } {
  const o = checkOptions('Sequential', options, ['seed', 'loss', 'inplace', 'checkpoint']) as SequentialOptions;
  validateLayers(layers);
  // Only undefined takes a default: null is a value, and refused.
  const loss = orDefault(o.loss, 'cross_entropy') as LossKind;
  if (!LOSS_KINDS.includes(loss)) throw new ArgumentError(`loss must be 'cross_entropy' or 'mse', got ${describeValue(loss)}`);
  const inplace = orDefault(o.inplace, false);
  checkBoolean('inplace', inplace);
  const checkpoint = validateCheckpoint(layers, o.checkpoint);
  const seed = orDefault(o.seed, 0);
  checkInt('seed', seed, 0, MAX_SEED);
  return { loss, inplace, checkpoint, seed };
}

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

  private readonly slots: ReturnType<typeof parameterSlots>;
  private readonly checkpointed: ReadonlySet<number>;
  private weightsPtr: number;
  private gradientsPtr = 0;
  private disposed = false;
  /** Counts every write of the parameters, so optimizer bounds taken before one are not trusted. */
  private version = 0;
  /** Largest |gradient| of the last backward pass (NaN before the first). */
  private gradientMaxAbs = NaN;
  /** Why gradients() has nothing to give: before the first step, or after a backward pass that failed part-way. */
  private gradientsMissing = 'no gradients yet: run trainStep or lossAndGradients first';
  private readonly plans = new Map<string, readonly PlanOp[]>();
  /** Per layer: its input width and its parameters' offsets (bytes) in the weights and gradients blocks. */
  private readonly layerCalls: { inWidth: number; offsets: number[] }[];
  /** Per layer its parameters' pointers, bound once for the gradients block they were made with. */
  private layerPointers: { weights: number[]; gradients: number[] }[] = [];
  private pointersForGradients = -1;

  constructor(
    readonly runtime: Runtime,
    layers: readonly LayerSpec[],
    options: SequentialOptions = {},
  ) {
    checkRuntime(runtime, 'Sequential');
    const config = checkSequentialOptions(layers, options);
    this.layers = layers.map((l) => ({ ...l }));
    this.loss = config.loss;
    this.inplace = config.inplace;
    this.checkpointed = config.checkpoint;
    this.checkpoint = [...this.checkpointed].sort((a, b) => a - b);
    this.slots = parameterSlots(this.layers);
    this.parameterCount = this.slots.reduce((s, p) => s + p.count, 0);
    this.inFeatures = (this.layers[0] as { inFeatures: number }).inFeatures;
    this.outFeatures = (this.layers[this.layers.length - 1] as { outFeatures: number }).outFeatures;
    this.layerCalls = this.layers.map((_, i) => ({
      inWidth: i === 0 ? this.inFeatures : outWidth(this.layers, i - 1),
      offsets: this.slots.filter((s) => s.layer === i).map((s) => s.offset * 4),
    }));

    runtime.arena.setContext('model', 'setup');
    this.weightsPtr = runtime.arena.alloc(this.parameterCount * 4, 'weights', `weights of ${this.parameterCount} parameters`);
    this.initialise(config.seed);
  }

  /** Each layer's default initialisation, drawn in parameter order from one seeded generator. */
  private initialise(seed: number): void {
    const rng = new Random(seed);
    const w = this.weightView();
    this.layers.forEach((l, i) => {
      const values = this.slots.filter((s) => s.layer === i).map((s) => w.subarray(s.offset, s.offset + s.count));
      moduleOf(l).initialise(l, (lo, hi) => rng.uniform(lo, hi), values);
    });
  }

  private weightView(): Float32Array {
    this.checkAlive();
    return new Float32Array(this.runtime.memory.buffer, this.weightsPtr, this.parameterCount);
  }

  // ---- parameters and gradients, in PyTorch's names and layout ----

  parameters(): NamedParameter[] {
    return readParameters(this.slots, this.weightView());
  }

  /** Gradients of the last step (or lossAndGradients call). */
  gradients(): NamedParameter[] {
    this.checkAlive();
    if (this.gradientsMissing) throw new ArgumentError(this.gradientsMissing);
    return readParameters(this.slots, new Float32Array(this.runtime.memory.buffer, this.gradientsPtr, this.parameterCount));
  }

  /**
   * Sets parameters by name from `{ name: values }`, a Map (a state dict), a
   * parameters() list or a weights document (`weightsOf`, `readWeights`),
   * strict by default as PyTorch's load_state_dict (src/nn/named-parameters.ts).
   * Every value is checked before any is written, so a bad argument leaves
   * the model as it was.
   */
  setParameters(values: ParameterValues, options: { strict?: boolean } = {}): void {
    this.checkAlive();
    const writes = checkParameterValues(this.slots, values, options);
    const w = this.weightView();
    for (const { slot, data } of writes) w.set(data, slot.offset);
    this.version++;
  }

  // ---- inference ----

  /** Runs the model forward on a batch (rows of inFeatures) without saving anything for backward. */
  predict(x: ArrayLike<number>): Float32Array {
    const batch = this.batchOf(x);
    return this.runInference(x, batch, 'inputs', 'input batch', (out) => new Float32Array(this.runtime.memory.buffer, out, batch * this.outFeatures).slice());
  }

  /** Same as predict. */
  forward(x: ArrayLike<number>): Float32Array {
    return this.predict(x);
  }

  /** Mean loss and (for cross-entropy) accuracy over a dataset, in batches. */
  evaluate(x: ArrayLike<number>, target: Target, options: { batchSize?: number } = {}): { loss: number; accuracy: number | null } {
    const n = this.batchOf(x);
    this.checkTarget(target, n);
    checkOptions('evaluate', options, ['batchSize']);
    const bs = orDefault(options.batchSize, 256);
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
    return this.runStep({ x, target }, optimizer, false).loss;
  }

  /** trainStep over a batch that fills its buffers in WASM memory itself. */
  trainStepOn(source: BatchSource, optimizer: Optimizer): number {
    checkOptimizer(optimizer);
    if (typeof source !== 'object' || source === null || typeof source.fill !== 'function') {
      throw new ArgumentError(`trainStepOn needs a batch source with rows and fill(), got ${describeValue(source)}`);
    }
    checkInt('source rows', source.rows, 1);
    return this.runStep({ source }, optimizer, false).loss;
  }

  /** Forward, loss and backward without an update; gradients() then holds them. */
  lossAndGradients(x: ArrayLike<number>, target: Target, options: { inputGradient?: boolean } = {}): StepResult {
    checkOptions('lossAndGradients', options, ['inputGradient']);
    const inputGradient = orDefault(options.inputGradient, false);
    checkBoolean('inputGradient', inputGradient);
    return this.runStep({ x, target }, null, inputGradient);
  }

  /** The flat parameter block an optimizer updates. */
  parameterBlock(): ParameterBlock {
    this.checkAlive();
    return {
      runtime: this.runtime, weights: this.weightsPtr, gradients: this.gradientsPtr, count: this.parameterCount, owner: this,
      version: this.version, written: () => ++this.version, gradientMaxAbs: this.gradientMaxAbs,
    };
  }

  /** The plan of one training step with this batch, from where the model stands now. */
  stepPlan(batch: number, optimizer: Optimizer | null = null, inputGradient = false): readonly PlanOp[] {
    const update = optimizer && { name: optimizer.name, stateBytes: optimizer.stateBytes(this.parameterCount) };
    const hasGradients = this.gradientsPtr !== 0, hasOptimizerState = optimizer?.hasState(this) ?? false;
    // Steps repeat: a plan is built once per batch size and situation, then reused.
    const key = `${batch} ${inputGradient} ${hasGradients} ${hasOptimizerState} ${update?.name} ${update?.stateBytes}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = trainingStepPlan({
        layers: this.layers, loss: this.loss, inplace: this.inplace, checkpoint: this.checkpointed, batch, build: this.runtime.build, threads: this.runtime.threads,
        inputGradient, optimizer: update, hasGradients, hasOptimizerState,
      });
      if (this.plans.size >= 64) this.plans.clear(); // many batch sizes: keep the cache small
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Bytes of GEMM packing workspace a step with this batch needs (the largest of its products). */
  gemmWorkspaceBytes(batch: number): number {
    const reserve = this.stepPlan(batch).find((op) => op.op === 'reserve-workspace');
    return reserve?.op === 'reserve-workspace' ? reserve.bytes : 0;
  }

  /** Executes the plan of one training step. */
  private runStep(input: StepInput, optimizer: Optimizer | null, wantInputGrad: boolean): StepResult {
    const arrays = 'x' in input ? input : null;
    const batch = arrays ? this.batchOf(arrays.x) : (input as { source: BatchSource }).source.rows;
    if (arrays) this.checkTarget(arrays.target, batch);
    const readX = arrays && readerOf(this.runtime.memory, arrays.x), readTarget = arrays && readerOf(this.runtime.memory, arrays.target);
    this.checkAlive();
    optimizer?.check(this.parameterBlock());
    const rt = this.runtime, arena = rt.arena;
    const stepNo = this.steps + 1;
    const lossOf = lossModule(this.loss);
    const plan = this.stepPlan(batch, optimizer, wantInputGrad);

    // Every buffer of the step; a failure part-way gives them all back.
    const buffers = new StepBuffers(rt);
    let loss = NaN, batchPtr = 0;
    let inputGradient: Float32Array | undefined;
    try {
      for (const op of plan) {
        arena.setContext(op.layer, op.phase);
        switch (op.op) {
          case 'alloc': {
            const p = buffers.alloc(op.buffer, op.bytes, op.category, op.what, op.role === 'gradients');
            if (op.role === 'gradients') this.gradientsPtr = p;
            if (op.role === 'batch') {
              batchPtr = p;
              if (readX) new Float32Array(rt.memory.buffer, p, batch * this.inFeatures).set(readX());
            }
            if (op.role === 'target') {
              if (readTarget) this.stageTarget(readTarget(), p);
              else (input as { source: BatchSource }).source.fill(batchPtr, p);
            }
            // From the first write of the gradients until they are whole and finite, gradients() has none to give.
            if (op.role === 'loss-gradient') this.gradientsMissing = `no gradients: the backward pass of step ${stepNo} did not complete`;
            break;
          }
          case 'free':
            buffers.free(op.buffer);
            break;
          case 'reserve-workspace':
            buffers.reserveWorkspace(op.bytes);
            break;
          case 'forward':
            this.callLayer(op.index, batch, buffers.at(op.input), buffers.at(op.output), (m, l, call) => m.forward(l, call));
            break;
          case 'loss-forward':
            loss = lossOf.forward(rt, buffers.at(op.prediction), buffers.at(op.target), op.saved === null ? 0 : buffers.at(op.saved), batch, this.outFeatures);
            if (!Number.isFinite(loss)) {
              // A source's batch is read back from WASM memory for the diagnosis.
              const x = arrays?.x ?? new Float32Array(rt.memory.buffer, batchPtr, batch * this.inFeatures).slice();
              throw this.nonFiniteLoss(stepNo, loss, x);
            }
            break;
          case 'loss-backward':
            lossOf.backward(rt, buffers.at(op.prediction), buffers.at(op.target), op.saved === null ? 0 : buffers.at(op.saved), buffers.at(op.gradient), batch, this.outFeatures);
            break;
          case 'backward': {
            const gradInput = op.gradInput === null ? 0 : buffers.at(op.gradInput);
            this.callLayer(op.index, batch, buffers.at(op.input), buffers.at(op.output), (m, l, call) =>
              m.backward(l, { ...call, gradOutput: buffers.at(op.gradOutput), gradInput }),
            );
            if (op.index === 0 && gradInput) inputGradient = new Float32Array(rt.memory.buffer, gradInput, batch * this.inFeatures).slice();
            break;
          }
          case 'check-gradients':
            this.checkGradients(stepNo);
            this.gradientsMissing = '';
            break;
          case 'optimizer':
            this.applyUpdate(optimizer!, stepNo);
            break;
        }
      }
      return inputGradient ? { loss, inputGradient } : { loss };
    } catch (e) {
      // A refused step leaves the memory it found, the gradients block of a first step included.
      if (buffers.abandon()) this.gradientsPtr = 0;
      throw e;
    } finally {
      buffers.release();
    }
  }

  /** Calls layer i's kernels with pointers to its input, output and parameters. */
  private callLayer(i: number, batch: number, input: number, output: number, run: (m: ReturnType<typeof moduleOf>, l: LayerSpec, call: LayerCall) => void): void {
    const l = this.layers[i]!;
    // The gradients block is allocated on the first step (and given back if that step fails): rebind then.
    if (this.pointersForGradients !== this.gradientsPtr) {
      this.layerPointers = this.layerCalls.map(({ offsets }) => ({
        weights: offsets.map((o) => this.weightsPtr + o),
        gradients: offsets.map((o) => this.gradientsPtr + o),
      }));
      this.pointersForGradients = this.gradientsPtr;
    }
    run(moduleOf(l), l, { rt: this.runtime, batch, input, output, inWidth: this.layerCalls[i]!.inWidth, ...this.layerPointers[i]! });
  }

  private applyUpdate(optimizer: Optimizer, stepNo: number): void {
    const bad = optimizer.step(this.parameterBlock());
    if (bad >= 0) {
      const s = this.slots.find((q) => bad >= q.offset && bad < q.offset + q.count)!;
      throw new NonFiniteError(
        `step ${stepNo}: the ${optimizer.name} update would make ${s.name} (layer ${s.layer}, ${layerName(this.layers[s.layer]!, s.layer)}) non-finite; parameters and optimizer state were not updated`,
      );
    }
    this.steps = stepNo;
  }

  /**
   * Executes the inference plan over `x`, hands the last output's pointer to
   * `read`, and frees everything. `stop(i, output)` may end the pass early
   * (the diagnostic forward); then the output read is that layer's.
   */
  private runInference<T>(x: ArrayLike<number>, batch: number, category: Category, what: string, read: (out: number, layer: number) => T, stop?: (i: number, output: number) => boolean): T {
    const rt = this.runtime, arena = rt.arena;
    const { ops } = inferencePlan(this.layers, batch, category, what);
    const ptr = new Map<BufferId, number>();
    const readX = readerOf(rt.memory, x);
    let last = BATCH, lastLayer = -1;
    try {
      for (const op of ops) {
        arena.setContext(op.layer, op.phase);
        if (op.op === 'alloc') {
          ptr.set(op.buffer, arena.alloc(op.bytes, op.category, op.what));
          if (op.buffer === BATCH) new Float32Array(rt.memory.buffer, ptr.get(BATCH)!, batch * this.inFeatures).set(readX());
        } else if (op.op === 'free') {
          arena.free(ptr.get(op.buffer)!);
          ptr.delete(op.buffer);
        } else if (op.op === 'forward') {
          this.callLayer(op.index, batch, ptr.get(op.input)!, ptr.get(op.output)!, (m, l, call) => m.forward(l, call));
          last = op.output;
          lastLayer = op.index;
          if (stop?.(op.index, ptr.get(op.output)!)) break;
        }
      }
      return read(ptr.get(last)!, lastLayer);
    } finally {
      // The result, then the batch (and on an error whatever else is held).
      for (const id of [...ptr.keys()].sort((a, b) => b - a)) arena.free(ptr.get(id)!);
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
    const batch = this.batchOf(x);
    const core = this.runtime.core;
    const bad = this.runInference(x, batch, 'workspace', 'diagnostic forward', (out, i) =>
      core.firstNonFinite(out, batch * outWidth(this.layers, i)) >= 0 ? i : -1,
      (i, out) => core.firstNonFinite(out, batch * outWidth(this.layers, i)) >= 0,
    );
    const where = bad >= 0 ? `the output of layer ${bad} (${layerName(this.layers[bad]!, bad)})` : 'the loss itself (check the targets)';
    return new NonFiniteError(`step ${step}: loss is ${loss}; the first non-finite value appears in ${where}; parameters were not updated`);
  }

  // ---- argument checks ----

  private batchOf(x: ArrayLike<number>): number {
    this.checkAlive();
    if (typeof x !== 'object' || x === null || !Number.isSafeInteger(x.length) || x.length < 0) {
      throw new ArgumentError(`x must be a Float32Array (or array of numbers) of batch x inFeatures values, got ${describeValue(x)}`);
    }
    checkLiveView('Sequential', 'x', x);
    if (x.length === 0 || x.length % this.inFeatures !== 0) {
      throw new ShapeError(`x has ${x.length} values; expected a positive multiple of inFeatures = ${this.inFeatures} (batch x ${this.inFeatures})`);
    }
    checkNumbers('x', x, this.inFeatures);
    return x.length / this.inFeatures;
  }

  private checkTarget(target: Target, batch: number): void {
    if (typeof target !== 'object' || target === null || !Number.isSafeInteger(target.length) || target.length < 0) {
      throw new ArgumentError(`target must be an array of labels (cross-entropy) or targets (mse), got ${describeValue(target)}`);
    }
    checkLiveView('Sequential', 'target', target);
    if (this.loss === 'cross_entropy') {
      if (target.length !== batch) throw new ShapeError(`labels has ${target.length} entries; the batch has ${batch} rows`);
      for (let i = 0; i < target.length; i++) {
        const v = target[i]!;
        if (!Number.isInteger(v) || v < 0 || v >= this.outFeatures) {
          throw new ArgumentError(`label ${i} is ${describeValue(v)}; labels must be integers in [0, ${this.outFeatures - 1}] for ${this.outFeatures} classes`);
        }
      }
    } else if (target.length !== batch * this.outFeatures) {
      throw new ShapeError(`targets has ${target.length} values; expected batch ${batch} x outFeatures ${this.outFeatures} = ${batch * this.outFeatures}`);
    } else {
      checkNumbers('targets', target, this.outFeatures);
    }
  }

  private stageTarget(target: Target, p: number): void {
    const memory = this.runtime.memory.buffer;
    if (this.loss === 'cross_entropy') new Int32Array(memory, p, target.length).set(target);
    else new Float32Array(memory, p, target.length).set(target);
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

/**
 * Throws ArgumentError unless every element of `values` (rows of `width`) is
 * a number: a string would be copied in as NaN, a BigInt or symbol would
 * throw a bare TypeError part-way through a step. Typed arrays other than
 * the BigInt ones hold numbers only and are not walked.
 */
function checkNumbers(name: string, values: ArrayLike<unknown>, width: number): void {
  if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      throw new ArgumentError(`${name} has a value that is not a number at row ${Math.floor(i / width)}, column ${i % width}: ${describeValue(v)}`);
    }
  }
}

function sliceRows(x: ArrayLike<number>, start: number, end: number, width: number): ArrayLike<number> {
  return x instanceof Float32Array ? x.subarray(start * width, end * width) : Array.prototype.slice.call(x, start * width, end * width);
}

