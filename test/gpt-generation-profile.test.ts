// A generation's memory, measured == estimated to the byte in every category
// (the KV cache its own), event for event; and the measured KV-cache bytes
// equal the inference estimator's formula 2·layers·kvWidth·tokens·B·4 in fp32.
import { describe, expect, it } from 'vitest';
import { inferenceKvCacheBytes } from '../src/estimate/gpt.js';
import type { GPTConfigInput } from '../src/gpt/config.js';
import { CATEGORIES } from '../src/memory/categories.js';
import { profileGptGeneration } from '../src/profile/profile-gpt.js';

const base = { vocab: 29, seq: 16, hidden: 24, heads: 3, layers: 2 };
const cases: [string, GPTConfigInput, { batch?: number; prompt?: number; generate: number; flashAttention?: boolean }][] = [
  ['one sequence, the window filled exactly', base, { prompt: 10, generate: 6 }],
  ['three sequences', base, { batch: 3, prompt: 4, generate: 5 }],
  ['memory-saving prefill, SwiGLU + RMSNorm, untied', { ...base, feedForward: 'swiglu', norm: 'rmsnorm', tiedHead: false, bias: false }, { prompt: 7, generate: 3, flashAttention: true }],
  ['past seq: the cache rebuilt from the cropped window', { ...base, layers: 1 }, { batch: 2, prompt: 12, generate: 9 }],
  ['a one-token prompt', { vocab: 13, seq: 9, hidden: 10, heads: 2, layers: 3 }, { prompt: 1, generate: 8 }],
];

describe('GPT generation profile', () => {
  it.each(cases)('%s: measured == estimated per category and event for event', async (_, model, options) => {
    const p = await profileGptGeneration({ model, ...options, build: 'simd' });
    for (const c of CATEGORIES) {
      expect(p.measured.peak[c], `${c} peak`).toBe(p.estimate.summary.peak[c]);
      expect(p.measured.live[c], `${c} live`).toBe(p.estimate.summary.live[c]);
    }
    expect(p.measured.peakTotal).toBe(p.estimate.summary.peakTotal);
    expect(p.events.map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase])).toEqual(p.estimate.events.map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase]));
    expect(p.gemmMacs.measured).toBe(p.gemmMacs.estimated);
    // The cache: its own category, all of it live at once, nothing of it left at the end.
    expect(p.measured.peak.kvCache).toBe(p.estimate.kvCacheBytes);
    expect(p.measured.peak.kvCache).toBeGreaterThan(0);
    expect(p.measured.live.kvCache).toBe(0);
    expect(p.tokens).toHaveLength(options.batch ?? 1);
    expect(p.tokens.every((row) => row.length === options.generate)).toBe(true);
  });

  it('the measured KV-cache bytes equal the inference estimator\'s formula in fp32 (2·layers·kvWidth·tokens·B·4)', async () => {
    for (const [, model, options] of cases.filter(([name]) => !name.startsWith('past seq'))) {
      const p = await profileGptGeneration({ model, ...options, build: 'simd' });
      const { layers, hidden } = p.config, B = p.batch, tokens = p.prompt + p.generate;
      expect(p.measured.peak.kvCache).toBe(2 * layers * hidden * tokens * B * 4);
      expect(p.measured.peak.kvCache).toBe(inferenceKvCacheBytes({ model: p.config, batch: B, prompt: p.prompt, generate: p.generate }));
    }
  });

  it('counts one prefill and one decoding pass per further token, and a prefill per token past seq', async () => {
    const within = await profileGptGeneration({ model: base, prompt: 5, generate: 6, build: 'simd' });
    expect(within.estimate.passes).toEqual({ prefill: 1, decode: 5 });
    const past = await profileGptGeneration({ model: base, prompt: 14, generate: 6, build: 'simd' });
    // Contexts of 14, 15, 16 fit; 17, 18 and 19 are cropped to 16 and prefilled again.
    expect(past.estimate.passes).toEqual({ prefill: 4, decode: 2 });
  });
});

describe('the package entry', () => {
  it('exports the generation plan, its estimate and its profile', async () => {
    const w = await import('../src/index.js');
    for (const name of ['gptGenerationPlan', 'generationPass', 'generationPassPlan', 'estimateGptGeneration', 'inferenceKvCacheBytes', 'profileGptGeneration'] as const) {
      expect(typeof w[name], name).toBe('function');
    }
  });
});
