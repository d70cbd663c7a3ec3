// The training memory of a GPT from its description alone: the step plans
// the GPT executes (src/plan/gpt-step-plan.ts), folded without WASM into every
// allocation and free; per sub-layer MACs and saved bytes; and the saved
// tensors of one block term by term beside Korthikanti et al. (2022), whose
// 34sbh + 5as²b counts the same tensors in 16-bit.

import type { GPTConfig } from '../gpt/config.js';
import { gptParameterCount } from '../gpt/parameters.js';
import { type MemorySummary, summarizeEvents } from '../memory/events.js';
import { makeOptimizer, type OptimizerName } from '../optim/registry.js';
import { planEvents } from '../plan/fold.js';
import { type GPTGenerationConfig, generationCapacity, generationCacheOps, generationPass, generationPassPlan } from '../plan/gpt-generation-plan.js';
import { type GPTPlanOp, gptTrainingStepPlan } from '../plan/gpt-step-plan.js';
import type { BuildName } from '../wasm-source.js';
import { estimateInferenceMemory } from './inference.js';
import type { MemoryEventEstimate } from './mlp.js';
import { defineTransformer, type TransformerModel } from './transformer.js';

export interface GptTrainingConfig {
  model: GPTConfig;
  batch: number;
  /** Tokens per sequence (at most model.seq). */
  tokens: number;
  /** Training steps folded (the first allocates gradients and optimizer state). */
  steps: number;
  optimizer: OptimizerName;
  flashAttention: boolean;
  recompute: 'none' | 'blocks';
  build: BuildName;
  /** Threads of the runtime (default 1): each packs its own GEMM panels. */
  threads?: number;
}

/** One sub-layer's share of a step: "h.0.attn", "lm_head", "loss", ... */
export interface SublayerCost {
  name: string;
  macsForward: number;
  macsBackward: number;
  /** Forward MACs run again in backward (recomputed blocks; the memory-saving attention's scores are in macsBackward). */
  macsRecompute: number;
  gemmMacs: number;
  /** Bytes its forward allocates as `activations` (kept for backward). */
  savedBytes: number;
}

export interface GptEstimate {
  parameters: number;
  events: MemoryEventEstimate[];
  summary: MemorySummary;
  /** Per sub-layer, in the order the step first reaches them (last step). */
  sublayers: SublayerCost[];
  /** The plan of the last step. */
  plan: readonly GPTPlanOp[];
}

function stepPlan(cfg: GptTrainingConfig, later: boolean): GPTPlanOp[] {
  const opt = makeOptimizer(cfg.optimizer);
  return gptTrainingStepPlan({
    model: cfg.model, batch: cfg.batch, tokens: cfg.tokens, build: cfg.build, threads: cfg.threads, flashAttention: cfg.flashAttention, recompute: cfg.recompute,
    optimizer: { name: opt.name, stateBytes: opt.stateBytes(gptParameterCount(cfg.model)) }, hasGradients: later, hasOptimizerState: later,
  });
}

/** Per sub-layer totals of one step's plan. */
export function gptSublayerCosts(plan: readonly GPTPlanOp[]): SublayerCost[] {
  const rows = new Map<string, SublayerCost>();
  const row = (name: string) => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = { name, macsForward: 0, macsBackward: 0, macsRecompute: 0, gemmMacs: 0, savedBytes: 0 }));
    return r;
  };
  for (const op of plan) {
    if (op.layer === 'model' || op.phase === 'optimizer') continue;
    if (op.op === 'run') {
      const r = row(op.layer);
      r[op.recompute ? 'macsRecompute' : op.pass === 'forward' ? 'macsForward' : 'macsBackward'] += op.macs;
      r.gemmMacs += op.gemmMacs;
    } else if (op.op === 'alloc' && op.phase === 'forward' && op.category === 'activations') row(op.layer).savedBytes += op.bytes;
  }
  return [...rows.values()];
}

