import { describe, it, expect } from 'vitest';
import { Command, CommanderError } from 'commander';
import { CATEGORIES } from '../src/memory/categories.js';
import { PRESET_NAMES, preset, presetSpec } from '../src/estimate/presets.js';
import {
  type ActivationSetup,
  countParameters,
  defineTransformer,
  edgeActivationBytes,
  layerActivationBytes,
  layerSavedTensors,
  recomputeTransientBytes,
  stageParameters,
  type TransformerModel,
} from '../src/estimate/transformer.js';
import { defaultTrainingSetup, estimateTransformerMemory, type TrainingSetup } from '../src/estimate/training-setup.js';
import { modelStateBytes } from '../src/estimate/model-states.js';
import { registerEstimateCommand } from '../src/cli/estimate.js';
import { estimateSvg } from '../src/report/estimate-svg.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { runCli } from './helpers/cli.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const gpt2 = preset('gpt2');
const gpt3 = preset('gpt3-175b');
const llama = preset('llama-7b');

describe('parameter counts', () => {
  it('GPT-2 small with tied embeddings: 124,439,808', () => {
    expect(countParameters(gpt2).total).toBe(124_439_808);
  });

  it('GPT-2 medium, large, XL match the released checkpoints', () => {
    expect(countParameters(preset('gpt2-medium')).total).toBe(354_823_168);
    expect(countParameters(preset('gpt2-large')).total).toBe(774_030_080);
    expect(countParameters(preset('gpt2-xl')).total).toBe(1_557_611_200);
  });

  it('GPT-3 175B: 12Lh^2 + 13Lh + (v + n_ctx)h + 2h = 174.6e9', () => {
    const { hidden: h, layers: L } = gpt3;
    expect(countParameters(gpt3).total).toBe(12 * L * h * h + 13 * L * h + (50257 + 2048) * h + 2 * h);
    expect(countParameters(gpt3).total).toBe(174_604_259_328);
  });

  it('LLaMA 7B (SwiGLU, RMSNorm, no biases, untied): 6,738,415,616', () => {
    expect(countParameters(llama).total).toBe(6_738_415_616);
  });

  it('components add up to the total, per layer and overall', () => {
    for (const name of PRESET_NAMES) {
      const c = countParameters(preset(name));
      expect(c.tokenEmbedding + c.positionEmbedding + c.attention + c.feedForward + c.norms + c.outputHead).toBe(c.total);
      expect(c.perLayer.attention + c.perLayer.feedForward + c.perLayer.norms).toBe(c.perLayer.total);
    }
  });

  it('GPT-2 small decomposes as the checkpoint does', () => {
    const c = countParameters(gpt2);
    expect(c.tokenEmbedding).toBe(50257 * 768); // wte
    expect(c.positionEmbedding).toBe(1024 * 768); // wpe
    expect(c.perLayer.attention).toBe(768 * 2304 + 2304 + 768 * 768 + 768); // c_attn, c_proj
    expect(c.perLayer.feedForward).toBe(768 * 3072 + 3072 + 3072 * 768 + 768); // c_fc, c_proj
    expect(c.perLayer.norms).toBe(4 * 768); // ln_1, ln_2
    expect(c.norms).toBe(12 * 4 * 768 + 2 * 768); // + ln_f
    expect(c.outputHead).toBe(0); // tied to wte
  });

  it('untying adds an output head of v x h; dropping biases and positions removes theirs', () => {
    const untied = defineTransformer({ ...presetSpec('gpt2'), tiedEmbeddings: false });
    expect(countParameters(untied).total - countParameters(gpt2).total).toBe(50257 * 768);
    const bare = defineTransformer({ ...presetSpec('gpt2'), bias: false, positionEmbeddings: 'none' });
    // Removed: 13h biases per layer but counted per bias vector (3h + h + 4h + h + 2 norm shifts of h) and ln_f's shift, and the position table.
    const L = 12;
    const h = 768;
    expect(countParameters(gpt2).total - countParameters(bare).total).toBe(L * (3 * h + h + 4 * h + h + 2 * h) + h + 1024 * h);
  });

  it('defaults follow GPT-2: f = 4h, GeLU, LayerNorm, tied, learned positions, biases, dropout', () => {
    const m = defineTransformer({ vocabSize: 100, contextLength: 16, hidden: 32, heads: 4, layers: 2 });
    expect(m).toMatchObject({ name: 'custom', ffnHidden: 128, ffn: 'gelu', norm: 'layernorm', tiedEmbeddings: true, positionEmbeddings: 'learned', bias: true, dropout: true });
  });

  it('rejects bad descriptions by name', () => {
    const base = { vocabSize: 100, contextLength: 16, hidden: 32, heads: 4, layers: 2 };
    expect(() => defineTransformer({ ...base, heads: 5 })).toThrow(/heads: 5 heads do not divide hidden size 32/);
    expect(() => defineTransformer({ ...base, hidden: 0 })).toThrow(/hidden: expected a positive integer, got 0/);
    expect(() => defineTransformer({ ...base, layers: 2.5 })).toThrow(/layers: expected a positive integer, got 2.5/);
    expect(() => defineTransformer({ ...base, vocabSize: -3 })).toThrow(/vocabSize: expected a positive integer, got -3/);
    expect(() => defineTransformer({ ...base, ffnHidden: 0 })).toThrow(/ffnHidden: expected a positive integer/);
    expect(() => defineTransformer({ ...base, ffn: 'relu' as 'gelu' })).toThrow(/ffn: expected one of gelu, swiglu, got 'relu'/);
    expect(() => defineTransformer({ ...base, norm: 'batchnorm' as 'layernorm' })).toThrow(/norm: expected one of layernorm, rmsnorm/);
    expect(() => defineTransformer({ ...base, positionEmbeddings: 'sinusoidal' as 'none' })).toThrow(/positionEmbeddings: expected one of learned, none/);
    expect(() => preset('gpt4')).toThrow(/preset: unknown preset 'gpt4'; expected one of gpt2, gpt2-medium/);
  });
});

