// The kernel side of running a GPT's step plan (src/plan/gpt-step-plan.ts):
// each 'run' op through its op (src/nn/ops/), with the plan's buffers and the
// named parameters bound to pointers. The plan says what is allocated and
// when; GPT (./model.ts) allocates it through StepBuffers.

import { coreGemm } from '../gemm.js';
import { attentionBackward, attentionForward } from '../nn/ops/attention.js';
import { checkAttentionSpec } from '../nn/ops/attention-spec.js';
import { tokenCrossEntropyBackward, tokenCrossEntropyForward } from '../nn/ops/cross-entropy.js';
import { dropoutBackward, dropoutForward } from '../nn/ops/dropout.js';
import { embeddingBackward, embeddingForward } from '../nn/ops/embedding.js';
import { cachedAttention, kvCacheStore } from '../nn/ops/kv-cache.js';
import { layerNormBackward, layerNormForward, rmsNormBackward, rmsNormForward } from '../nn/ops/norm.js';
import { residualAdd } from '../nn/ops/residual.js';
import { swigluBackward, swigluForward } from '../nn/ops/swiglu.js';
import type { BufferId } from '../plan/step-plan.js';
import type { GPTPlanOp } from '../plan/gpt-step-plan.js';
import type { Runtime } from '../runtime.js';
import type { GPTConfig } from './config.js';
import type { GPTParameter } from './parameters.js';

export interface StepBinding {
  rt: Runtime;
  config: GPTConfig;
  table: ReadonlyMap<string, GPTParameter>;
  weights: number;
  gradients: number;
  batch: number;
  tokens: number;
  flashAttention: boolean;
  /** Seed of this step's dropout masks (a recomputed forward draws the same). */
  dropoutSeed: number;
  /** A generation's pass: the position of its first token, and the positions its KV cache holds. */
  cache?: { position: number; capacity: number };
}

/** Pointers of a parameter in the weights and the gradients block (0 when the model has none, e.g. no bias). */
function parameter(s: StepBinding, name: string): { w: number; g: number } {
  const p = s.table.get(name);
  return p ? { w: s.weights + 4 * p.offset, g: s.gradients + 4 * p.offset } : { w: 0, g: 0 };
}

