// The plan of a GPT generation with a KV cache: B prompts of P tokens each
// continued by G tokens. It is the step plan (./gpt-step-plan.ts) run once
// per new token as passes over one cache, described once for the executor
// (GPT.generateWith) and the estimator (src/estimate/gpt.ts) alike:
//
//   setup    each layer's cache, category kvCache: K and V of every position,
//            2·B·capacity·h floats, capacity = min(seq, P + G) (the P + G
//            tokens the inference estimator's kvCache counts, within the window)
//   prefill  the prompt's forward pass, storing every position's K and V
//   decode   one token per sequence: its K and V stored at the next position,
//            its query attending to the cached ones (no earlier token recomputed)
//   teardown the caches freed
//
// Each pass stops at the logits of the last position (no loss) and the
// executor picks the next tokens from them. Once the context outgrows the
// model's seq positions, nanoGPT crops it to the last seq tokens, which moves
// every token to a new position: the cache is then rebuilt from the cropped
// window (a prefill pass of seq tokens) for each further token, so the
// tokens equal those of the uncached forward pass.

import type { GPTConfig } from '../gpt/config.js';
import { kvCacheBytes } from '../nn/ops/kv-cache.js';
import type { BuildName } from '../wasm-source.js';
import { type GPTPlanOp, gptTrainingStepPlan } from './gpt-step-plan.js';

export interface GPTGenerationConfig {
  model: GPTConfig;
  batch: number;
  /** Prompt tokens per sequence (P, any length: a longer one is cropped as nanoGPT does). */
  prompt: number;
  /** Tokens generated per sequence (G >= 1). */
  generate: number;
  build: BuildName;
  /** Threads of the runtime (default 1): each packs its own GEMM panels. */
  threads?: number;
  /** The prefill's attention: the model's choice (the memory-saving path or the plain one). */
  flashAttention: boolean;
}

/** One forward pass: `tokens` new tokens per sequence from position `position` (the last tokens of the context). */
export interface GenerationPass {
  tokens: number;
  position: number;
}

/** Positions each layer's cache holds: the whole generation, as far as the window reaches. */
export function generationCapacity(cfg: Pick<GPTGenerationConfig, 'model' | 'prompt' | 'generate'>): number {
  return Math.min(cfg.model.seq, cfg.prompt + cfg.generate);
}

/** The pass that computes new token i (0-based): a prefill first and after every crop, else one decoding position. */
export function generationPass(cfg: Pick<GPTGenerationConfig, 'model' | 'prompt'>, i: number): GenerationPass {
  const context = cfg.prompt + i, seq = cfg.model.seq;
  if (i === 0 || context > seq) return { tokens: Math.min(context, seq), position: 0 };
  return { tokens: 1, position: context - 1 };
}

/** Buffer i is layer i's cache in every pass. */
const cacheBuffers = (model: GPTConfig) => Array.from({ length: model.layers }, (_, i) => i);

/** The caches' allocation ('alloc') or their free ('free'), stamped with each layer's attention. */
export function generationCacheOps(cfg: GPTGenerationConfig, kind: 'alloc' | 'free'): GPTPlanOp[] {
  const bytes = kvCacheBytes(cfg.batch, generationCapacity(cfg), cfg.model.hidden);
  return cacheBuffers(cfg.model).map((buffer) => {
    const stamp = { layer: `h.${buffer}.attn`, phase: 'setup' as const };
    return kind === 'alloc'
      ? { op: 'alloc', buffer, category: 'kvCache', bytes, what: `layer ${buffer} KV cache`, ...stamp }
      : { op: 'free', buffer, category: 'kvCache', bytes, ...stamp };
  });
}

/** The step plan of one pass: evaluation to the last position's logits, over the caches. */
export function generationPassPlan(cfg: GPTGenerationConfig, pass: GenerationPass): GPTPlanOp[] {
  return gptTrainingStepPlan({
    model: cfg.model, batch: cfg.batch, tokens: pass.tokens, build: cfg.build, threads: cfg.threads, flashAttention: cfg.flashAttention, recompute: 'none',
    optimizer: null, hasGradients: true, hasOptimizerState: false, evaluate: true, loss: false,
    cache: { buffers: cacheBuffers(cfg.model), capacity: generationCapacity(cfg), position: pass.position },
  });
}

/** Every op of the generation in order, for folding: the caches, each pass, the caches' free. */
export function gptGenerationPlan(cfg: GPTGenerationConfig): GPTPlanOp[] {
  const ops = generationCacheOps(cfg, 'alloc');
  for (let i = 0; i < cfg.generate; i++) ops.push(...generationPassPlan(cfg, generationPass(cfg, i)));
  ops.push(...generationCacheOps(cfg, 'free'));
  return ops;
}
