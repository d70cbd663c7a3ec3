// The transformer op wrappers refuse a bad call before the core runs: token
// ids outside the vocabulary (naming the first), sizes that are not integers
// the core takes, pointers that are not aligned offsets of buffers inside
// memory, unknown fields and bad values, each with a typed one-line error and
// every byte of WASM memory as it was.

import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, init, type Runtime } from '../src/index.js';
import { embeddingBackward, embeddingForward } from '../src/nn/ops/embedding.js';
import { layerNormBackward, layerNormForward, rmsNormForward } from '../src/nn/ops/norm.js';
import { accumulate, residualAdd } from '../src/nn/ops/residual.js';
import { swigluBackward, swigluForward } from '../src/nn/ops/swiglu.js';
import { dropoutBackward, dropoutForward } from '../src/nn/ops/dropout.js';
import { tokenCrossEntropyBackward, tokenCrossEntropyForward } from '../src/nn/ops/cross-entropy.js';
import { expectRefused, thrownBy } from './helpers/refusal.js';
import { randomArray, rng } from './helpers/rng.js';
import { WasmBuffers } from './helpers/wasm-buffers.js';

let rt: Runtime;
let mem: WasmBuffers;
/** Buffers of a valid call of every op: B = 2, T = 3, hidden 4, vocab 5. */
let ok: Record<string, number>;
const shape = { batch: 2, seq: 3, hidden: 4, vocab: 5 };

beforeAll(async () => {
  rt = await init({ fresh: true });
  mem = new WasmBuffers(rt);
  // Nonzero values, so that a call the checks missed would change memory.
  const next = rng(1), f32 = (n: number) => mem.f32(randomArray(n, next));
  ok = {
    ids: mem.i32([0, 1, 4, 4, 2, 3]), wte: f32(20), wpe: f32(12), rows: f32(24), rows2: f32(24), rows3: f32(24),
    vec: f32(4), vec2: f32(4), stats: f32(6), stats2: f32(6), mask: mem.u8(24, 1), logits: f32(30), probs: f32(30),
  };
});

const memoryDigest = () => createHash('sha256').update(new Uint8Array(rt.memory.buffer)).digest('hex');
const refused = (call: () => unknown) => expectRefused(call, [], memoryDigest);
const message = (call: () => unknown) => String((thrownBy(call).error as Error).message);

const embedding = () => ({ ...shape, ids: ok.ids!, wte: ok.wte!, wpe: ok.wpe!, out: ok.rows! });
const layerNorm = () => ({ rows: 6, hidden: 4, x: ok.rows!, weight: ok.vec!, bias: ok.vec2!, out: ok.rows2!, mean: ok.stats!, rstd: ok.stats2! });
const dropout = () => ({ n: 24, p: 0.5, seed: 1, x: ok.rows!, out: ok.rows2!, mask: ok.mask! });