/** Runs one 'run' op of the plan; `ptr` maps the plan's buffers to their addresses. */
export function runKernel(s: StepBinding, op: Extract<GPTPlanOp, { op: 'run' }>, ptr: (b: BufferId) => number): number {
  const { rt, config: c } = s;
  const B = s.batch, T = s.tokens, BT = B * T, h = c.hidden;
  const b = (name: string) => ptr(op.buffers[name]!);
  const has = (name: string) => op.buffers[name] !== undefined;
  const core = rt.core;
  switch (op.kernel) {
    case 'embedding': {
      const wte = parameter(s, 'transformer.wte.weight'), wpe = parameter(s, 'transformer.wpe.weight');
      const shape = { batch: B, seq: T, hidden: h, vocab: c.vocab };
      // A generation's tokens sit at positions from its pass's first.
      const wpeAt = wpe.w && wpe.w + 4 * h * (s.cache?.position ?? 0);
      if (op.pass === 'forward') embeddingForward(rt, { ...shape, ids: b('tokens'), wte: wte.w, wpe: wpeAt, out: b('output') });
      else embeddingBackward(rt, { ...shape, ids: b('tokens'), dout: b('gradOutput'), dwte: wte.g, dwpe: wpe.g });
      return NaN;
    }
    case 'norm': {
      const w = parameter(s, `${op.parameters}.weight`), bias = parameter(s, `${op.parameters}.bias`);
      const shape = { rows: BT, hidden: h };
      const stats = b('stats');
      if (c.norm === 'layernorm') {
        if (op.pass === 'forward') layerNormForward(rt, { ...shape, x: b('input'), weight: w.w, bias: bias.w, out: b('output'), mean: stats, rstd: stats + 4 * BT, eps: c.normEps });
        else layerNormBackward(rt, { ...shape, x: b('input'), weight: w.w, mean: stats, rstd: stats + 4 * BT, dout: b('gradOutput'), dx: b('gradInput'), dweight: w.g, dbias: bias.g, accumulate: has('accumulate') });
      } else if (op.pass === 'forward') rmsNormForward(rt, { ...shape, x: b('input'), weight: w.w, out: b('output'), rstd: stats, eps: c.normEps });
      else rmsNormBackward(rt, { ...shape, x: b('input'), weight: w.w, rstd: stats, dout: b('gradOutput'), dx: b('gradInput'), dweight: w.g, accumulate: has('accumulate') });
      return NaN;
    }
    case 'linear':
      linear(s, op, b, has);
      return NaN;
    case 'attention': {
      const spec = checkAttentionSpec('GPT attention', { batch: B, seq: T, heads: c.heads, headDim: h / c.heads, flash: s.flashAttention });
      const saved = s.flashAttention ? b('lse') : b('probs');
      const workspace = has('workspace') ? b('workspace') : 0;
      // The plain path reads its saved mask; the memory-saving one redraws it from the same seed.
      const dropout = op.dropout === undefined ? undefined
        : { p: op.dropout, seed: siteSeed(s.dropoutSeed, op.layer), ...(has('attnMask') ? { mask: b('attnMask'), dropped: b('dropped') } : {}) };
      if (op.pass === 'forward') attentionForward(rt, spec, { qkv: b('qkv'), y: b('output'), saved, workspace, dropout });
      else attentionBackward(rt, spec, { qkv: b('qkv'), y: b('output'), saved, workspace, dropout, dy: b('gradOutput'), dqkv: b('gradInput') });
      return NaN;
    }
    case 'dropout':
      // Each dropout site (the sub-layer it follows) draws its own stream, the same again when recomputed.
      if (op.pass === 'forward') dropoutForward(rt, { n: BT * h, p: c.dropout, seed: siteSeed(s.dropoutSeed, op.layer), x: b('input'), out: b('output'), mask: b('mask') });
      else dropoutBackward(rt, { n: BT * h, p: c.dropout, dout: b('gradOutput'), mask: b('mask'), dx: b('gradInput') });
      return NaN;
    case 'residual':
      residualAdd(rt, { n: BT * h, a: b('a'), b: b('b'), out: b('output') });
      return NaN;
    case 'gelu':
      // GELU (exact, as nanoGPT's nn.GELU()): the activation kernels' code 4.
      if (op.pass === 'forward') core.activationForward(4, b('input'), b('output'), BT * c.ffn, 0);
      else core.activationBackward(4, b('input'), b('gradOutput'), b('gradInput'), BT * c.ffn, 0);
      return NaN;
    case 'swiglu':
      if (op.pass === 'forward') swigluForward(rt, { n: BT * c.ffn, a: b('a'), b: b('b'), out: b('output') });
      else swigluBackward(rt, { n: BT * c.ffn, a: b('a'), b: b('b'), dout: b('gradOutput'), da: b('gradA'), db: b('gradB') });
      return NaN;
    case 'cross-entropy':
      if (op.pass === 'forward') return tokenCrossEntropyForward(rt, { rows: BT, vocab: c.vocab, logits: b('logits'), targets: b('targets'), probs: b('probs') });
      tokenCrossEntropyBackward(rt, { rows: BT, vocab: c.vocab, probs: b('probs'), targets: b('targets'), dlogits: b('gradInput') });
      return NaN;
    case 'kv-store':
      kvCacheStore(rt, { ...cacheShape(s), tokens: T, start: s.cache!.position, qkv: b('qkv'), cache: b('cache') });
      return NaN;
    case 'cached-attention':
      cachedAttention(rt, { ...cacheShape(s), keys: s.cache!.position + 1, qkv: b('qkv'), cache: b('cache'), y: b('output'), scratch: b('workspace') });
      return NaN;
  }
}

function cacheShape(s: StepBinding) {
  return { batch: s.batch, capacity: s.cache!.capacity, heads: s.config.heads, headDim: s.config.hidden / s.config.heads };
}

/**
 * A Linear over the step's B·T rows (or, lastPosition, the last of each
 * sequence's T: B rows T·in apart): y = x Wᵀ + b; backward dW += dYᵀ X,
 * db = Σ dY, dX (=|+=) dY W.
 */
function linear(s: StepBinding, op: Extract<GPTPlanOp, { op: 'run' }>, b: (name: string) => number, has: (name: string) => boolean): void {
  const core = s.rt.core, last = op.lastPosition ?? false, rows = last ? s.batch : s.batch * s.tokens;
  const w = parameter(s, `${op.parameters}.weight`), bias = parameter(s, `${op.parameters}.bias`);
  const [outF, inF] = s.table.get(`${op.parameters}.weight`)!.shape as [number, number];
  if (op.pass === 'forward') {
    const x = last ? b('input') + 4 * (s.tokens - 1) * inF : b('input');
    coreGemm(s.rt, 0, 1, rows, outF, inF, 1, x, last ? s.tokens * inF : inF, w.w, inF, 0, b('output'), outF);
    if (bias.w) core.addBias(b('output'), bias.w, rows, outF);
    return;
  }
  const dy = b('gradOutput');
  // The gradients block is zeroed at the start of the step: a tied head and the embedding add into one matrix.
  coreGemm(s.rt, 1, 0, outF, inF, rows, 1, dy, outF, b('input'), inF, 1, w.g, inF);
  if (bias.g) core.biasGrad(dy, bias.g, rows, outF);
  coreGemm(s.rt, 0, 0, rows, inF, outF, 1, dy, outF, w.w, inF, has('accumulate') ? 1 : 0, b('gradInput'), inF);
}

/** A 32-bit seed per dropout site, from the step's seed and the site's name (FNV-1a). */
function siteSeed(seed: number, site: string): number {
  let x = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < site.length; i++) x = Math.imul(x ^ site.charCodeAt(i), 0x01000193) >>> 0;
  return x;
}
