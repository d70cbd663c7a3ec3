// The configuration of a GPT the core trains: nanoGPT's GPTConfig, with the
// choices a LLaMA-style model makes (RMSNorm, a SwiGLU feed-forward, no bias,
// an untied head) as options. One checked description that the parameter
// table, the step plan and the estimator all read.

import { ArgumentError, checkBoolean, checkInt, checkOptions, describeValue, orDefault } from '../errors.js';

export type NormKind = 'layernorm' | 'rmsnorm';
export type FeedForwardKind = 'gelu' | 'swiglu';

export interface GPTConfig {
  /** Tokens in the vocabulary (nanoGPT's vocab_size). */
  vocab: number;
  /** Longest sequence, the rows of the position embedding (block_size). */
  seq: number;
  /** Width of the residual stream (n_embd). */
  hidden: number;
  /** Attention heads; hidden must be a multiple of it (n_head). */
  heads: number;
  /** Transformer blocks (n_layer). */
  layers: number;
  /** Width of the feed-forward's inner layer: 4·hidden by default. */
  ffn: number;
  /** Dropout probability on the embeddings, attention probabilities and residual branches. */
  dropout: number;
  /** Biases in the Linear layers and LayerNorms (RMSNorm has none). */
  bias: boolean;
  /** The LM head shares the token embedding's matrix (nanoGPT's weight tying). */
  tiedHead: boolean;
  norm: NormKind;
  feedForward: FeedForwardKind;
  /** The norms' epsilon: 1e-5, as torch.nn.LayerNorm. */
  normEps: number;
}

export type GPTConfigInput = Partial<GPTConfig> & Pick<GPTConfig, 'vocab' | 'seq' | 'hidden' | 'heads' | 'layers'>;

const KNOWN = ['vocab', 'seq', 'hidden', 'heads', 'layers', 'ffn', 'dropout', 'bias', 'tiedHead', 'norm', 'feedForward', 'normEps'] as const;

// Past these a GPT cannot be laid out in one wasm32 memory (4 GiB) anyway;
// the bounds keep every product below exactly-countable integers.
const MAX_WIDTH = 1 << 20;
const MAX_LAYERS = 4096;

/** The checked configuration with its defaults filled in; every bad field is an ArgumentError naming it. */
export function gptConfig(input: GPTConfigInput): GPTConfig {
  const o = checkOptions('GPT config', input, KNOWN);
  checkInt('GPT config vocab', o.vocab, 1, MAX_WIDTH);
  checkInt('GPT config seq', o.seq, 1, MAX_WIDTH);
  checkInt('GPT config hidden', o.hidden, 1, MAX_WIDTH);
  checkInt('GPT config heads', o.heads, 1, MAX_WIDTH);
  checkInt('GPT config layers', o.layers, 1, MAX_LAYERS);
  const hidden = o.hidden as number, heads = o.heads as number;
  if (hidden % heads !== 0) throw new ArgumentError(`GPT config hidden (${hidden}) must be a multiple of heads (${heads})`, { field: 'heads' });
  const ffn = orDefault(o.ffn, 4 * hidden);
  checkInt('GPT config ffn', ffn, 1, 4 * MAX_WIDTH);
  const dropout = orDefault(o.dropout, 0);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new ArgumentError(`GPT config dropout must be a probability in [0, 1), got ${describeValue(dropout)}`, { field: 'dropout' });
  }
  const bias = orDefault(o.bias, true);
  checkBoolean('GPT config bias', bias);
  const tiedHead = orDefault(o.tiedHead, true);
  checkBoolean('GPT config tiedHead', tiedHead);
  const norm = orDefault(o.norm, 'layernorm');
  if (norm !== 'layernorm' && norm !== 'rmsnorm') throw new ArgumentError(`GPT config norm must be 'layernorm' or 'rmsnorm', got ${describeValue(norm)}`, { field: 'norm' });
  const feedForward = orDefault(o.feedForward, 'gelu');
  if (feedForward !== 'gelu' && feedForward !== 'swiglu') {
    throw new ArgumentError(`GPT config feedForward must be 'gelu' or 'swiglu', got ${describeValue(feedForward)}`, { field: 'feedForward' });
  }
  const normEps = orDefault(o.normEps, 1e-5);
  if (typeof normEps !== 'number' || !(normEps > 0 && normEps < 1)) {
    throw new ArgumentError(`GPT config normEps must be a number in (0, 1), got ${describeValue(normEps)}`, { field: 'normEps' });
  }
  return {
    vocab: o.vocab as number, seq: o.seq as number, hidden, heads, layers: o.layers as number,
    ffn: ffn as number, dropout, bias, tiedHead, norm, feedForward, normEps,
  };
}

/** Width of one attention head. */
export function headDim(c: GPTConfig): number {
  return c.hidden / c.heads;
}
