// The generation plan: each layer's cache allocated once (kvCache) and freed
// at the end, every pass's buffers freed within it, decoding passes attending
// to the cache without a T x T score matrix, the LM head on the last position.
import { describe, expect, it } from 'vitest';
import { gptConfig } from '../src/gpt/config.js';
import { summarizeEvents } from '../src/memory/events.js';
import { planEvents } from '../src/plan/fold.js';
import { type GPTGenerationConfig, generationPass, generationPassPlan, gptGenerationPlan } from '../src/plan/gpt-generation-plan.js';
import { gptTrainingStepPlan } from '../src/plan/gpt-step-plan.js';

const model = gptConfig({ vocab: 19, seq: 10, hidden: 12, heads: 3, layers: 2 });
const cfg: GPTGenerationConfig = { model, batch: 2, prompt: 4, generate: 9, build: 'simd', flashAttention: false };

describe('GPT generation plan', () => {
  it('allocates each layer\'s cache once as kvCache, frees it last, and frees every pass\'s buffers within the pass', () => {
    const ops = gptGenerationPlan(cfg);
    const cacheOps = ops.filter((op) => (op.op === 'alloc' || op.op === 'free') && op.category === 'kvCache');
    expect(cacheOps.map((op) => [op.op, op.layer, op.op === 'alloc' || op.op === 'free' ? op.bytes : 0])).toEqual([
      ['alloc', 'h.0.attn', 2 * 2 * 10 * 12 * 4], ['alloc', 'h.1.attn', 2 * 2 * 10 * 12 * 4],
      ['free', 'h.0.attn', 2 * 2 * 10 * 12 * 4], ['free', 'h.1.attn', 2 * 2 * 10 * 12 * 4],
    ]);
    expect(ops.indexOf(cacheOps[2]!)).toBe(ops.length - 2);
    for (let i = 0; i < cfg.generate; i++) {
      const pass = generationPassPlan(cfg, generationPass(cfg, i));
      const held = new Set<number>();
      for (const op of pass) {
        if (op.op === 'alloc') held.add(op.buffer);
        if (op.op === 'free') expect(held.delete(op.buffer), `pass ${i} frees buffer ${op.buffer} once`).toBe(true);
      }
      expect([...held], `pass ${i}`).toEqual([]);
      expect(pass.some((op) => op.op === 'alloc' && op.category === 'kvCache')).toBe(false);
    }
    const summary = summarizeEvents(planEvents(ops, { workspaceBytes: 0 }));
    expect({ ...summary.live, workspace: 0 }).toEqual({ weights: 0, gradients: 0, optimizer: 0, activations: 0, workspace: 0, inputs: 0, kvCache: 0 });
    expect(summary.peak.kvCache).toBe(2 * 2 * 2 * 10 * 12 * 4);
  });

  it('decodes one position per sequence against the cache, without scores of every pair, the head on the last position', () => {
    // Token 3 (0-based) of a 4-token prompt: context 7, position 6, 7 keys.
    const pass = generationPass(cfg, 3);
    expect(pass).toEqual({ tokens: 1, position: 6 });
    const ops = generationPassPlan(cfg, pass);
    const runs = ops.filter((op) => op.op === 'run');
    expect(runs.filter((op) => op.op === 'run' && op.kernel === 'attention')).toEqual([]);
    const cached = runs.filter((op) => op.op === 'run' && op.kernel === 'cached-attention');
    expect(cached.map((op) => (op.op === 'run' ? op.macs : 0))).toEqual([2 * 2 * 7 * 12, 2 * 2 * 7 * 12]);
    expect(runs.filter((op) => op.op === 'run' && op.kernel === 'kv-store')).toHaveLength(2);
    expect(ops.some((op) => op.op === 'alloc' && op.what === 'attention probabilities')).toBe(false);
    const logits = ops.find((op) => op.op === 'alloc' && op.what === 'logits');
    expect(logits && logits.op === 'alloc' && logits.bytes).toBe(2 * 19 * 4);
    // The prefill attends over the prompt as any forward pass, storing all 4 positions, and reads the last logits only.
    const prefill = generationPassPlan(cfg, generationPass(cfg, 0));
    expect(prefill.filter((op) => op.op === 'run' && op.kernel === 'attention')).toHaveLength(2);
    const head = prefill.find((op) => op.op === 'run' && op.layer === 'lm_head');
    expect(head && head.op === 'run' && head.macs).toBe(2 * 12 * 19);
    // The context of token 6 fills the window; past seq every token's pass is a prefill of the last seq tokens.
    expect([6, 7, 8].map((i) => generationPass(cfg, i))).toEqual([{ tokens: 1, position: 9 }, { tokens: 10, position: 0 }, { tokens: 10, position: 0 }]);
  });

  it('refuses a pass that is not an evaluation without loss, or one past the cache', () => {
    const base = { model, batch: 1, build: 'simd' as const, flashAttention: false, recompute: 'none' as const, optimizer: null, hasGradients: true, hasOptimizerState: false };
    const cache = { buffers: [0, 1], capacity: 10, position: 3 };
    expect(() => gptTrainingStepPlan({ ...base, tokens: 1, evaluate: true, cache })).toThrow(/without loss/);
    expect(() => gptTrainingStepPlan({ ...base, tokens: 2, evaluate: true, loss: false, cache })).toThrow(/got 2 tokens at 3/);
    expect(() => gptTrainingStepPlan({ ...base, tokens: 1, evaluate: true, loss: false, cache: { ...cache, position: 10 } })).toThrow(/10 positions/);
  });
});
