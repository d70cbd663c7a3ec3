// Activation recomputation (SequentialOptions.checkpoint): training with it is
// bit-identical to training without; it lowers saved activation memory and
// costs exactly the recomputed Linears' forward MACs, both measured in the
// core; bad `checkpoint` lists are refused by the model, the estimator and the
// profiler alike; and `wasmgrad profile --checkpoint` reports it.
//
// The CLI case runs dist/src/cli.js: build first with `npx tsc -p tsconfig.json`.

import { describe, expect, it } from 'vitest';
import {
  Adam,
  ArgumentError,
  init,
  Linear,
  activation,
  Sequential,
  layerName,
  type ActivationKind,
  type BuildName,
  type LayerSpec,
  type LossKind,
} from '../src/index.js';
import { mlp as buildMlp } from '../src/nn/layers.js';
import { CATEGORIES } from '../src/memory/categories.js';
import { formatInteger } from '../src/estimate/units.js';
import { mlpGemmMacs, mlpLayerCosts, mlpTrainingEvents } from '../src/estimate/mlp.js';
import { type MlpProfile, profileMlp } from '../src/profile/profile-mlp.js';
import { runCli } from './helpers/cli.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

const mlp = (sizes: number[], act: ActivationKind, bias = true): LayerSpec[] => buildMlp(sizes, act, { bias });

/** The float32 bit patterns, so -0 vs 0 and every last ulp count. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

interface Case { name: string; layers: LayerSpec[]; checkpoint: number[]; loss?: LossKind; inplace?: boolean; batch: number }

const CASES: Case[] = [
  { name: '20-16-12-5 relu, checkpoint 1', layers: mlp([20, 16, 12, 5], 'relu'), checkpoint: [1], batch: 9 },
  { name: '20-16-12-5 gelu, every activation', layers: mlp([20, 16, 12, 5], 'gelu'), checkpoint: [1, 3], batch: 9 },
  { name: '11-13-7-6-3 leaky, no bias, checkpoint 3,5', layers: mlp([11, 13, 7, 6, 3], 'leaky_relu', false), checkpoint: [3, 5], batch: 5 },
  { name: '11-13-7-6-3 tanh in place, every activation, mse', layers: mlp([11, 13, 7, 6, 3], 'tanh'), checkpoint: [5, 1, 3], loss: 'mse', inplace: true, batch: 4 },
  { name: '8-10-4 sigmoid in place, checkpoint 1', layers: mlp([8, 10, 4], 'sigmoid'), checkpoint: [1], inplace: true, batch: 6 },
  { name: '8-10-4 gelu_tanh mse, checkpoint 1', layers: mlp([8, 10, 4], 'gelu_tanh'), checkpoint: [1], loss: 'mse', batch: 3 },
];

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('checkpointed training is bit-identical (%s build)', (build) => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: loss, gradients, input gradient and parameters over 3 Adam steps', async (_n, c) => {
    const rt = await init({ build });
    const loss = c.loss ?? 'cross_entropy';
    const plain = new Sequential(rt, c.layers, { seed: 5, loss, inplace: c.inplace });
    const checkpointed = new Sequential(rt, c.layers, { seed: 5, loss, inplace: c.inplace, checkpoint: c.checkpoint });
    const initial = plain.parameters();
    const [optPlain, optCheckpointed] = [new Adam({ lr: 1e-2 }), new Adam({ lr: 1e-2 })];
    const next = rng(17);
    try {
      for (let step = 0; step < 3; step++) {
        const x = randomArray(c.batch * plain.inFeatures, next);
        const target =
          loss === 'cross_entropy'
            ? Int32Array.from({ length: c.batch }, () => Math.floor(next() * plain.outFeatures))
            : randomArray(c.batch * plain.outFeatures, next);

        const a = plain.lossAndGradients(x, target, { inputGradient: true });
        rt.arena.startLog();
        const b = checkpointed.lossAndGradients(x, target, { inputGradient: true });
        const events = rt.arena.stopLog();
        expect(Object.is(b.loss, a.loss)).toBe(true);
        expect(bits(b.inputGradient!)).toEqual(bits(a.inputGradient!));
        checkpointed.gradients().forEach((g, i) => expect(bits(g.data), g.name).toEqual(bits(plain.gradients()[i]!.data)));
        // The recomputation really ran: backward re-allocated saved tensors (`activations`),
        // which it never does otherwise, for each checkpointed activation or the Linear feeding it.
        for (const j of c.checkpoint) {
          const names = [layerName(checkpointed.layers[j - 1]!, j - 1), layerName(checkpointed.layers[j]!, j)];
          const recomputed = events.filter((e) => names.includes(e.layer) && e.phase === 'backward' && e.kind === 'alloc' && e.category === 'activations');
          expect(recomputed.length, `recompute of layer ${j}`).toBeGreaterThan(0);
        }

        const lossPlain = plain.trainStep(x, target, optPlain);
        const lossCheckpointed = checkpointed.trainStep(x, target, optCheckpointed);
        expect(Object.is(lossCheckpointed, lossPlain)).toBe(true);
        checkpointed.gradients().forEach((g, i) => expect(bits(g.data), g.name).toEqual(bits(plain.gradients()[i]!.data)));
        checkpointed.parameters().forEach((p, i) => expect(bits(p.data), p.name).toEqual(bits(plain.parameters()[i]!.data)));
      }
      // The steps moved the parameters, so the comparison above compared trained values.
      expect(bits(plain.parameters()[0]!.data)).not.toEqual(bits(initial[0]!.data));
    } finally {
      plain.dispose();
      checkpointed.dispose();
    }
  });
});

/** Highest total live bytes (all categories) over the last step's forward-phase events. */
function forwardPeak(p: MlpProfile): number {
  return Math.max(
    ...p.events
      .slice(p.stepStarts[p.stepStarts.length - 1])
      .filter((e) => e.phase === 'forward')
      .map((e) => CATEGORIES.reduce((s, k) => s + e.live[k], 0)),
  );
}

