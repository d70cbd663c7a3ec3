// A GPT with dropout: masks seeded by the model and the step (the same again
// for the same step, so recomputation and finite differences see them), the
// backward pass checked against finite differences with the masks fixed, and
// evaluation without dropout.
import { describe, expect, it } from 'vitest';
import { init, type BuildName } from '../src/index.js';
import { GPT } from '../src/gpt/model.js';
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

  it('backward equals finite differences of the loss with the masks fixed', async () => {
    const rt = await init({ build });
    const model = new GPT(rt, config, { seed: 2 });
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

  it('refuses dropout with the memory-saving attention, naming it', async () => {
    const rt = await init({ build });
    let error: unknown;
    try {
      new GPT(rt, config, { flashAttention: true });
    } catch (e) {
      error = e;
    }
    expectTypedOneLine(error);
    expect((error as Error).message).toMatch(/memory-saving attention has no dropout/);
  });
});
