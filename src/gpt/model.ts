// A GPT whose parameters live in one weights block in the core's memory
// (llm.c style), laid out by its parameter table (./parameters.ts) and
// initialised as GPT-2 from a seeded generator. Parameters are read and set
// by nanoGPT's names, so weights move to and from PyTorch directly.

import { ArgumentError, NonFiniteError, ShapeError, checkBoolean, checkInt, checkOptions, describeValue, orDefault } from '../errors.js';
import { checkParameterValues, type NamedParameter, type ParameterValues, readParameters } from '../nn/named-parameters.js';
import { Random } from '../nn/random.js';
import { checkOptimizer, type Optimizer, type ParameterBlock } from '../optim/optimizer.js';
import { generationCacheOps, generationCapacity, generationPass, generationPassPlan } from '../plan/gpt-generation-plan.js';
import { type GPTPlanOp, gptTrainingStepPlan } from '../plan/gpt-step-plan.js';
import { StepBuffers } from '../plan/step-buffers.js';
import { checkRuntime, type Runtime } from '../runtime.js';
import { type GPTConfig, type GPTConfigInput, gptConfig } from './config.js';
import { type GPTParameter, gptDecayedCount, gptParameterCount, gptParameters } from './parameters.js';
import { runKernel, type StepBinding } from './step.js';
import { readerOf } from '../memory/wasm-views.js';
import { checkLiveView } from '../tensor.js';

export interface GPTOptions {
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Attention block by block, saving the logsumexp instead of the T x T probabilities (default false). */
  flashAttention?: boolean;
  /** 'blocks': save only each block's input and recompute the block in backward (default 'none'). */
  recompute?: 'none' | 'blocks';
  /**
   * What the optimizer's weight decay applies to: 'all' parameters (default,
   * as one PyTorch parameter group) or only the 'matrices' and embeddings,
   * as nanoGPT groups them (biases and norm weights undecayed).
   */
  weightDecay?: 'all' | 'matrices';
}

/** A batch of token sequences: B rows of T token ids (T at most the model's seq). */
export type TokenRows = readonly ArrayLike<number>[];

export class GPT {
  readonly config: GPTConfig;
  readonly parameterTable: readonly GPTParameter[];
  readonly parameterCount: number;
  readonly flashAttention: boolean;
  readonly recompute: 'none' | 'blocks';
  readonly weightDecay: 'all' | 'matrices';
  /** The initialisation's seed; with the step number it also seeds the step's dropout masks. */
  readonly seed: number;
  /** Completed training steps. */
  steps = 0;
  private readonly weightsPtr: number;
  private gradientsPtr = 0;
  private readonly byName: ReadonlyMap<string, GPTParameter>;
  private readonly plans = new Map<string, readonly GPTPlanOp[]>();
  /** Why gradients() has nothing to give (empty once a backward pass completed and its gradients are finite). */
  private gradientsMissing = 'no gradients yet: run trainStep or lossAndGradients first';
  private gradientMaxAbs = NaN;
  /** Counts every write of the parameters, so optimizer bounds taken before one are not trusted. */
  private version = 0;
  private disposed = false;

  constructor(
    readonly runtime: Runtime,
    config: GPTConfigInput,
    options: GPTOptions = {},
  ) {
    checkRuntime(runtime, 'GPT');
    const o = checkOptions('GPT', options, ['seed', 'flashAttention', 'recompute', 'weightDecay']);
    const weightDecay = orDefault(o.weightDecay, 'all');
    if (weightDecay !== 'all' && weightDecay !== 'matrices') throw new ArgumentError(`GPT weightDecay must be 'all' or 'matrices', got ${describeValue(weightDecay)}`, { field: 'weightDecay' });
    const seed = orDefault(o.seed, 0);
    checkInt('GPT seed', seed, 0, 2 ** 32 - 1);
    const flash = orDefault(o.flashAttention, false);
    checkBoolean('GPT flashAttention', flash);
    const recompute = orDefault(o.recompute, 'none');
    if (recompute !== 'none' && recompute !== 'blocks') throw new ArgumentError(`GPT recompute must be 'none' or 'blocks', got ${describeValue(recompute)}`, { field: 'recompute' });
    this.config = gptConfig(config);
    this.flashAttention = flash;
    this.recompute = recompute;
    this.seed = seed as number;
    this.weightDecay = weightDecay;
    this.parameterTable = gptParameters(this.config);
    this.parameterCount = gptParameterCount(this.config);
    this.byName = new Map(this.parameterTable.map((p) => [p.name, p]));
    runtime.arena.setContext('model', 'setup');
    this.weightsPtr = runtime.arena.alloc(this.parameterCount * 4, 'weights', `weights of ${this.parameterCount} parameters`);
    this.initialise(seed);
  }

