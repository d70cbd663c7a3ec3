// GPT training memory, measured in the core's allocator vs folded from the
// step plan without WASM: equal event for event (category, bytes, sub-layer,
// phase) and to the byte, over first and later steps.
import { describe, expect, it } from 'vitest';
import { AdamW, init, SGD, type BuildName } from '../src/index.js';
import { type GPTConfigInput } from '../src/gpt/config.js';
import { GPT, type GPTOptions } from '../src/gpt/model.js';
import { summarizeEvents } from '../src/memory/events.js';
import { planEvents } from '../src/plan/fold.js';
import { rng } from './helpers/rng.js';

const CASES: [string, GPTConfigInput, GPTOptions, number, number][] = [
  ['GELU + LayerNorm, tied', { vocab: 17, seq: 8, hidden: 16, heads: 2, layers: 2 }, {}, 3, 8],
  ['shorter sequences than seq', { vocab: 17, seq: 8, hidden: 16, heads: 2, layers: 2 }, {}, 2, 5],
  ['SwiGLU + RMSNorm, untied, no bias', { vocab: 23, seq: 6, hidden: 12, heads: 3, layers: 3, ffn: 20, bias: false, tiedHead: false, norm: 'rmsnorm', feedForward: 'swiglu' }, {}, 2, 6],
  ['memory-saving attention, T above the block', { vocab: 11, seq: 70, hidden: 8, heads: 2, layers: 1 }, { flashAttention: true }, 1, 70],
  ['plain attention, T above the block', { vocab: 11, seq: 70, hidden: 8, heads: 2, layers: 1 }, {}, 1, 70],
  ['block recomputation', { vocab: 13, seq: 8, hidden: 8, heads: 4, layers: 3 }, { recompute: 'blocks' }, 2, 7],
  ['dropout: masks and dropped probabilities', { vocab: 17, seq: 8, hidden: 16, heads: 2, layers: 2, dropout: 0.1 }, {}, 3, 8],
  ['dropout with block recomputation', { vocab: 13, seq: 8, hidden: 8, heads: 4, layers: 2, dropout: 0.2 }, { recompute: 'blocks' }, 2, 6],
  ['dropout with memory-saving attention, T above the block: no mask saved', { vocab: 11, seq: 70, hidden: 8, heads: 2, layers: 1, dropout: 0.1 }, { flashAttention: true }, 1, 70],
  ['dropout, memory-saving attention and block recomputation', { vocab: 13, seq: 8, hidden: 8, heads: 4, layers: 2, dropout: 0.2 }, { recompute: 'blocks', flashAttention: true }, 2, 6],
  ['recomputation and memory-saving attention, one head', { vocab: 9, seq: 5, hidden: 4, heads: 1, layers: 2, norm: 'rmsnorm' }, { recompute: 'blocks', flashAttention: true }, 4, 5],
];

const batch = (r: () => number, B: number, T: number, V: number) => Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(r() * V)));

describe.each(['simd', 'scalar'] as BuildName[])('GPT memory, measured == estimated (%s build)', (build) => {
  it.each(CASES)('%s', async (_, config, options, B, T) => {
    const rt = await init({ build });
    const model = new GPT(rt, config, options);
    const r = rng(7);
    for (const makeOptimizer of [() => new AdamW({ lr: 1e-3 }), () => new SGD({ lr: 0.1, momentum: 0.9 })]) {
      const opt = makeOptimizer();
      for (let step = 0; step < 2; step++) {
        const x = batch(r, B, T, model.config.vocab), y = batch(r, B, T, model.config.vocab);
        const plan = model.stepPlan(B, T, opt);
        const workspaceBytes = rt.core.gemmScratchReserved();
        rt.arena.startLog();
        model.trainStep(x, y, opt);
        const measured = rt.arena.stopLog();
        const estimated = planEvents(plan, { workspaceBytes });
        expect(measured.map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase])).toEqual(estimated.map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase]));
        expect(summarizeEvents(measured)).toEqual(summarizeEvents(estimated));
      }
      opt.dispose();
    }
    // Evaluation: forward only, as planned, keeping nothing; the same loss as a training forward, gradients untouched.
    const x = batch(r, B, T, model.config.vocab), y = batch(r, B, T, model.config.vocab);
    const plan = model.stepPlan(B, T, null, true);
    const workspaceBytes = rt.core.gemmScratchReserved();
    rt.arena.startLog();
    const { loss, perplexity } = model.evaluate(x, y);
    const measured = rt.arena.stopLog();
    expect(measured.map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase])).toEqual(planEvents(plan, { workspaceBytes }).map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase]));
    expect(measured.some((e) => e.category === 'activations')).toBe(false);
    expect(summarizeEvents(measured).live).toEqual({ weights: 0, gradients: 0, optimizer: 0, activations: 0, workspace: 0, inputs: 0, kvCache: 0 });
    // Without dropout a training forward computes the same loss (with it, evaluation drops nothing).
    if (model.config.dropout === 0) expect(loss).toBe(model.lossAndGradients(x, y).loss);
    expect(perplexity).toBeCloseTo(Math.exp(loss), 10);
    model.lossAndGradients(batch(r, B, T, model.config.vocab), y);
    const after = model.gradients().map((p) => [...p.data]);
    model.evaluate(x, y);
    expect(model.gradients().map((p) => [...p.data])).toEqual(after);
    model.dispose();
  });
});
