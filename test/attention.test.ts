// Causal multi-head self-attention (src/nn/ops/attention.ts) on every build:
// the plain path and the memory-saving one against a float64 reference, each
// other, finite differences, and their stated costs (saved and workspace
// bytes, GEMM MACs) against hand counts and what the core measured.

import { describe, expect, it } from 'vitest';
import { init, Tensor, type BuildName, type Runtime } from '../src/index.js';
import { attentionBackwardReads, attentionGemms, attentionMacs, attentionSavedBytes, attentionWorkspaceBytes } from '../src/nn/ops/attention-cost.js';
import type { AttentionSpec } from '../src/nn/ops/attention-spec.js';
import { causalSelfAttention, causalSelfAttentionBackward } from '../src/nn/ops/attention.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { referenceAttention, referenceAttentionBackward, referenceProbabilities, type ReferenceDims } from './helpers/reference-attention.js';
import { randomArray, rng } from './helpers/rng.js';
import { runAttention } from './helpers/attention-run.js';
import { expectRefused, expectTypedOneLine, thrownBy } from './helpers/refusal.js';

enableRelaxedSimdForTests();

// float32 against float64 with values in [-1, 1): sums of up to 64 terms.
const VS_REFERENCE = { atol: 2e-5, rtol: 1e-4 };
// The two float32 paths add in different orders (online rescaling, blocks).
const FLASH_VS_PLAIN = { atol: 1e-5, rtol: 1e-4 };

const SEQS = [1, 2, 5, 17, 64];
const HEAD_DIMS = [1, 3, 4, 16];
const SHAPES = SEQS.flatMap((seq) => HEAD_DIMS.flatMap((headDim) => [1, 3].flatMap((heads) => [1, 2].map((batch) => ({ batch, seq, heads, headDim })))));

function inputs(d: ReferenceDims, seed: number) {
  const next = rng(seed), h = d.heads * d.headDim;
  // Scaled up so the softmax is far from uniform.
  const qkv = randomArray(d.batch * d.seq * 3 * h, next).map((v) => 2 * v);
  const dy = randomArray(d.batch * d.seq * h, next);
  return { qkv, dy };
}

