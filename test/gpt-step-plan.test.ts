// The GPT step plan as the estimator folds it: every buffer freed once, what
// forward saves per block equal to Korthikanti et al.'s tensors in fp32, term
// by term, and the memory-saving options removing exactly what they claim.
import { describe, expect, it } from 'vitest';
import { type GPTConfigInput, gptConfig } from '../src/gpt/config.js';
import { gptParameterCount } from '../src/gpt/parameters.js';
import { summarizeEvents } from '../src/memory/events.js';
import { planEvents } from '../src/plan/fold.js';
import { type GPTPlanOp, type GPTStepPlanConfig, gptTrainingStepPlan } from '../src/plan/gpt-step-plan.js';
import { blockSavedTerms } from '../src/estimate/gpt.js';

const base: GPTConfigInput = { vocab: 65, seq: 16, hidden: 32, heads: 4, layers: 2 };

function plan(model: GPTConfigInput, options: Partial<GPTStepPlanConfig> = {}): GPTPlanOp[] {
  const m = gptConfig(model);
  return gptTrainingStepPlan({
    model: m, batch: 3, tokens: m.seq, build: 'simd', flashAttention: false, recompute: 'none',
    optimizer: { name: 'adamw', stateBytes: 8 * gptParameterCount(m) }, hasGradients: false, hasOptimizerState: false, ...options,
  });
}

/** Bytes forward saves (`activations`) under sub-layers of block i. */
function savedInBlock(ops: readonly GPTPlanOp[], i: number): number {
  return ops.reduce((s, op) => (op.op === 'alloc' && op.phase === 'forward' && op.category === 'activations' && op.layer.startsWith(`h.${i}.`) ? s + op.bytes : s), 0);
}

const configs: [string, GPTConfigInput][] = [
  ['GELU + LayerNorm', base],
  ['GELU + LayerNorm + dropout', { ...base, dropout: 0.1 }],
  ['SwiGLU + RMSNorm, no bias', { ...base, feedForward: 'swiglu', norm: 'rmsnorm', ffn: 88, bias: false, tiedHead: false }],
  ['odd sizes', { vocab: 7, seq: 5, hidden: 6, heads: 3, layers: 3, dropout: 0.5 }],
];

