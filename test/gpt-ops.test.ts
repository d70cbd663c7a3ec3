// The transformer ops of src/nn/ops against the float64 references of
// test/helpers/reference-transformer-ops.ts, on every build, over awkward
// widths (h = 1, 3, 4, 5, 17, 64, 65: below, at and past a SIMD vector, with
// scalar tails) and row counts (1, 2, 7), and every backward against central
// finite differences of the loss sum(out * r) through the core's forward.

import { describe, expect, it } from 'vitest';
import { init, type BuildName, type Runtime } from '../src/index.js';
import { embeddingBackward, embeddingForward } from '../src/nn/ops/embedding.js';
import { layerNormBackward, layerNormForward, layerNormSavedBytes, rmsNormBackward, rmsNormForward, rmsNormSavedBytes } from '../src/nn/ops/norm.js';
import { accumulate, residualAdd } from '../src/nn/ops/residual.js';
import { swigluBackward, swigluForward } from '../src/nn/ops/swiglu.js';
import { dropoutBackward, dropoutForward, dropoutMaskBytes } from '../src/nn/ops/dropout.js';
import { crossEntropySavedBytes, tokenCrossEntropyBackward, tokenCrossEntropyForward } from '../src/nn/ops/cross-entropy.js';
import * as ref from './helpers/reference-transformer-ops.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';
import { WasmBuffers } from './helpers/wasm-buffers.js';

enableRelaxedSimdForTests();

const WIDTHS = [1, 3, 4, 5, 17, 64, 65];
const ROWS = [1, 2, 7];
/** (batch, seq) pairs for the embedding: one token, one sequence, one position, and both > 1. */
const BATCH_SEQ = [[1, 1], [2, 1], [1, 7], [2, 7]] as const;
/** float32 kernels against float64 references: sums over up to 65 terms in float32. */
const CLOSE = { atol: 2e-5, rtol: 2e-5 };

const sumProduct = (out: ArrayLike<number>, r: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * r[i]!;
  return s;
};
const plus = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]!);
const fround = (a: ArrayLike<number>) => Array.from(a, Math.fround);

/**
 * Central differences of loss() (float64, over the core's float32 forward)
 * with respect to each of the n floats at ptr, against `analytic`. Step 1e-2
 * on values of order 1: the truncation error is O(step²) ~ 1e-4 and float32
 * rounding of the outputs adds ~1e-5 to the quotient, so 1e-3 + 1e-2 |g|
 * passes a right gradient and fails a wrong formula (errors of order 1).
 */