describe('parameters per device under tensor and pipeline parallelism', () => {
  it('t = p = 1 holds the whole model', () => {
    for (const name of PRESET_NAMES) expect(stageParameters(preset(name))).toEqual([countParameters(preset(name)).total]);
  });

  it('tensor parallelism splits the matrices, column biases and vocabulary, and replicates norms, row biases and positions', () => {
    const t = 4;
    const { hidden: h, layers: L } = gpt2;
    const [onDevice] = stageParameters(gpt2, t, 1);
    const perLayer = (12 * h * h + 3 * h + 4 * h) / t + 2 * h + 4 * h; // row-parallel biases (2h) and LayerNorms (4h) replicated
    expect(onDevice).toBe(L * perLayer + Math.ceil(50257 / t) * h + 1024 * h + 2 * h);
  });

  it('pipeline stages: embeddings on the first, final norm and head on the last, a tied copy when p > 1', () => {
    const stages = stageParameters(gpt2, 1, 4);
    const c = countParameters(gpt2);
    const layers = 3 * c.perLayer.total;
    expect(stages).toEqual([layers + c.tokenEmbedding + c.positionEmbedding, layers, layers, layers + 2 * 768 + c.tokenEmbedding]);
    const untied = stageParameters(llama, 1, 2);
    expect(untied[0] + untied[1]).toBe(countParameters(llama).total);
  });

  it('rejects splits that do not divide the model', () => {
    expect(() => stageParameters(gpt2, 5, 1)).toThrow(/tensorParallel: 5 does not divide the 12 attention heads/);
    expect(() => stageParameters(gpt2, 1, 5)).toThrow(/pipelineParallel: 5 does not divide the 12 layers/);
    const oddFfn = defineTransformer({ ...presetSpec('gpt2'), ffnHidden: 3070 });
    expect(() => stageParameters(oddFfn, 4, 1)).toThrow(/tensorParallel: 4 does not divide the feed-forward size 3070/);
    expect(() => stageParameters(gpt2, 0, 1)).toThrow(/tensorParallel: expected a positive integer, got 0/);
  });
});

/** Korthikanti et al. 2022, Table 2, evaluated in exact integer bytes (s, b, h, a, t all divide as needed). */
function korthikanti(model: TransformerModel, s: number, b: number, t: number) {
  const sbh = s * b * model.hidden;
  const attention = 5 * model.heads * s * s * b; // sbh * 5as/h
  return {
    noParallelism: 34 * sbh + attention,
    tensorParallel: 10 * sbh + (24 * sbh) / t + attention / t,
    tensorSequenceParallel: (34 * sbh + attention) / t,
    selectiveTensorParallel: 10 * sbh + (24 * sbh) / t,
    selectiveTensorSequenceParallel: (34 * sbh) / t,
    full: 2 * sbh,
  };
}

