// Inference memory: weights, the KV cache (grouped heads included) and the live
// activations of one forward pass, per device under tensor and pipeline parallelism.

import { describe, expect, it } from 'vitest';
import { preset } from '../src/estimate/presets.js';
import { defaultInferenceSetup, estimateInferenceMemory, type InferenceSetup } from '../src/estimate/inference.js';
import { stageParameters, type TransformerModel } from '../src/estimate/transformer.js';
import { runCli } from './helpers/cli.js';

const llama2 = preset('llama-2-7b');
const llama70 = preset('llama-2-70b');
const setupFor = (model: TransformerModel, over: Partial<InferenceSetup>): InferenceSetup => ({ ...defaultInferenceSetup(model), ...over });

describe('KV cache = 2 * layers * kvHeads * headDim * (P + G) * B * bytes', () => {
  it('LLaMA-2-7B at 4,096 tokens, batch 1, fp16 = 2,147,483,648 B', () => {
    expect(estimateInferenceMemory(llama2, setupFor(llama2, { promptLength: 4096, batch: 1, kvDtype: 'fp16' })).heaviest.kvCache).toBe(2_147_483_648);
    // prompt and generated tokens count alike
    expect(estimateInferenceMemory(llama2, setupFor(llama2, { promptLength: 2048, generateLength: 2048 })).heaviest.kvCache).toBe(2_147_483_648);
  });

  it('grouped heads: LLaMA-2-70B keeps 8 of 64 heads, 327,680 B per token; int8 halves fp16', () => {
    const est = estimateInferenceMemory(llama70, setupFor(llama70, { promptLength: 2048, generateLength: 256, batch: 8 }));
    expect(est.kvCacheBytesPerToken).toBe(2 * 80 * 8 * 128 * 2);
    expect(est.heaviest.kvCache).toBe(327_680 * 2304 * 8);
    const int8 = estimateInferenceMemory(llama70, setupFor(llama70, { promptLength: 2048, generateLength: 256, batch: 8, kvDtype: 'int8' }));
    expect(int8.heaviest.kvCache * 2).toBe(est.heaviest.kvCache);
  });

  it('tensor parallelism splits the key/value groups, pipeline parallelism the layers; weights are 2 bytes per stage parameter', () => {
    const one = estimateInferenceMemory(llama70, setupFor(llama70, { promptLength: 4096 }));
    const split = estimateInferenceMemory(llama70, setupFor(llama70, { promptLength: 4096, tensorParallel: 8, pipelineParallel: 2 }));
    expect(split.stages).toHaveLength(2);
    expect(split.stages[0].kvCache * 16).toBe(one.heaviest.kvCache);
    expect(split.stages.map((s) => s.weights)).toEqual(stageParameters(llama70, 8, 2).map((n) => 2 * n));
    expect(one.heaviest.weights).toBe(2 * 68_976_648_192);
  });
});

describe('peak live activations of one forward pass', () => {
  const llama = preset('llama-7b');
  const s = 2048;
  const h = 4096;
  const f = 11008;
  const sbh = s * h;

  it('standard attention: residual + Q + scores + probabilities (2as^2b) in the prefill, 16-bit', () => {
    const est = estimateInferenceMemory(llama, setupFor(llama, { promptLength: s }));
    expect(est.heaviest.activations).toBe(2 * (sbh + sbh + 2 * 32 * s * s));
  });

  it('flash attention: no scores, so the SwiGLU block (3 f-wide tensors) is the peak', () => {
    const est = estimateInferenceMemory(llama, setupFor(llama, { promptLength: s, attention: 'flash' }));
    expect(est.heaviest.activations).toBe(2 * (sbh + 3 * s * f));
  });

  it('a short prompt with a long generation: the last decode step over P + G keys can be the peak, and the head holds fp32 logits of one position', () => {
    const gpt2 = preset('gpt2');
    const est = estimateInferenceMemory(gpt2, setupFor(gpt2, { promptLength: 1, generateLength: 1000, batch: 4 }));
    const decode = 4 * 768 + Math.max(4 * 768 + 2 * 12 * 1001 * 4, 2 * 4 * 3072);
    const head = 4 * 768 * 2 + 4 * 4 * 50257;
    expect(est.heaviest.activations).toBe(Math.max(2 * decode, head));
    expect(est.heaviest.inputs).toBe(8 * 1001 * 4);
  });

  it('refuses bad setups by field', () => {
    expect(() => estimateInferenceMemory(llama, setupFor(llama, { promptLength: 0 }))).toThrow(/^promptLength: expected a positive integer, got 0/);
    expect(() => estimateInferenceMemory(llama, setupFor(llama, { generateLength: -1 }))).toThrow(/^generateLength: expected a non-negative integer, got -1/);
    expect(() => estimateInferenceMemory(llama, setupFor(llama, { kvDtype: 'int4' as 'int8' }))).toThrow(/^kvDtype: expected one of fp32, fp16, bf16, int8, got 'int4'/);
    const gpt2 = preset('gpt2');
    expect(() => estimateInferenceMemory(gpt2, setupFor(gpt2, { promptLength: 1000, generateLength: 100 }))).toThrow(/^generateLength: prompt 1000 \+ 100 generated tokens exceed the model's 1024 learned positions/);
  });
});

describe('wasmgrad estimate --inference', () => {
  it('prints a document with the KV cache per device, equal to the library estimate', async () => {
    const r = await runCli(['estimate', '--inference', '--preset', 'llama-2-70b', '--prompt', '2048', '--generate', '256', '--batch', '8', '--tp', '8', '--kv-dtype', 'int8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const est = estimateInferenceMemory(llama70, setupFor(llama70, { promptLength: 2048, generateLength: 256, batch: 8, tensorParallel: 8, kvDtype: 'int8' }));
    expect(doc.format).toBe('wasmgrad.estimate.inference/1');
    expect(doc.perDevice).toEqual(est.heaviest);
    expect(doc.setup).toMatchObject({ promptLength: 2048, generateLength: 256, tokens: 2304, batch: 8, kvDtype: 'int8', devices: 8 });
    expect(doc.notModelled).toMatch(/communication buffers, allocator fragmentation/);
    const text = await runCli(['estimate', '--inference', '--preset', 'llama-2-7b', '--prompt', '4096', '--device-memory', '24GiB']);
    expect(text.stdout).toMatch(/KV cache +2,147,483,648 B/);
    expect(text.stdout).toMatch(/device memory .*: fits/);
  });

  it('refuses training options with --inference and generation options without it', async () => {
    const one = async (args: string[], message: RegExp) => {
      const r = await runCli(['estimate', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    };
    await one(['--inference', '--preset', 'gpt2', '--optimizer', 'adam'], /^error: --optimizer: describes training; --inference has no gradients/);
    await one(['--preset', 'gpt2', '--prompt', '100'], /^error: --prompt: only with --inference/);
  });
});
