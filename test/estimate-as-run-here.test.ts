// The large-model estimator's "as run here" convention against real
// allocations: for GPTs the core runs, `wasmgrad estimate --as-run-here`
// gives exactly the bytes `profileGpt` measures, per category and at the peak.
import { describe, expect, it } from 'vitest';
import { estimateAsRunHere } from '../src/estimate/as-run-here.js';
import { defaultTrainingSetup, type TrainingSetup } from '../src/estimate/training-setup.js';
import { defineTransformer, type TransformerSpec } from '../src/estimate/transformer.js';
import { CATEGORIES } from '../src/memory/categories.js';
import { profileGpt } from '../src/profile/profile-gpt.js';
import { asRunHereDocument } from '../src/report/estimate-as-run-here.js';
import { runCli } from './helpers/cli.js';

const CASES: [string, TransformerSpec, Partial<TrainingSetup>][] = [
  ['GELU + LayerNorm, tied', { vocabSize: 29, contextLength: 12, hidden: 16, heads: 2, layers: 2, dropout: false }, { microBatch: 3 }],
  ['SwiGLU + RMSNorm, untied, no bias, shorter sequences', { vocabSize: 23, contextLength: 16, hidden: 12, heads: 3, layers: 2, ffnHidden: 20, ffn: 'swiglu', norm: 'rmsnorm', bias: false, tiedEmbeddings: false, dropout: false }, { microBatch: 2, seqLength: 9 }],
  ['flash attention above the block size, SGD with momentum', { vocabSize: 11, contextLength: 70, hidden: 8, heads: 2, layers: 1, dropout: false }, { attention: 'flash', optimizer: 'sgd-momentum' }],
  ['full recomputation, Adam', { vocabSize: 13, contextLength: 8, hidden: 8, heads: 4, layers: 3, dropout: false }, { recompute: 'full', optimizer: 'adam', microBatch: 2 }],
];

describe('estimate --as-run-here equals what the core measures', () => {
  it.each(CASES)('%s', async (_, spec, change) => {
    const model = defineTransformer(spec);
    const setup = { ...defaultTrainingSetup(model), precision: 'fp32' as const, ...change };
    // Three threads: each packs its own GEMM panels, and the estimate counts them.
    const estimate = asRunHereDocument(estimateAsRunHere(model, setup, 3));
    const measured = await profileGpt({
      model: estimate.model.config, batch: setup.microBatch, tokens: setup.seqLength, steps: 2, optimizer: estimate.setup.optimizer as 'adamw',
      flashAttention: estimate.setup.flashAttention, recompute: estimate.setup.recompute, build: 'simd', threads: 3,
    });
    for (const k of CATEGORIES) {
      expect(estimate.categories[k].peak, k).toBe(measured.measured.peak[k]);
      expect(estimate.categories[k].atPeak, k).toBe(measured.measured.atPeak[k]);
      expect(estimate.categories[k].live, k).toBe(measured.measured.live[k]);
    }
    expect(estimate.peak.bytes).toBe(measured.measured.peakTotal);
    expect(estimate.parameters).toBe(measured.estimate.parameters);
    expect(estimate.fitsWasm32).toBe(true);
  });

  it('estimates GPT-2 small as the core would train it, beyond wasm32, and names the command that measures smaller ones', async () => {
    const r = await runCli(['estimate', '--preset', 'gpt2', '--precision', 'fp32', '--as-run-here', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as ReturnType<typeof asRunHereDocument>;
    expect(d.parameters).toBe(124_439_808);
    // Model states in fp32 with AdamW: 4 + 4 + 8 bytes a parameter.
    expect(d.categories.weights.live + d.categories.gradients.live + d.categories.optimizer.live).toBe(16 * 124_439_808);
    expect(d.fitsWasm32).toBe(false);
    const small = await runCli(['estimate', '--vocab', '11', '--context', '8', '--hidden', '16', '--heads', '2', '--n-layer', '1', '--no-dropout', '--precision', 'fp32', '--as-run-here']);
    expect(small.code, small.stderr).toBe(0);
    expect(small.stdout).toMatch(/measure it with {2}wasmgrad profile --model gpt --vocab 11 --seq 8 --hidden 16 --heads 2 --layers 1/);
  }, 30_000);

  it.each([
    ['mixed precision', ['--preset', 'gpt2'], /--precision mixed-bf16: the core trains in fp32/],
    ['grouped-query attention', ['--preset', 'llama-2-70b', '--precision', 'fp32'], /--kv-heads|--positions/],
    ['several devices', ['--preset', 'gpt2', '--precision', 'fp32', '--devices', '2'], /the core trains on one device/],
    ['selective recomputation', ['--preset', 'gpt2', '--precision', 'fp32', '--recompute', 'selective'], /recomputes whole blocks/],
    ['with --inference', ['--preset', 'gpt2', '--inference'], /--as-run-here/],
  ])('refuses %s in one line, exit 2', async (_, args, message) => {
    const r = await runCli(['estimate', ...args, '--as-run-here']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