describe('activations per layer: Korthikanti et al. 2022, Table 2 (16-bit activations)', () => {
  const setup = (s: number, b: number, t: number, sequenceParallel: boolean, recompute: ActivationSetup['recompute']): ActivationSetup => ({
    seqLength: s,
    microBatch: b,
    tensorParallel: t,
    sequenceParallel,
    recompute,
    elementBytes: 2,
  });
  const configurations: [string, TransformerModel, number, number, number][] = [
    ['GPT-2 small', gpt2, 1024, 8, 4],
    ['GPT-2 XL', preset('gpt2-xl'), 1000, 2, 5],
    ['GPT-3 175B', gpt3, 2048, 1, 8],
  ];
  for (const [name, model, s, b, t] of configurations) {
    it(`${name}, s=${s}, b=${b}, t=${t}: every row of Table 2`, () => {
      const k = korthikanti(model, s, b, t);
      expect(layerActivationBytes(model, setup(s, b, 1, false, 'none'))).toBe(k.noParallelism);
      expect(layerActivationBytes(model, setup(s, b, t, false, 'none'))).toBe(k.tensorParallel);
      expect(layerActivationBytes(model, setup(s, b, t, true, 'none'))).toBe(k.tensorSequenceParallel);
      expect(layerActivationBytes(model, setup(s, b, t, false, 'selective'))).toBe(k.selectiveTensorParallel);
      expect(layerActivationBytes(model, setup(s, b, t, true, 'selective'))).toBe(k.selectiveTensorSequenceParallel);
      expect(layerActivationBytes(model, setup(s, b, t, false, 'full'))).toBe(k.full);
      expect(layerActivationBytes(model, setup(s, b, 1, false, 'full'))).toBe(k.full);
    });
  }

  it('the breakdown of Sec. 4.1: attention 11sbh + 5as^2b, MLP 19sbh, norms 4sbh', () => {
    const s = 1024;
    const b = 2;
    const sbh = s * b * 768;
    const tensors = layerSavedTensors(gpt2, { seqLength: s, microBatch: b, elementBytes: 2 });
    const bytes = (names: string[]) => tensors.filter((x) => names.includes(x.name)).reduce((n, x) => n + x.elements * x.bytesPerElement, 0);
    const norms = ['attention norm input', 'MLP norm input'];
    const mlp = ['MLP input', 'GeLU input', 'GeLU output (down projection input)', 'MLP output dropout mask'];
    const attention = tensors.map((x) => x.name).filter((n) => !norms.includes(n) && !mlp.includes(n));
    expect(bytes(norms)).toBe(4 * sbh);
    expect(bytes(mlp)).toBe(19 * sbh);
    expect(bytes(attention)).toBe(11 * sbh + 5 * 12 * s * s * b);
  });

  it('full recomputation with sequence parallelism stores the layer input split along the sequence: 2sbh/t', () => {
    const sbh = 2048 * 12288;
    expect(layerActivationBytes(gpt3, setup(2048, 1, 8, true, 'full'))).toBe((2 * sbh) / 8);
  });

  it('fp32 activations double every 16-bit term; dropout masks stay one byte', () => {
    const s = 512;
    const b = 4;
    const sbh = s * b * 768;
    const as2b = 12 * s * s * b;
    // 2 x (34sbh + 5as^2b) minus the three masks' second byte (sbh + sbh + as^2b).
    expect(layerActivationBytes(gpt2, { ...setup(s, b, 1, false, 'none'), elementBytes: 4 })).toBe(66 * sbh + 9 * as2b);
  });

  it('LLaMA layer (SwiGLU, RMSNorm, no dropout): 16sbh + 8sbf + 2as^2b', () => {
    const s = 2048;
    const b = 1;
    const { hidden: h, ffnHidden: f, heads: a } = llama;
    expect(layerActivationBytes(llama, setup(s, b, 1, false, 'none'))).toBe(16 * s * b * h + 8 * s * b * f + 2 * a * s * s * b);
    expect(layerActivationBytes(llama, setup(s, b, 1, false, 'selective'))).toBe(16 * s * b * h + 8 * s * b * f);
  });

  it('rejects inconsistent activation setups', () => {
    expect(() => layerActivationBytes(gpt2, setup(1024, 1, 1, true, 'none'))).toThrow(/sequenceParallel: .* needs tensorParallel >= 2/);
    expect(() => layerActivationBytes(gpt2, setup(1022, 1, 4, true, 'none'))).toThrow(/sequenceParallel: tensorParallel 4 does not divide the sequence length 1022/);
    expect(() => layerActivationBytes(gpt2, setup(1024, 1, 7, false, 'none'))).toThrow(/tensorParallel: 7 does not divide the 12 attention heads/);
    expect(() => layerActivationBytes(gpt2, setup(0, 1, 1, false, 'none'))).toThrow(/seqLength: expected a positive integer, got 0/);
    expect(() => layerActivationBytes(gpt2, setup(1024, 0, 1, false, 'none'))).toThrow(/microBatch: expected a positive integer, got 0/);
    expect(() => layerActivationBytes(gpt2, { ...setup(1024, 1, 1, false, 'none'), elementBytes: 3 })).toThrow(/elementBytes: expected 2 \(16-bit\) or 4 \(fp32\)/);
    expect(() => layerActivationBytes(gpt2, setup(1024, 1, 1, false, 'some' as 'none'))).toThrow(/recompute: expected one of none, selective, full, got 'some'/);
  });
});

