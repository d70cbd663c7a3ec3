// Dropout on the attention probabilities inside the memory-saving attention:
// its keep/drop decisions are drawn block by block from the same counter (the
// element's index in the batch·heads·T·T probabilities, the same seed) as the
// plain path's saved mask, so both paths agree; backward redraws them and
// matches finite differences with the masks fixed.

import { describe, expect, it } from 'vitest';
import { init, type BuildName, type Runtime } from '../src/index.js';
import type { AttentionSpec } from '../src/nn/ops/attention-spec.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { runAttention, runAttentionWithDropout } from './helpers/attention-run.js';
import { randomArray, rng } from './helpers/rng.js';
import { expectTypedOneLine, thrownBy } from './helpers/refusal.js';

enableRelaxedSimdForTests();

// float32, the two paths summing in different orders: 1e-5 relative (and as much absolute near 0).
const FLASH_VS_PLAIN = { atol: 1e-5, rtol: 1e-5 };

function inputs(d: AttentionSpec, seed: number) {
  const next = rng(seed), h = d.heads * d.headDim;
  const qkv = randomArray(d.batch * d.seq * 3 * h, next).map((v) => 2 * v);
  return { qkv, dy: randomArray(d.batch * d.seq * h, next) };
}

const label = (d: AttentionSpec, what: string) => `${what} (batch ${d.batch}, seq ${d.seq}, heads ${d.heads}, headDim ${d.headDim}, block ${d.blockSize})`;

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('dropout in the memory-saving attention (%s build)', (build) => {
  let rt: Runtime;
  const runtime = async () => (rt ??= await init({ build, fresh: true }));

  it('equals the plain path with dropout for the same seed: y and dqkv, T above the block and not a multiple of it', async () => {
    const r = await runtime();
    const cases: AttentionSpec[] = [
      { batch: 2, seq: 17, heads: 3, headDim: 4, blockSize: 5 }, // 3 full blocks and one of 2
      { batch: 1, seq: 64, heads: 2, headDim: 16, blockSize: 16 }, // 4 full blocks
      { batch: 2, seq: 70, heads: 1, headDim: 3, blockSize: 64 }, // the default block and one of 6
      { batch: 1, seq: 9, heads: 2, headDim: 5, blockSize: 64 }, // one block smaller than the block size
      { batch: 1, seq: 13, heads: 1, headDim: 1, blockSize: 1 },
    ];
    for (const [i, d] of cases.entries()) {
      const { qkv, dy } = inputs(d, 40 + i);
      for (const p of [0.1, 0.5]) {
        const dropout = { p, seed: 1000 + i };
        const plain = runAttentionWithDropout(r, { ...d, flash: false }, qkv, dy, dropout);
        const flash = runAttentionWithDropout(r, { ...d, flash: true }, qkv, dy, dropout);
        expectClose(flash.y, plain.y, { ...FLASH_VS_PLAIN, label: label(d, `y, p ${p}`) });
        expectClose(flash.dqkv, plain.dqkv, { ...FLASH_VS_PLAIN, label: label(d, `dqkv, p ${p}`) });
        // Dropout did something: without it y differs.
        const undropped = runAttention(r, { ...d, flash: true }, qkv).y;
        expect(flash.y.some((v, j) => Math.abs(v - undropped[j]!) > 1e-3), label(d, 'y changed by dropout')).toBe(true);
      }
    }
  });

  it('draws the same decisions again for the same seed, others for another seed; p = 0 is no dropout', async () => {
    const r = await runtime();
    const d = { batch: 1, seq: 11, heads: 2, headDim: 4, blockSize: 4, flash: true };
    const { qkv, dy } = inputs(d, 9);
    const a = runAttentionWithDropout(r, d, qkv, dy, { p: 0.3, seed: 5 });
    expect(Array.from(runAttentionWithDropout(r, d, qkv, dy, { p: 0.3, seed: 5 }).dqkv)).toEqual(Array.from(a.dqkv));
    expect(Array.from(runAttentionWithDropout(r, d, qkv, dy, { p: 0.3, seed: 6 }).y)).not.toEqual(Array.from(a.y));
    const none = runAttention(r, d, qkv, dy);
    const zero = runAttentionWithDropout(r, d, qkv, dy, { p: 0, seed: 5 });
    expect(Array.from(zero.y)).toEqual(Array.from(none.y));
    expect(Array.from(zero.dqkv)).toEqual(Array.from(none.dqkv));
  });

  it('backward equals finite differences of the forward with the masks fixed', async () => {
    const r = await runtime();
    const d = { batch: 1, seq: 7, heads: 2, headDim: 3, blockSize: 3, flash: true };
    const { qkv, dy } = inputs(d, 11);
    const dropout = { p: 0.4, seed: 77 };
    // loss = sum(y * dy), so d loss / d qkv is what backward gives for dy.
    const loss = (x: Float32Array) => runAttentionWithDropout(r, d, x, dy, dropout).y.reduce((s, v, i) => s + v * dy[i]!, 0);
    const grad = runAttentionWithDropout(r, d, qkv, dy, dropout).dqkv;
    const eps = 1e-2, numeric = new Float64Array(qkv.length);
    for (let i = 0; i < qkv.length; i++) {
      const plus = qkv.slice(), minus = qkv.slice();
      plus[i] += eps;
      minus[i] -= eps;
      numeric[i] = (loss(plus) - loss(minus)) / (2 * eps);
    }
    expectClose(grad, numeric, { atol: 2e-3, rtol: 1e-2, label: 'flash dqkv with dropout' });
  });
});

describe('the memory-saving attention refuses a bad dropout as the dropout op does, before the core runs', () => {
  it.each([
    ['p = 1', { p: 1, seed: 1 }, /p must be a number with 0 <= p < 1, got 1/],
    ['p < 0', { p: -0.5, seed: 1 }, /p must be a number with 0 <= p < 1/],
    ['p NaN', { p: Number.NaN, seed: 1 }, /p must be a number with 0 <= p < 1/],
    ['a seed above 32 bits', { p: 0.1, seed: 2 ** 32 }, /seed/],
    ['a fractional seed', { p: 0.1, seed: 1.5 }, /seed/],
  ])('%s', async (_, dropout, message) => {
    const rt = await init({ build: 'simd', fresh: true });
    const d = { batch: 1, seq: 5, heads: 1, headDim: 2, blockSize: 2, flash: true };
    const { qkv, dy } = inputs(d, 3);
    const { error } = thrownBy(() => runAttentionWithDropout(rt, d, qkv, dy, dropout));
    expectTypedOneLine(error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^attentionForward/);
  });
});