const label = (d: ReferenceDims, what: string) => `${what} (batch ${d.batch}, seq ${d.seq}, heads ${d.heads}, headDim ${d.headDim})`;

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('causal self-attention (%s build)', (build) => {
  let rt: Runtime;
  const runtime = async () => (rt ??= await init({ build, fresh: true }));

  it('the plain path matches the float64 reference: y, the saved probabilities (0 above the diagonal) and dqkv', async () => {
    const r = await runtime();
    for (const [i, d] of SHAPES.entries()) {
      const { qkv, dy } = inputs(d, 100 + i);
      const run = runAttention(r, d, qkv, dy);
      expectClose(run.y, referenceAttention(qkv, d), { ...VS_REFERENCE, label: label(d, 'y') });
      const probs = referenceProbabilities(qkv, d).flatMap((p) => Array.from(p));
      expectClose(run.saved, probs, { ...VS_REFERENCE, label: label(d, 'probabilities') });
      expectClose(run.dqkv!, referenceAttentionBackward(qkv, dy, d), { ...VS_REFERENCE, label: label(d, 'dqkv') });
    }
  });

  it('the memory-saving path matches the float64 reference, with the default block and with blocks that do not divide T', async () => {
    const r = await runtime();
    for (const [i, d] of SHAPES.entries()) {
      const { qkv, dy } = inputs(d, 300 + i);
      const y = referenceAttention(qkv, d), dqkv = referenceAttentionBackward(qkv, dy, d);
      for (const blockSize of [64, 4]) {
        const run = runAttention(r, { ...d, flash: true, blockSize }, qkv, dy);
        expectClose(run.y, y, { ...VS_REFERENCE, label: label(d, `flash y, block ${blockSize}`) });
        expectClose(run.dqkv!, dqkv, { ...VS_REFERENCE, label: label(d, `flash dqkv, block ${blockSize}`) });
      }
    }
  });

  it('memory-saving and plain paths agree within float32 tolerance, forward and gradients', async () => {
    const r = await runtime();
    const cases: [ReferenceDims, number][] = [
      [{ batch: 2, seq: 17, heads: 3, headDim: 4 }, 5], // 3 full blocks and a partial one of 2
      [{ batch: 1, seq: 64, heads: 3, headDim: 16 }, 16],
      [{ batch: 2, seq: 64, heads: 1, headDim: 3 }, 7], // 9 full blocks and one of 1
      [{ batch: 1, seq: 17, heads: 1, headDim: 1 }, 1],
    ];
    for (const [d, blockSize] of cases) {
      const { qkv, dy } = inputs(d, d.seq * blockSize);
      const plain = runAttention(r, d, qkv, dy);
      const flash = runAttention(r, { ...d, flash: true, blockSize }, qkv, dy);
      expectClose(flash.y, plain.y, { ...FLASH_VS_PLAIN, label: label(d, `y, block ${blockSize}`) });
      expectClose(flash.dqkv!, plain.dqkv!, { ...FLASH_VS_PLAIN, label: label(d, `dqkv, block ${blockSize}`) });
      // The logsumexp it saves is log sum_j exp(s_ij) of the reference scores.
      const probs = referenceProbabilities(qkv, d);
      expect(flash.saved.length).toBe(d.batch * d.heads * d.seq);
      expect(flash.saved.every(Number.isFinite)).toBe(true);
      // P_ij = exp(s_ij - lse_i): on the diagonal, s_ii = q_i . k_i / sqrt(headDim).
      const h = d.heads * d.headDim, i = d.seq - 1, n = d.heads - 1;
      let sii = 0;
      for (let k = 0; k < d.headDim; k++) sii += qkv[i * 3 * h + n * d.headDim + k]! * qkv[i * 3 * h + h + n * d.headDim + k]!;
      const lse = flash.saved[n * d.seq + i]!;
      expectClose(Math.exp(sii / Math.sqrt(d.headDim) - lse), probs[n]![i * d.seq + i]!, { ...VS_REFERENCE, label: 'exp(s_ii - lse_i)' });
    }
  });

  it('backward reads y on the memory-saving path only, as attentionBackwardReads says', async () => {
    const r = await runtime();
    const d = { batch: 2, seq: 9, heads: 3, headDim: 4 }, h = d.heads * d.headDim, rows = d.batch * d.seq;
    const { qkv, dy } = inputs(d, 21);
    for (const spec of [d, { ...d, flash: true, blockSize: 4 }]) {
      const expected = runAttention(r, spec, qkv, dy).dqkv!;
      const t = { qkv: Tensor.from(r, qkv), y: Tensor.empty(r, [rows * h]), saved: Tensor.empty(r, [attentionSavedBytes(spec) / 4]) };
      const grads = { dy: Tensor.from(r, dy), dqkv: Tensor.empty(r, [rows * 3 * h]) };
      causalSelfAttention(r, spec, t);
      t.y.data.fill(NaN);
      causalSelfAttentionBackward(r, spec, { ...t, ...grads });
      const readsY = attentionBackwardReads(spec).includes('y');
      expect(readsY).toBe(spec.flash === true);
      if (readsY) expect(grads.dqkv.data.some(Number.isNaN)).toBe(true);
      else expect(Array.from(grads.dqkv.data)).toEqual(Array.from(expected));
      for (const x of [...Object.values(t), ...Object.values(grads)]) x.free();
    }
  });

  it('finite differences of the forward agree with the backward, on both paths', async () => {
    const r = await runtime();
    const d = { batch: 1, seq: 5, heads: 2, headDim: 3 };
    const { qkv, dy } = inputs(d, 7);
    // loss = sum(y * dy), so d loss / d qkv is what backward gives for dy.
    const loss = (spec: AttentionSpec, x: Float32Array) => runAttention(r, spec, x).y.reduce((s, v, i) => s + v * dy[i]!, 0);
    for (const spec of [d, { ...d, flash: true, blockSize: 2 }]) {
      const grad = runAttention(r, spec, qkv, dy).dqkv!;
      const eps = 1e-2, numeric = new Float64Array(qkv.length);
      for (let i = 0; i < qkv.length; i++) {
        const plus = qkv.slice(), minus = qkv.slice();
        plus[i] += eps;
        minus[i] -= eps;
        numeric[i] = (loss(spec, plus) - loss(spec, minus)) / (2 * eps);
      }
      // Central differences in float32: truncation about eps^2, rounding about 1e-7 / eps.
      expectClose(grad, numeric, { atol: 2e-3, rtol: 1e-2, label: `flash ${spec.flash === true}` });
    }
  });

  it('the core counts exactly attentionMacs, and each pass allocates exactly attentionWorkspaceBytes beside the packing workspace', async () => {
    const r = await runtime();
    for (const spec of [
      { batch: 2, seq: 17, heads: 3, headDim: 4 },
      { batch: 2, seq: 17, heads: 3, headDim: 4, flash: true, blockSize: 5 },
      { batch: 1, seq: 64, heads: 2, headDim: 16, flash: true },
    ]) {
      const { qkv, dy } = inputs(spec, 11);
      runAttention(r, spec, qkv, dy); // reserves the packing workspace for these shapes
      const live = r.arena.live();
      const packing = r.core.gemmScratchReserved();
      r.arena.resetPeak();
      runAttention(r, spec, qkv); // forward alone: qkv, y and saved are activations
      expect(r.arena.peak('workspace')).toBe(packing + attentionWorkspaceBytes(spec).forward);
      r.arena.resetPeak();
      const run = runAttention(r, spec, qkv, dy);
      const macs = attentionMacs(spec);
      expect(run.macs).toEqual({ forward: BigInt(macs.forward), backward: BigInt(macs.backward) });
      expect(r.arena.live()).toBe(live);
      // Peak workspace: packing, dy and dqkv (the run's own), and the larger pass's temporaries.
      const h = spec.heads * spec.headDim, rows = spec.batch * spec.seq;
      const ws = attentionWorkspaceBytes(spec);
      expect(r.arena.peak('workspace')).toBe(packing + rows * h * 4 + rows * 3 * h * 4 + ws.backward);
      expect(r.core.gemmScratchReserved()).toBe(packing);
    }
  });

  it('attentionGemms names the largest product: the packing workspace reserved up front is all the core ever needs', async () => {
    for (const spec of [{ batch: 1, seq: 40, heads: 2, headDim: 3 }, { batch: 1, seq: 300, heads: 1, headDim: 24, flash: true, blockSize: 48 }]) {
      const r = await init({ build, fresh: true });
      const { forward, backward } = attentionGemms(spec);
      const declared = Math.max(...[...forward, ...backward].map((g) => r.core.gemmScratchBytes(g.m, g.n, g.k)));
      const { qkv, dy } = inputs(spec, 5);
      runAttention(r, spec, qkv, dy);
      expect(r.core.gemmScratchReserved()).toBe(declared);
      if (build !== 'scalar') expect(declared).toBeGreaterThan(0);
    }
  });
});