describe("Korthikanti et al. 2022's stated reductions, computed from the formulas", () => {
  // GPT-3 175B: s = 2048, h = 12288, a = 96, t = 8, so 5as/h = 80.
  const s = 2048;
  const base: ActivationSetup = { seqLength: s, microBatch: 1, tensorParallel: 8, sequenceParallel: false, recompute: 'none', elementBytes: 2 };
  const bytes = (over: Partial<ActivationSetup>) => layerActivationBytes(gpt3, { ...base, ...over });

  it('5as/h = 80 for GPT-3, so the core attention is 70% of an unparallelised layer (80 / 114)', () => {
    const all = bytes({ tensorParallel: 1 });
    const selective = bytes({ tensorParallel: 1, recompute: 'selective' });
    expect((all - selective) / all).toBeCloseTo(80 / 114, 12);
    expect((all - selective) / all).toBeGreaterThan(0.7); // "70%" in the paper; 80/114 = 0.7018
    expect((all - selective) / all).toBeLessThan(0.71);
  });

  it('sequence parallelism plus selective recomputation need 5x less than tensor parallelism alone (23 / 4.25 = 5.41)', () => {
    const ratio = bytes({}) / bytes({ sequenceParallel: true, recompute: 'selective' });
    expect(ratio).toBeCloseTo(23 / 4.25, 12);
    expect(ratio).toBeGreaterThanOrEqual(5); // "reduce activation memory by 5x", tolerance: 5 <= ratio < 6
    expect(ratio).toBeLessThan(6);
  });

  it('full recomputation stores 2 of the 114 sbh-units of a layer (57x less without parallelism)', () => {
    expect(bytes({ tensorParallel: 1 }) / bytes({ tensorParallel: 1, recompute: 'full' })).toBe(57);
  });

  it('recomputation trades stored bytes for a one-layer transient', () => {
    const all = bytes({ tensorParallel: 1 });
    expect(recomputeTransientBytes(gpt3, { ...base, tensorParallel: 1, recompute: 'none' })).toBe(0);
    expect(recomputeTransientBytes(gpt3, { ...base, tensorParallel: 1, recompute: 'full' }) + bytes({ tensorParallel: 1, recompute: 'full' })).toBe(all);
    expect(recomputeTransientBytes(gpt3, { ...base, tensorParallel: 1, recompute: 'selective' }) + bytes({ tensorParallel: 1, recompute: 'selective' })).toBe(all);
  });

  it('output layer with sequence parallelism: 4sbh/t (1 + v/h) (Sec. 4.3), fp32 logits over ceil(v/t) rows', () => {
    const t = 8;
    const sbh = s * 12288;
    const edges = edgeActivationBytes(gpt3, { ...base, sequenceParallel: true });
    expect(edges.output).toBe((4 * sbh) / t + 4 * s * Math.ceil(50257 / t));
    expect(edges.embedding).toBe(sbh / t); // dropout mask, 1 byte per element
    expect(edgeActivationBytes(llama, { ...base, seqLength: 2048, tensorParallel: 1 }).embedding).toBe(0); // no dropout
  });
});

