// Grouped-query attention, flash attention and mixture-of-experts layers in the
// transformer estimator, against published parameter counts and hand computation.

import { describe, expect, it } from 'vitest';
import { preset, presetSpec } from '../src/estimate/presets.js';
import {
  type ActivationSetup,
  countParameters,
  defineTransformer,
  layerActivationBytes,
  recomputeTransientBytes,
  stageParameters,
} from '../src/estimate/transformer.js';
import { defaultTrainingSetup, estimateTransformerMemory } from '../src/estimate/training-setup.js';
import { modelStateBytes } from '../src/estimate/model-states.js';
import { runCli } from './helpers/cli.js';

const setup = (s: number, b: number, t: number, over: Partial<ActivationSetup> = {}): ActivationSetup => ({
  seqLength: s,
  microBatch: b,
  tensorParallel: t,
  sequenceParallel: false,
  recompute: 'none',
  elementBytes: 2,
  ...over,
});

describe('presets with grouped-query attention: the published parameter counts', () => {
  it('LLaMA-2-70B (64 heads, 8 KV heads) = 68,976,648,192', () => {
    expect(countParameters(preset('llama-2-70b')).total).toBe(68_976_648_192);
  });

  it('LLaMA-2-7B = 6,738,415,616, LLaMA-3-8B = 8,030,261,248, Mistral-7B = 7,241,732,096', () => {
    expect(countParameters(preset('llama-2-7b')).total).toBe(6_738_415_616);
    expect(countParameters(preset('llama-3-8b')).total).toBe(8_030_261_248);
    expect(countParameters(preset('mistral-7b')).total).toBe(7_241_732_096);
  });

  it('K and V projections are kvHeads x head_dim wide: Q h^2 + K,V 2h(g h/a) + O h^2, biases included', () => {
    const mha = defineTransformer({ vocabSize: 100, contextLength: 64, hidden: 64, heads: 8, layers: 2 });
    const gqa = defineTransformer({ vocabSize: 100, contextLength: 64, hidden: 64, heads: 8, kvHeads: 2, layers: 2 });
    const mqa = defineTransformer({ vocabSize: 100, contextLength: 64, hidden: 64, heads: 8, kvHeads: 1, layers: 2 });
    const h = 64;
    expect(countParameters(mha).perLayer.attention).toBe(4 * h * h + 4 * h);
    expect(countParameters(gqa).perLayer.attention).toBe(2 * h * h + 2 * h * 16 + 2 * h + 2 * 16); // head_dim 8, 2 groups: kv = 16
    expect(countParameters(mqa).perLayer.attention).toBe(2 * h * h + 2 * h * 8 + 2 * h + 2 * 8);
  });

  it('tensor parallelism splits whole key/value groups: t must divide kvHeads', () => {
    const m = preset('llama-2-70b');
    const [onDevice] = stageParameters(m, 8, 1);
    const h = 8192;
    const perLayer = (2 * h * h + 2 * h * 1024 + 3 * h * 28672) / 8 + 2 * h;
    expect(onDevice).toBe(80 * perLayer + 2 * (32000 / 8) * h + h);
    expect(() => stageParameters(m, 16, 1)).toThrow(/^tensorParallel: 16 does not divide the 8 key\/value heads/);
  });

  it('GQA shrinks the saved K and V: LLaMA-2-70B layer = 12sbh + 4sb(kv) + 8sbf + 2as^2b', () => {
    const m = preset('llama-2-70b');
    const s = 4096;
    const sbh = s * 8192;
    expect(layerActivationBytes(m, setup(s, 1, 1))).toBe(12 * sbh + 4 * s * 1024 + 8 * s * 28672 + 2 * 64 * s * s);
  });

  it('refuses kvHeads that do not divide heads', () => {
    expect(() => defineTransformer({ ...presetSpec('llama-7b'), kvHeads: 5 })).toThrow(/^kvHeads: 5 key\/value heads do not divide the 32 attention heads/);
    expect(() => defineTransformer({ ...presetSpec('llama-7b'), kvHeads: 0 })).toThrow(/^kvHeads: expected a positive integer, got 0/);
  });
});

describe('flash attention removes exactly the 5as^2b term of Korthikanti et al.', () => {
  const gpt2 = preset('gpt2');
  const gpt3 = preset('gpt3-175b');
  for (const [name, model, s, b, t] of [
    ['GPT-2', gpt2, 1024, 4, 4],
    ['GPT-3 175B', gpt3, 2048, 1, 8],
  ] as const) {
    it(`${name}: sbh(34 + 5as/h) - 5as^2b = 34sbh, and /t under tensor parallelism`, () => {
      const { hidden: h, heads: a } = model;
      const sbh = s * b * h;
      expect(layerActivationBytes(model, setup(s, b, 1, { attention: 'flash' }))).toBe(34 * sbh);
      expect(layerActivationBytes(model, setup(s, b, 1)) - layerActivationBytes(model, setup(s, b, 1, { attention: 'flash' }))).toBe(5 * a * s * s * b);
      expect(layerActivationBytes(model, setup(s, b, t)) - layerActivationBytes(model, setup(s, b, t, { attention: 'flash' }))).toBe((5 * a * s * s * b) / t);
      expect(layerActivationBytes(model, setup(s, b, t, { attention: 'flash' }))).toBe(sbh * (10 + 24 / t));
    });
  }

  it('flash equals selective recomputation in stored bytes, and selective then rebuilds nothing', () => {
    const llama = preset('llama-7b');
    expect(layerActivationBytes(llama, setup(2048, 1, 1, { attention: 'flash' }))).toBe(layerActivationBytes(llama, setup(2048, 1, 1, { recompute: 'selective' })));
    expect(recomputeTransientBytes(llama, setup(2048, 1, 1, { attention: 'flash', recompute: 'selective' }))).toBe(0);
  });

  it('rejects an unknown attention kernel', () => {
    expect(() => layerActivationBytes(gpt2, setup(1024, 1, 1, { attention: 'paged' as 'flash' }))).toThrow(/^attention: expected one of standard, flash, got 'paged'/);
  });
});

