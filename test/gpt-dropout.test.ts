// A GPT with dropout: masks seeded by the model and the step (the same again
// for the same step, so recomputation and finite differences see them), the
// backward pass checked against finite differences with the masks fixed (on
// both attention paths), evaluation without dropout, and the memory-saving
// attention drawing the plain path's attention masks.
import { describe, expect, it } from 'vitest';
import { init, type BuildName } from '../src/index.js';
import { GPT, type GPTOptions } from '../src/gpt/model.js';
import { expectClose } from './helpers/expect-close.js';
import { expectTypedOneLine } from './helpers/refusal.js';
import { rng } from './helpers/rng.js';

const config = { vocab: 7, seq: 6, hidden: 8, heads: 2, layers: 2, dropout: 0.3 };
const r = rng(5);
const rows = () => Array.from({ length: 2 }, () => Array.from({ length: 6 }, () => Math.floor(r() * 7)));
const x = rows(), y = rows();

describe.each(['simd', 'scalar'] as BuildName[])('GPT dropout (%s build)', (build) => {
  it('draws the same masks for the same step (also under block recomputation), others for another seed, none in evaluation', async () => {
    const rt = await init({ build });
    const a = new GPT(rt, config, { seed: 1 }), b = new GPT(rt, config, { seed: 1, recompute: 'blocks' }), plain = new GPT(rt, { ...config, dropout: 0 }, { seed: 1 });
    const la = a.lossAndGradients(x, y).loss;
    expect(a.lossAndGradients(x, y).loss).toBe(la);
    expect(b.lossAndGradients(x, y).loss).toBe(la);
    expect(b.gradients().map((p) => [...p.data])).toEqual(a.gradients().map((p) => [...p.data]));
    const lp = plain.lossAndGradients(x, y).loss;
    expect(la).not.toBe(lp);
    // Evaluation runs without dropout: the loss of the same weights with p = 0.
    expect(a.evaluate(x, y).loss).toBe(plain.evaluate(x, y).loss);
    for (const m of [a, b, plain]) m.dispose();
  });

  it.each([['plain', {}], ['memory-saving', { flashAttention: true }]] as [string, GPTOptions][])('backward equals finite differences of the loss with the masks fixed (%s attention)', async (_, options) => {
    const rt = await init({ build });
    const model = new GPT(rt, config, { seed: 2, ...options });
    model.lossAndGradients(x, y);
    const grads = model.gradients();
    const params = model.parameters();
    // The entries with the largest gradients of a few parameters, across blocks and kinds.
    for (const name of ['transformer.wte.weight', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.1.mlp.c_fc.weight', 'transformer.h.1.ln_2.weight', 'transformer.wpe.weight']) {
      const g = grads.find((p) => p.name === name)!.data;
      const i = g.reduce((best, v, j) => (Math.abs(v) > Math.abs(g[best]!) ? j : best), 0);
      const w = params.find((p) => p.name === name)!.data.slice();
      const at = (delta: number) => {
        const changed = w.slice();
        changed[i] = w[i]! + delta;
        model.setParameters(new Map([[name, changed]]), { strict: false });
        return model.lossAndGradients(x, y).loss;
      };
      const h = 1e-3;
      const numeric = (at(h) - at(-h)) / (2 * h);
      model.setParameters(new Map([[name, w]]), { strict: false });
      expect(Math.abs(numeric - g[i]!), `${name}[${i}]: ${numeric} vs ${g[i]}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(g[i]!));
    }
    model.dispose();
  });

  // T below the block (64), above it and not a multiple of it, a multiple of it.
  it.each([[2, 6, 2], [1, 70, 1], [2, 128, 2]])('the memory-saving attention with dropout equals the plain one: loss and every gradient (batch %i, T %i, %i layers)', async (B, T, layers) => {
    const rt = await init({ build });
    const shape = { vocab: 11, seq: T, hidden: 8, heads: 2, layers, dropout: 0.2 };
    const plain = new GPT(rt, shape, { seed: 3 }), flash = new GPT(rt, shape, { seed: 3, flashAttention: true });
    const next = rng(T);
    const ids = () => Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(next() * 11)));
    const xs = ids(), ys = ids();
    const lp = plain.lossAndGradients(xs, ys).loss, lf = flash.lossAndGradients(xs, ys).loss;
    expectClose(lf, lp, { atol: 0, rtol: 1e-5, label: 'loss' });
    const undropped = new GPT(rt, { ...shape, dropout: 0 }, { seed: 3, flashAttention: true });
    expect(lf).not.toBe(undropped.lossAndGradients(xs, ys).loss);
    const gp = plain.gradients();
    for (const [i, g] of flash.gradients().entries()) {
      const expected = gp[i]!.data, scale = Math.max(...expected.map(Math.abs));
      // 1e-5 relative, and as much of the largest entry absolute (entries that cancel to near 0).
      expectClose(g.data, expected, { atol: 1e-5 * scale, rtol: 1e-5, label: g.name });
    }
    for (const m of [plain, flash, undropped]) m.dispose();
  });

  it('the memory-saving attention redraws the same decisions when its block is recomputed: the same loss and gradients', async () => {
    const rt = await init({ build });
    const a = new GPT(rt, config, { seed: 4, flashAttention: true }), b = new GPT(rt, config, { seed: 4, flashAttention: true, recompute: 'blocks' });
    expect(b.lossAndGradients(x, y).loss).toBe(a.lossAndGradients(x, y).loss);
    expect(b.gradients().map((p) => [...p.data])).toEqual(a.gradients().map((p) => [...p.data]));
    for (const m of [a, b]) m.dispose();
  });

  it('keeps the dropout checks with the memory-saving attention', async () => {
    const rt = await init({ build });
    for (const dropout of [1, -0.1, Number.NaN, '0.1']) {
      let error: unknown;
      try {
        new GPT(rt, { ...config, dropout } as never, { flashAttention: true });
      } catch (e) {
        error = e;
      }
      expectTypedOneLine(error);
      expect((error as Error).message).toMatch(/dropout/);
    }
  });
});
