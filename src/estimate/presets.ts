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
 *
 * The following are the published Hugging Face configurations (config.json:
 * hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
 * num_key_value_heads, vocab_size, max_position_embeddings, tie_word_embeddings
 * false, RMSNorm, rotary positions, no biases, no dropout):
 * LLaMA 2 (Touvron et al. 2023, "Llama 2", Table 1; meta-llama/Llama-2-7b-hf and
 * Llama-2-70b-hf): 7B is LLaMA 7B at context 4096, 6,738,415,616 parameters;
 * 70B: 8192, 28672, 80 layers, 64 heads, 8 KV heads (GQA), 68,976,648,192.
 * LLaMA 3 8B (meta-llama/Meta-Llama-3-8B): 4096, 14336, 32, 32 heads, 8 KV heads,
 * vocabulary 128256, context 8192: 8,030,261,248.
 * Mistral 7B (Jiang et al. 2023; mistralai/Mistral-7B-v0.1): 4096, 14336, 32, 32
 * heads, 8 KV heads, vocabulary 32000, context 32768: 7,241,732,096 (its 4096-token
 * sliding window is not modelled: attention is over the whole sequence).
 * Mixtral 8x7B (Jiang et al. 2024; mistralai/Mixtral-8x7B-v0.1): Mistral 7B's
 * shape with 8 SwiGLU experts, 2 per token: 46,702,792,704 parameters, of which
 * 12,879,925,248 are active per token.
 */
import { ArgumentError } from '../errors.js';
import { defineTransformer, type TransformerModel, type TransformerSpec } from './transformer.js';

const GPT2_BASE = { vocabSize: 50257, contextLength: 1024 } as const;
/** LLaMA's architecture choices, shared by its successors and Mistral's models. */
const LLAMA_BASE = { ffn: 'swiglu', norm: 'rmsnorm', tiedEmbeddings: false, positionEmbeddings: 'none', bias: false, dropout: false } as const;

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
    ...LLAMA_BASE,
  },
  'llama-2-7b': { ...LLAMA_BASE, vocabSize: 32000, contextLength: 4096, hidden: 4096, heads: 32, layers: 32, ffnHidden: 11008 },
  'llama-2-70b': { ...LLAMA_BASE, vocabSize: 32000, contextLength: 4096, hidden: 8192, heads: 64, kvHeads: 8, layers: 80, ffnHidden: 28672 },
  'llama-3-8b': { ...LLAMA_BASE, vocabSize: 128256, contextLength: 8192, hidden: 4096, heads: 32, kvHeads: 8, layers: 32, ffnHidden: 14336 },
  'mistral-7b': { ...LLAMA_BASE, vocabSize: 32000, contextLength: 32768, hidden: 4096, heads: 32, kvHeads: 8, layers: 32, ffnHidden: 14336 },
  'mixtral-8x7b': { ...LLAMA_BASE, vocabSize: 32000, contextLength: 32768, hidden: 4096, heads: 32, kvHeads: 8, layers: 32, ffnHidden: 14336, experts: 8, topK: 2 },
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
