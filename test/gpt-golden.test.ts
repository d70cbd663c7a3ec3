// A GPT trained in the core against the reference PyTorch module
// (test/fixtures/gpt/make_golden.py): the loss, every gradient and three
// AdamW steps, for GELU + LayerNorm + tied head and SwiGLU + RMSNorm +
// untied head without bias, on the plain and the memory-saving attention
// and with whole-block recomputation, on every build.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AdamW, init, type BuildName } from '../src/index.js';
import { type GPTConfigInput } from '../src/gpt/config.js';
import { GPT, type GPTOptions } from '../src/gpt/model.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';

const CASES = ['gelu_layernorm_tied', 'swiglu_rmsnorm_untied_nobias'];
const PATHS: [string, GPTOptions][] = [['plain attention', {}], ['memory-saving attention', { flashAttention: true }], ['block recomputation', { recompute: 'blocks' }]];
// float32 through a few layers: PyTorch's and the core's sums round differently.
const TOL = { atol: 1e-7, rtol: 1e-5 };
// Adam's update lr·m/(√v + eps) magnifies a gradient's rounding where |g| is
// near eps: after an update parameters agree within 1e-3·lr.
const STEP_TOL = { atol: 1e-5, rtol: 1e-4 };

function golden(name: string) {
  const file = readSafetensors(readFileSync(new URL(`./fixtures/gpt/golden_${name}.safetensors`, import.meta.url)));
  const t = new Map(file.tensors.map((x) => [x.name, x]));
  const config = JSON.parse(file.metadata['wasmgrad.gpt.config']!) as GPTConfigInput & { seq: number };
  const adamw = JSON.parse(file.metadata['wasmgrad.gpt.adamw']!) as { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  const rows = (key: string) => {
    const d = t.get(key)!;
    return Array.from({ length: d.shape[0]! }, (_, r) => Array.from(d.data.subarray(r * d.shape[1]!, (r + 1) * d.shape[1]!)));
  };
  const group = (prefix: string) => new Map(file.tensors.filter((x) => x.name.startsWith(prefix)).map((x) => [x.name.slice(prefix.length), x.data]));
  return {
    config, adamw, tokens: rows('tokens'), targets: rows('targets'), loss: t.get('loss')!.data[0]!, logits: t.get('logits')!.data, init: group('init.'), grad: group('grad.'),
    steps: [1, 2, 3].map((k) => group(`step${k}.`)), groupSteps: [1, 2, 3].map((k) => group(`groups.step${k}.`)),
  };
}

/**
 * The key part of c_attn's bias, left out of the AdamW comparison: adding a
 * constant to every key shifts each row of scores by a constant, which the
 * softmax ignores, so its gradient is exactly zero and both sides compute
 * rounding noise of about 1e-9 (checked against zero with the gradients).
 * Adam divides that noise by its own root mean square, so the two updates
 * agree in size, not in sign.
 */
function withoutKeyBias(name: string, x: Float32Array, hidden: number): Float32Array {
  if (!name.endsWith('attn.c_attn.bias')) return x;
  return Float32Array.from([...x.subarray(0, hidden), ...x.subarray(2 * hidden)]);
}

enableRelaxedSimdForTests();

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('GPT against PyTorch (%s build)', (build) => {
  describe.each(CASES)('%s', (name) => {
    it.each(PATHS)('%s: loss, every gradient, three AdamW steps', async (_, options) => {
      const g = golden(name);
      const rt = await init({ build });
      const model = new GPT(rt, g.config, options);
      model.setParameters(g.init);
      expectClose(model.logits(g.tokens), g.logits, { ...TOL, label: 'logits' });
      const { loss } = model.lossAndGradients(g.tokens, g.targets);
      expect(Math.abs(loss - g.loss) / g.loss).toBeLessThan(1e-5);
      for (const p of model.gradients()) expectClose(p.data, g.grad.get(p.name)!, { ...TOL, label: `grad ${p.name}` });
      model.setParameters(g.init);
      const opt = new AdamW({ lr: g.adamw.lr, betas: g.adamw.betas, eps: g.adamw.eps, weightDecay: g.adamw.weight_decay });
      for (const [k, expected] of g.steps.entries()) {
        model.trainStep(g.tokens, g.targets, opt);
        for (const p of model.parameters()) {
          const [actual, wanted] = [p.data, expected.get(p.name)!].map((x) => withoutKeyBias(p.name, x, g.config.hidden));
          expectClose(actual!, wanted!, { ...STEP_TOL, label: `step ${k + 1} ${p.name}` });
        }
      }
      opt.dispose();
      model.dispose();
    });

    it("nanoGPT's weight-decay groups (matrices and embeddings only): three AdamW steps", async () => {
      const g = golden(name);
      const rt = await init({ build });
      const model = new GPT(rt, g.config, { weightDecay: 'matrices' });
      model.setParameters(g.init);
      const opt = new AdamW({ lr: g.adamw.lr, betas: g.adamw.betas, eps: g.adamw.eps, weightDecay: g.adamw.weight_decay });
      for (const [k, expected] of g.groupSteps.entries()) {
        model.trainStep(g.tokens, g.targets, opt);
        for (const p of model.parameters()) {
          const [actual, wanted] = [p.data, expected.get(p.name)!].map((x) => withoutKeyBias(p.name, x, g.config.hidden));
          expectClose(actual!, wanted!, { ...STEP_TOL, label: `step ${k + 1} ${p.name}` });
        }
      }
      // The groups differ where it shows: an undecayed norm weight is not the one-group value.
      const norm = model.parameters().find((p) => p.name === 'transformer.ln_f.weight')!.data;
      expect(Math.max(...norm.map((v, i) => Math.abs(v - g.steps[2]!.get('transformer.ln_f.weight')![i]!)))).toBeGreaterThan(1e-5);
      opt.dispose();
      model.dispose();
    });
  });
});
