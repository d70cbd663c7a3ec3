// generate() with a KV cache gives what the uncached forward pass gives:
// greedy tokens equal to the argmax of logits() of each prefix (cropped to the
// last seq tokens as nanoGPT crops), and every step's logits within 1e-5
// relative of logits() of the same prefix; the cache is its own category.
import { describe, expect, it } from 'vitest';
import type { GPTConfigInput } from '../src/gpt/config.js';
import { GPT, type GPTOptions } from '../src/gpt/model.js';
import { init, type Runtime } from '../src/runtime.js';
import { expectClose } from './helpers/expect-close.js';
import { expectTypedOneLine, thrownBy } from './helpers/refusal.js';

const base = { vocab: 23, seq: 12, hidden: 16, heads: 2, layers: 2 };
const cases: [string, GPTConfigInput, GPTOptions][] = [
  ['GELU + LayerNorm', base, {}],
  ['memory-saving attention', base, { flashAttention: true }],
  ['SwiGLU + RMSNorm, untied, no bias', { ...base, feedForward: 'swiglu', norm: 'rmsnorm', bias: false, tiedHead: false, ffn: 24 }, {}],
  ['dropout (off when generating)', { ...base, dropout: 0.2 }, {}],
  ['odd sizes', { vocab: 11, seq: 7, hidden: 15, heads: 5, layers: 3 }, {}],
];

/** The last position's logits of the (cropped) context, through the uncached logits(). */
function lastLogits(model: GPT, context: readonly number[]): Float32Array {
  const window = context.slice(-model.config.seq);
  return model.logits([window]).slice((window.length - 1) * model.config.vocab);
}

const argmax = (z: ArrayLike<number>) => Array.prototype.indexOf.call(z, Math.max(...Array.from(z))) as number;

async function runtime(): Promise<Runtime> {
  return init({ build: 'simd', fresh: true });
}