/** Live bytes per category when the last step's forward pass ends (what backward starts from). */
function liveAfterForward(p: MlpProfile) {
  const step = p.events.slice(p.stepStarts[p.stepStarts.length - 1]);
  const firstBackward = step.findIndex((e) => e.phase === 'backward');
  return step[firstBackward - 1]!.live;
}

describe('what checkpointing trades, measured in the core', () => {
  it('784-100-10 ReLU, checkpoint 1: saves the ReLU output, re-runs Linear 0 forward', async () => {
    const layers = mlp([784, 100, 10], 'relu');
    const B = 64;
    const base = await profileMlp({ layers, batch: B, optimizer: 'adam', build: 'simd' });
    const ck = await profileMlp({ layers, batch: B, optimizer: 'adam', build: 'simd', checkpoint: [1] });

    // Without: the ReLU output and the softmax probabilities are held together at the end of
    // forward. With: only the probabilities; the ReLU output comes back in backward, after they are freed.
    expect(liveAfterForward(base).activations).toBe(4 * B * 100 + 4 * B * 10);
    expect(liveAfterForward(ck).activations).toBe(4 * B * 10);
    expect(base.measured.peak.activations).toBe(4 * B * 100 + 4 * B * 10);
    expect(ck.measured.peak.activations).toBe(4 * B * 100);

    // The per-layer costs say the same: relu1 saves nothing, linear0 is recomputed once.
    const costs = mlpLayerCosts(layers, B, { checkpoint: [1] });
    expect(costs[1]!.savedBytes).toBe(0);
    expect(mlpLayerCosts(layers, B)[1]!.savedBytes).toBe(4 * B * 100);
    expect(costs.map((l) => l.macsRecompute)).toEqual([costs[0]!.macsForward, 0, 0]);
    expect(costs[0]!.macsRecompute).toBe(B * (784 * 100 + 100));

    // The core's GEMM counter: exactly one more B x 784 x 100 product per step (the bias add is not a GEMM).
    expect(ck.gemmMacs.measured - base.gemmMacs.measured).toBe(costs[0]!.macsRecompute - B * 100);
    expect(ck.gemmMacs.measured).toBe(ck.gemmMacs.estimated);
  });

  it('12-9-8-7-4 ReLU without bias, checkpoint 1,5: lower activation and forward peaks, recompute MACs exact', async () => {
    const layers = mlp([12, 9, 8, 7, 4], 'relu', false);
    const B = 32;
    const base = await profileMlp({ layers, batch: B, optimizer: 'sgd', build: 'simd' });
    const ck = await profileMlp({ layers, batch: B, optimizer: 'sgd', build: 'simd', checkpoint: [1, 5] });

    expect(ck.measured.peak.activations).toBeLessThan(base.measured.peak.activations);
    expect(forwardPeak(ck)).toBeLessThan(forwardPeak(base));
    // Held at the end of forward: the two checkpointed ReLU outputs (B x 9, B x 7 floats) fewer.
    expect(liveAfterForward(base).activations - liveAfterForward(ck).activations).toBe(4 * B * (9 + 7));

    const costs = mlpLayerCosts(layers, B, { checkpoint: [1, 5] });
    const recompute = costs.reduce((s, l) => s + l.macsRecompute, 0);
    expect(recompute).toBe(B * 12 * 9 + B * 8 * 7);
    // Without bias, torchinfo MACs and GEMM MACs coincide: the counter rises by exactly the recompute MACs.
    expect(ck.gemmMacs.measured - base.gemmMacs.measured).toBe(recompute);
    expect(mlpGemmMacs(layers, B, [1, 5]) - mlpGemmMacs(layers, B)).toBe(recompute);
  });
});

