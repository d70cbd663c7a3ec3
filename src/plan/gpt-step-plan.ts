// The step plan of a GPT: one training step described once, as the ordered
// allocations (category, bytes, sub-layer, phase, what the tensor is), kernel
// runs (with their MACs) and frees. The GPT executor runs it against the core;
// the estimator folds it without WASM (src/plan/fold.ts). Tensors are float32
// and row-major, B sequences of T tokens, width h, a heads, feed-forward f,
// vocabulary V. Per block, what forward saves for backward:
//
//   x      block input (LayerNorm 1 reads it)                4·BTh
//   ln_1   output (c_attn reads it), mean+rstd (LayerNorm)   4·BTh + 8·BT (RMSNorm: rstd, 4·BT)
//   qkv    c_attn output (attention reads q, k, v)           12·BTh
//   attn   probabilities P                                   4·BaT²
//          with dropout: its mask and the dropped P          1·BaT² + 4·BaT²
//          memory-saving path instead: per-row logsumexp     4·BaT
//          (its dropout is redrawn from the seed: nothing more)
//          (src/nn/ops/attention-cost.ts states both, its workspace and MACs)
//   y      attention output (c_proj reads it)                4·BTh
//   drop   residual-branch dropout mask                      1·BTh (dropout only)
//   x2     stream after attention (LayerNorm 2 reads it)     4·BTh
//   ln_2   output, statistics                                4·BTh + 8·BT
//   mlp    GELU: c_fc output u and GELU(u)                   4·BTf + 4·BTf
//          SwiGLU: c_gate and c_fc outputs, their product    3 · 4·BTf
//   drop   feed-forward dropout mask                         1·BTh (dropout only)
// The block output is the next block's x. Residual-branch outputs before the
// add are temporaries (`workspace`). The executor zeroes the gradients block
// at the start of a step (one fill), so kernels that share a gradient (a tied
// head and the token embedding) accumulate into it. Korthikanti et al. (2022) count the same
// tensors in 16-bit as 34sbh + 5as²b per layer; fp32 doubles every term but
// the 1-byte masks and adds the norms' statistics.
//
// Whole-block recomputation (recompute: 'blocks') saves only each block's
// input (and the feed-forward's dropout mask); forward holds the block's
// tensors as temporaries, and backward re-runs the block's forward up to the
// feed-forward's inner output (phase 'backward', allocating as a step without
// recomputation would) before its backward. The other dropout masks are
// regenerated from the step's seed, so the recomputed tensors are bit-identical.
//
// Evaluation (evaluate) keeps nothing for backward; without a loss it stops
// at the logits (logits(), generate()). A generation's pass (cache) also
// stores each layer's K and V in that layer's KV cache and, decoding, replaces
// attention over the pass's tokens by one query against the cache
// (src/plan/gpt-generation-plan.ts).

import { ArgumentError } from '../errors.js';
import type { Category, Phase } from '../memory/categories.js';
import { gemmWorkspaceBytes } from '../memory/gemm-workspace.js';
import type { GPTConfig } from '../gpt/config.js';
import { gptParameterCount } from '../gpt/parameters.js';
import type { BuildName } from '../wasm-source.js';
import { attentionGemms, attentionMacs, attentionSavedBytes, attentionWorkspaceBytes } from '../nn/ops/attention-cost.js';
import { cachedAttentionMacs, cachedAttentionScratchBytes } from '../nn/ops/kv-cache.js';
import type { BufferId } from './step-plan.js';

/** The kernels a GPT step runs, each forward and backward. */
export type GPTKernel = 'embedding' | 'norm' | 'linear' | 'attention' | 'dropout' | 'residual' | 'gelu' | 'swiglu' | 'cross-entropy' | 'kv-store' | 'cached-attention';

interface Stamp {
  /** The sub-layer, by its module path without "transformer.": "wte", "h.0.ln_1", "h.0.attn.c_attn", "lm_head", "loss". */
  layer: string;
  phase: Phase;
}

