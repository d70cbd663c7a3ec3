// A UTF-8 text as a character-level language-modelling dataset (as nanoGPT's
// shakespeare_char): the vocabulary is the text's distinct characters (code
// points) in code-point order, the first 90% trains and the rest validates,
// and a batch is B windows of seq + 1 characters drawn from a seeded generator.

import { ArgumentError } from '../errors.js';
import type { Random } from '../nn/random.js';

export interface CharText {
  /** The distinct characters, in code-point order; a character's id is its index. */
  vocab: string[];
  train: Int32Array;
  validation: Int32Array;
}

/** Splits `text` into its vocabulary and the two id sequences; each part must hold more than `seq` characters. */
export function charText(text: string, seq: number, trainShare = 0.9): CharText {
  const chars = [...text];
  const vocab = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const id = new Map(vocab.map((c, i) => [c, i]));
  const ids = Int32Array.from(chars, (c) => id.get(c)!);
  const cut = Math.floor(ids.length * trainShare);
  const [train, validation] = [ids.subarray(0, cut), ids.subarray(cut)];
  if (validation.length <= seq || train.length <= seq) {
    throw new ArgumentError(`the text has ${chars.length.toLocaleString('en-US')} characters; training and validation need more than --seq ${seq} each (at least ${Math.ceil((seq + 1) / (1 - trainShare)).toLocaleString('en-US')} in all)`);
  }
  return { vocab, train, validation };
}

export function encode(text: CharText, s: string): number[] {
  const id = new Map(text.vocab.map((c, i) => [c, i]));
  return [...s].map((c, i) => {
    const v = id.get(c);
    if (v === undefined) throw new ArgumentError(`character ${JSON.stringify(c)} at ${i} is not in the model's vocabulary of ${text.vocab.length}`);
    return v;
  });
}

export function decode(vocab: readonly string[], ids: readonly number[]): string {
  return ids.map((i) => vocab[i] ?? '').join('');
}

/** B windows: tokens[b] = ids[s .. s+seq), targets[b] = ids[s+1 .. s+seq+1) for a random start s. */
export function sampleWindows(ids: Int32Array, batch: number, seq: number, rng: Random): { tokens: Int32Array[]; targets: Int32Array[] } {
  const tokens: Int32Array[] = [], targets: Int32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const s = rng.nextUint32() % (ids.length - seq);
    tokens.push(ids.subarray(s, s + seq));
    targets.push(ids.subarray(s + 1, s + seq + 1));
  }
  return { tokens, targets };
}

/** The entropy of the characters' frequencies in `ids`, in nats: the loss of the best model that ignores context. */
export function unigramEntropy(ids: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab);
  for (const i of ids) counts[i]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log(c / ids.length);
  return h;
}