describe('mixture of experts: Mixtral 8x7B', () => {
  const mixtral = preset('mixtral-8x7b');
  const h = 4096;
  const f = 14336;

  it('46,702,792,704 parameters in all, 12,879,925,248 active per token (2 of 8 experts), by hand', () => {
    const attention = 2 * h * h + 2 * h * 1024;
    const expert = 3 * h * f;
    const router = h * 8;
    const norms = 2 * h;
    const total = 32 * (attention + 8 * expert + router + norms) + 2 * 32000 * h + h;
    expect(total).toBe(46_702_792_704);
    const c = countParameters(mixtral);
    expect(c.total).toBe(total);
    expect(c.activePerToken).toBe(total - 32 * 6 * expert);
    expect(c.activePerToken).toBe(12_879_925_248);
    expect(c.perLayer.feedForward).toBe(8 * expert + router);
  });

  it('activations: the experts\' tensors are top-k fold, plus the dispatched inputs, outputs and fp32 router probabilities', () => {
    const s = 4096;
    const sbh = s * h;
    const dense = defineTransformer({ ...presetSpec('mixtral-8x7b'), experts: 1, topK: 1 });
    const denseBytes = layerActivationBytes(dense, setup(s, 1, 1));
    expect(denseBytes).toBe(12 * sbh + 4 * s * 1024 + 8 * s * f + 2 * 32 * s * s);
    // k = 2: the f-wide terms double, the k dispatched inputs and k outputs add 2 x 2 x 2sbh, router probabilities 4sbE.
    expect(layerActivationBytes(mixtral, setup(s, 1, 1))).toBe(denseBytes + 8 * s * f + 8 * sbh + 4 * s * 8);
  });

  it('expert parallelism divides the experts\' parameters and their states; ZeRO shards expert states over d/e', () => {
    const expert = 3 * h * f;
    const [whole] = stageParameters(mixtral, 1, 1, 1);
    const [split] = stageParameters(mixtral, 1, 1, 4);
    expect(whole - split).toBe(32 * 6 * expert);
    const est = estimateTransformerMemory(mixtral, { ...defaultTrainingSetup(mixtral), seqLength: 1024, devices: 8, expertParallel: 4, zeroStage: 1 });
    const states = { precision: 'mixed-bf16', optimizer: 'adamw', zeroStage: 1 } as const;
    const dense = modelStateBytes(split - 32 * 2 * expert, { ...states, dataParallel: 8 });
    const experts = modelStateBytes(32 * 2 * expert, { ...states, dataParallel: 2 });
    expect(est.heaviest.bytes.optimizer).toBe(dense.optimizer + experts.optimizer);
    expect(est.heaviest.bytes.weights).toBe(2 * split);
  });

  it('refuses top-k above the experts, expert parallelism that does not divide them or the data-parallel degree', () => {
    expect(() => defineTransformer({ ...presetSpec('mixtral-8x7b'), topK: 9 })).toThrow(/^topK: a token cannot be routed to 9 of 8 experts/);
    expect(() => stageParameters(mixtral, 1, 1, 3)).toThrow(/^expertParallel: 3 does not divide the 8 experts/);
    expect(() => estimateTransformerMemory(mixtral, { ...defaultTrainingSetup(mixtral), devices: 2, expertParallel: 4 })).toThrow(/^expertParallel: 4 expert-parallel ranks must divide the 2 data-parallel replicas/);
  });
});

describe('wasmgrad estimate: --kv-heads, --experts, --top-k, --ep, --attention', () => {
  it('the JSON document carries the new fields and the table says them', async () => {
    const r = await runCli(['estimate', '--preset', 'mixtral-8x7b', '--seq', '1024', '--devices', '8', '--ep', '8', '--attention', 'flash', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.model).toMatchObject({ kvHeads: 8, experts: 8, topK: 2 });
    expect(doc.model.parameters.activePerToken).toBe(12_879_925_248);
    expect(doc.setup).toMatchObject({ expertParallel: 8, attention: 'flash' });
    const text = await runCli(['estimate', '--preset', 'llama-7b', '--kv-heads', '8', '--experts', '4', '--top-k', '2']);
    expect(text.stdout).toMatch(/32 heads \(8 key\/value\)/);
    expect(text.stdout).toMatch(/4 experts \(2 per token, [\d,]+ parameters active\)/);
  });
});