describe('attention costs, against hand counts', () => {
  const d = { batch: 2, seq: 5, heads: 3, headDim: 4 };

  it('saved bytes: the T x T probabilities on the plain path, one logsumexp per row on the memory-saving one', () => {
    expect(attentionSavedBytes(d)).toBe(2 * 3 * 5 * 5 * 4); // 600
    expect(attentionSavedBytes({ ...d, flash: true })).toBe(2 * 3 * 5 * 4); // 120
    // GPT-2 small's attention at T = 1024, batch 1: 12 heads x 1024^2 floats, against 12 x 1024.
    const gpt2 = { batch: 1, seq: 1024, heads: 12, headDim: 64 };
    expect(attentionSavedBytes(gpt2)).toBe(50_331_648);
    expect(attentionSavedBytes({ ...gpt2, flash: true })).toBe(49_152);
  });

  it('workspace bytes of each pass', () => {
    expect(attentionWorkspaceBytes(d)).toEqual({ forward: 0, backward: 600 });
    // block = min(64, 5) = 5: scores 25 + max and sum 2 x 5; backward 2 x 25 + 5.
    expect(attentionWorkspaceBytes({ ...d, flash: true })).toEqual({ forward: 140, backward: 220 });
    expect(attentionWorkspaceBytes({ ...d, seq: 100, flash: true, blockSize: 8 })).toEqual({ forward: (64 + 16) * 4, backward: (128 + 100) * 4 });
  });

  it('MACs: full T x T products on the plain path, the blocks on or below the diagonal (plus the recompute) on the memory-saving one', () => {
    // Plain: QK^T 25 x 4 and PV 25 x 4 per item, 6 items; backward four such products.
    expect(attentionMacs(d)).toEqual({ forward: 1200, backward: 2400, recompute: 0 });
    // T = 17, block 4: query blocks of 4, 4, 4, 4, 1 rows see 4, 8, 12, 16, 17 keys: 16 + 32 + 48 + 64 + 17 = 177 scores.
    const t17 = { batch: 1, seq: 17, heads: 1, headDim: 2, flash: true, blockSize: 4 };
    expect(attentionMacs(t17)).toEqual({ forward: 2 * 177 * 2, backward: 5 * 177 * 2, recompute: 177 * 2 });
    // One block covering T: the whole T x T, as on the plain path, plus the recompute.
    expect(attentionMacs({ ...d, flash: true })).toEqual({ forward: 1200, backward: 3000, recompute: 600 });
  });
});

