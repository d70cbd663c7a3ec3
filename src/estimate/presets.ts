/**
 * Published model shapes, for `wasmgrad estimate --preset <name>`.
 *
 * GPT-2: Radford et al. 2019, Table 2, and the released checkpoints (vocabulary
 * 50257, context 1024, tied embeddings, learned positions, biases, dropout 0.1).
 * GPT-3 175B: Brown et al. 2020, Table 2.1 (GPT-2's architecture at h = 12288,
 * 96 layers, 96 heads, context 2048); the dense count here is 174.6e9.
 * LLaMA 7B: Touvron et al. 2023, Table 2 and Sec. 2.2 (SwiGLU with f = 11008,
 * RMSNorm, rotary positions, no biases, no dropout, untied output head,
 * vocabulary 32000, context 2048): 6,738,415,616 parameters.
 */
import { ArgumentError } from '../errors.js';
import { defineTransformer, type TransformerModel, type TransformerSpec } from './transformer.js';

const GPT2_BASE = { vocabSize: 50257, contextLength: 1024 } as const;

const PRESET_SPECS = {
  gpt2: { ...GPT2_BASE, hidden: 768, heads: 12, layers: 12 },
  'gpt2-medium': { ...GPT2_BASE, hidden: 1024, heads: 16, layers: 24 },
  'gpt2-large': { ...GPT2_BASE, hidden: 1280, heads: 20, layers: 36 },
  'gpt2-xl': { ...GPT2_BASE, hidden: 1600, heads: 25, layers: 48 },
  'gpt3-175b': { vocabSize: 50257, contextLength: 2048, hidden: 12288, heads: 96, layers: 96 },
  'llama-7b': {
    vocabSize: 32000,
    contextLength: 2048,
    hidden: 4096,
    heads: 32,
    layers: 32,
    ffnHidden: 11008,
    ffn: 'swiglu',
    norm: 'rmsnorm',
    tiedEmbeddings: false,
    positionEmbeddings: 'none',
    bias: false,
    dropout: false,
  },
} satisfies Record<string, TransformerSpec>;

export type PresetName = keyof typeof PRESET_SPECS;
export const PRESET_NAMES = Object.keys(PRESET_SPECS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESET_SPECS, name);
}

/** The preset's spec (to override fields before defineTransformer), or an ArgumentError naming the known presets. */
export function presetSpec(name: string): TransformerSpec {
  if (!isPresetName(name)) {
    throw new ArgumentError(`preset: unknown preset '${name}'; expected one of ${PRESET_NAMES.join(', ')}`, { field: 'preset' });
  }
  return { name, ...PRESET_SPECS[name] };
}

export function preset(name: string): TransformerModel {
  return defineTransformer(presetSpec(name));
}
