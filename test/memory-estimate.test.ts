// Training memory, measured in the core's allocator vs estimated from the
// description alone: equal event for event and to the byte, over many configurations.

import { describe, expect, it } from 'vitest';
import { Linear, activation, init, type ActivationKind, type BuildName, type LayerSpec } from '../src/index.js';
import { mlp as buildMlp } from '../src/nn/layers.js';
import { CATEGORIES } from '../src/memory/categories.js';
import { gemmWorkspaceBytes } from '../src/memory/gemm-workspace.js';
import { MLP_OPTIMIZERS, mlpLayerCosts, summarizeEvents } from '../src/estimate/mlp.js';
import { profileMlp } from '../src/profile/profile-mlp.js';
import { profileDocument, renderProfileTable } from '../src/report/profile-report.js';
import { rng } from './helpers/rng.js';

const mlp = (sizes: number[], act: ActivationKind, bias = true): LayerSpec[] => buildMlp(sizes, act, { bias });

const CONFIGS: { name: string; layers: LayerSpec[]; batches: number[]; loss?: 'cross_entropy' | 'mse'; inplace?: boolean; checkpoint?: number[] }[] = [
  { name: '784-100-10 relu, 64 then a partial 17', layers: mlp([784, 100, 10], 'relu'), batches: [64, 17] },
  { name: '13-7-5-3 gelu', layers: mlp([13, 7, 5, 3], 'gelu'), batches: [5, 5, 2] },
  { name: '9-6-4 leaky, no bias', layers: mlp([9, 6, 4], 'leaky_relu', false), batches: [3, 1] },
  { name: '10-20-20-2 tanh mse', layers: mlp([10, 20, 20, 2], 'tanh'), batches: [8, 8], loss: 'mse' },
  { name: '6-8-3 sigmoid in place', layers: mlp([6, 8, 3], 'sigmoid'), batches: [4, 4], inplace: true },
  { name: '300-70-70-9 relu in place, growing batch', layers: mlp([300, 70, 70, 9], 'relu'), batches: [16, 80, 7], inplace: true },
  { name: 'Linear fed by Linear', layers: [Linear(5, 4), Linear(4, 3)], batches: [6, 6] },
  { name: '5-12-3 gelu_tanh mse', layers: mlp([5, 12, 3], 'gelu_tanh'), batches: [2, 2], loss: 'mse' },
  { name: '11-16-8-5 silu, in place asked (SiLU reads its input, so it allocates)', layers: mlp([11, 16, 8, 5], 'silu'), batches: [7, 3], inplace: true },
  { name: '11-16-8-5 silu mse', layers: mlp([11, 16, 8, 5], 'silu'), batches: [4, 4], loss: 'mse' },
  // Activation recomputation: one layer, every layer, in place, saved input (GELU, LeakyReLU), MSE.
  { name: '784-100-10 relu, checkpoint 1', layers: mlp([784, 100, 10], 'relu'), batches: [64, 17], checkpoint: [1] },
  { name: '13-7-5-3 gelu, checkpoint 3', layers: mlp([13, 7, 5, 3], 'gelu'), batches: [5, 2], checkpoint: [3] },
  { name: '13-7-5-3 gelu, checkpoint every activation', layers: mlp([13, 7, 5, 3], 'gelu'), batches: [5, 2], checkpoint: [3, 1] },
  { name: '12-9-8-7-4 relu, checkpoint 1,5', layers: mlp([12, 9, 8, 7, 4], 'relu'), batches: [6, 3], checkpoint: [1, 5] },
  { name: '12-9-8-7-4 relu in place, checkpoint every activation', layers: mlp([12, 9, 8, 7, 4], 'relu'), batches: [6, 3], inplace: true, checkpoint: [1, 3, 5] },
  { name: '300-70-70-9 tanh in place, checkpoint 3', layers: mlp([300, 70, 70, 9], 'tanh'), batches: [16, 80], inplace: true, checkpoint: [3] },
  { name: '9-6-5-4 leaky no bias in place, checkpoint 1,3', layers: mlp([9, 6, 5, 4], 'leaky_relu', false), batches: [3, 1], inplace: true, checkpoint: [1, 3] },
  { name: '10-20-20-2 sigmoid mse, checkpoint every activation', layers: mlp([10, 20, 20, 2], 'sigmoid'), batches: [8, 8], loss: 'mse', checkpoint: [1, 3] },
  { name: '5-12-3 gelu_tanh mse, checkpoint 1', layers: mlp([5, 12, 3], 'gelu_tanh'), batches: [2, 2], loss: 'mse', checkpoint: [1] },
  { name: '11-16-8-5 silu, checkpoint 3', layers: mlp([11, 16, 8, 5], 'silu'), batches: [7, 3], checkpoint: [3] },
];