function expectFiniteDifferences(mem: WasmBuffers, ptr: number, n: number, loss: () => number, analytic: ArrayLike<number>, label: string): void {
  const step = 1e-2, numeric = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [v] = mem.read(ptr + 4 * i, 1);
    const up = Math.fround(v! + step), down = Math.fround(v! - step);
    mem.write(ptr + 4 * i, [up]);
    const lUp = loss();
    mem.write(ptr + 4 * i, [down]);
    const lDown = loss();
    mem.write(ptr + 4 * i, [v!]);
    numeric[i] = (lUp - lDown) / (up - down);
  }
  expectClose(analytic, numeric, { atol: 1e-3, rtol: 1e-2, label });
}

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('transformer ops (%s build)', (build) => {
  const withBuffers = async (body: (mem: WasmBuffers, rt: Runtime) => void) => {
    const mem = new WasmBuffers(await init({ build }));
    try {
      body(mem, mem.rt);
    } finally {
      mem.free();
    }
  };

  it('embedding forward gathers wte rows and adds wpe[t]; backward scatter-adds into dwte and sums dwpe over the batch', () =>
    withBuffers((mem, rt) => {
      const vocab = 5, next = rng(1);
      for (const h of WIDTHS) {
        for (const [batch, seq] of BATCH_SEQ) {
          const label = `h=${h} batch=${batch} seq=${seq}`;
          const tokens = batch * seq;
          const ids = Array.from({ length: tokens }, () => Math.floor(next() * vocab));
          const wte = randomArray(vocab * h, next), wpe = randomArray(seq * h, next), dout = randomArray(tokens * h, next);
          const dwte0 = randomArray(vocab * h, next), dwpe0 = randomArray(seq * h, next);
          const shape = { batch, seq, hidden: h, vocab };
          const p = { ids: mem.i32(ids), wte: mem.f32(wte), wpe: mem.f32(wpe), out: mem.f32(tokens * h), dout: mem.f32(dout), dwte: mem.f32(dwte0), dwpe: mem.f32(dwpe0) };
          embeddingForward(rt, { ...shape, ids: p.ids, wte: p.wte, wpe: p.wpe, out: p.out });
          expect(Array.from(mem.read(p.out, tokens * h)), label).toEqual(fround(ref.embeddingForward(ids, wte, wpe, batch, seq, h)));
          embeddingForward(rt, { ...shape, ids: p.ids, wte: p.wte, wpe: 0, out: p.out });
          expect(Array.from(mem.read(p.out, tokens * h)), `${label} without positions`).toEqual(Array.from(ref.embeddingForward(ids, wte, null, batch, seq, h)));
          // Gradients accumulate onto what the buffers hold.
          embeddingBackward(rt, { ...shape, ids: p.ids, dout: p.dout, dwte: p.dwte, dwpe: p.dwpe });
          const g = ref.embeddingBackward(ids, dout, vocab, batch, seq, h);
          expectClose(mem.read(p.dwte, vocab * h), plus(dwte0, g.dwte), { ...CLOSE, label: `dwte ${label}` });
          expectClose(mem.read(p.dwpe, seq * h), plus(dwpe0, g.dwpe), { ...CLOSE, label: `dwpe ${label}` });
        }
      }
    }));

  it('a token repeated at every position gets the sum of all their gradients; unused tokens get none', () =>
    withBuffers((mem, rt) => {
      const [vocab, batch, seq, h] = [4, 3, 5, 6], next = rng(2);
      const dout = randomArray(batch * seq * h, next);
      const dwte = mem.f32(vocab * h);
      embeddingBackward(rt, { batch, seq, hidden: h, vocab, ids: mem.i32(Array(batch * seq).fill(2)), dout: mem.f32(dout), dwte, dwpe: 0 });
      const got = mem.read(dwte, vocab * h);
      const sum = Array.from({ length: h }, (_, j) => Array.from({ length: batch * seq }, (_, r) => dout[r * h + j]!).reduce((a, b) => a + b, 0));
      expectClose(got.subarray(2 * h, 3 * h), sum, { ...CLOSE, label: 'dwte[2]' });
      expect(Array.from(got.subarray(0, 2 * h))).toEqual(Array(2 * h).fill(0));
      expect(Array.from(got.subarray(3 * h))).toEqual(Array(h).fill(0));
    }));

  for (const kind of ['LayerNorm', 'LayerNorm without bias', 'RMSNorm'] as const) {
    it(`${kind}: output, saved statistics, dx (written and accumulated), dweight and dbias accumulated`, () =>
      withBuffers((mem, rt) => {
        const centred = kind !== 'RMSNorm', hasBias = kind === 'LayerNorm', next = rng(3);
        const eps = centred ? 1e-5 : 1e-6;
        for (const h of WIDTHS) {
          for (const rows of ROWS) {
            const label = `${kind} h=${h} rows=${rows}`;
            // Offset and scaled inputs: the centred statistics must not lose the variance to the mean.
            const x = randomArray(rows * h, next).map((v) => 3 + 2 * v), w = randomArray(h, next), b = randomArray(h, next);
            const dout = randomArray(rows * h, next), dx0 = randomArray(rows * h, next), dw0 = randomArray(h, next), db0 = randomArray(h, next);
            const p = {
              x: mem.f32(x), w: mem.f32(w), b: hasBias ? mem.f32(b) : 0, out: mem.f32(rows * h), mean: mem.f32(rows), rstd: mem.f32(rows),
              dout: mem.f32(dout), dx: mem.f32(rows * h), dw: mem.f32(dw0), db: mem.f32(db0),
            };
            if (centred) layerNormForward(rt, { rows, hidden: h, x: p.x, weight: p.w, bias: p.b, out: p.out, mean: p.mean, rstd: p.rstd });
            else rmsNormForward(rt, { rows, hidden: h, x: p.x, weight: p.w, out: p.out, rstd: p.rstd });
            const f = ref.normForward(centred, x, w, hasBias ? b : null, rows, h, eps);
            expectClose(mem.read(p.out, rows * h), f.y, { ...CLOSE, label: `y ${label}` });
            if (centred) expectClose(mem.read(p.mean, rows), f.mean, { ...CLOSE, label: `mean ${label}` });
            expectClose(mem.read(p.rstd, rows), f.rstd, { atol: 2e-5, rtol: 1e-5, label: `rstd ${label}` });
            const g = ref.normBackward(centred, x, w, dout, rows, h, eps);
            for (const accumulateDx of [false, true]) {
              mem.write(p.dx, dx0);
              mem.write(p.dw, dw0);
              mem.write(p.db, db0);
              const common = { rows, hidden: h, x: p.x, weight: p.w, rstd: p.rstd, dout: p.dout, dx: p.dx, dweight: p.dw, accumulate: accumulateDx };
              if (centred) layerNormBackward(rt, { ...common, mean: p.mean, dbias: p.b ? p.db : 0 });
              else rmsNormBackward(rt, common);
              // rstd up to 1/sqrt(eps) for h = 1 scales dx's rounding; the tolerance is relative.
              expectClose(mem.read(p.dx, rows * h), accumulateDx ? plus(dx0, g.dx) : g.dx, { atol: 1e-4, rtol: 1e-4, label: `dx ${label} accumulate=${accumulateDx}` });
              expectClose(mem.read(p.dw, h), plus(dw0, g.dw), { ...CLOSE, label: `dweight ${label}` });
              expectClose(mem.read(p.db, h), hasBias ? plus(db0, g.db) : db0, { ...CLOSE, label: `dbias ${label}` });
            }
          }
        }
      }));
  }

  it('residual add is out = a + b and accumulate is dst += src, exactly as float32 adds', () =>
    withBuffers((mem, rt) => {
      const next = rng(4);
      for (const n of [...WIDTHS, 7 * 65]) {
        const a = randomArray(n, next), b = randomArray(n, next);
        const pa = mem.f32(a), pb = mem.f32(b), out = mem.f32(n);
        residualAdd(rt, { n, a: pa, b: pb, out });
        expect(Array.from(mem.read(out, n)), `n=${n}`).toEqual(fround(ref.add(a, b)));
        accumulate(rt, { n, dst: pa, src: pb });
        expect(Array.from(mem.read(pa, n)), `accumulate n=${n}`).toEqual(fround(ref.add(a, b)));
      }
    }));

  it('SwiGLU: out = silu(a) * b, da and db, within a float32 rounding', () =>
    withBuffers((mem, rt) => {
      const next = rng(5);
      for (const h of WIDTHS) {
        for (const rows of ROWS) {
          const n = rows * h, label = `h=${h} rows=${rows}`;
          const a = randomArray(n, next).map((v) => 4 * v), b = randomArray(n, next), dout = randomArray(n, next);
          const p = { a: mem.f32(a), b: mem.f32(b), out: mem.f32(n), dout: mem.f32(dout), da: mem.f32(n), db: mem.f32(n) };
          swigluForward(rt, { n, a: p.a, b: p.b, out: p.out });
          expectClose(mem.read(p.out, n), ref.swigluForward(a, b), { atol: 1e-7, rtol: 1e-6, label: `out ${label}` });
          swigluBackward(rt, { n, a: p.a, b: p.b, dout: p.dout, da: p.da, db: p.db });
          const g = ref.swigluBackward(a, b, dout);
          expectClose(mem.read(p.da, n), g.da, { atol: 1e-7, rtol: 1e-6, label: `da ${label}` });
          expectClose(mem.read(p.db, n), g.db, { atol: 1e-7, rtol: 1e-6, label: `db ${label}` });
        }
      }
    }));

  it('dropout: the mask is the stated SplitMix64 draw, kept values are scaled by 1/(1-p), backward applies the same mask', () =>
    withBuffers((mem, rt) => {
      const next = rng(6);
      for (const n of [...WIDTHS, 7 * 65]) {
        // Seeds and offsets up to 2^32 - 1 pass through the core's u32 arguments intact.
        for (const [p, seed, offset] of [[0.1, 12345, 77], [0.5, 2 ** 32 - 1, 2 ** 32 - n], [0.9, 2 ** 31, 2 ** 31 + 5]] as const) {
          const label = `n=${n} p=${p} seed=${seed} offset=${offset}`;
          const x = randomArray(n, next), dout = randomArray(n, next);
          const px = mem.f32(x), out = mem.f32(n), mask = mem.u8(n, 7), pd = mem.f32(dout), dx = mem.f32(n);
          dropoutForward(rt, { n, p, seed, offset, x: px, out, mask });
          const expectedMask = ref.dropoutMask(n, p, seed, offset);
          expect(Array.from(mem.readBytes(mask, n)), label).toEqual(Array.from(expectedMask));
          expect(Array.from(mem.read(out, n)), label).toEqual(fround(ref.applyDropout(x, expectedMask, p)));
          dropoutBackward(rt, { n, p, dout: pd, mask, dx });
          expect(Array.from(mem.read(dx, n)), label).toEqual(fround(ref.applyDropout(dout, expectedMask, p)));
        }
      }
    }));

  it('token-level cross-entropy: B*T rows x V classes, the mean over tokens, and its gradient', () =>
    withBuffers((mem, rt) => {
      const next = rng(7);
      for (const [batch, seq, vocab] of [[1, 1, 1], [2, 7, 65], [3, 5, 17]] as const) {
        const rows = batch * seq, label = `B=${batch} T=${seq} V=${vocab}`;
        const logits = randomArray(rows * vocab, next).map((v) => 5 * v);
        const targets = Array.from({ length: rows }, () => Math.floor(next() * vocab));
        const p = { logits: mem.f32(logits), targets: mem.i32(targets), probs: mem.f32(rows * vocab) };
        const loss = tokenCrossEntropyForward(rt, { rows, vocab, ...p });
        const f = ref.crossEntropyForward(logits, targets, rows, vocab);
        expectClose(loss, f.loss, { atol: 1e-6, rtol: 1e-6, label: `loss ${label}` });
        expectClose(mem.read(p.probs, rows * vocab), f.probs, { atol: 1e-7, rtol: 1e-5, label: `probs ${label}` });
        tokenCrossEntropyBackward(rt, { rows, vocab, probs: p.probs, targets: p.targets, dlogits: p.probs });
        expectClose(mem.read(p.probs, rows * vocab), ref.crossEntropyBackward(logits, targets, rows, vocab), { atol: 1e-7, rtol: 1e-5, label: `dlogits ${label}` });
      }
    }));

  it('what forward saves for backward is exactly the bytes each op file states: all of them written, none beside', () =>
    withBuffers((mem, rt) => {
      const [rows, h, vocab] = [7, 17, 65], next = rng(40), GUARD = 16, FILL = 0xab;
      /** A block of `bytes` between two guard bands, all filled with FILL. */
      const guarded = (bytes: number) => {
        const base = mem.u8(bytes + 2 * GUARD, FILL);
        return {
          ptr: base + GUARD,
          check(label: string) {
            const all = mem.readBytes(base, bytes + 2 * GUARD);
            expect([...all.subarray(0, GUARD), ...all.subarray(GUARD + bytes)].every((b) => b === FILL), `${label}: bytes beside it written`).toBe(true);
            // Every float (or mask byte) inside was written: none still holds the fill pattern.
            const inside = all.subarray(GUARD, GUARD + bytes), step = label === 'dropout mask' ? 1 : 4;
            for (let i = 0; i < bytes; i += step) expect(inside.subarray(i, i + step).every((b) => b === FILL), `${label}: byte ${i} not written`).toBe(false);
          },
        };
      };
      const x = mem.f32(randomArray(rows * h, next)), w = mem.f32(randomArray(h, next)), out = mem.f32(rows * h);
      const ln = guarded(layerNormSavedBytes(rows));
      layerNormForward(rt, { rows, hidden: h, x, weight: w, bias: 0, out, mean: ln.ptr, rstd: ln.ptr + 4 * rows });
      ln.check('LayerNorm mean and rstd');
      const rms = guarded(rmsNormSavedBytes(rows));
      rmsNormForward(rt, { rows, hidden: h, x, weight: w, out, rstd: rms.ptr });
      rms.check('RMSNorm rstd');
      const mask = guarded(dropoutMaskBytes(rows * h, 0.5));
      dropoutForward(rt, { n: rows * h, p: 0.5, seed: 3, x, out, mask: mask.ptr });
      mask.check('dropout mask');
      const probs = guarded(crossEntropySavedBytes(rows, vocab));
      tokenCrossEntropyForward(rt, { rows, vocab, logits: mem.f32(randomArray(rows * vocab, next)), targets: mem.i32(Array(rows).fill(3)), probs: probs.ptr });
      probs.check('cross-entropy probabilities');
    }));

  describe('finite differences of every backward', () => {
    const shapes = [[2, 5], [3, 17]] as const;

    it('embedding: dwte and dwpe', () =>
      withBuffers((mem, rt) => {
        const [batch, seq, h, vocab] = [2, 3, 5, 4], next = rng(8), n = batch * seq * h;
        const ids = [1, 3, 1, 0, 1, 3], r = randomArray(n, next);
        const shape = { batch, seq, hidden: h, vocab };
        const p = { ids: mem.i32(ids), wte: mem.f32(randomArray(vocab * h, next)), wpe: mem.f32(randomArray(seq * h, next)), out: mem.f32(n), dwte: mem.f32(vocab * h), dwpe: mem.f32(seq * h) };
        const loss = () => {
          embeddingForward(rt, { ...shape, ids: p.ids, wte: p.wte, wpe: p.wpe, out: p.out });
          return sumProduct(mem.read(p.out, n), r);
        };
        embeddingBackward(rt, { ...shape, ids: p.ids, dout: mem.f32(r), dwte: p.dwte, dwpe: p.dwpe });
        expectFiniteDifferences(mem, p.wte, vocab * h, loss, mem.read(p.dwte, vocab * h), 'dwte');
        expectFiniteDifferences(mem, p.wpe, seq * h, loss, mem.read(p.dwpe, seq * h), 'dwpe');
      }));

    for (const kind of ['LayerNorm', 'RMSNorm'] as const) {
      it.each(shapes)(`${kind}: dx, dweight and dbias (rows %i, h %i)`, (rows, h) =>
        withBuffers((mem, rt) => {
          const centred = kind === 'LayerNorm', next = rng(9 + h), n = rows * h, r = randomArray(n, next);
          const p = {
            x: mem.f32(randomArray(n, next)), w: mem.f32(randomArray(h, next).map((v) => 1 + v / 2)), b: centred ? mem.f32(randomArray(h, next)) : 0,
            out: mem.f32(n), mean: mem.f32(rows), rstd: mem.f32(rows), dx: mem.f32(n), dw: mem.f32(h), db: mem.f32(h),
          };
          const loss = () => {
            if (centred) layerNormForward(rt, { rows, hidden: h, x: p.x, weight: p.w, bias: p.b, out: p.out, mean: p.mean, rstd: p.rstd });
            else rmsNormForward(rt, { rows, hidden: h, x: p.x, weight: p.w, out: p.out, rstd: p.rstd });
            return sumProduct(mem.read(p.out, n), r);
          };
          loss();
          const common = { rows, hidden: h, x: p.x, weight: p.w, rstd: p.rstd, dout: mem.f32(r), dx: p.dx, dweight: p.dw };
          if (centred) layerNormBackward(rt, { ...common, mean: p.mean, dbias: p.db });
          else rmsNormBackward(rt, common);
          expectFiniteDifferences(mem, p.x, n, loss, mem.read(p.dx, n), `${kind} dx`);
          expectFiniteDifferences(mem, p.w, h, loss, mem.read(p.dw, h), `${kind} dweight`);
          if (centred) expectFiniteDifferences(mem, p.b, h, loss, mem.read(p.db, h), `${kind} dbias`);
        }));
    }

    it.each(shapes)('SwiGLU: da and db (rows %i, h %i)', (rows, h) =>
      withBuffers((mem, rt) => {
        const n = rows * h, next = rng(20 + h), r = randomArray(n, next);
        const p = { a: mem.f32(randomArray(n, next).map((v) => 3 * v)), b: mem.f32(randomArray(n, next)), out: mem.f32(n), da: mem.f32(n), db: mem.f32(n) };
        const loss = () => {
          swigluForward(rt, { n, a: p.a, b: p.b, out: p.out });
          return sumProduct(mem.read(p.out, n), r);
        };
        swigluBackward(rt, { n, a: p.a, b: p.b, dout: mem.f32(r), da: p.da, db: p.db });
        expectFiniteDifferences(mem, p.a, n, loss, mem.read(p.da, n), 'da');
        expectFiniteDifferences(mem, p.b, n, loss, mem.read(p.db, n), 'db');
      }));

    it('dropout: dx (the mask redrawn from the same seed on every forward)', () =>
      withBuffers((mem, rt) => {
        const n = 37, pr = 0.3, next = rng(30), r = randomArray(n, next);
        const p = { x: mem.f32(randomArray(n, next)), out: mem.f32(n), mask: mem.u8(n), dx: mem.f32(n) };
        const loss = () => {
          dropoutForward(rt, { n, p: pr, seed: 9, x: p.x, out: p.out, mask: p.mask });
          return sumProduct(mem.read(p.out, n), r);
        };
        loss();
        dropoutBackward(rt, { n, p: pr, dout: mem.f32(r), mask: p.mask, dx: p.dx });
        expectFiniteDifferences(mem, p.x, n, loss, mem.read(p.dx, n), 'dropout dx');
      }));

    it('residual add: both inputs get dout (no op runs for the fan-out)', () =>
      withBuffers((mem, rt) => {
        const n = 9, next = rng(31), r = randomArray(n, next);
        const p = { a: mem.f32(randomArray(n, next)), b: mem.f32(randomArray(n, next)), out: mem.f32(n) };
        const loss = () => {
          residualAdd(rt, { n, a: p.a, b: p.b, out: p.out });
          return sumProduct(mem.read(p.out, n), r);
        };
        expectFiniteDifferences(mem, p.a, n, loss, r, 'da');
        expectFiniteDifferences(mem, p.b, n, loss, r, 'db');
      }));

    it('token cross-entropy: dlogits over B*T rows', () =>
      withBuffers((mem, rt) => {
        const [rows, vocab] = [2 * 3, 7], next = rng(32);
        const p = { logits: mem.f32(randomArray(rows * vocab, next)), targets: mem.i32([0, 6, 3, 3, 1, 6]), probs: mem.f32(rows * vocab), dlogits: mem.f32(rows * vocab) };
        const loss = () => tokenCrossEntropyForward(rt, { rows, vocab, logits: p.logits, targets: p.targets, probs: p.probs });
        loss();
        tokenCrossEntropyBackward(rt, { rows, vocab, probs: p.probs, targets: p.targets, dlogits: p.dlogits });
        expectFiniteDifferences(mem, p.logits, rows * vocab, loss, mem.read(p.dlogits, rows * vocab), 'dlogits');
      }));
  });
});
