// The training core against PyTorch: forward values, loss, every parameter
// gradient, the input gradient, and parameters after 3 steps of each optimizer,
// from the committed fixture (test/golden/make_golden.py). Every build.
//
// Tolerance: |actual - expected| <= 1e-6 + 1e-5 * |expected| (float32; the
// absolute term covers values near 0, where a relative bound means nothing).

import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { Adam, AdamW, SGD, Sequential, activation, init, Linear, type BuildName, type LayerSpec, type Optimizer } from '../src/index.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';

enableRelaxedSimdForTests();

interface Named { name: string; shape: number[]; data: number[] }
interface OptimRun { optimizer: string; label: string; options: Record<string, unknown>; losses: number[]; params_after: Named[] }
interface GoldenCase {
  name: string; layers: number[]; activation: string; negative_slope?: number; loss: 'cross_entropy' | 'mse';
  batch: number; bias: boolean[]; input: number[]; labels?: number[]; targets?: number[];
  params: Named[]; output: number[]; loss_value: number; grads: Named[]; input_grad: number[]; optim: OptimRun[];
}

const golden = JSON.parse(readFileSync(new URL('./golden/golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const TOL = { atol: 1e-6, rtol: 1e-5 };

export function layersOf(c: GoldenCase): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let i = 0; i + 1 < c.layers.length; i++) {
    if (i > 0) layers.push(activation(c.activation as never, c.negative_slope ?? 0.01));
    layers.push(Linear(c.layers[i]!, c.layers[i + 1]!, { bias: c.bias[i] }));
  }
  return layers;
}

function optimizerOf(run: OptimRun): Optimizer {
  const o = run.options as { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weight_decay: number; betas?: [number, number]; eps?: number };
  if (run.optimizer === 'sgd') return new SGD({ lr: o.lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weight_decay });
  const opts = { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay };
  return run.optimizer === 'adam' ? new Adam(opts) : new AdamW(opts);
}

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('training core vs PyTorch (%s build)', (build) => {
  describe.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const target = c.loss === 'cross_entropy' ? c.labels! : c.targets!;
    const model = async () => {
      const m = new Sequential(await init({ build }), layersOf(c), { loss: c.loss });
      m.setParameters(c.params);
      return m;
    };

    it('forward, loss, parameter gradients and input gradient', async () => {
      const m = await model();
      expectClose(m.predict(c.input), c.output, { ...TOL, label: 'output' });
      const { loss, inputGradient } = m.lossAndGradients(c.input, target, { inputGradient: true });
      expectClose(loss, c.loss_value, { ...TOL, label: 'loss' });
      const grads = m.gradients();
      c.grads.forEach((g, i) => expectClose(grads[i]!.data, g.data, { ...TOL, label: `grad ${g.name}` }));
      expectClose(inputGradient!, c.input_grad, { ...TOL, label: 'input gradient' });
      m.dispose();
    });

    it.each(c.optim.map((r) => [r.label, r] as const))('3 steps of %s', async (_label, run) => {
      const m = await model();
      const opt = optimizerOf(run);
      const losses = [0, 1, 2].map(() => m.trainStep(c.input, target, opt));
      expectClose(losses, run.losses, { ...TOL, label: 'losses' });
      const params = m.parameters();
      run.params_after.forEach((p, i) => expectClose(params[i]!.data, p.data, { ...TOL, label: `${run.label} ${p.name}` }));
      opt.dispose();
      m.dispose();
    });
  });
});
