// The KV-cache kernels against a plain float64 reference: storing keys and
// values in two parts (a prompt, then one token) and attending with the last
// token's query gives the last row of full causal attention, on every build.
import { describe, expect, it } from 'vitest';
import { cachedAttention, kvCacheBytes, kvCacheStore } from '../src/nn/ops/kv-cache.js';
import { init } from '../src/runtime.js';
import { expectClose } from './helpers/expect-close.js';
import { referenceAttention } from './helpers/reference-attention.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { expectTypedOneLine, thrownBy } from './helpers/refusal.js';
import { randomArray, rng } from './helpers/rng.js';
import { WasmBuffers } from './helpers/wasm-buffers.js';

enableRelaxedSimdForTests();

const shapes = [
  { batch: 1, seq: 1, heads: 1, headDim: 4, capacity: 1 },
  { batch: 2, seq: 5, heads: 2, headDim: 8, capacity: 7 },
  { batch: 3, seq: 9, heads: 3, headDim: 5, capacity: 9 },
  { batch: 1, seq: 17, heads: 4, headDim: 3, capacity: 20 },
];

describe('KV-cache kernels', () => {
  it.each(['simd', 'relaxed', 'scalar'] as const)('%s: a cached query attends as the last row of causal attention', async (build) => {
    const rt = await init({ build, fresh: true });
    for (const s of shapes) {
      const h = s.heads * s.headDim, T = s.seq;
      const qkv = randomArray(s.batch * T * 3 * h, rng(T * 31 + h));
      const buf = new WasmBuffers(rt);
      // The prompt's T-1 tokens, then the last token alone (as a decode step stores it).
      const rowsOf = (from: number, to: number) => Float32Array.from({ length: s.batch * (to - from) * 3 * h }, (_, i) => {
        const b = Math.floor(i / ((to - from) * 3 * h)), r = i % ((to - from) * 3 * h);
        return qkv[(b * T + from) * 3 * h + r]!;
      });
      const cache = buf.f32(kvCacheBytes(s.batch, s.capacity, h) / 4);
      const shape = { batch: s.batch, capacity: s.capacity, heads: s.heads, headDim: s.headDim };
      if (T > 1) kvCacheStore(rt, { ...shape, tokens: T - 1, start: 0, qkv: buf.f32(rowsOf(0, T - 1)), cache });
      const last = buf.f32(rowsOf(T - 1, T));
      kvCacheStore(rt, { ...shape, tokens: 1, start: T - 1, qkv: last, cache });
      const y = buf.f32(s.batch * h);
      cachedAttention(rt, { ...shape, keys: T, qkv: last, cache, y, scratch: buf.f32(T) });
      const full = referenceAttention(qkv, s);
      const expected = Float64Array.from({ length: s.batch * h }, (_, i) => full[(Math.floor(i / h) * T + T - 1) * h + (i % h)]!);
      expectClose(buf.read(y, s.batch * h), expected, { atol: 1e-6, rtol: 1e-5, label: `${build} ${JSON.stringify(s)}` });
      buf.free();
    }
  });

  it('refuses positions past the cache and too few buffer bytes by name, before the core runs', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    const buf = new WasmBuffers(rt);
    const shape = { batch: 1, capacity: 4, heads: 2, headDim: 4 };
    const cache = buf.f32(kvCacheBytes(1, 4, 8) / 4), qkv = buf.f32(3 * 8), y = buf.f32(8), scratch = buf.f32(4);
    const bad: [() => void, RegExp][] = [
      [() => kvCacheStore(rt, { ...shape, tokens: 2, start: 3, qkv, cache }), /kvCacheStore: positions 3 to 4 lie past the cache's 4/],
      [() => cachedAttention(rt, { ...shape, keys: 5, qkv, cache, y, scratch }), /cachedAttention: keys 5 exceed the cache's 4 positions/],
      [() => cachedAttention(rt, { ...shape, keys: 0, qkv, cache, y, scratch }), /keys/],
      [() => cachedAttention(rt, { ...shape, keys: 2, qkv, cache, y, scratch: -4 }), /scratch/],
    ];
    for (const [call, message] of bad) {
      const { error } = thrownBy(() => call());
      expectTypedOneLine(error);
      expect((error as Error).message).toMatch(message);
    }
    buf.free();
  });
});