/** Model construction (the weights block), then each step's plan folded. */
export function estimateGpt(cfg: GptTrainingConfig): GptEstimate {
  const events: MemoryEventEstimate[] = [{ kind: 'alloc', category: 'weights', bytes: gptParameterCount(cfg.model) * 4, layer: 'model', phase: 'setup', step: 0 }];
  const fold = { workspaceBytes: 0 };
  let plan: GPTPlanOp[] = [];
  for (let s = 0; s < cfg.steps; s++) {
    plan = stepPlan(cfg, s > 0);
    for (const e of planEvents(plan, fold)) events.push({ ...e, step: s + 1 });
  }
  return { parameters: gptParameterCount(cfg.model), events, summary: summarizeEvents(events), sublayers: gptSublayerCosts(plan), plan };
}

export interface GptGenerationEstimate {
  parameters: number;
  /** Model construction, then the generation: `step` 0 for the caches, i + 1 for the pass of new token i. */
  events: MemoryEventEstimate[];
  summary: MemorySummary;
  /** Positions each layer's cache holds, and the bytes of all layers' caches. */
  capacity: number;
  kvCacheBytes: number;
  /** Passes over the whole window (the first, and one per token past seq) and one-position decoding passes. */
  passes: { prefill: number; decode: number };
  /** Multiply-accumulates of every pass (torchinfo's convention), and those the core's GEMM counter adds. */
  macs: number;
  gemmMacs: number;
}

/** Model construction, then the generation plan (src/plan/gpt-generation-plan.ts) folded pass by pass. */
export function estimateGptGeneration(cfg: GPTGenerationConfig): GptGenerationEstimate {
  const weights = gptParameterCount(cfg.model) * 4;
  const events: MemoryEventEstimate[] = [{ kind: 'alloc', category: 'weights', bytes: weights, layer: 'model', phase: 'setup', step: 0 }];
  const fold = { workspaceBytes: 0 };
  const add = (ops: readonly GPTPlanOp[], step: number) => {
    for (const e of planEvents(ops, fold)) events.push({ ...e, step });
  };
  const passes = { prefill: 0, decode: 0 };
  let macs = 0, gemmMacs = 0;
  add(generationCacheOps(cfg, 'alloc'), 0);
  for (let i = 0; i < cfg.generate; i++) {
    const pass = generationPass(cfg, i), plan = generationPassPlan(cfg, pass);
    passes[pass.position === 0 ? 'prefill' : 'decode']++;
    for (const op of plan) if (op.op === 'run') (macs += op.macs), (gemmMacs += op.gemmMacs);
    add(plan, i + 1);
  }
  add(generationCacheOps(cfg, 'free'), cfg.generate);
  const capacity = generationCapacity(cfg);
  return {
    parameters: gptParameterCount(cfg.model), events, summary: summarizeEvents(events), capacity,
    kvCacheBytes: generationCacheOps(cfg, 'alloc').reduce((n, op) => n + (op.op === 'alloc' ? op.bytes : 0), 0), passes, macs, gemmMacs,
  };
}

/** The large-model estimator's description of a GPT the core runs (learned positions, as many key/value heads as heads). */
export function transformerOfGpt(c: GPTConfig): TransformerModel {
  return defineTransformer({
    name: 'wasmgrad GPT', vocabSize: c.vocab, contextLength: c.seq, hidden: c.hidden, heads: c.heads, layers: c.layers, ffnHidden: c.ffn,
    ffn: c.feedForward, norm: c.norm, tiedEmbeddings: c.tiedHead, bias: c.bias, dropout: c.dropout > 0,
  });
}

/** The inference estimator's KV-cache bytes (src/estimate/inference.ts) for this generation in fp32 on one device. */
export function inferenceKvCacheBytes(cfg: Pick<GPTGenerationConfig, 'model' | 'batch' | 'prompt' | 'generate'>): number {
  return estimateInferenceMemory(transformerOfGpt(cfg.model), {
    promptLength: cfg.prompt, generateLength: cfg.generate, batch: cfg.batch, precision: 'fp32', kvDtype: 'fp32', tensorParallel: 1, pipelineParallel: 1, attention: 'standard',
  }).heaviest.kvCache;
}

/** One tensor a block saves: Korthikanti et al.'s 16-bit bytes, the bytes wasmgrad keeps, and why they differ. */
export interface SavedTerm {
  tensor: string;
  korthikanti: number;
  wasmgrad: number;
  why: string;
}