export type GPTPlanOp = Stamp &
  (
    /** `role` marks the buffers the executor fills or keeps: the batch's ids and the model's gradients block. */
    | { op: 'alloc'; buffer: BufferId; category: Category; bytes: number; what: string; role?: 'tokens' | 'targets' | 'gradients' }
    | { op: 'free'; buffer: BufferId; category: Category; bytes: number }
    | { op: 'reserve-workspace'; bytes: number }
    | {
        op: 'run'; kernel: GPTKernel; pass: 'forward' | 'backward'; recompute: boolean;
        /** The kernel's buffers by their part in it (input, output, stats, gradOutput, gradInput, mask, ...). */
        buffers: Record<string, BufferId>;
        /** The parameter prefix whose weights and gradients it uses ("transformer.h.0.attn.c_attn"), if any. */
        parameters: string | null;
        /** Attention: the probability its probabilities are dropped with (absent: none); the mask is in `buffers` on the plain path only. */
        dropout?: number;
        /** A Linear over the last position of each sequence only (a generation's LM head). */
        lastPosition?: boolean;
        macs: number;
        gemmMacs: number;
      }
    | { op: 'check-gradients' }
    | { op: 'optimizer'; stateBytes: number }
  );

export interface GPTStepPlanConfig {
  model: GPTConfig;
  batch: number;
  /** Tokens per sequence of this step (at most model.seq). */
  tokens: number;
  build: BuildName;
  /** Threads of the runtime (default 1): each packs its own GEMM panels. */
  threads?: number;
  /** Attention computed block by block, saving the logsumexp instead of the probabilities. */
  flashAttention: boolean;
  recompute: 'none' | 'blocks';
  optimizer: { name: string; stateBytes: number } | null;
  /** Forward and loss only, saving nothing (evaluation); default false. */
  evaluate?: boolean;
  /** With evaluate: false stops at the logits (no targets, no cross-entropy), as logits() and generate() need; default true. */
  loss?: boolean;
  /** A pass of a generation (src/plan/gpt-generation-plan.ts), with evaluate and no loss. */
  cache?: GPTCachePass;
  hasGradients: boolean;
  hasOptimizerState: boolean;
}

/**
 * A generation's pass over its KV cache: each layer's cache is a buffer the
 * generation plan allocated (kvCacheBytes, category kvCache) and this plan
 * only uses. The pass stores K and V of its T tokens at positions
 * position..position+T-1; at position 0 it attends over its own tokens as any
 * forward pass, past 0 it is one token per sequence attending to the cache.
 * The LM head runs on the last position of each sequence only.
 */
export interface GPTCachePass {
  /** Each layer's cache buffer; this plan numbers its own buffers after them. */
  buffers: readonly BufferId[];
  capacity: number;
  position: number;
}

const F32 = 4;

