// A GPT's parameters, as one table: name, shape, place in the flat weights
// block, initialisation and whether weight decay applies. Names and shapes
// are those of the reference PyTorch module's named_parameters()
// (test/fixtures/gpt/reference_gpt.py, nanoGPT's names), so weights load
// from and compare with PyTorch directly. Like llm.c, every parameter lives
// in one block at the offset this table gives; gradients and optimizer state
// use the same offsets in their own blocks. The block holds the parameters
// that weight decay applies to first (matrices and embeddings, nanoGPT's
// first optimizer group), then the rest, each part in table order: AdamW
// with nanoGPT's groups is then one update over each of two ranges.

import type { ParameterSlot } from '../nn/named-parameters.js';
import type { GPTConfig } from './config.js';

export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  | { kind: 'ones' };

export interface GPTParameter extends ParameterSlot {
  init: Init;
  /** nanoGPT's optimizer groups: matrices and embeddings decay; biases and norm weights do not. */
  decay: boolean;
}

// GPT-2's initialisation (nanoGPT _init_weights): normal(0, 0.02) for every
// matrix and embedding; the projections back into the residual stream are
// scaled by 1/sqrt(2·layers) so the stream's variance does not grow with depth.
const STD = 0.02;

/** The parameter table of a GPT, in named_parameters() order. A tied head adds no entry: it reads the token embedding. */
export function gptParameters(c: GPTConfig): GPTParameter[] {
  const table: GPTParameter[] = [];
  const add = (name: string, shape: number[], init: Init) => {
    table.push({ name, shape, offset: 0, count: shape.reduce((a, b) => a * b, 1), init, decay: shape.length >= 2 });
  };
  const normal = { kind: 'normal', std: STD } as const;
  const residual = { kind: 'normal', std: STD / Math.sqrt(2 * c.layers) } as const;
  const zeros = { kind: 'zeros' } as const;
  const h = c.hidden;
  const norm = (name: string) => {
    add(`${name}.weight`, [h], { kind: 'ones' });
    if (c.norm === 'layernorm' && c.bias) add(`${name}.bias`, [h], zeros);
  };
  const linear = (name: string, out: number, inp: number, init: Init) => {
    add(`${name}.weight`, [out, inp], init);
    if (c.bias) add(`${name}.bias`, [out], zeros);
  };

  add('transformer.wte.weight', [c.vocab, h], normal);
  add('transformer.wpe.weight', [c.seq, h], normal);
  for (let i = 0; i < c.layers; i++) {
    const block = `transformer.h.${i}`;
    norm(`${block}.ln_1`);
    linear(`${block}.attn.c_attn`, 3 * h, h, normal);
    linear(`${block}.attn.c_proj`, h, h, residual);
    norm(`${block}.ln_2`);
    if (c.feedForward === 'swiglu') linear(`${block}.mlp.c_gate`, c.ffn, h, normal);
    linear(`${block}.mlp.c_fc`, c.ffn, h, normal);
    linear(`${block}.mlp.c_proj`, h, c.ffn, residual);
  }
  norm('transformer.ln_f');
  if (!c.tiedHead) add('lm_head.weight', [c.vocab, h], normal);
  let offset = 0;
  for (const decay of [true, false]) {
    for (const p of table.filter((q) => q.decay === decay)) {
      p.offset = offset;
      offset += p.count;
    }
  }
  return table;
}

/** Elements of the flat weights block. */
export function gptParameterCount(c: GPTConfig): number {
  return gptParameters(c).reduce((s, p) => s + p.count, 0);
}

/** Elements at the start of the block that weight decay applies to. */
export function gptDecayedCount(c: GPTConfig): number {
  return gptParameters(c).reduce((s, p) => s + (p.decay ? p.count : 0), 0);
}