describe.each(['simd', 'scalar'] as BuildName[])('measured == estimated (%s build)', (build) => {
  describe.each(CONFIGS.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    it.each(MLP_OPTIMIZERS.map((o) => [o]))('%s', async (optimizer) => {
      const p = await profileMlp({ layers: c.layers, batches: c.batches, optimizer, loss: c.loss, inplace: c.inplace, checkpoint: c.checkpoint, build });
      // Event for event: same order, categories, sizes, layers and phases.
      const measured = p.events.map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase]);
      const estimated = p.estimatedEvents.map((e) => [e.kind, e.category, e.bytes, e.layer, e.phase]);
      expect(measured).toEqual(estimated);
      // Categories and peaks to the byte, from the allocator's own counters.
      expect(p.measured.live).toEqual(p.estimated.live);
      expect(p.measured.peak).toEqual(p.estimated.peak);
      expect(p.measured.peakTotal).toBe(p.estimated.peakTotal);
      expect(p.measured.atPeak).toEqual(p.estimated.atPeak);
      expect(p.measured.peakEvent).toBe(p.estimated.peakEvent);
      // The event log's running sums equal the allocator's counters.
      const last = p.events[p.events.length - 1]!.live;
      expect(last).toEqual(p.measured.live);
      expect(summarizeEvents(p.events).peak).toEqual(p.measured.peak);
      // Categories plus runtime add up to what WASM holds.
      const total = CATEGORIES.reduce((s, k) => s + p.measured.live[k], 0);
      expect(total + p.measured.runtimeBytes).toBe(p.measured.memoryBytes);
      // The GEMM MACs the core counted equal the layer arithmetic.
      expect(p.gemmMacs.measured).toBe(p.gemmMacs.estimated);
    });
  });
});

describe('the reference example: 784-100-10, ReLU, batch 64, Adam', () => {
  it('comes out exactly', async () => {
    const layers = mlp([784, 100, 10], 'relu');
    const costs = mlpLayerCosts(layers, 1);
    expect(costs[0]!.parameters).toBe(78_400 + 100);
    expect(costs[0]!.macsForward - 100).toBe(78_400); // weight MACs of one sample
    expect(costs[0]!.naiveBytes).toBe(3 * 4 * (78_400 + 100));
    const p = await profileMlp({ layers, batch: 64, optimizer: 'adam', build: 'simd' });
    const P = 79_510;
    expect(p.parameters).toBe(P);
    expect(p.measured.live.weights).toBe(4 * P);
    expect(p.measured.live.gradients).toBe(4 * P);
    expect(p.measured.live.optimizer).toBe(8 * P);
    // Saved for backward: ReLU output 64x100 and softmax probabilities 64x10.
    expect(p.measured.peak.activations).toBe(4 * 64 * 100 + 4 * 64 * 10);
    expect(p.measured.peak.inputs).toBe(4 * 64 * 784 + 4 * 64);
  });
});

describe('GEMM workspace formula', () => {
  it('equals the core over random shapes', async () => {
    const rt = await init({ build: 'simd' });
    const next = rng(3);
    for (let t = 0; t < 500; t++) {
      const [m, n, k] = [0, 0, 0].map(() => Math.floor(next() ** 2 * 1500));
      expect(gemmWorkspaceBytes(m!, n!, k!, 'simd', rt.threads)).toBe(rt.core.gemmScratchBytes(m!, n!, k!));
    }
    const scalar = await init({ build: 'scalar' });
    expect(scalar.core.gemmScratchBytes(100, 100, 100)).toBe(0);
  });
});

describe('memory limits', () => {
  it('refuses a model that cannot fit in wasm32 before allocating, naming the bytes and the limit', async () => {
    await expect(profileMlp({ layers: mlp([50_000, 30_000, 10], 'relu'), batch: 64, optimizer: 'adam' })).rejects.toThrow(
      /needs \d{1,3}(,\d{3})+ bytes at its peak; WASM memory \(wasm32\) holds at most 4,294,967,296 bytes/,
    );
  });
});

describe('the profile report', () => {
  it('takes each measured figure from the log and each estimated one from the description', async () => {
    const layers = mlp([784, 100, 10], 'relu');
    const p = await profileMlp({ layers, batch: 64, optimizer: 'adam', build: 'simd' });
    const lossRow = (text: string) => text.split('\n').find((l) => l.startsWith('loss '))!.trim().split(/\s{2,}/);
    expect(lossRow(renderProfileTable(profileDocument(p, layers)))).toEqual(['loss', '[64, 10]', '2,560', '2,560']);
    // A log without the softmax probabilities: only the measured side changes.
    const tampered = { ...p, events: p.events.filter((e) => !(e.layer === 'loss' && e.category === 'activations')) };
    expect(lossRow(renderProfileTable(profileDocument(tampered, layers)))).toEqual(['loss', '[64, 10]', '0', '2,560']);
    expect(profileDocument(tampered, layers).loss.savedBytes).toEqual({ measured: 0, estimated: 2_560 });
  });
});