export function gptTrainingStepPlan(cfg: GPTStepPlanConfig): GPTPlanOp[] {
  const { model: m, batch: B, tokens: T } = cfg;
  const h = m.hidden, a = m.heads, f = m.ffn, V = m.vocab, hd = h / a;
  const BT = B * T;
  const evaluate = cfg.evaluate ?? false;
  const withLoss = !evaluate || (cfg.loss ?? true);
  const cache = cfg.cache;
  // One new token per sequence attending to the keys and values cached before it.
  const decoding = cache !== undefined && cache.position > 0;
  if (cache && (withLoss || (decoding && T !== 1) || cache.position + T > cache.capacity)) {
    throw new ArgumentError(`a generation's pass is an evaluation without loss of 1 token past position 0, within the cache's ${cache.capacity} positions; got ${T} tokens at ${cache.position}`);
  }
  // Evaluation runs without dropout (PyTorch's model.eval()) and keeps nothing for a backward pass.
  const dropout = m.dropout > 0 && !evaluate;
  const ops: GPTPlanOp[] = [];
  let stamp: Stamp = { layer: 'model', phase: 'setup' };
  const at = (layer: string, phase: Phase) => (stamp = { layer, phase });
  const emit = (op: DistributiveOmit<GPTPlanOp, keyof Stamp>) => ops.push({ ...op, ...stamp } as GPTPlanOp);

  const live = new Map<BufferId, { category: Category; bytes: number }>();
  let nextId = cache ? Math.max(-1, ...cache.buffers) + 1 : 0;
  const alloc = (category: Category, bytes: number, what: string, role?: 'tokens' | 'targets' | 'gradients'): BufferId => {
    const buffer = nextId++;
    live.set(buffer, { category, bytes });
    emit({ op: 'alloc', buffer, category, bytes, what, ...(role ? { role } : {}) });
    return buffer;
  };
  const free = (...buffers: (BufferId | undefined)[]) => {
    for (const buffer of buffers) {
      const b = buffer === undefined ? undefined : live.get(buffer);
      if (!b) continue;
      live.delete(buffer!);
      emit({ op: 'free', buffer: buffer!, ...b });
    }
  };
  const gemmShapes: [number, number, number][] = [];
  const spec = { batch: B, seq: T, heads: a, headDim: hd, flash: cfg.flashAttention };
  const attentionCost = attentionMacs(spec), attentionWork = attentionWorkspaceBytes(spec);
  if (!decoding) for (const g of Object.values(attentionGemms(spec)).flat()) gemmShapes.push([g.m, g.n, g.k]);
  const run = (kernel: GPTKernel, pass: 'forward' | 'backward', recompute: boolean, buffers: Record<string, BufferId>, parameters: string | null, macs = 0, gemmMacs = 0) =>
    emit({ op: 'run', kernel, pass, recompute, buffers, parameters, macs, gemmMacs });
  // Attention runs with the dropout of the probabilities marked (both paths).
  const runAttention = (pass: 'forward' | 'backward', recompute: boolean, buffers: Record<string, BufferId>, macs: number) =>
    emit({ op: 'run', kernel: 'attention', pass, recompute, buffers, parameters: null, ...(dropout ? { dropout: m.dropout } : {}), macs, gemmMacs: macs });
  // A decoding token's attention: its query against the first position + 1 cached keys and values.
  const cachedAttentionSublayer = (i: number, qkv: BufferId, saved: Category): BufferId => {
    const keys = cache!.position + 1;
    const y = alloc(saved, BT * h * F32, 'attention output');
    const scores = alloc('workspace', cachedAttentionScratchBytes(keys), 'attention scores of one head');
    run('cached-attention', 'forward', false, { qkv, cache: cache!.buffers[i]!, output: y, workspace: scores }, null, cachedAttentionMacs(B, keys, h));
    free(scores);
    return y;
  };

  // A Linear over BT rows: torchinfo's MACs (bias included), and the products its passes run.
  const linearForward = (name: string, input: BufferId, output: BufferId, inF: number, outF: number, bias: boolean, recompute: boolean) => {
    gemmShapes.push([BT, outF, inF]);
    run('linear', 'forward', recompute, { input, output }, `transformer.${name}`, BT * (inF * outF + (bias ? outF : 0)), BT * inF * outF);
  };
  const linearBackward = (name: string, input: BufferId, gradOutput: BufferId, gradInput: BufferId, inF: number, outF: number, bias: boolean, accumulate = false) => {
    gemmShapes.push([outF, inF, BT], [BT, inF, outF]);
    run('linear', 'backward', false, { input, gradOutput, gradInput, ...(accumulate ? { accumulate: gradInput } : {}) }, `transformer.${name}`,
      2 * BT * inF * outF + (bias ? BT * outF : 0), 2 * BT * inF * outF);
  };
  const statsBytes = BT * (m.norm === 'layernorm' ? 2 : 1) * F32;

  // Setup.
  const paramsPrefix = (layer: string) => `transformer.${layer}`;
  // Evaluation: every tensor a temporary, freed once the next op has read it.
  const keep: Category = evaluate ? 'workspace' : 'activations';
  if (!cfg.hasGradients && !evaluate) live.delete(alloc('gradients', gptParameterCount(m) * F32, 'gradients', 'gradients')); // kept by the model across steps
  const reserveAt = ops.length;
  const tokens = alloc('inputs', BT * 4, 'token ids', 'tokens');
  const targets = withLoss ? alloc('inputs', BT * 4, 'target ids', 'targets') : undefined;

  // Forward.
  at('wte', 'forward');
  const x0 = alloc(keep, BT * h * F32, 'embeddings (token + position)');
  run('embedding', 'forward', false, { tokens, output: x0 }, null);
  const embedMask = dropout ? alloc('activations', BT * h, 'embedding dropout mask') : undefined;
  if (embedMask !== undefined) run('dropout', 'forward', false, { input: x0, output: x0, mask: embedMask }, null);

  interface BlockTensors {
    x: BufferId; ln1: BufferId; s1: BufferId; qkv: BufferId; probs?: BufferId; attnMask?: BufferId; dropped?: BufferId; lse?: BufferId;
    y: BufferId; m1?: BufferId; x2: BufferId; ln2: BufferId; s2: BufferId; gate?: BufferId; u: BufferId; g: BufferId; m2?: BufferId; out: BufferId;
  }
  // Causal self-attention over the pass's own tokens; what backward reads goes into `t`.
  const attentionSublayer = (qkv: BufferId, saved: Category, recompute: boolean, t: Partial<BlockTensors>): BufferId => {
    if (cfg.flashAttention) t.lse = alloc(saved, attentionSavedBytes(spec), 'attention logsumexp');
    else {
      t.probs = alloc(saved, attentionSavedBytes(spec), 'attention probabilities');
      if (dropout) {
        t.attnMask = alloc(saved, B * a * T * T, 'attention dropout mask');
        t.dropped = alloc(saved, B * a * T * T * F32, 'attention probabilities after dropout');
      }
    }
    const y = alloc(saved, BT * h * F32, 'attention output');
    const scratch = attentionWork.forward ? alloc('workspace', attentionWork.forward, 'attention blocks') : undefined;
    runAttention('forward', recompute, { qkv, output: y, ...bufs(t, ['probs', 'attnMask', 'dropped', 'lse']), ...(scratch === undefined ? {} : { workspace: scratch }) }, attentionCost.forward);
    free(scratch);
    return y;
  };
  // One block's forward from its input x. `saved` is where the tensors backward reads go:
  // `activations`, or `workspace` when the block is recomputed in backward.
  const blockForward = (i: number, x: BufferId, saved: Category, recompute: boolean, out?: BufferId, kept?: BufferId): BlockTensors => {
    const p = (s: string) => `h.${i}.${s}`;
    at(p('ln_1'), recompute ? 'backward' : 'forward');
    const ln1 = alloc(saved, BT * h * F32, 'LayerNorm 1 output');
    const s1 = alloc(saved, statsBytes, 'LayerNorm 1 statistics');
    run('norm', 'forward', recompute, { input: x, output: ln1, stats: s1 }, paramsPrefix(p('ln_1')));
    at(p('attn.c_attn'), stamp.phase);
    const qkv = alloc(saved, BT * 3 * h * F32, 'q, k, v');
    linearForward(p('attn.c_attn'), ln1, qkv, h, 3 * h, m.bias, recompute);
    at(p('attn'), stamp.phase);
    if (cache) run('kv-store', 'forward', false, { qkv, cache: cache.buffers[i]! }, null);
    const t: Partial<BlockTensors> = {};
    const y = decoding ? cachedAttentionSublayer(i, qkv, saved) : attentionSublayer(qkv, saved, recompute, t);
    at(p('attn.c_proj'), stamp.phase);
    const branch1 = alloc('workspace', BT * h * F32, 'attention branch output');
    linearForward(p('attn.c_proj'), y, branch1, h, h, m.bias, recompute);
    if (dropout) {
      t.m1 = alloc(saved, BT * h, 'attention branch dropout mask');
      run('dropout', 'forward', recompute, { input: branch1, output: branch1, mask: t.m1 }, null);
    }
    const x2 = alloc(saved, BT * h * F32, 'residual stream after attention');
    run('residual', 'forward', recompute, { a: x, b: branch1, output: x2 }, null);
    free(branch1);
    at(p('ln_2'), stamp.phase);
    const ln2 = alloc(saved, BT * h * F32, 'LayerNorm 2 output');
    const s2 = alloc(saved, statsBytes, 'LayerNorm 2 statistics');
    run('norm', 'forward', recompute, { input: x2, output: ln2, stats: s2 }, paramsPrefix(p('ln_2')));
    if (m.feedForward === 'swiglu') {
      at(p('mlp.c_gate'), stamp.phase);
      t.gate = alloc(saved, BT * f * F32, 'feed-forward gate');
      linearForward(p('mlp.c_gate'), ln2, t.gate, h, f, m.bias, recompute);
    }
    at(p('mlp.c_fc'), stamp.phase);
    const u = alloc(saved, BT * f * F32, 'feed-forward up-projection');
    linearForward(p('mlp.c_fc'), ln2, u, h, f, m.bias, recompute);
    at(p('mlp'), stamp.phase);
    const g = alloc(saved, BT * f * F32, m.feedForward === 'swiglu' ? 'SiLU(gate) · up' : 'GELU output');
    run(m.feedForward === 'swiglu' ? 'swiglu' : 'gelu', 'forward', recompute, m.feedForward === 'swiglu' ? { a: t.gate!, b: u, output: g } : { input: u, output: g }, null);
    // Backward needs nothing past the feed-forward's inner output, so a recomputation stops here.
    if (recompute) return { x, ln1, s1, qkv, y, x2, ln2, s2, u, g, out: out!, m2: kept, ...t } as BlockTensors;
    at(p('mlp.c_proj'), stamp.phase);
    const branch2 = alloc('workspace', BT * h * F32, 'feed-forward branch output');
    linearForward(p('mlp.c_proj'), g, branch2, f, h, m.bias, recompute);
    if (dropout) {
      // Kept through backward even when the block is recomputed (which stops before this dropout).
      t.m2 = alloc('activations', BT * h, 'feed-forward dropout mask');
      run('dropout', 'forward', recompute, { input: branch2, output: branch2, mask: t.m2 }, null);
    }
    // The block output: the next block's saved input.
    const output = alloc(keep, BT * h * F32, `block ${i} output`);
    run('residual', 'forward', recompute, { a: x2, b: branch2, output }, null);
    free(branch2);
    return { x, ln1, s1, qkv, y, x2, ln2, s2, u, g, out: output, ...t } as BlockTensors;
  };
  const savedOf = (b: BlockTensors) => [b.ln1, b.s1, b.qkv, b.probs, b.attnMask, b.dropped, b.lse, b.y, b.m1, b.x2, b.ln2, b.s2, b.gate, b.u, b.g];

  const blocks: BlockTensors[] = [];
  let x = x0;
  for (let i = 0; i < m.layers; i++) {
    const recompute = cfg.recompute === 'blocks' || evaluate;
    const b = blockForward(i, x, recompute ? 'workspace' : keep, false);
    if (recompute) free(...savedOf(b));
    if (evaluate) free(x);
    blocks.push(b);
    x = b.out;
  }
  at('ln_f', 'forward');
  const lnf = alloc(keep, BT * h * F32, 'final LayerNorm output');
  const sf = alloc(keep, statsBytes, 'final LayerNorm statistics');
  run('norm', 'forward', false, { input: x, output: lnf, stats: sf }, paramsPrefix('ln_f'));
  at('lm_head', 'forward');
  // A generation samples from each sequence's last position only.
  const headRows = cache ? B : BT;
  const logits = alloc('workspace', headRows * V * F32, 'logits');
  const head = m.tiedHead ? 'transformer.wte' : 'lm_head';
  gemmShapes.push([headRows, V, h]);
  emit({ op: 'run', kernel: 'linear', pass: 'forward', recompute: false, buffers: { input: lnf, output: logits }, parameters: head, macs: headRows * h * V, gemmMacs: headRows * h * V, ...(cache ? { lastPosition: true } : {}) });
  let probs: BufferId | undefined;
  if (withLoss) {
    at('loss', 'forward');
    probs = alloc(keep, BT * V * F32, 'softmax probabilities');
    run('cross-entropy', 'forward', false, { logits, targets: targets!, probs }, null);
  }
  free(logits);
  // The workspace the step's products need, reserved before the batch is staged.
  const reserveWorkspace = () => {
    const bytes = Math.max(0, ...gemmShapes.map(([mm, n, k]) => gemmWorkspaceBytes(mm, n, k, cfg.build, cfg.threads)));
    ops.splice(reserveAt, 0, { op: 'reserve-workspace', bytes, layer: 'model', phase: 'setup' });
    return ops;
  };
  if (evaluate) {
    at('model', 'setup');
    free(probs, lnf, sf, x, tokens, targets);
    return reserveWorkspace();
  }

  // Backward.
  at('loss', 'backward');
  const dlogits = alloc('workspace', BT * V * F32, 'loss gradient');
  run('cross-entropy', 'backward', false, { probs: probs!, targets: targets!, gradInput: dlogits }, null);
  free(probs);
  at('lm_head', 'backward');
  const dlnf = alloc('workspace', BT * h * F32, 'final LayerNorm output gradient');
  gemmShapes.push([V, h, BT], [BT, h, V]);
  run('linear', 'backward', false, { input: lnf, gradOutput: dlogits, gradInput: dlnf }, head, 2 * BT * h * V, 2 * BT * h * V);
  free(dlogits);
  at('ln_f', 'backward');
  // The residual stream's gradient: each block's norms add their input gradient into it.
  const dres = alloc('workspace', BT * h * F32, 'residual stream gradient');
  run('norm', 'backward', false, { input: x, stats: sf, gradOutput: dlnf, gradInput: dres }, paramsPrefix('ln_f'));
  free(dlnf, lnf, sf, x);

  for (let i = m.layers - 1; i >= 0; i--) {
    const p = (s: string) => `h.${i}.${s}`;
    let b = blocks[i]!;
    if (cfg.recompute === 'blocks') b = blockForward(i, b.x, 'activations', true, b.out, b.m2);
    // Feed-forward branch: its gradient is the stream's (through the mask).
    at(p('mlp.c_proj'), 'backward');
    let dBranch = dres;
    if (b.m2 !== undefined) {
      dBranch = alloc('workspace', BT * h * F32, 'feed-forward branch gradient');
      run('dropout', 'backward', false, { mask: b.m2, gradOutput: dres, gradInput: dBranch }, null);
    }
    const dg = alloc('workspace', BT * f * F32, 'feed-forward inner gradient');
    linearBackward(p('mlp.c_proj'), b.g, dBranch, dg, f, h, m.bias);
    if (dBranch !== dres) free(dBranch);
    free(b.m2, b.g);
    at(p('mlp'), 'backward');
    const dln2 = alloc('workspace', BT * h * F32, 'LayerNorm 2 output gradient');
    if (m.feedForward === 'swiglu') {
      const dgate = alloc('workspace', BT * f * F32, 'feed-forward gate gradient');
      // In place: dg becomes d(up); the gate's gradient goes to its own buffer.
      run('swiglu', 'backward', false, { a: b.gate!, b: b.u, gradOutput: dg, gradA: dgate, gradB: dg }, null);
      at(p('mlp.c_gate'), 'backward');
      linearBackward(p('mlp.c_gate'), b.ln2, dgate, dln2, h, f, m.bias);
      free(dgate, b.gate);
      at(p('mlp.c_fc'), 'backward');
      linearBackward(p('mlp.c_fc'), b.ln2, dg, dln2, h, f, m.bias, true);
    } else {
      run('gelu', 'backward', false, { input: b.u, gradOutput: dg, gradInput: dg }, null);
      at(p('mlp.c_fc'), 'backward');
      linearBackward(p('mlp.c_fc'), b.ln2, dg, dln2, h, f, m.bias);
    }
    free(dg, b.u, b.ln2);
    at(p('ln_2'), 'backward');
    run('norm', 'backward', false, { input: b.x2, stats: b.s2, gradOutput: dln2, gradInput: dres, accumulate: dres }, paramsPrefix(p('ln_2')));
    free(dln2, b.s2, b.x2);
    // Attention branch.
    at(p('attn.c_proj'), 'backward');
    dBranch = dres;
    if (b.m1 !== undefined) {
      dBranch = alloc('workspace', BT * h * F32, 'attention branch gradient');
      run('dropout', 'backward', false, { mask: b.m1, gradOutput: dres, gradInput: dBranch }, null);
    }
    const dy = alloc('workspace', BT * h * F32, 'attention output gradient');
    linearBackward(p('attn.c_proj'), b.y, dBranch, dy, h, h, m.bias);
    if (dBranch !== dres) free(dBranch);
    free(b.m1);
    at(p('attn'), 'backward');
    const dqkv = alloc('workspace', BT * 3 * h * F32, 'q, k, v gradient');
    const scratch = attentionWork.backward ? alloc('workspace', attentionWork.backward, cfg.flashAttention ? 'attention blocks' : 'attention score gradients') : undefined;
    // The memory-saving path's backward MACs include the scores it recomputes.
    runAttention('backward', false, { qkv: b.qkv, output: b.y, gradOutput: dy, gradInput: dqkv, ...bufs(b, ['probs', 'attnMask', 'dropped', 'lse']), ...(scratch === undefined ? {} : { workspace: scratch }) }, attentionCost.backward);
    free(scratch);
    free(dy, b.probs, b.attnMask, b.dropped, b.lse, b.y);
    at(p('attn.c_attn'), 'backward');
    const dln1 = alloc('workspace', BT * h * F32, 'LayerNorm 1 output gradient');
    linearBackward(p('attn.c_attn'), b.ln1, dqkv, dln1, h, 3 * h, m.bias);
    free(dqkv, b.qkv, b.ln1);
    at(p('ln_1'), 'backward');
    run('norm', 'backward', false, { input: b.x, stats: b.s1, gradOutput: dln1, gradInput: dres, accumulate: dres }, paramsPrefix(p('ln_1')));
    free(dln1, b.s1, b.x);
  }
  at('wte', 'backward');
  if (embedMask !== undefined) run('dropout', 'backward', false, { mask: embedMask, gradOutput: dres, gradInput: dres }, null);
  run('embedding', 'backward', false, { tokens, gradOutput: dres }, null);
  free(embedMask, dres);
  at('model', 'setup');
  emit({ op: 'check-gradients' });
  if (cfg.optimizer) {
    at(cfg.optimizer.name, 'optimizer');
    emit({ op: 'optimizer', stateBytes: cfg.hasOptimizerState ? 0 : cfg.optimizer.stateBytes });
  }
  at('model', 'setup');
  free(tokens, targets);

  return reserveWorkspace();
}

function bufs<T extends object>(t: T, keys: readonly (keyof T)[]): Record<string, BufferId> {
  const out: Record<string, BufferId> = {};
  for (const k of keys) if (t[k] !== undefined) out[k as string] = t[k] as BufferId;
  return out;
}

/** Omit over each member of a union (TypeScript's Omit collapses unions). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
