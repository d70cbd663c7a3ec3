// The shape of one causal self-attention call and its check, shared by the op
// (attention.ts) and its costs (attention-cost.ts).

import { WASM32_MAX_BYTES, byteCount } from '../../arena.js';
import { ArgumentError, OutOfMemoryError, checkBoolean, checkInt, checkOptions, describeValue, orDefault } from '../../errors.js';

/** Default rows (queries) and columns (keys) of one block of the memory-saving path. */
export const DEFAULT_ATTENTION_BLOCK = 64;

export interface AttentionSpec {
  batch: number;
  /** Sequence length T. */
  seq: number;
  heads: number;
  /** Features per head; the hidden size is heads * headDim. */
  headDim: number;
  /** Memory-saving path (block by block, saves the logsumexp instead of the T x T probabilities); default false. */
  flash?: boolean;
  /** Block size of the memory-saving path; default 64. */
  blockSize?: number;
}

/** A checked spec with its defaults filled in. */
export type AttentionShape = Required<AttentionSpec>;

const KNOWN: readonly (keyof AttentionSpec)[] = ['batch', 'seq', 'heads', 'headDim', 'flash', 'blockSize'];

/**
 * Checks a spec (ArgumentError naming the field; OutOfMemoryError for a tensor
 * too large for one wasm32 allocation) and fills in its defaults.
 */
export function checkAttentionSpec(where: string, spec: unknown): AttentionShape {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: the attention spec must be an object { batch, seq, heads, headDim }, got ${describeValue(spec)}`);
  }
  const o = checkOptions(where, spec, KNOWN);
  for (const name of ['batch', 'seq', 'heads', 'headDim'] as const) checkInt(`${where}: ${name}`, o[name], 1);
  const flash = orDefault(o.flash, false), blockSize = orDefault(o.blockSize, DEFAULT_ATTENTION_BLOCK);
  checkBoolean(`${where}: flash`, flash);
  checkInt(`${where}: blockSize`, blockSize, 1);
  const s = { ...(o as Required<AttentionSpec>), flash, blockSize };
  const rowsT = BigInt(s.batch) * BigInt(s.seq);
  const tensors: [string, bigint][] = [['qkv', rowsT * 3n * BigInt(s.heads) * BigInt(s.headDim)]];
  if (!flash) tensors.push(['the probabilities', rowsT * BigInt(s.heads) * BigInt(s.seq)]);
  for (const [name, elements] of tensors) {
    if (elements * 4n >= BigInt(WASM32_MAX_BYTES)) {
      throw new OutOfMemoryError(
        `${where}: ${name} would take ${byteCount(elements * 4n)} bytes; a single WASM allocation must be below ${byteCount(WASM32_MAX_BYTES)} bytes (wasm32 limit)`,
      );
    }
  }
  return { batch: s.batch, seq: s.seq, heads: s.heads, headDim: s.headDim, flash, blockSize };
}
