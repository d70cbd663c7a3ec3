// A GPT's weights in the core: one block, GPT-2's seeded initialisation, and
// parameters by nanoGPT's names with load_state_dict's strictness.
import { describe, expect, it } from 'vitest';
import { AdamW, init } from '../src/index.js';
import { GPT } from '../src/gpt/model.js';
import { Random } from '../src/nn/random.js';
import { expectTypedOneLine, thrownBy } from './helpers/refusal.js';

const config = { vocab: 97, seq: 32, hidden: 64, heads: 4, layers: 3 };

function stats(x: Float32Array): { mean: number; std: number } {
  let s = 0, s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  return { mean, std: Math.sqrt(s2 / x.length - mean * mean) };
}

describe('GPT weights', () => {
  it('draws a standard normal from the seeded generator', () => {
    const rng = new Random(7);
    const x = new Float32Array(200_000).map(() => rng.normal(0, 1));
    const { mean, std } = stats(x);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    // Tails as a normal's: about 4.55% beyond two standard deviations.
    const beyond2 = x.filter((v) => Math.abs(v) > 2).length / x.length;
    expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(0.003);
  });

  it('keeps every parameter in one weights block and gives it back on dispose', async () => {
    const rt = await init({ build: 'simd' });
    const before = rt.arena.live('weights');
    const model = new GPT(rt, config);
    expect(rt.arena.live('weights') - before).toBe(model.parameterCount * 4);
    model.dispose();
    expect(rt.arena.live('weights')).toBe(before);
    expect(() => model.parameters()).toThrow(/disposed/);
  });

  it('initialises as GPT-2: normal(0, 0.02), residual projections scaled by 1/sqrt(2 layers), norms at one, biases at zero', async () => {
    const rt = await init({ build: 'simd' });
    const model = new GPT(rt, config, { seed: 3 });
    const p = new Map(model.parameters().map((q) => [q.name, q.data]));
    const all = (names: string[]) => Float32Array.from(names.flatMap((n) => [...p.get(n)!]));
    const layers = [0, 1, 2];
    const plain = stats(all(['transformer.wte.weight', ...layers.map((i) => `transformer.h.${i}.attn.c_attn.weight`), ...layers.map((i) => `transformer.h.${i}.mlp.c_fc.weight`)]));
    const residual = stats(all([...layers.map((i) => `transformer.h.${i}.attn.c_proj.weight`), ...layers.map((i) => `transformer.h.${i}.mlp.c_proj.weight`)]));
    expect(Math.abs(plain.std - 0.02) / 0.02).toBeLessThan(0.02);
    expect(Math.abs(residual.std - 0.02 / Math.sqrt(6)) / (0.02 / Math.sqrt(6))).toBeLessThan(0.02);
    expect([...p.get('transformer.h.1.ln_2.weight')!].every((v) => v === 1)).toBe(true);
    expect([...p.get('transformer.h.1.attn.c_attn.bias')!].every((v) => v === 0)).toBe(true);
    // The same seed gives the same weights; another seed others.
    const again = new GPT(rt, config, { seed: 3 }).parameters();
    expect(again.map((q) => [...q.data])).toEqual(model.parameters().map((q) => [...q.data]));
    expect(new GPT(rt, config, { seed: 4 }).parameters()[0]!.data).not.toEqual(model.parameters()[0]!.data);
  });

  it('sets parameters by name, strict by default, and changes nothing when refused', async () => {
    const rt = await init({ build: 'simd' });
    const model = new GPT(rt, { ...config, layers: 1 });
    const params = model.parameters();
    const wte = params[0]!;
    const changed = params.map((q) => ({ ...q, data: q.data.map((v) => v + 1) }));
    model.setParameters(changed);
    expect(model.parameters()[0]!.data[5]).toBeCloseTo(wte.data[5]! + 1, 6);
    const before = model.parameters().map((q) => [...q.data]);
    const refused: [Parameters<GPT['setParameters']>[0], { strict: boolean }][] = [
      [new Map([['transformer.wte.weight', wte.data]]), { strict: true }], // the rest is missing
      [[{ name: 'transformer.wte.weight', shape: [config.hidden, config.vocab], data: wte.data }], { strict: false }], // transposed
      [new Map([['transformer.h.0.attn.bias', new Float32Array(4)]]), { strict: false }], // nanoGPT's mask buffer is not a parameter
    ];
    for (const [values, options] of refused) {
      let error: unknown;
      try {
        model.setParameters(values, options);
      } catch (e) {
        error = e;
      }
      expectTypedOneLine(error);
    }
    expect(model.parameters().map((q) => [...q.data])).toEqual(before);
    model.setParameters(new Map([['transformer.wte.weight', wte.data]]), { strict: false });
    expect(model.parameters()[0]!.data).toEqual(wte.data);
  });

  it('a step that fails part-way (a non-finite loss) leaves the memory it found and the weights unchanged', async () => {
    const rt = await init({ build: 'simd' });
    const model = new GPT(rt, { ...config, layers: 1 });
    const wte = model.parameters()[0]!;
    // Float32's largest values overflow the forward pass.
    model.setParameters(new Map([['transformer.wte.weight', wte.data.map(() => 3e38)]]), { strict: false });
    const before = rt.arena.liveByCategory(), weights = model.parameters().map((p) => [...p.data]);
    const rows = [[1, 2, 3]];
    let error: unknown;
    try {
      model.trainStep(rows, rows, new AdamW());
    } catch (e) {
      error = e;
    }
    expectTypedOneLine(error);
    expect((error as Error).message).toMatch(/step 1: the loss is NaN/);
    expect(rt.arena.liveByCategory()).toEqual(before);
    expect(model.parameters().map((p) => [...p.data])).toEqual(weights);
    expect(() => model.gradients()).toThrow(/no gradients/);
    model.dispose();
  });

  it('gives the logits of every position, and refuses bad token rows before anything is allocated', async () => {
    const rt = await init({ build: 'simd' });
    const model = new GPT(rt, { ...config, layers: 1 });
    const logits = model.logits([[1, 2, 3], [4, 5, 6]]);
    expect(logits).toHaveLength(2 * 3 * config.vocab);
    expect(logits.every(Number.isFinite)).toBe(true);
    // Position 0 of a sequence sees only its own token: the same first token gives the same row.
    expect(model.logits([[1, 9]]).subarray(0, config.vocab)).toEqual(logits.subarray(0, config.vocab));
    const before = rt.arena.liveByCategory();
    for (const bad of [[[1, config.vocab]], [[1, 2], [3]], [], [[-1]], [new Array(config.seq + 1).fill(0)], 'abc', [{ length: -4 }]]) {
      let error: unknown;
      try {
        model.logits(bad as number[][]);
      } catch (e) {
        error = e;
      }
      expectTypedOneLine(error);
    }
    expect(rt.arena.liveByCategory()).toEqual(before);
    model.dispose();
  });

  it('generate continues a prompt deterministically for a seed, and refuses bad arguments by name', async () => {
    const rt = await init({ build: 'simd' });
    const model = new GPT(rt, { ...config, layers: 1 });
    const a = model.generate([1, 2], 5, { temperature: 0.7, topK: 3, seed: 4 });
    expect(a).toHaveLength(5);
    expect(a.every((t) => Number.isInteger(t) && t >= 0 && t < config.vocab)).toBe(true);
    expect(model.generate([1, 2], 5, { temperature: 0.7, topK: 3, seed: 4 })).toEqual(a);
    // topK 1 is greedy: the argmax of the last position's logits.
    const logits = model.logits([[1, 2]]).subarray(config.vocab);
    expect(model.generate([1, 2], 1, { topK: 1 })).toEqual([logits.indexOf(Math.max(...logits))]);
    const before = rt.arena.liveByCategory();
    const bad: [number[], number, object, RegExp][] = [
      [[1], 2, { temperature: 0 }, /temperature/],
      [[1], 2, { temperature: Number.NaN }, /temperature/],
      [[1], 2, { topK: config.vocab + 1 }, /topK/],
      [[1], 2, { seed: -1 }, /seed/],
      [[1], 2, { temprature: 1 }, /unknown option/],
      [[1], -1, {}, /count/],
      [[], 2, {}, /non-empty prompt/],
      [[config.vocab], 2, {}, /token ids must be integers/],
    ];
    for (const [prompt, count, options, message] of bad) {
      const { error } = thrownBy(() => model.generate(prompt, count, options));
      expectTypedOneLine(error);
      expect((error as Error).message).toMatch(message);
    }
    expect(rt.arena.liveByCategory()).toEqual(before);
    model.dispose();
  });

  it('refuses a bad seed or option by name', async () => {
    const rt = await init({ build: 'simd' });
    const before = rt.arena.live('weights');
    for (const options of [{ seed: -1 }, { seed: 1.5 }, { sed: 1 }, { weightDecay: 'biases' }, { recompute: 'selective' }, { flashAttention: 'yes' }]) {
      let error: unknown;
      try {
        new GPT(rt, config, options as { seed: number });
      } catch (e) {
        error = e;
      }
      expectTypedOneLine(error);
    }
    expect(rt.arena.live('weights')).toBe(before);
  });
});