  /** GPT-2's initialisation, drawn in parameter-table order from one seeded generator. */
  private initialise(seed: number): void {
    const rng = new Random(seed);
    const w = this.weightView();
    for (const p of this.parameterTable) {
      const values = w.subarray(p.offset, p.offset + p.count);
      if (p.init.kind === 'normal') for (let i = 0; i < values.length; i++) values[i] = rng.normal(0, p.init.std);
      else values.fill(p.init.kind === 'ones' ? 1 : 0);
    }
  }

  private weightView(): Float32Array {
    if (this.disposed) throw new ArgumentError('this GPT was disposed');
    return new Float32Array(this.runtime.memory.buffer, this.weightsPtr, this.parameterCount);
  }

  /** Copies of every parameter, in named_parameters() order (a tied head reads transformer.wte.weight). */
  parameters(): NamedParameter[] {
    return readParameters(this.parameterTable, this.weightView());
  }

  /** Sets parameters by name, strict by default as PyTorch's load_state_dict; a bad argument changes nothing. */
  setParameters(values: ParameterValues, options: { strict?: boolean } = {}): void {
    const writes = checkParameterValues(this.parameterTable, values, options);
    const w = this.weightView();
    for (const { slot, data } of writes) w.set(data, slot.offset);
    this.version++;
  }

  /** Gradients of the last step, by name (a tied head's gradient is in transformer.wte.weight). */
  gradients(): NamedParameter[] {
    this.weightView();
    if (this.gradientsMissing) throw new ArgumentError(this.gradientsMissing);
    return readParameters(this.parameterTable, new Float32Array(this.runtime.memory.buffer, this.gradientsPtr, this.parameterCount));
  }

  /** The mean token cross-entropy of next-token targets and every gradient, without an update. */
  lossAndGradients(tokens: TokenRows, targets: TokenRows): { loss: number } {
    return { loss: this.runStep(tokens, targets, null) };
  }

  /** The mean token cross-entropy and its perplexity (exp of it), forward only: nothing saved, gradients untouched. */
  evaluate(tokens: TokenRows, targets: TokenRows): { loss: number; perplexity: number } {
    const loss = this.runStep(tokens, targets, null, true);
    return { loss, perplexity: Math.exp(loss) };
  }

  /** One training step: forward, backward and the optimizer's update. Returns the loss before the update. */
  trainStep(tokens: TokenRows, targets: TokenRows, optimizer: Optimizer): number {
    checkOptimizer(optimizer);
    return this.runStep(tokens, targets, optimizer);
  }

  parameterBlock(): ParameterBlock {
    this.weightView();
    return {
      runtime: this.runtime, weights: this.weightsPtr, gradients: this.gradientsPtr, count: this.parameterCount, owner: this,
      version: this.version, written: () => ++this.version, gradientMaxAbs: this.gradientMaxAbs,
      // The decayed parameters lie first in the block (./parameters.ts).
      ...(this.weightDecay === 'matrices' ? { decayed: gptDecayedCount(this.config) } : {}),
    };
  }