describe('bad checkpoint lists', () => {
  const layers = mlp([6, 5, 4, 3], 'relu'); // linear0 relu1 linear2 relu3 linear4
  const BAD: [string, unknown, RegExp][] = [
    ['a Linear', [0], /checkpoint\[0\] is layer 0, a Linear; only activation layers can be checkpointed \(this model's activation layers are 1, 3\)/],
    ['past the last layer', [1, 5], /checkpoint\[1\] must be a layer index in \[0, 4\], got 5; this model's activation layers are 1, 3/],
    ['negative', [-1], /checkpoint\[0\] must be a layer index in \[0, 4\], got -1/],
    ['not an integer', [1.5], /checkpoint\[0\] must be a layer index in \[0, 4\], got 1.5/],
    ['a duplicate', [3, 1, 3], /checkpoint lists layer 3 \(relu3\) twice/],
    ['not an array', '1,3', /checkpoint must be an array of activation-layer indices, got "1,3"/],
  ];

  it.each(BAD)('%s: the model refuses it before allocating anything', async (_n, checkpoint, message) => {
    const rt = await init({ build: 'simd' });
    const before = rt.arena.liveByCategory();
    const make = () => new Sequential(rt, layers, { checkpoint: checkpoint as number[] });
    expect(make).toThrow(ArgumentError);
    expect(make).toThrow(message);
    expect(rt.arena.liveByCategory()).toEqual(before);
  });

  it.each(BAD)('%s: the estimator and the profiler refuse it with the same message', async (_n, checkpoint, message) => {
    const cp = checkpoint as number[];
    expect(() => mlpTrainingEvents({ layers, batches: [4], optimizer: 'adam', checkpoint: cp })).toThrow(message);
    expect(() => mlpLayerCosts(layers, 4, { checkpoint: cp })).toThrow(message);
    expect(() => mlpGemmMacs(layers, 4, cp)).toThrow(message);
    await expect(profileMlp({ layers, batch: 4, checkpoint: cp, build: 'simd' })).rejects.toThrow(message);
  });

  it('a model without activations has nothing to checkpoint', async () => {
    const rt = await init({ build: 'simd' });
    expect(() => new Sequential(rt, [Linear(4, 3), Linear(3, 2)], { checkpoint: [1] })).toThrow(
      /checkpoint\[0\] is layer 1, a Linear; only activation layers can be checkpointed \(this model has no activation layers\)/,
    );
  });

  it('the model keeps its checkpoint list sorted', async () => {
    const m = new Sequential(await init({ build: 'simd' }), layers, { checkpoint: [3, 1] });
    expect(m.checkpoint).toEqual([1, 3]);
    m.dispose();
  });
});

describe('wasmgrad profile --checkpoint (node dist/src/cli.js)', () => {
  const run = runCli;

  it('--layers 50,40,30,10 --checkpoint 1,3 --json reports the recomputation', async () => {
    const r = await run(['profile', '--layers', '50,40,30,10', '--checkpoint', '1,3', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const B = 64;
    expect(j.setup.checkpoint).toEqual([1, 3]);
    expect(j.setup.inplace).toBe(false);
    // Linear 0 (50 -> 40) and Linear 2 (40 -> 30) run forward again, bias included.
    expect(j.macs.recompute).toBe(B * (50 * 40 + 40) + B * (40 * 30 + 30));
    expect(j.layers.map((l: { macsRecompute: number }) => l.macsRecompute)).toEqual([B * (50 * 40 + 40), 0, B * (40 * 30 + 30), 0, 0]);
    for (const i of [1, 3]) expect(j.layers[i].savedBytes).toEqual({ measured: 0, estimated: 0 });
    // Without checkpointing the two ReLU outputs (B x 40, B x 30 floats) would be saved.
    expect(j.savedBytes).toEqual({ measured: 0, estimated: 0, withoutCheckpoint: 4 * B * (40 + 30), avoided: 4 * B * (40 + 30) });
    expect(j.macs.gemmCounted.measured).toBe(j.macs.gemmCounted.estimated);
    expect(j.categories.total.measured).toBe(j.categories.total.estimated);
    expect(j.categories.activations.measured).toBe(j.categories.activations.estimated);

    const table = await run(['profile', '--layers', '50,40,30,10', '--checkpoint', '1,3', '--inplace']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('in-place activations | checkpoint 1,3\n');
    // The table wraps long sentences at 100 columns.
    expect(table.stdout.replace(/\s+/g, ' ')).toContain(
      `Checkpointed relu1, relu3: forward saves 0 B instead of ${formatInteger(4 * B * 70)} B (${formatInteger(4 * B * 70)} B avoided); ` +
        `backward recomputes them for ${formatInteger(B * (50 * 40 + 40) + B * (40 * 30 + 30))} extra forward MACs`,
    );
  });

  it('--checkpoint naming a Linear exits 2 and says why', async () => {
    const r = await run(['profile', '--layers', '50,40,30,10', '--checkpoint', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("checkpoint[0] is layer 2, a Linear; only activation layers can be checkpointed (this model's activation layers are 1, 3)");
    expect(r.stdout).toBe('');
  });
});