describe('estimateTransformerMemory: per-device totals', () => {
  const setupFor = (model: TransformerModel, over: Partial<TrainingSetup>): TrainingSetup => ({ ...defaultTrainingSetup(model), ...over });

  it('one device: model states from modelStateBytes, activations from the layer formula plus the edges', () => {
    const setup = setupFor(gpt2, { precision: 'fp32', optimizer: 'adam', microBatch: 4 });
    const est = estimateTransformerMemory(gpt2, setup);
    const P = 124_439_808;
    const act: ActivationSetup = { seqLength: 1024, microBatch: 4, tensorParallel: 1, sequenceParallel: false, recompute: 'none', elementBytes: 4 };
    const edges = edgeActivationBytes(gpt2, act);
    expect(est.stages).toHaveLength(1);
    expect(est.heaviest.bytes).toEqual({
      weights: 4 * P,
      gradients: 4 * P,
      optimizer: 8 * P,
      activations: 12 * layerActivationBytes(gpt2, act) + edges.embedding + edges.output,
      workspace: 0,
      inputs: 2 * 8 * 1024 * 4,
      kvCache: 0,
    });
    expect(est.heaviest.total).toBe(CATEGORIES.reduce((n, c) => n + est.heaviest.bytes[c], 0));
    expect(est.largest).toBe('activations');
    expect(est.globalBatch).toBe(4);
  });

  it('devices = data x tensor x pipeline; ZeRO shards over the data-parallel part', () => {
    const setup = setupFor(gpt3, { devices: 64, tensorParallel: 8, pipelineParallel: 4, zeroStage: 1, gradAccumulation: 16, sequenceParallel: true, recompute: 'selective' });
    const est = estimateTransformerMemory(gpt3, setup);
    expect(est.dataParallel).toBe(2);
    expect(est.globalBatch).toBe(32);
    const stage = est.stages[1];
    expect({ weights: stage.bytes.weights, gradients: stage.bytes.gradients, optimizer: stage.bytes.optimizer }).toEqual(
      modelStateBytes(stage.parameters, { precision: 'mixed-bf16', optimizer: 'adamw', zeroStage: 1, dataParallel: 2 }),
    );
  });

  it('1F1B: stage i holds min(p - i, m) micro-batches, so the first stage stores L layers worth (Sec. 4.2)', () => {
    const p = 4;
    const setup = setupFor(gpt3, { devices: 32, tensorParallel: 8, pipelineParallel: p, gradAccumulation: 8, sequenceParallel: true, recompute: 'selective' });
    const est = estimateTransformerMemory(gpt3, setup);
    expect(est.stages.map((x) => x.microBatchesInFlight)).toEqual([4, 3, 2, 1]);
    const edges = edgeActivationBytes(gpt3, { seqLength: 2048, microBatch: 1, tensorParallel: 8, sequenceParallel: true, recompute: 'selective', elementBytes: 2 });
    expect(est.stages[0].bytes.activations).toBe(96 * est.layerActivationBytes + p * edges.embedding);
    expect(est.stages[3].bytes.activations).toBe(24 * est.layerActivationBytes + edges.output);
    expect(est.heaviest.stage).toBe(0);
    const few = estimateTransformerMemory(gpt3, { ...setup, gradAccumulation: 2 });
    expect(few.stages.map((x) => x.microBatchesInFlight)).toEqual([2, 2, 2, 1]);
  });

  it('the heaviest stage is the one reported, and the largest category is its largest', () => {
    const est = estimateTransformerMemory(llama, setupFor(llama, { devices: 8, zeroStage: 3, microBatch: 4 }));
    expect(est.heaviest).toBe(est.stages[0]);
    const max = Math.max(...CATEGORIES.map((c) => est.heaviest.bytes[c]));
    expect(est.heaviest.bytes[est.largest]).toBe(max);
  });

  it('rejects bad combinations with messages that name them', () => {
    const ok = defaultTrainingSetup(gpt2);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, zeroStage: 2 })).toThrow(/zeroStage: ZeRO stage 2 shards model states across data-parallel replicas, but 1 device/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, devices: 4, tensorParallel: 4, zeroStage: 1 })).toThrow(/but 4 devices \/ \(tensorParallel 4 x pipelineParallel 1\) leaves 1 replica/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, devices: 6, tensorParallel: 4 })).toThrow(/devices: 6 devices cannot be split into tensorParallel 4 x pipelineParallel 1 groups/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, devices: 8, tensorParallel: 8 })).toThrow(/tensorParallel: 8 does not divide the 12 attention heads/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, seqLength: 2048 })).toThrow(/seqLength: 2048 exceeds the model's 1024 learned positions/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, sequenceParallel: true })).toThrow(/sequenceParallel: .* needs tensorParallel >= 2/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, gradAccumulation: 0 })).toThrow(/gradAccumulation: expected a positive integer, got 0/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, devices: 1.5 })).toThrow(/devices: expected a positive integer, got 1.5/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, precision: 'fp8' as 'fp32' })).toThrow(/precision: expected one of/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, optimizer: 'lion' as 'adam' })).toThrow(/optimizer: expected one of/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, recompute: 'all' as 'full' })).toThrow(/recompute: expected one of none, selective, full/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, zeroStage: 5 as 3 })).toThrow(/zeroStage: expected one of 0, 1, 2, 3, got 5/);
    expect(() => estimateTransformerMemory(gpt2, { ...ok, convention: 'x' as 'zero' })).toThrow(/convention: expected one of zero, megatron/);
  });

  it('positions without parameters accept any sequence length', () => {
    const est = estimateTransformerMemory(llama, setupFor(llama, { seqLength: 8192 }));
    expect(est.setup.seqLength).toBe(8192);
  });
});

