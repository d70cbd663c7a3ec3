// A GPT's configuration and parameter table: the names and shapes equal the
// reference PyTorch module's named_parameters() (fixture written by
// test/fixtures/gpt/make_parameter_table.py), laid out in one flat block.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.js';
import { type GPTConfigInput, gptConfig } from '../src/gpt/config.js';
import { gptDecayedCount, gptParameterCount, gptParameters } from '../src/gpt/parameters.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { expectTypedOneLine } from './helpers/refusal.js';

interface Fixture {
  configs: { config: GPTConfigInput; parameters: { name: string; shape: number[] }[] }[];
  gpt2: { config: GPTConfigInput; parameters: number };
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/gpt/parameter-table.json', import.meta.url), 'utf8')) as Fixture;

describe('GPT parameter table', () => {
  it.each(fixture.configs.map((c, i) => [i, c] as const))('config %i has the names and shapes of PyTorch named_parameters()', (_, { config, parameters }) => {
    const table = gptParameters(gptConfig(config));
    expect(table.map((p) => ({ name: p.name, shape: [...p.shape] }))).toEqual(parameters);
  });

  it.each(['gelu_layernorm_tied', 'swiglu_rmsnorm_untied_nobias'])('the golden file %s holds the table\'s parameters, in its order', (name) => {
    const file = readSafetensors(readFileSync(new URL(`./fixtures/gpt/golden_${name}.safetensors`, import.meta.url)));
    const config = JSON.parse(file.metadata['wasmgrad.gpt.config']!) as GPTConfigInput;
    const init = file.tensors.filter((t) => t.name.startsWith('init.')).map((t) => ({ name: t.name.slice(5), shape: t.shape }));
    expect(init).toEqual(gptParameters(gptConfig(config)).map((p) => ({ name: p.name, shape: [...p.shape] })));
  });

  it('counts GPT-2 small as PyTorch does (124,439,808 with the tied head)', () => {
    expect(gptParameterCount(gptConfig(fixture.gpt2.config))).toBe(fixture.gpt2.parameters);
    expect(fixture.gpt2.parameters).toBe(124_439_808);
  });

  it.each(fixture.configs.map((c, i) => [i, c.config] as const))('config %i lays parameters out back to back, the decayed ones first', (_, input) => {
    const config = gptConfig(input);
    const table = gptParameters(config);
    const decayed = table.filter((p) => p.decay), rest = table.filter((p) => !p.decay);
    let offset = 0;
    for (const p of [...decayed, ...rest]) {
      expect(p.offset, p.name).toBe(offset);
      expect(p.count).toBe(p.shape.reduce((a, b) => a * b, 1));
      offset += p.count;
    }
    expect(gptParameterCount(config)).toBe(offset);
    expect(gptDecayedCount(config)).toBe(decayed.reduce((s, p) => s + p.count, 0));
  });

  it('initialises as GPT-2 and decays only matrices, as nanoGPT groups them', () => {
    const layers = 3;
    const table = gptParameters(gptConfig({ vocab: 10, seq: 4, hidden: 8, heads: 2, layers }));
    const byName = new Map(table.map((p) => [p.name, p]));
    expect(byName.get('transformer.h.2.attn.c_proj.weight')!.init).toEqual({ kind: 'normal', std: 0.02 / Math.sqrt(2 * layers) });
    expect(byName.get('transformer.h.0.mlp.c_proj.weight')!.init).toEqual({ kind: 'normal', std: 0.02 / Math.sqrt(2 * layers) });
    expect(byName.get('transformer.h.0.attn.c_attn.weight')!.init).toEqual({ kind: 'normal', std: 0.02 });
    expect(byName.get('transformer.wte.weight')!.init).toEqual({ kind: 'normal', std: 0.02 });
    expect(byName.get('transformer.h.0.ln_1.weight')!.init).toEqual({ kind: 'ones' });
    expect(byName.get('transformer.h.0.ln_1.bias')!.init).toEqual({ kind: 'zeros' });
    expect(byName.get('transformer.h.0.attn.c_attn.bias')!.init).toEqual({ kind: 'zeros' });
    for (const p of table) expect(p.decay, p.name).toBe(p.shape.length === 2);
  });
});

describe('GPT config refusals', () => {
  const base = { vocab: 65, seq: 16, hidden: 32, heads: 4, layers: 2 };
  const cases: [string, Record<string, unknown>, string][] = [
    ['heads not dividing hidden', { heads: 5 }, 'heads'],
    ['zero layers', { layers: 0 }, 'layers'],
    ['fractional vocab', { vocab: 6.5 }, 'vocab'],
    ['absurd hidden', { hidden: 2 ** 40 }, 'hidden'],
    ['dropout of 1', { dropout: 1 }, 'dropout'],
    ['NaN dropout', { dropout: Number.NaN }, 'dropout'],
    ['dropout as a string', { dropout: '0.1' }, 'dropout'],
    ['an unknown norm', { norm: 'batchnorm' }, 'norm'],
    ['an unknown feed-forward', { feedForward: 'relu' }, 'feedForward'],
    ['bias as a string', { bias: 'yes' }, 'bias'],
    ['eps of 0', { normEps: 0 }, 'normEps'],
    ['a misspelt option (nanoGPT name)', { n_embd: 32 }, 'n_embd'],
  ];
  it.each(cases)('refuses %s, naming the field', (_, change, field) => {
    let error: unknown;
    try {
      gptConfig({ ...base, ...change } as GPTConfigInput);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    expectTypedOneLine(error);
    expect((error as Error).message).toContain(field);
  });

  it('fills the defaults nanoGPT uses', () => {
    expect(gptConfig(base)).toEqual({ ...base, ffn: 128, dropout: 0, bias: true, tiedHead: true, norm: 'layernorm', feedForward: 'gelu', normEps: 1e-5 });
  });
});