  /** The plan of one training step on `batch` sequences of `tokens` tokens, from where the model stands now. */
  stepPlan(batch: number, tokens: number, optimizer: Optimizer | null = null, evaluate = false, loss = true): readonly GPTPlanOp[] {
    const update = optimizer && { name: optimizer.name, stateBytes: optimizer.stateBytes(this.parameterCount) };
    const hasGradients = this.gradientsPtr !== 0, hasState = optimizer?.hasState(this) ?? false;
    const key = `${batch}x${tokens}|${update?.name}:${update?.stateBytes}|${hasGradients}|${hasState}|${evaluate}|${loss}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = gptTrainingStepPlan({
        model: this.config, batch, tokens, build: this.runtime.build, threads: this.runtime.threads, flashAttention: this.flashAttention, recompute: this.recompute,
        optimizer: update, hasGradients, hasOptimizerState: hasState, evaluate, loss,
      });
      this.plans.set(key, plan);
    }
    return plan;
  }

  /**
   * Continues the prompt by `count` tokens sampled from the model, as
   * nanoGPT's generate: each token's distribution is the softmax of the last
   * position's logits divided by `temperature` (default 1), kept to the `topK`
   * most likely (default all), drawn from a seeded generator. The keys and
   * values of past tokens are kept in a KV cache (generateWith).
   */
  generate(prompt: readonly number[], count: number, options: { temperature?: number; topK?: number; seed?: number } = {}): number[] {
    const o = checkOptions('generate', options, ['temperature', 'topK', 'seed']);
    const temperature = orDefault(o.temperature, 1), topK = orDefault(o.topK, this.config.vocab), seed = orDefault(o.seed, 0);
    if (typeof temperature !== 'number' || !(temperature > 0 && temperature < 1e6)) throw new ArgumentError(`generate temperature must be a number > 0, got ${describeValue(temperature)}`, { field: 'temperature' });
    checkInt('generate topK', topK, 1, this.config.vocab);
    checkInt('generate seed', seed, 0, 2 ** 32 - 1);
    if (!Array.isArray(prompt) || prompt.length === 0) throw new ArgumentError(`generate needs a non-empty prompt of token ids, got ${describeValue(prompt)}`, { field: 'prompt' });
    const rng = new Random(seed);
    return this.generateWith([prompt], count, (logits) => sample(Float64Array.from(logits, (z) => z / temperature), topK, rng))[0]!;
  }

  /**
   * Continues each of B prompts (rows of equal length) by `count` tokens,
   * each chosen by `choose` from a copy of the last position's logits
   * (vocab floats) of its row. The prompt is read once (prefill) into a KV
   * cache of every layer's keys and values (memory category kvCache, freed
   * at the end); each new token then runs one position against it. Past
   * the model's seq positions the context is cropped to its last seq tokens
   * and the cache rebuilt from them (src/plan/gpt-generation-plan.ts).
   */
  generateWith(prompts: TokenRows, count: number, choose: (logits: Float32Array, row: number, step: number) => number): number[][] {
    this.weightView();
    checkInt('generate count', count, 0, 1_000_000);
    const rows = checkTokenRows('prompt', prompts, Infinity, this.config.vocab).map((r) => Array.from(r));
    if (typeof choose !== 'function') throw new ArgumentError(`generateWith choose must be a function picking each token from the logits, got ${describeValue(choose)}`, { field: 'choose' });
    const out = rows.map(() => [] as number[]);
    if (count === 0) return out;
    const rt = this.runtime, V = this.config.vocab, B = rows.length;
    const cfg = { model: this.config, batch: B, prompt: rows[0]!.length, generate: count, build: rt.build, threads: rt.threads, flashAttention: this.flashAttention };
    const capacity = generationCapacity(cfg);
    const buffers = new StepBuffers(rt);
    try {
      this.execute(generationCacheOps(cfg, 'alloc'), buffers, { batch: B, tokens: 0, step: 0 }, {});
      for (let i = 0; i < count; i++) {
        const pass = generationPass(cfg, i);
        this.execute(generationPassPlan(cfg, pass), buffers, { batch: B, tokens: pass.tokens, step: 0, cache: { position: pass.position, capacity } }, {
          tokens: (p) => {
            const ids = new Int32Array(rt.memory.buffer, p, B * pass.tokens);
            rows.forEach((r, b) => ids.set(r.slice(r.length - pass.tokens), b * pass.tokens));
          },
          logits: (p) => {
            rows.forEach((r, b) => {
              const next = choose(new Float32Array(rt.memory.buffer, p + 4 * b * V, V).slice(), b, i);
              if (!Number.isInteger(next) || next < 0 || next >= V) throw new ArgumentError(`generateWith: choose returned ${describeValue(next)} for row ${b}; token ids must be integers in [0, ${V - 1}]`, { field: 'choose' });
              r.push(next);
              out[b]!.push(next);
            });
          },
        });
      }
      this.execute(generationCacheOps(cfg, 'free'), buffers, { batch: B, tokens: 0, step: 0 }, {});
      return out;
    } catch (e) {
      buffers.abandon();
      throw e;
    } finally {
      buffers.release();
    }
  }

  /** The logits of every position, forward only (B x T x vocab floats, row-major), as the reference module's forward returns them. */
  logits(tokens: TokenRows): Float32Array {
    let out: Float32Array | null = null;
    // No targets: the pass stops at the logits.
    this.runStep(tokens, null, null, true, (p, elements) => {
      out = new Float32Array(this.runtime.memory.buffer, p, elements).slice();
    });
    return out!;
  }

  /** Runs one step plan; `readLogits` sees the LM head's output (its address and element count) before it is freed. */
  private runStep(tokenRows: TokenRows, targetRows: TokenRows | null, optimizer: Optimizer | null, evaluate = false, readLogits?: (ptr: number, elements: number) => void): number {
    this.weightView();
    const { seq, vocab } = this.config;
    const x = checkTokenRows('tokens', tokenRows, seq, vocab);
    const tokens = x[0]!.length, batch = x.length;
    const y = targetRows === null ? null : checkTokenRows('targets', targetRows, seq, vocab);
    if (y && (y.length !== batch || y[0]!.length !== tokens)) throw new ShapeError(`targets has ${y.length} rows of ${y[0]!.length} ids; tokens has ${batch} of ${tokens}`, { field: 'targets' });
    optimizer?.check(this.parameterBlock());
    const rt = this.runtime, stepNo = this.steps + 1;
    const plan = this.stepPlan(batch, tokens, optimizer, evaluate, y !== null);
    // Every buffer of the step; a failure part-way gives them all back.
    const buffers = new StepBuffers(rt);
    const readX = x.map((r) => readerOf(rt.memory, r)), readY = y?.map((r) => readerOf(rt.memory, r));
    let loss = NaN;
    try {
      this.execute(plan, buffers, { batch, tokens, step: stepNo }, {
        tokens: (p) => readX.forEach((r, b) => new Int32Array(rt.memory.buffer, p + 4 * b * tokens, tokens).set(r())),
        targets: (p) => {
          readY!.forEach((r, b) => new Int32Array(rt.memory.buffer, p + 4 * b * tokens, tokens).set(r()));
          if (!evaluate) {
            // Kernels add into the gradients (a tied head and the embedding share one): zero them once a step.
            new Float32Array(rt.memory.buffer, this.gradientsPtr, this.parameterCount).fill(0);
            this.gradientsMissing = `no gradients: the backward pass of step ${stepNo} did not complete`;
          }
        },
        logits: readLogits && ((p) => readLogits(p, batch * tokens * vocab)),
        loss: (value) => {
          loss = value;
          if (!Number.isFinite(loss)) throw new NonFiniteError(`${evaluate ? 'evaluate' : `step ${stepNo}`}: the loss is ${loss}; the parameters hold non-finite values`);
        },
        optimizer: () => {
          const bad = optimizer!.step(this.parameterBlock());
          if (bad >= 0) {
            const p = this.parameterTable.find((q) => bad >= q.offset && bad < q.offset + q.count);
            throw new NonFiniteError(`step ${stepNo}: the ${optimizer!.name} update would make ${p?.name ?? 'a parameter'} non-finite; parameters and optimizer state were not updated`);
          }
          this.steps = stepNo;
        },
      });
      return loss;
    } catch (e) {
      // A refused step leaves the memory it found, the gradients block of a first step included.
      if (buffers.abandon()) this.gradientsPtr = 0;
      throw e;
    } finally {
      buffers.release();
    }
  }

  /** Runs a plan's ops through `buffers`; `on` fills the batch's ids and reads what the kernels give back. */
  private execute(plan: readonly GPTPlanOp[], buffers: StepBuffers, shape: PassShape, on: PlanHandlers): void {
    const rt = this.runtime, arena = rt.arena;
    const binding = (): StepBinding => ({
      rt, config: this.config, table: this.byName, weights: this.weightsPtr, gradients: this.gradientsPtr,
      batch: shape.batch, tokens: shape.tokens, flashAttention: this.flashAttention, dropoutSeed: (Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) + shape.step) >>> 0,
      ...(shape.cache ? { cache: shape.cache } : {}),
    });
    let bind = binding();
    for (const op of plan) {
      arena.setContext(op.layer, op.phase);
      switch (op.op) {
        case 'alloc': {
          const p = buffers.alloc(op.buffer, op.bytes, op.category, op.what, op.role === 'gradients');
          if (op.role === 'gradients') {
            this.gradientsPtr = p;
            bind = binding();
          } else if (op.role) on[op.role]!(p);
          break;
        }
        case 'free':
          buffers.free(op.buffer);
          break;
        case 'reserve-workspace':
          buffers.reserveWorkspace(op.bytes);
          break;
        case 'run': {
          const value = runKernel(bind, op, (b) => buffers.at(b));
          if (op.layer === 'lm_head' && op.pass === 'forward') on.logits?.(buffers.at(op.buffers.output!));
          if (op.kernel === 'cross-entropy' && op.pass === 'forward') on.loss!(value);
          break;
        }
        case 'check-gradients':
          this.checkGradients(shape.step);
          this.gradientsMissing = '';
          break;
        case 'optimizer':
          on.optimizer!();
          break;
      }
    }
  }

  private checkGradients(step: number): void {
    const core = this.runtime.core;
    const bad = core.firstNonFinite(this.gradientsPtr, this.parameterCount);
    if (bad >= 0) {
      const p = this.parameterTable.find((q) => bad >= q.offset && bad < q.offset + q.count)!;
      this.gradientMaxAbs = NaN;
      throw new NonFiniteError(`step ${step}: the gradient of ${p.name} is not finite; nothing was updated`);
    }
    this.gradientMaxAbs = core.maxAbs(this.gradientsPtr, this.parameterCount);
  }

  /** Gives the weights and gradients back to the runtime; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.runtime.arena.free(this.weightsPtr);
    if (this.gradientsPtr) this.runtime.arena.free(this.gradientsPtr);
    this.disposed = true;
  }
}

/** What one pass of a plan runs on: its batch, tokens per sequence, step number (dropout's seed) and, generating, its cache. */
interface PassShape {
  batch: number;
  tokens: number;
  step: number;
  cache?: { position: number; capacity: number };
}

/** What an executor does at the ops that touch the caller's data: filling the ids, reading logits and loss, updating. */
interface PlanHandlers {
  tokens?(ptr: number): void;
  targets?(ptr: number): void;
  logits?(ptr: number): void;
  loss?(value: number): void;
  optimizer?(): void;
}

/**
 * Checks rows of token ids before anything is allocated: a non-empty array of
 * rows of equal length, 1 to `maxTokens` ids each, every id in [0, vocab).
 */
function checkTokenRows(name: string, value: unknown, maxTokens: number, vocab: number): ArrayLike<number>[] {
  if (!Array.isArray(value) || value.length === 0) throw new ArgumentError(`${name} must be a non-empty array of token rows, got ${describeValue(value)}`, { field: name });
  const rows = value as unknown[];
  rows.forEach((row, r) => checkLiveView('GPT', `${name}[${r}]`, row));
  const first = rows[0];
  const tokens = typeof first === 'object' && first !== null ? (first as ArrayLike<number>).length : -1;
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > maxTokens) {
    const range = Number.isFinite(maxTokens) ? `1 to ${maxTokens} token ids (the model's seq)` : 'at least one token id';
    throw new ShapeError(`${name}[0] must hold ${range}, got ${describeValue(first)}`, { field: name });
  }
  rows.forEach((row, r) => {
    if (typeof row !== 'object' || row === null || (row as ArrayLike<number>).length !== tokens) {
      throw new ShapeError(`${name}[${r}] must hold ${tokens} token ids as ${name}[0] does, got ${describeValue(row)}`, { field: name });
    }
    for (let t = 0; t < tokens; t++) {
      const v = (row as ArrayLike<number>)[t];
      if (!Number.isInteger(v) || v! < 0 || v! >= vocab) {
        throw new ArgumentError(`${name}[${r}][${t}] is ${describeValue(v)}; token ids must be integers in [0, ${vocab - 1}]`, { field: name });
      }
    }
  });
  return rows as ArrayLike<number>[];
}

/** Draws an index from the softmax of `logits`, kept to the `topK` largest. */
function sample(logits: Float64Array, topK: number, rng: Random): number {
  const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, topK);
  const top = logits[order[0]!]!;
  const weights = order.map((i) => Math.exp(logits[i]! - top));
  let u = rng.uniform(0, weights.reduce((s, w) => s + w, 0));
  for (let k = 0; k < order.length; k++) {
    u -= weights[k]!;
    if (u < 0) return order[k]!;
  }
  return order[order.length - 1]!;
}