/** Runs `wasmgrad estimate ...` through a fresh commander program, capturing output and the exit code. */
function runEstimate(args: string[], colour = false) {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  const program = new Command('wasmgrad')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s), getOutHasColors: () => colour });
  registerEstimateCommand(program);
  try {
    program.parse(['estimate', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    exitCode = e.exitCode;
  }
  return { stdout, stderr, exitCode };
}

describe('wasmgrad estimate (CLI)', () => {
  const issueExample = ['--preset', 'gpt2', '--batch', '8', '--seq', '1024', '--precision', 'mixed-bf16', '--optimizer', 'adamw', '--zero', '2', '--devices', '8'];

  it('--json prints one document with the stable fields, equal to the library estimate', () => {
    const { stdout, stderr, exitCode } = runEstimate([...issueExample, '--json']);
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    const doc = JSON.parse(stdout);
    const est = estimateTransformerMemory(gpt2, {
      ...defaultTrainingSetup(gpt2),
      microBatch: 8,
      seqLength: 1024,
      zeroStage: 2,
      devices: 8,
    });
    expect(doc.format).toBe('wasmgrad.estimate/1');
    expect(doc.model.name).toBe('gpt2');
    expect(doc.model.parameters.total).toBe(124_439_808);
    expect(doc.model.parameters).toEqual(countParameters(gpt2));
    expect(doc.setup).toMatchObject({ precision: 'mixed-bf16', optimizer: 'adamw', zeroStage: 2, devices: 8, dataParallel: 8, microBatch: 8, seqLength: 1024, globalBatch: 64, convention: 'zero' });
    expect(doc.bytesPerParameter).toEqual({ weights: 2, gradients: 2, optimizer: 12, total: 16 });
    expect(doc.perDevice).toEqual({ stage: 0, parameters: 124_439_808, layers: 12, microBatchesInFlight: 1, ...est.heaviest.bytes, total: est.heaviest.total, host: { weights: 0, gradients: 0, optimizer: 0, total: 0 } });
    for (const key of ['weights', 'gradients', 'optimizer', 'activations', 'total']) expect(Number.isSafeInteger(doc.perDevice[key])).toBe(true);
    expect(doc.perDevice.gradients).toBe(2 * Math.ceil(124_439_808 / 8)); // ZeRO 2 shards gradients
    expect(doc.stages).toHaveLength(1);
    expect(doc.largest).toBe(est.largest);
    expect(doc.deviceMemory).toBeNull();
    expect(doc.fits).toBeNull();
  });

  it('--device-memory says whether the heaviest device fits', () => {
    const fits = JSON.parse(runEstimate([...issueExample, '--json', '--device-memory', '80GB']).stdout);
    expect(fits.deviceMemory).toBe(80e9);
    expect(fits.fits).toBe(fits.perDevice.total <= 80e9);
    expect(fits.fits).toBe(true);
    const tight = JSON.parse(runEstimate([...issueExample, '--json', '--device-memory', '8GiB']).stdout);
    expect(tight.deviceMemory).toBe(8 * 2 ** 30);
    expect(tight.fits).toBe(false);
  });

  it('the table has one line per category with exact bytes and units, and marks the largest', () => {
    const { stdout, exitCode } = runEstimate([...issueExample, '--device-memory', '80GB']);
    expect(exitCode).toBe(0);
    const est = estimateTransformerMemory(gpt2, { ...defaultTrainingSetup(gpt2), microBatch: 8, zeroStage: 2, devices: 8 });
    const lines = stdout.split('\n');
    for (const cat of [...CATEGORIES, 'total'] as const) {
      const bytes = cat === 'total' ? est.heaviest.total : est.heaviest.bytes[cat];
      const line = lines.find((l) => l.trimStart().startsWith(`${cat} `));
      expect(line, cat).toBeDefined();
      expect(line).toContain(`${bytes.toLocaleString('en-US')} B`);
      if (bytes >= 1000) expect(line).toMatch(/ [0-9.]+ [kMGT]B \/ [0-9.]+ [KMGT]iB/);
    }
    expect(lines.filter((l) => l.includes('<- largest'))).toEqual([lines.find((l) => l.trimStart().startsWith(`${est.largest} `))]);
    expect(stdout).toContain('124,439,808 parameters');
    expect(stdout).toMatch(/device memory 80,000,000,000 B .*: fits/);
    expect(runEstimate([...issueExample, '--device-memory', '1GB']).stdout).toMatch(/does not fit, .* short by/);
  });

  it('colours only when the output supports it', () => {
    expect(runEstimate(issueExample, false).stdout).not.toContain('\u001b[');
    expect(runEstimate(issueExample, true).stdout).toContain('\u001b[');
  });

  it('a preset with overrides, and a model described in full', () => {
    const modified = JSON.parse(runEstimate(['--preset', 'gpt2', '--n-layer', '6', '--no-tied', '--json']).stdout);
    expect(modified.model.name).toBe('gpt2 (modified)');
    expect(modified.model.parameters.total).toBe(
      countParameters(defineTransformer({ ...presetSpec('gpt2'), layers: 6, tiedEmbeddings: false })).total,
    );
    const custom = JSON.parse(
      runEstimate(['--vocab', '32000', '--seq', '4096', '--hidden', '2048', '--n-layer', '24', '--heads', '16', '--ffn-kind', 'swiglu', '--ffn', '5632', '--norm', 'rmsnorm', '--positions', 'none', '--no-bias', '--no-dropout', '--json']).stdout,
    );
    expect(custom.model).toMatchObject({ name: 'custom', contextLength: 4096, ffn: 'swiglu', ffnHidden: 5632, norm: 'rmsnorm', bias: false, dropout: false, tiedEmbeddings: true });
    expect(custom.setup.seqLength).toBe(4096);
  });

  it('llama-7b with pipeline, tensor and sequence parallelism reports the heaviest stage', () => {
    const doc = JSON.parse(runEstimate(['--preset', 'llama-7b', '--devices', '16', '--tp', '4', '--sp', '--pp', '2', '--grad-accum', '4', '--zero', '1', '--recompute', 'selective', '--json']).stdout);
    expect(doc.setup).toMatchObject({ dataParallel: 2, tensorParallel: 4, pipelineParallel: 2, sequenceParallel: true });
    expect(doc.stages).toHaveLength(2);
    expect(doc.perDevice.total).toBe(Math.max(...doc.stages.map((s: { total: number }) => s.total)));
  });

  it('a bad value prints its message and a pointer to --help, not the whole help', async () => {
    const r = await runCli(['estimate', '--preset', 'gpt2', '--heads', '7']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --heads: 7 heads do not divide hidden size 768 (see 'wasmgrad estimate --help')\n");
  });

  const bad: [string, string[], RegExp][] = [
    ['heads not dividing hidden', ['--preset', 'gpt2', '--heads', '7'], /error: --heads: 7 heads do not divide hidden size 768/],
    ['t not dividing heads', ['--preset', 'gpt2', '--devices', '5', '--tp', '5'], /error: --tp \(tensorParallel\): 5 does not divide the 12 attention heads/],
    ['ZeRO without data parallelism', ['--preset', 'gpt2', '--zero', '2'], /error: --zero \(zeroStage\): ZeRO stage 2 shards model states across data-parallel replicas/],
    ['devices not a multiple of t x p', ['--preset', 'gpt2', '--devices', '6', '--tp', '4'], /error: --devices: 6 devices cannot be split/],
    ['no model', ['--hidden', '768'], /error: give --preset .* missing --vocab, --n-layer, --heads, --context \(or --seq\)/],
    ['unknown preset', ['--preset', 'gpt5'], /error: --preset: unknown preset 'gpt5'; expected one of gpt2, gpt2-medium, gpt2-large, gpt2-xl, gpt3-175b, llama-7b/],
    ['not an integer', ['--preset', 'gpt2', '--batch', '2.5'], /error: --batch: expected a positive integer, got '2.5'/],
    ['zero batch', ['--preset', 'gpt2', '--batch', '0'], /error: --batch: expected a positive integer, got '0'/],
    ['bad ZeRO stage', ['--preset', 'gpt2', '--zero', '4'], /error: --zero: expected a ZeRO stage 0, 1, 2 or 3, got '4'/],
    ['bad precision', ['--preset', 'gpt2', '--precision', 'fp8'], /error: --precision: expected one of fp32, mixed-fp16, mixed-bf16, bf16, got 'fp8'/],
    ['bad optimizer', ['--preset', 'gpt2', '--optimizer', 'lion'], /error: --optimizer: expected one of sgd, sgd-momentum, adam, adamw, adam-8bit, got 'lion'/],
    ['bad recompute', ['--preset', 'gpt2', '--recompute', 'all'], /error: --recompute: expected one of none, selective, full/],
    ['bad convention', ['--preset', 'gpt2', '--convention', 'colossal'], /error: --convention: expected one of zero, megatron, deepspeed/],
    ['bad ffn kind', ['--preset', 'gpt2', '--ffn-kind', 'relu'], /error: --ffn-kind: expected one of gelu, swiglu/],
    ['bad device memory', ['--preset', 'gpt2', '--device-memory', '80XB'], /error: --device-memory: unknown unit 'XB'/],
    ['zero device memory', ['--preset', 'gpt2', '--device-memory', '0GB'], /error: --device-memory: expected a positive size/],
    ['sequence parallel without tensor parallel', ['--preset', 'gpt2', '--sp'], /error: --sp \(sequenceParallel\): .* needs tensorParallel >= 2/],
    ['sequence too long', ['--preset', 'gpt2', '--seq', '2048'], /error: --seq \(seqLength\): 2048 exceeds the model's 1024 learned positions/],
    ['layers not divisible by p', ['--preset', 'gpt2', '--devices', '5', '--pp', '5'], /error: --pp \(pipelineParallel\): 5 does not divide the 12 layers/],
  ];
  for (const [what, args, message] of bad) {
    it(`${what}: exit code 2, message on stderr, nothing on stdout`, () => {
      const { stdout, stderr, exitCode } = runEstimate(args);
      expect(exitCode).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
    });
  }
});

describe('estimate picture (SVG)', () => {
  const est = estimateTransformerMemory(gpt3, {
    ...defaultTrainingSetup(gpt3),
    devices: 256,
    tensorParallel: 8,
    sequenceParallel: true,
    pipelineParallel: 4,
    gradAccumulation: 8,
    recompute: 'selective',
    zeroStage: 1,
  });

  it('draws one segment per non-empty category per stage, and the exact bytes of the heaviest stage', () => {
    const svg = estimateSvg(est);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    const segments = est.stages.reduce((n, s) => n + CATEGORIES.filter((c) => s.bytes[c] > 0).length, 0);
    expect(svg.match(/<rect class="segment /g)).toHaveLength(segments);
    for (const cat of CATEGORIES) expect(svg).toContain(`${cat}: ${est.heaviest.bytes[cat].toLocaleString('en-US')} B`);
    expect(svg).toMatch(new RegExp(`font-weight="700">${est.largest}: .*, largest`));
    expect(svg).not.toContain('device-memory');
  });

  it('draws the device memory and says whether the heaviest stage fits', () => {
    expect(estimateSvg(est, { deviceMemory: 80 * 2 ** 30 })).toContain('device memory 85.90 GB / 80.00 GiB: fits');
    expect(estimateSvg(est, { deviceMemory: 2 ** 30 })).toContain('device memory 1.074 GB / 1.000 GiB: does not fit');
  });

  it('speaks in the text report\'s units: decimal and binary side by side, the axis in decimal units', () => {
    const svg = estimateSvg(est, { deviceMemory: 80e9 });
    const binary = [...svg.matchAll(/(?<![\d.])[\d.]+ [KMGT]iB/g)];
    expect(binary.length).toBeGreaterThan(6);
    for (const m of binary) expect(svg.slice(m.index - 3, m.index), m[0]).toBe(' / '); // every binary figure follows its decimal one
    expect(svg).toContain(`total: ${est.heaviest.total.toLocaleString('en-US')} B (`);
    const ticks = [...svg.matchAll(/text-anchor="middle" fill="#555">([^<]+)</g)].map((m) => m[1]);
    expect(ticks.length).toBeGreaterThan(2);
    for (const tick of ticks) expect(tick).toMatch(/^[\d.]+ (B|kB|MB|GB|TB)$/);
  });

  it('wraps the subtitle so that no line runs past the picture\'s width', () => {
    const llama = preset('llama-7b');
    const long = estimateTransformerMemory(llama, { ...defaultTrainingSetup(llama), devices: 16, tensorParallel: 4, sequenceParallel: true, pipelineParallel: 2, gradAccumulation: 4, zeroStage: 1, recompute: 'selective', precision: 'mixed-fp16', optimizer: 'sgd-momentum' });
    for (const width of [320, 720]) {
      const svg = estimateSvg(long, { width });
      const texts = [...svg.matchAll(/<text x="(\d+)" y="\d+" fill="#555">([^<]+)<\/text>/g)];
      expect(texts.length).toBeGreaterThanOrEqual(width === 320 ? 4 : 2);
      const words = texts.map((m) => m[2]).join(' ');
      for (const part of ['micro-batch 1 x 2048 tokens', 'recompute selective', '16 devices', 'ZeRO stage 1']) expect(words).toContain(part);
      for (const [, x, text] of texts) expect(Number(x) + 7 * text.length, text).toBeLessThanOrEqual(width - 10);
    }
  });

  it('escapes text and rejects bad options', () => {
    expect(estimateSvg(est, { title: 'a < b & "c"' })).toContain('<title>a &lt; b &amp; &quot;c&quot;</title>');
    expect(() => estimateSvg(est, { width: 100 })).toThrow(/width: expected an integer >= 320, got 100/);
    expect(() => estimateSvg(est, { deviceMemory: -1 })).toThrow(/deviceMemory: expected a positive integer number of bytes, got -1/);
  });

  it('--svg writes the picture and leaves stdout to the JSON document', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-estimate-'));
    try {
      const file = join(dir, 'gpt2.svg');
      const { stdout, exitCode } = runEstimate(['--preset', 'gpt2', '--json', '--svg', file]);
      expect(exitCode).toBe(0);
      expect(JSON.parse(stdout).model.name).toBe('gpt2');
      expect(readFileSync(file, 'utf8')).toContain('<title>Training memory per device: gpt2</title>');
      const bad = runEstimate(['--preset', 'gpt2', '--svg', join(dir, 'missing', 'x.svg')]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/error: --svg: cannot write '.*x\.svg'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
