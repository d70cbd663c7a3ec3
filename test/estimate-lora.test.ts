// LoRA and QLoRA fine-tuning: trainable adapters, frozen (or 4-bit) base weights,
// adapter-only gradients and optimizer state, and what frozen layers still save.

import { describe, expect, it } from 'vitest';
import { preset } from '../src/estimate/presets.js';
import { frozenBaseBytes, loraParameters, nf4Bytes, type LoraSetup } from '../src/estimate/lora.js';
import { edgeActivationBytes, layerActivationBytes, type ActivationSetup } from '../src/estimate/transformer.js';
import { defaultTrainingSetup, estimateTransformerMemory } from '../src/estimate/training-setup.js';
import { modelStateBytes } from '../src/estimate/model-states.js';
import { runCli } from './helpers/cli.js';

const llama = preset('llama-7b');
const h = 4096;
const f = 11008;
const qv: LoraSetup = { rank: 8, targets: ['q', 'v'], quantizedBase: false };

describe('trainable parameters: r (in + out) per adapted matrix', () => {
  it('LoRA rank 8 on q and v of LLaMA-7B = 4,194,304 (the figure PEFT prints)', () => {
    expect(loraParameters(llama, qv)).toBe(4_194_304);
  });

  it('every target of LLaMA-7B at rank 64, and k and v of a grouped-query model are kv wide', () => {
    const all: LoraSetup = { rank: 64, targets: ['q', 'k', 'v', 'o', 'mlp'], quantizedBase: true };
    expect(loraParameters(llama, all)).toBe(32 * 64 * (4 * 2 * h + 3 * (h + f)));
    const llama70 = preset('llama-2-70b');
    expect(loraParameters(llama70, { rank: 16, targets: ['k'], quantizedBase: false })).toBe(80 * 16 * (8192 + 1024));
  });

  it('refuses rank 0, an unknown or repeated target, an empty list and a rank above the adapted matrix', () => {
    expect(() => loraParameters(llama, { ...qv, rank: 0 })).toThrow(/^loraRank: expected a positive integer, got 0/);
    expect(() => loraParameters(llama, { ...qv, targets: ['q', 'x' as 'q'] })).toThrow(/^loraTargets: unknown target 'x'; expected q, k, v, o, mlp/);
    expect(() => loraParameters(llama, { ...qv, targets: ['q', 'q'] })).toThrow(/^loraTargets: 'q' given twice/);
    expect(() => loraParameters(llama, { ...qv, targets: [] })).toThrow(/^loraTargets: expected a non-empty list/);
    expect(() => loraParameters(llama, { ...qv, rank: 4097 })).toThrow(/^loraRank: rank 4097 exceeds 4096/);
  });
});

describe('frozen base', () => {
  it('16-bit LoRA: every parameter at 2 bytes', () => {
    expect(frozenBaseBytes(llama, qv, 2)).toBe(2 * 6_738_415_616);
  });

  it('QLoRA: NF4 codes, 8-bit absmax per 64 weights and fp32 per 256 absmax (double quantisation); embeddings, head and norms in 16 bits', () => {
    expect(nf4Bytes(h * h)).toBe((h * h) / 2 + (h * h) / 64 + (4 * (h * h)) / 64 / 256);
    const perLayer = 4 * nf4Bytes(h * h) + 3 * nf4Bytes(h * f);
    const rest = 2 * (2 * 32000 * h + 65 * h);
    expect(frozenBaseBytes(llama, { ...qv, quantizedBase: true }, 2)).toBe(32 * perLayer + rest);
    expect(32 * perLayer + rest).toBe(3_865_591_808);
    // 4.127 bits per quantised weight (Dettmers et al. 2023, Sec. 3)
    expect((8 * nf4Bytes(h * f)) / (h * f)).toBeCloseTo(4.127, 3);
  });
});