describe('bad attention arguments are refused with typed errors before the core runs', () => {
  const d = { batch: 2, seq: 5, heads: 3, headDim: 4 };
  const badSpecs: [string, unknown, RegExp][] = [
    ['no spec', undefined, /attention spec must be an object/],
    ['a number', 5, /attention spec must be an object/],
    ['seq 0', { ...d, seq: 0 }, /seq must be an integer >= 1, got 0/],
    ['missing heads', { batch: 2, seq: 5, headDim: 4 }, /heads must be an integer >= 1, got undefined/],
    ['fractional headDim', { ...d, headDim: 1.5 }, /headDim must be an integer >= 1, got 1.5/],
    ['string batch', { ...d, batch: '2' }, /batch must be an integer >= 1, got "2"/],
    ['flash "yes"', { ...d, flash: 'yes' }, /flash must be a boolean \(true or false\), got "yes"/],
    ['blockSize 0', { ...d, flash: true, blockSize: 0 }, /blockSize must be an integer >= 1, got 0/],
    ['an unknown key', { ...d, dropout: 0.1 }, /unknown option "dropout"/],
    ['probabilities past wasm32', { batch: 64, seq: 4096, heads: 16, headDim: 4 }, /the probabilities would take .* bytes; a single WASM allocation must be below/],
  ];

  it.each(badSpecs)('spec with %s: the cost functions refuse it', (_, spec, message) => {
    for (const f of [attentionSavedBytes, attentionWorkspaceBytes, attentionMacs, attentionGemms, attentionBackwardReads]) {
      expect(() => f(spec as AttentionSpec)).toThrow(message);
      expectTypedOneLine(thrownBy(() => f(spec as AttentionSpec)).error);
    }
  });

  it('the memory-saving path has no T x T tensor to refuse', () => {
    expect(attentionSavedBytes({ batch: 64, seq: 4096, heads: 16, headDim: 4, flash: true })).toBe(64 * 16 * 4096 * 4);
  });

  it.each(badSpecs)('spec with %s: forward and backward refuse it, nothing written, counted or allocated', async (_, spec, message) => {
    const rt = await init({ build: 'simd', fresh: true });
    const t = tensorsFor(rt, d);
    const state = () => [rt.macs(), rt.arena.live(), ...Object.values(t).map((x) => Array.from(x.data))];
    expectRefused(() => causalSelfAttention(rt, spec as AttentionSpec, t), [], state);
    expectRefused(() => causalSelfAttentionBackward(rt, spec as AttentionSpec, t), [], state);
    expect(() => causalSelfAttention(rt, spec as AttentionSpec, t)).toThrow(message);
  });

  it('tensors of the wrong size, kind, runtime or life are refused, naming the tensor', async () => {
    const rt = await init({ build: 'simd', fresh: true });
    const other = await init({ build: 'simd', fresh: true });
    const t = tensorsFor(rt, d);
    const state = () => [rt.macs(), rt.arena.live(), ...Object.values(t).map((x) => Array.from(x.data))];
    const freed = Tensor.empty(rt, [t.y.size]);
    freed.free();
    const bad: [Partial<Record<keyof typeof t, unknown>>, RegExp][] = [
      [{ qkv: Tensor.empty(rt, [t.qkv.size - 1]) }, /qkv has 359 elements, expected 360 \(batch 2 x seq 5 x 3\*heads\*headDim 36\)/],
      [{ saved: Tensor.empty(rt, [2 * 3 * 5]) }, /saved has 30 elements, expected 150 \(batch x heads x seq x seq probabilities\)/],
      [{ y: new Float32Array(t.y.size) }, /y must be a Tensor, got a Float32Array of 120/],
      [{ y: undefined }, /y must be a Tensor, got undefined/],
      [{ y: freed }, /y is a freed tensor/],
      [{ y: Tensor.empty(other, [t.y.size]) }, /y lives in another runtime's memory/],
      [{ dqkv: Tensor.empty(rt, [t.y.size]) }, /dqkv has 120 elements, expected 360/],
      [{ dqkv: t.qkv }, /qkv and dqkv are the same tensor; each must be its own/],
    ];
    for (const [change, message] of bad) {
      const given = { ...t, ...change } as typeof t;
      if (!('dqkv' in change) && !('dy' in change)) {
        expect(() => causalSelfAttention(rt, d, given)).toThrow(message);
        expectRefused(() => causalSelfAttention(rt, d, given), [], state);
      }
      expect(() => causalSelfAttentionBackward(rt, d, given)).toThrow(message);
      expectRefused(() => causalSelfAttentionBackward(rt, d, given), [], state);
    }
    // The memory-saving path saves one float per row.
    expect(() => causalSelfAttention(rt, { ...d, flash: true }, t)).toThrow(/saved has 150 elements, expected 30 \(batch x heads x seq logsumexp\)/);
    expect(() => causalSelfAttention(undefined as unknown as Runtime, d, t)).toThrow(/causalSelfAttention needs a Runtime from init\(\)/);
  });
});

/** Every tensor of one call at `d` (plain path), filled with 1. */
function tensorsFor(rt: Runtime, d: ReferenceDims) {
  const h = d.heads * d.headDim, rows = d.batch * d.seq;
  const make = (n: number) => Tensor.from(rt, new Float32Array(n).fill(1), undefined, 'workspace');
  return { qkv: make(rows * 3 * h), y: make(rows * h), saved: make(attentionSavedBytes(d) / 4), dy: make(rows * h), dqkv: make(rows * 3 * h) };
}