describe('generate with a KV cache', () => {
  it.each(cases)('%s: greedy tokens equal the uncached argmax, through the crop past seq', async (_, config, options) => {
    const rt = await runtime();
    const model = new GPT(rt, config, { seed: 5, ...options });
    const seq = model.config.seq;
    for (const prompt of [[1], [3, 1, 4, 1, 5], Array.from({ length: seq + 3 }, (_, i) => (i * 7) % model.config.vocab)]) {
      const count = seq + 2;
      const cached = model.generate(prompt, count, { topK: 1 });
      const context = [...prompt];
      for (let i = 0; i < count; i++) context.push(argmax(lastLogits(model, context)));
      expect(cached).toEqual(context.slice(prompt.length));
    }
    model.dispose();
  });

  it.each(cases)('%s: every step\'s logits agree with logits() of the same prefix within 1e-5 relative', async (_, config, options) => {
    const rt = await runtime();
    const model = new GPT(rt, config, { seed: 9, ...options });
    const V = model.config.vocab, seq = model.config.seq;
    // Two sequences decoded together, each token picked by a fixed rule so the rows differ.
    const prompts = [[2, 7, 1], [5, 5, 0]];
    const seen: Float32Array[][] = [[], []];
    const out = model.generateWith(prompts, seq + 1, (logits, row, step) => {
      seen[row]!.push(logits);
      return (argmax(logits) + row * step) % V;
    });
    prompts.forEach((prompt, row) => {
      const context = [...prompt];
      seen[row]!.forEach((logits, step) => {
        const expected = lastLogits(model, context);
        const scale = Math.max(...Array.from(expected, Math.abs));
        expectClose(logits, expected, { rtol: 1e-5, atol: 1e-5 * scale, label: `row ${row} step ${step}` });
        context.push(out[row]![step]!);
      });
    });
    model.dispose();
  });

  it('keeps the keys and values of every position in a kvCache block per layer, freed at the end', async () => {
    const rt = await runtime();
    const model = new GPT(rt, base, { seed: 1 });
    // The runtime keeps the GEMM packing workspace the first generation grows.
    model.generateWith([[1, 2, 3], [4, 5, 6]], 4, () => 0);
    const before = rt.arena.liveByCategory();
    rt.arena.startLog();
    model.generateWith([[1, 2, 3], [4, 5, 6]], 4, () => 0);
    const events = rt.arena.stopLog();
    const cache = events.filter((e) => e.category === 'kvCache');
    // 2 (K and V) · batch 2 · (3 + 4 positions) · hidden 16 · 4 bytes, one block per layer.
    expect(cache.filter((e) => e.kind === 'alloc').map((e) => [e.layer, e.bytes])).toEqual([['h.0.attn', 2 * 2 * 7 * 16 * 4], ['h.1.attn', 2 * 2 * 7 * 16 * 4]]);
    expect(cache.filter((e) => e.kind === 'free')).toHaveLength(2);
    expect(rt.arena.liveByCategory()).toEqual(before);
    model.dispose();
  });

  it('refuses bad prompts, counts and choices by name, leaving the memory it found', async () => {
    const rt = await runtime();
    const model = new GPT(rt, base, { seed: 1 });
    model.generate([1], 2);
    const before = rt.arena.liveByCategory();
    const bad: [() => unknown, RegExp][] = [
      [() => model.generateWith([[1, 2], [3]], 2, () => 0), /prompt\[1\] must hold 2 token ids/],
      [() => model.generateWith([[1, base.vocab]], 2, () => 0), /prompt\[0\]\[1\] is 23; token ids must be integers in \[0, 22\]/],
      [() => model.generateWith([], 2, () => 0), /prompt must be a non-empty array/],
      [() => model.generateWith([[1]], 1.5, () => 0), /count/],
      [() => model.generateWith([[1]], 2, 'greedy' as never), /choose/],
      [() => model.generateWith([[1]], 3, (_, __, step) => (step === 1 ? base.vocab : 0)), /choose returned 23 for row 0/],
      [() => model.generateWith([[1]], 3, () => Number.NaN), /choose returned NaN/],
      [() => model.generate([1, -1], 2), /token ids must be integers/],
    ];
    for (const [call, message] of bad) {
      const { error } = thrownBy(() => call());
      expectTypedOneLine(error);
      expect((error as Error).message).toMatch(message);
      expect(rt.arena.liveByCategory()).toEqual(before);
    }
    model.dispose();
  });
});

describe('a generation that runs out of memory', () => {
  // seq 256, hidden 128, 2 layers: each layer's cache of 256 positions is 262,144 bytes,
  // far more than the part of a 64 KiB page the filler may leave beside `room`.
  const config = { vocab: 31, seq: 256, hidden: 128, heads: 4, layers: 2 };
  const layerCache = 2 * 256 * 128 * 4;

  it.each([
    ['the second layer\'s cache', 1.5 * layerCache, /kvCache/],
    ['the prefill, after both caches', 2 * layerCache + 4096, /cannot allocate/],
  ])('failing at %s frees the caches it took and leaves the memory it found', async (_, room, message) => {
    const rt = await init({ build: 'simd', fresh: true });
    const model = new GPT(rt, config, { seed: 2 });
    const { WASM32_MAX_BYTES } = await import('../src/arena.js');
    // Fill WASM memory up to `room` bytes below its limit (block headers take a little of it).
    const filler = rt.arena.alloc(WASM32_MAX_BYTES - rt.arena.memoryBytes() - room, 'workspace', 'filler');
    const before = rt.arena.liveByCategory();
    let error: unknown;
    try {
      model.generate(Array.from({ length: 200 }, (_, i) => i % 31), 56);
    } catch (e) {
      error = e;
    }
    expectTypedOneLine(error);
    expect((error as Error).name).toBe('OutOfMemoryError');
    expect((error as Error).message).toMatch(message);
    expect(rt.arena.liveByCategory()).toEqual(before);
    expect(rt.arena.live('kvCache')).toBe(0);
    // With the room back, the same generation runs.
    rt.arena.free(filler);
    expect(model.generate([1, 2, 3], 4, { topK: 1 })).toHaveLength(4);
    model.dispose();
  }, 30_000);
});