describe('training memory under LoRA', () => {
  const s = 2048;
  const sb = s;
  const sbh = sb * h;
  const act: ActivationSetup = { seqLength: s, microBatch: 1, tensorParallel: 1, sequenceParallel: false, recompute: 'none', elementBytes: 2 };

  it('frozen layers keep what the input gradients and the adapters read, not the inputs of frozen projections', () => {
    const full = layerActivationBytes(llama, act);
    expect(full).toBe(16 * sbh + 8 * sb * f + 2 * 32 * s * s);
    // q and v adapted: the QKV input stays; the output projection's, the MLP's and the down projection's inputs go; x A of two adapters comes.
    expect(layerActivationBytes(llama, { ...act, lora: qv })).toBe(full - 2 * sbh - 2 * sbh - 2 * sb * f + 2 * 2 * sb * 8);
    // mlp adapted: its inputs come back, plus three x A (gate, up, down)
    expect(layerActivationBytes(llama, { ...act, lora: { ...qv, targets: ['mlp'] } })).toBe(full - 2 * sbh - 2 * sbh + 3 * 2 * sb * 8);
    // the frozen head's input is not kept; the final norm's input and the fp32 logits are
    expect(edgeActivationBytes(llama, act).output - edgeActivationBytes(llama, { ...act, lora: qv }).output).toBe(2 * sbh);
  });

  it('mixture of experts: the frozen router and experts keep neither the MLP input nor the dispatched tokens nor the down projections\' inputs', () => {
    const mixtral = preset('mixtral-8x7b');
    const sm = 1024 * 4096;
    const full = layerActivationBytes(mixtral, { ...act, seqLength: 1024 });
    const q: LoraSetup = { rank: 16, targets: ['q'], quantizedBase: true };
    // drops: output projection input 2sbh, MLP input 2sbh, k = 2 dispatched copies 4sbh, k down-projection inputs 4sbf; adds x A of q, 2sbr
    expect(layerActivationBytes(mixtral, { ...act, seqLength: 1024, lora: q })).toBe(full - 8 * sm - 4 * 1024 * 14336 + 2 * 1024 * 16);
  });

  it('gradients and optimizer state are the adapters\' alone; weights are the frozen base plus the adapters', () => {
    const est = estimateTransformerMemory(llama, { ...defaultTrainingSetup(llama), lora: { ...qv, quantizedBase: true } });
    const adapters = modelStateBytes(4_194_304, { precision: 'mixed-bf16', optimizer: 'adamw' });
    expect(est.lora).toEqual({ trainableParameters: 4_194_304, frozenBaseBytes: 3_865_591_808 });
    expect(est.heaviest.bytes.gradients).toBe(adapters.gradients);
    expect(est.heaviest.bytes.optimizer).toBe(adapters.optimizer);
    expect(est.heaviest.bytes.weights).toBe(3_865_591_808 + adapters.weights);
    expect(est.heaviest.bytes.activations).toBe(32 * layerActivationBytes(llama, { ...act, lora: qv }) + edgeActivationBytes(llama, { ...act, lora: qv }).output);
  });

  it('ZeRO stage 3 shards the frozen base too; tensor or pipeline parallelism is refused', () => {
    const est = estimateTransformerMemory(llama, { ...defaultTrainingSetup(llama), lora: qv, devices: 4, zeroStage: 3 });
    expect(est.heaviest.bytes.weights).toBe(Math.ceil((2 * 6_738_415_616) / 4) + modelStateBytes(4_194_304, { precision: 'mixed-bf16', optimizer: 'adamw', zeroStage: 3, dataParallel: 4 }).weights);
    expect(() => estimateTransformerMemory(llama, { ...defaultTrainingSetup(llama), lora: qv, devices: 2, tensorParallel: 2 })).toThrow(/^lora: LoRA is estimated on data-parallel replicas only/);
  });
});

describe('wasmgrad estimate --lora-rank --lora-targets --qlora', () => {
  it('reports the trainable parameters and the frozen base, in the table and the document', async () => {
    const r = await runCli(['estimate', '--preset', 'llama-7b', '--lora-rank', '8', '--lora-targets', 'q,v', '--qlora', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.setup.lora).toEqual({ rank: 8, targets: ['q', 'v'], quantizedBase: true });
    expect(doc.lora).toEqual({ trainableParameters: 4_194_304, frozenBaseBytes: 3_865_591_808 });
    const text = await runCli(['estimate', '--preset', 'llama-7b', '--lora-rank', '8']);
    expect(text.stdout).toMatch(/fine-tune {3}LoRA rank 8 on q, v: 4,194,304 trainable parameters \(0\.062%\), frozen base 13\.48 GB/);
  });
});