/**
 * What one block saves for backward, term by term (no recomputation): the
 * tensors of Korthikanti et al. (2022), eq. 1 (s sequence, b batch, h hidden,
 * a heads, 16-bit activations, 1-byte dropout masks), beside the bytes the
 * GPT step plan keeps. Their sum is the plan's saved bytes per block.
 */
export function blockSavedTerms(m: GPTConfig, batch: number, tokens: number, flash: boolean): SavedTerm[] {
  const s = tokens, b = batch, h = m.hidden, a = m.heads, f = m.ffn;
  const sbh = s * b * h, sbf = s * b * f, as2b = a * s * s * b, dropout = m.dropout > 0;
  const fp32 = 'float32: 4 bytes where Korthikanti count 2';
  const noDropout = 'dropout is 0: nothing to keep';
  const swiglu = m.feedForward === 'swiglu';
  const stats = m.norm === 'layernorm' ? 8 : 4;
  const terms: SavedTerm[] = [
    { tensor: 'LayerNorm 1 input (block input)', korthikanti: 2 * sbh, wasmgrad: 4 * sbh, why: fp32 },
    { tensor: 'QKV projection input (LayerNorm 1 output)', korthikanti: 2 * sbh, wasmgrad: 4 * sbh, why: fp32 },
    { tensor: 'Q and K (for QKᵀ)', korthikanti: 4 * sbh, wasmgrad: 8 * sbh, why: `${fp32}; kept inside the QKV projection's output` },
    flash
      ? { tensor: 'softmax output P', korthikanti: 2 * as2b, wasmgrad: 4 * a * s * b, why: 'memory-saving attention keeps the per-row logsumexp (4 bytes a row) and recomputes P in backward' }
      : { tensor: 'softmax output P', korthikanti: 2 * as2b, wasmgrad: 4 * as2b, why: fp32 },
    { tensor: 'attention dropout mask', korthikanti: as2b, wasmgrad: dropout && !flash ? as2b : 0, why: dropout ? (flash ? 'regenerated from the seed' : '1 byte an element, as counted') : noDropout },
    { tensor: 'P after dropout (input to PV)', korthikanti: 2 * as2b, wasmgrad: dropout && !flash ? 4 * as2b : 0, why: dropout ? (flash ? 'recomputed' : fp32) : 'without dropout PV reads P itself' },
    { tensor: 'V (for PV)', korthikanti: 2 * sbh, wasmgrad: 4 * sbh, why: `${fp32}; kept inside the QKV projection's output` },
    { tensor: 'output projection input (attention output)', korthikanti: 2 * sbh, wasmgrad: 4 * sbh, why: fp32 },
    { tensor: 'attention branch dropout mask', korthikanti: sbh, wasmgrad: dropout ? sbh : 0, why: dropout ? '1 byte an element, as counted' : noDropout },
    { tensor: 'LayerNorm 2 input', korthikanti: 2 * sbh, wasmgrad: 4 * sbh, why: fp32 },
    { tensor: 'feed-forward input (LayerNorm 2 output)', korthikanti: 2 * sbh, wasmgrad: 4 * sbh, why: fp32 },
    swiglu
      ? { tensor: 'SwiGLU gate and up projections', korthikanti: 8 * sbh, wasmgrad: 8 * sbf, why: `${fp32}; two projections of width ${f} (Korthikanti: one GELU input of width 4h)` }
      : { tensor: 'GELU input', korthikanti: 8 * sbh, wasmgrad: 4 * sbf, why: f === 4 * h ? fp32 : `${fp32}; width ${f}, not 4h` },
    { tensor: swiglu ? 'SiLU(gate) · up (output projection input)' : 'GELU output', korthikanti: 8 * sbh, wasmgrad: 4 * sbf, why: f === 4 * h ? fp32 : `${fp32}; width ${f}, not 4h` },
    { tensor: 'feed-forward dropout mask', korthikanti: sbh, wasmgrad: dropout ? sbh : 0, why: dropout ? '1 byte an element, as counted' : noDropout },
    {
      tensor: `${m.norm === 'layernorm' ? 'LayerNorm mean and rstd' : 'RMSNorm rstd'}, both norms`, korthikanti: 0, wasmgrad: 2 * stats * s * b,
      why: 'not counted by Korthikanti et al.; float32 per row, as PyTorch keeps them',
    },
  ];
  return terms;
}
