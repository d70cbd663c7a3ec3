// logits() and generate() read the logits only: the evaluation plan without
// targets stops at the LM head, with no target ids, no softmax probabilities
// and no cross-entropy, while evaluate() keeps its loss.
import { describe, expect, it } from 'vitest';
import { gptConfig } from '../src/gpt/config.js';
import { GPT } from '../src/gpt/model.js';
import { gptTrainingStepPlan } from '../src/plan/gpt-step-plan.js';
import { init } from '../src/runtime.js';

const config = { vocab: 17, seq: 8, hidden: 16, heads: 2, layers: 2 };

function evaluationPlan(loss: boolean) {
  return gptTrainingStepPlan({
    model: gptConfig(config), batch: 2, tokens: 5, build: 'simd', flashAttention: false, recompute: 'none',
    optimizer: null, hasGradients: false, hasOptimizerState: false, evaluate: true, loss,
  });
}

describe('logits without the cross-entropy', () => {
  it('the evaluation plan without targets stops at the logits; with them it keeps the loss', () => {
    const withLoss = evaluationPlan(true), logitsOnly = evaluationPlan(false);
    const crossEntropy = (ops: typeof withLoss) => ops.filter((op) => op.op === 'run' && op.kernel === 'cross-entropy').length;
    const what = (ops: typeof withLoss) => ops.flatMap((op) => (op.op === 'alloc' ? [op.what] : []));
    expect(crossEntropy(withLoss)).toBe(1);
    expect(what(withLoss)).toContain('softmax probabilities');
    expect(crossEntropy(logitsOnly)).toBe(0);
    expect(what(logitsOnly)).not.toContain('softmax probabilities');
    expect(what(logitsOnly)).not.toContain('target ids');
    expect(logitsOnly.some((op) => op.layer === 'loss')).toBe(false);
  });

  it('a logits or generate call allocates nothing for a loss, and its logits equal what evaluate computes from', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    const model = new GPT(rt, config, { seed: 3 });
    const rows = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];
    rt.arena.startLog();
    const logits = model.logits(rows);
    model.generate([1, 2, 3], 2, { seed: 1 });
    const events = rt.arena.stopLog();
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.layer === 'loss')).toEqual([]);
    // Nothing as large as B·T·vocab floats is allocated beside the logits themselves.
    expect(events.filter((e) => e.kind === 'alloc' && e.bytes === logits.length * 4)).toHaveLength(1);
    rt.arena.startLog();
    model.evaluate(rows, rows);
    expect(rt.arena.stopLog().some((e) => e.layer === 'loss')).toBe(true);
    model.dispose();
  });
});