describe('transformer op wrappers refuse bad calls before the core runs', () => {
  it('the valid calls the cases start from run', () => {
    embeddingForward(rt, embedding());
    layerNormForward(rt, layerNorm());
    dropoutForward(rt, dropout());
  });

  it('a token id outside [0, vocab) is refused, naming the first and its value', () => {
    for (const bad of [5, -1, 2 ** 31 - 1]) {
      const ids = mem.i32([0, 1, 4, 4, bad, bad]);
      refused(() => embeddingForward(rt, { ...embedding(), ids }));
      refused(() => embeddingBackward(rt, { ...shape, ids, dout: ok.rows!, dwte: ok.wte!, dwpe: ok.wpe! }));
      expect(message(() => embeddingForward(rt, { ...embedding(), ids }))).toBe(`embeddingForward: ids[4] is ${bad}, outside [0, 5) (the vocabulary)`);
      const err = thrownBy(() => embeddingForward(rt, { ...embedding(), ids })).error;
      expect(err).toBeInstanceOf(ArgumentError);
      expect((err as ArgumentError).field).toBe('ids');
    }
  });

  it('a target outside the vocabulary is refused by the token cross-entropy', () => {
    const targets = mem.i32([0, 1, 2, 5, 1, 0]);
    refused(() => tokenCrossEntropyForward(rt, { rows: 6, vocab: 5, logits: ok.logits!, targets, probs: ok.probs! }));
    refused(() => tokenCrossEntropyBackward(rt, { rows: 6, vocab: 5, probs: ok.probs!, targets, dlogits: ok.probs! }));
    expect(message(() => tokenCrossEntropyForward(rt, { rows: 6, vocab: 5, logits: ok.logits!, targets, probs: ok.probs! }))).toMatch(/targets\[3\] is 5, outside \[0, 5\)/);
  });

  it.each([
    ['batch', -1], ['seq', 1.5], ['hidden', '4'], ['vocab', 0], ['batch', 2 ** 31], ['hidden', NaN],
  ])('embedding: %s = %s is refused', (field, value) => {
    refused(() => embeddingForward(rt, { ...embedding(), [field]: value }));
    expect(message(() => embeddingForward(rt, { ...embedding(), [field]: value }))).toContain(field);
  });

  it.each([
    ['x', 0], ['x', 3], ['out', -4], ['weight', '16'], ['mean', undefined], ['rstd', 2 ** 40], ['bias', 6],
  ])('LayerNorm: pointer %s = %s is refused', (field, value) => {
    refused(() => layerNormForward(rt, { ...layerNorm(), [field]: value }));
  });

  it('a buffer reaching past the end of memory is refused, naming it', () => {
    const end = rt.memory.buffer.byteLength;
    refused(() => layerNormForward(rt, { ...layerNorm(), out: end - 8 }));
    expect(message(() => layerNormForward(rt, { ...layerNorm(), out: end - 8 }))).toMatch(/^layerNormForward: out needs 96 bytes from offset \d+, past the end of WASM memory/);
    refused(() => embeddingForward(rt, { ...embedding(), vocab: 1e6 }));
    refused(() => dropoutForward(rt, { ...dropout(), mask: end - 4 }));
  });

  it('unknown fields, bad eps, accumulate and dropout values are refused', () => {
    refused(() => layerNormForward(rt, { ...layerNorm(), wieght: 4 } as never));
    refused(() => layerNormForward(rt, { ...layerNorm(), eps: 0 }));
    refused(() => rmsNormForward(rt, { rows: 6, hidden: 4, x: ok.rows!, weight: ok.vec!, out: ok.rows2!, rstd: ok.stats!, eps: NaN }));
    refused(() => layerNormBackward(rt, { ...layerNorm(), dout: ok.rows!, dx: ok.rows3!, dweight: ok.vec!, dbias: 0, accumulate: 'yes' } as never));
    for (const p of [1, -0.1, NaN, '0.5']) refused(() => dropoutForward(rt, { ...dropout(), p } as never));
    refused(() => dropoutBackward(rt, { n: 24, p: 1.5, dout: ok.rows!, mask: ok.mask!, dx: ok.rows! }));
    for (const seed of [-1, 2 ** 32, 0.5]) refused(() => dropoutForward(rt, { ...dropout(), seed }));
    refused(() => dropoutForward(rt, { ...dropout(), offset: 2 ** 32 - 23 }));
    refused(() => residualAdd(rt, { n: 24, a: ok.rows!, b: 2, out: ok.rows! }));
    refused(() => accumulate(rt, { n: -3, dst: ok.rows!, src: ok.rows2! }));
    refused(() => swigluForward(rt, { n: 24, a: ok.rows!, b: ok.rows2!, out: ok.rows3!, extra: 1 } as never));
    refused(() => swigluBackward(rt, { n: 25, a: ok.rows!, b: ok.rows2!, dout: ok.rows3!, da: ok.rows!, db: rt.memory.buffer.byteLength - 96 }));
  });

  it('a missing runtime or argument object is refused', () => {
    refused(() => embeddingForward({} as Runtime, embedding()));
    refused(() => layerNormForward(rt, null as never));
    refused(() => dropoutForward(rt, 5 as never));
  });

  it('empty calls do nothing', () => {
    const before = memoryDigest();
    embeddingForward(rt, { ...embedding(), batch: 0 });
    layerNormForward(rt, { ...layerNorm(), rows: 0 });
    dropoutForward(rt, { ...dropout(), n: 0 });
    swigluForward(rt, { n: 0, a: ok.rows!, b: ok.rows2!, out: ok.rows3! });
    expect(tokenCrossEntropyForward(rt, { rows: 0, vocab: 5, logits: ok.logits!, targets: ok.ids!, probs: ok.probs! })).toBeNaN();
    expect(memoryDigest()).toBe(before);
  });
});