describe('GPT step plan', () => {
  it.each(configs)('%s: every buffer is freed once, and only gradients and optimizer state outlive the step', (_, model) => {
    for (const options of [{}, { flashAttention: true }, { recompute: 'blocks' as const }]) {
      const ops = plan(model, options);
      const allocated = new Set<number>();
      const freed = new Set<number>();
      for (const op of ops) {
        if (op.op === 'alloc') {
          expect(allocated.has(op.buffer)).toBe(false);
          allocated.add(op.buffer);
        } else if (op.op === 'free') {
          expect(allocated.has(op.buffer), `free of unknown buffer ${op.buffer}`).toBe(true);
          expect(freed.has(op.buffer), `double free of ${op.buffer}`).toBe(false);
          freed.add(op.buffer);
        }
      }
      const m = gptConfig(model);
      const summary = summarizeEvents(planEvents(ops, { workspaceBytes: 0 }));
      expect(summary.live.activations).toBe(0);
      expect(summary.live.inputs).toBe(0);
      expect(summary.live.gradients).toBe(gptParameterCount(m) * 4);
      expect(summary.live.optimizer).toBe(gptParameterCount(m) * 8);
      const reserve = ops.find((op) => op.op === 'reserve-workspace') as { bytes: number };
      expect(summary.live.workspace).toBe(reserve.bytes);
    }
  });

  it("saves per block what Korthikanti et al. count, in fp32 (each 16-bit term doubled, 1-byte masks kept, LayerNorm's mean and rstd added)", () => {
    for (const dropout of [0, 0.1]) {
      const m = gptConfig({ ...base, dropout });
      const s = m.seq, b = 3, h = m.hidden, a = m.heads;
      const ops = plan({ ...base, dropout });
      // Korthikanti et al. (2022), eq. 1, 16-bit: 34sbh + 5as²b per layer with dropout;
      // without dropout the three masks (2sbh + as²b) and the dropped probabilities (2as²b) are not kept.
      const korthikanti16 = dropout ? 34 * s * b * h + 5 * a * s * s * b : 34 * s * b * h - 2 * s * b * h + 5 * a * s * s * b - 3 * a * s * s * b;
      const masks = dropout ? 2 * s * b * h + a * s * s * b : 0;
      const normStatistics = 2 * 2 * 4 * s * b;
      const fp32 = 2 * (korthikanti16 - masks) + masks + normStatistics;
      for (let i = 0; i < m.layers; i++) expect(savedInBlock(ops, i), `block ${i}, dropout ${dropout}`).toBe(fp32);
    }
  });

  it('memory-saving attention saves the logsumexp instead of the probabilities, and backward runs one more product', () => {
    for (const dropout of [0, 0.2]) {
      const m = gptConfig({ ...base, dropout });
      const b = 3, s = m.seq, a = m.heads;
      const plain = plan({ ...base, dropout }), flash = plan({ ...base, dropout }, { flashAttention: true });
      const probabilityTerms = (dropout ? 9 : 4) * a * s * s * b;
      for (let i = 0; i < m.layers; i++) expect(savedInBlock(plain, i) - savedInBlock(flash, i)).toBe(probabilityTerms - 4 * a * s * b);
      const macs = (ops: GPTPlanOp[]) => ops.reduce((t, op) => t + (op.op === 'run' && op.kernel === 'attention' && op.pass === 'backward' ? op.gemmMacs : 0), 0);
      expect(macs(flash) - macs(plain)).toBe(m.layers * b * a * s * s * (m.hidden / a));
    }
  });

  it('whole-block recomputation saves only block inputs in forward and re-runs every block forward in backward', () => {
    const m = gptConfig(base);
    const b = 3, s = m.seq, h = m.hidden;
    const ops = plan(base, { recompute: 'blocks' });
    // Saved in forward: each block's output (the next block's input); the embedding output is under "wte".
    for (let i = 0; i < m.layers; i++) expect(savedInBlock(ops, i)).toBe(4 * s * b * h);
    const runs = ops.filter((op) => op.op === 'run' && op.pass === 'forward' && op.layer.startsWith('h.')) as Extract<GPTPlanOp, { op: 'run' }>[];
    const key = (op: Extract<GPTPlanOp, { op: 'run' }>) => `${op.layer} ${op.kernel}`;
    const first = runs.filter((op) => !op.recompute).map(key), again = runs.filter((op) => op.recompute);
    expect(again.every((op) => op.phase === 'backward')).toBe(true);
    // Everything backward reads is computed again; only the feed-forward's output projection and the residual add after it are not.
    const notAgain = first.filter((k) => !again.map(key).includes(k));
    expect(notAgain).toEqual([...Array(m.layers).keys()].flatMap((i) => [`h.${i}.mlp.c_proj linear`, `h.${i}.mlp.c_proj residual`]));
    // The peak of activations falls.
    const peak = (o: GPTPlanOp[]) => summarizeEvents(planEvents(o, { workspaceBytes: 0 })).peak.activations;
    expect(peak(ops)).toBeLessThan(peak(plan(base)));
  });

  it('a later step allocates no gradients and no optimizer state', () => {
    const ops = plan(base, { hasGradients: true, hasOptimizerState: true });
    expect(ops.some((op) => op.op === 'alloc' && op.category === 'gradients')).toBe(false);
    expect(ops.find((op) => op.op === 'optimizer')).toMatchObject({ stateBytes: 0 });
  });
});

describe('GPT saved tensors beside Korthikanti et al.', () => {
  const cases: [string, GPTConfigInput, boolean][] = [
    ['GELU + LayerNorm', base, false],
    ['with dropout', { ...base, dropout: 0.1 }, false],
    ['memory-saving attention with dropout', { ...base, dropout: 0.1 }, true],
    ['SwiGLU + RMSNorm, ffn 88', { ...base, feedForward: 'swiglu', norm: 'rmsnorm', ffn: 88, bias: false }, false],
    ['ffn not 4h', { vocab: 7, seq: 5, hidden: 6, heads: 3, layers: 2, ffn: 10 }, true],
  ];
  it.each(cases)('%s: the terms sum to what the plan saves per block; Korthikanti\'s to 34sbh + 5as²b', (_, model, flash) => {
    const m = gptConfig(model);
    const b = 3, s = m.seq;
    const terms = blockSavedTerms(m, b, s, flash);
    const ops = plan(model, { flashAttention: flash });
    for (let i = 0; i < m.layers; i++) expect(terms.reduce((t, x) => t + x.wasmgrad, 0)).toBe(savedInBlock(ops, i));
    expect(terms.reduce((t, x) => t + x.korthikanti, 0)).toBe(34 * s * b * m.hidden + 5 * m.heads * s * s * b);
    for (const t of terms) expect(t.why.length).toBeGreaterThan(0);
  });
});
