import { describe, it, expect } from 'vitest';
import {
  OPTIMIZERS,
  PRECISIONS,
  bytesPerParameter,
  modelStateBytes,
  type ModelStateSetup,
  type OptimizerKind,
  type Precision,
} from '../src/estimate/model-states.js';

const total = (b: { weights: number; gradients: number; optimizer: number }) => b.weights + b.gradients + b.optimizer;

describe('modelStateBytes: what one fp32 device allocates (the MLP estimator relies on this)', () => {
  const P = 101_770; // 784-128-10 MLP
  const cases: [OptimizerKind, number][] = [
    ['sgd', 0],
    ['sgd-momentum', 4 * P],
    ['adam', 8 * P],
    ['adamw', 8 * P],
    ['adam-8bit', 2 * P],
  ];
  for (const [optimizer, optimizerBytes] of cases) {
    it(`fp32 ${optimizer}: weights 4P, gradients 4P, optimizer ${optimizerBytes / P}P`, () => {
      expect(modelStateBytes(P, { precision: 'fp32', optimizer })).toEqual({
        weights: 4 * P,
        gradients: 4 * P,
        optimizer: optimizerBytes,
      });
    });
  }

  it('zero parameters cost zero bytes', () => {
    expect(modelStateBytes(0, { precision: 'mixed-bf16', optimizer: 'adam' })).toEqual({ weights: 0, gradients: 0, optimizer: 0 });
  });
});

describe('bytesPerParameter: precision x optimizer table', () => {
  // [weights, gradients, optimizer] per the table in model-states.ts (ZeRO convention).
  const table: Record<Precision, Record<OptimizerKind, [number, number, number]>> = {
    fp32: { sgd: [4, 4, 0], 'sgd-momentum': [4, 4, 4], adam: [4, 4, 8], adamw: [4, 4, 8], 'adam-8bit': [4, 4, 2] },
    'mixed-fp16': { sgd: [2, 2, 4], 'sgd-momentum': [2, 2, 8], adam: [2, 2, 12], adamw: [2, 2, 12], 'adam-8bit': [2, 2, 6] },
    'mixed-bf16': { sgd: [2, 2, 4], 'sgd-momentum': [2, 2, 8], adam: [2, 2, 12], adamw: [2, 2, 12], 'adam-8bit': [2, 2, 6] },
    bf16: { sgd: [2, 2, 0], 'sgd-momentum': [2, 2, 2], adam: [2, 2, 4], adamw: [2, 2, 4], 'adam-8bit': [2, 2, 2] },
  };
  for (const precision of PRECISIONS) {
    for (const optimizer of OPTIMIZERS) {
      const [weights, gradients, optimizerBytes] = table[precision][optimizer];
      it(`${precision} ${optimizer}: ${weights} + ${gradients} + ${optimizerBytes}`, () => {
        expect(bytesPerParameter({ precision, optimizer })).toEqual({ weights, gradients, optimizer: optimizerBytes });
      });
    }
  }

  it('mixed-precision Adam is the ZeRO paper 2 + 2 + K with K = 12: 16 bytes', () => {
    expect(total(bytesPerParameter({ precision: 'mixed-fp16', optimizer: 'adam' }))).toBe(16);
  });
});

describe('ZeRO paper example (Rajbhandari et al. 2019, Fig. 1): Psi = 7.5B, N_d = 64, K = 12', () => {
  const psi = 7.5e9;
  const setup = (zeroStage: 0 | 1 | 2 | 3): ModelStateSetup => ({
    precision: 'mixed-fp16',
    optimizer: 'adam',
    zeroStage,
    dataParallel: 64,
  });
  // The paper prints GB = 1e9 bytes rounded to one decimal; the exact values are below, tolerance 0.05 GB.
  it('baseline (2 + 2 + K) Psi = 120 GB', () => {
    expect(total(modelStateBytes(psi, setup(0)))).toBe(120e9);
  });
  it('stage 1 (P_os): 4 Psi + K Psi / N_d = 31.4 GB', () => {
    const bytes = total(modelStateBytes(psi, setup(1)));
    expect(bytes).toBe(4 * psi + (12 * psi) / 64);
    expect(Math.abs(bytes / 1e9 - 31.4)).toBeLessThan(0.05);
  });
  it('stage 2 (P_os+g): 2 Psi + (2 + K) Psi / N_d = 16.6 GB', () => {
    const bytes = total(modelStateBytes(psi, setup(2)));
    expect(bytes).toBe(2 * psi + (14 * psi) / 64);
    expect(Math.abs(bytes / 1e9 - 16.6)).toBeLessThan(0.05);
  });
  it('stage 3 (P_os+g+p): (2 + 2 + K) Psi / N_d = 1.9 GB', () => {
    const bytes = total(modelStateBytes(psi, setup(3)));
    expect(bytes).toBe((16 * psi) / 64);
    expect(Math.abs(bytes / 1e9 - 1.9)).toBeLessThan(0.05);
  });
  it('each stage shards exactly the category it names', () => {
    expect(modelStateBytes(psi, setup(1))).toEqual({ weights: 2 * psi, gradients: 2 * psi, optimizer: (12 * psi) / 64 });
    expect(modelStateBytes(psi, setup(2))).toEqual({ weights: 2 * psi, gradients: (2 * psi) / 64, optimizer: (12 * psi) / 64 });
    expect(modelStateBytes(psi, setup(3))).toEqual({ weights: (2 * psi) / 64, gradients: (2 * psi) / 64, optimizer: (12 * psi) / 64 });
  });
});

describe('sharding rounds each device up to whole elements', () => {
  it('10 parameters over 4 devices: 3 elements per device', () => {
    expect(modelStateBytes(10, { precision: 'fp32', optimizer: 'adam', zeroStage: 3, dataParallel: 4 })).toEqual({
      weights: 12,
      gradients: 12,
      optimizer: 24,
    });
  });
  it('plain data parallelism (stage 0) replicates everything', () => {
    expect(modelStateBytes(10, { precision: 'fp32', optimizer: 'adam', zeroStage: 0, dataParallel: 4 })).toEqual({
      weights: 40,
      gradients: 40,
      optimizer: 80,
    });
  });
});

describe("Megatron-LM convention (fp32 gradient accumulation)", () => {
  // Megatron-LM theoretical_memory_usage.py: 18 bytes, or 6 + 12/d with the distributed optimizer (bf16);
  // dist_optimizer.md: fp16 params and grads 20 bytes, 4 + 16/d distributed.
  const d = 8;
  const P = 1_000_000;
  it('mixed-bf16 Adam: 18 bytes per parameter, fp32 gradients', () => {
    const b = bytesPerParameter({ precision: 'mixed-bf16', optimizer: 'adam', convention: 'megatron' });
    expect(b).toEqual({ weights: 2, gradients: 4, optimizer: 12 });
    expect(total(b)).toBe(18);
  });
  it('mixed-bf16 Adam with a distributed optimizer (stage 1): 6 + 12/d', () => {
    const bytes = total(modelStateBytes(P, { precision: 'mixed-bf16', optimizer: 'adam', convention: 'megatron', zeroStage: 1, dataParallel: d }));
    expect(bytes).toBe(6 * P + (12 * P) / d);
  });
  it('mixed-fp16 Adam: 20 bytes, 4 + 16/d distributed', () => {
    expect(total(bytesPerParameter({ precision: 'mixed-fp16', optimizer: 'adam', convention: 'megatron' }))).toBe(20);
    const bytes = total(modelStateBytes(P, { precision: 'mixed-fp16', optimizer: 'adam', convention: 'megatron', zeroStage: 1, dataParallel: d }));
    expect(bytes).toBe(4 * P + (16 * P) / d);
  });
  it('fp32: 16 bytes, 8 + 8/d distributed, as under the ZeRO convention', () => {
    const s = { precision: 'fp32', optimizer: 'adam', zeroStage: 1, dataParallel: d } as const;
    expect(modelStateBytes(P, { ...s, convention: 'megatron' })).toEqual(modelStateBytes(P, { ...s, convention: 'zero' }));
    expect(total(modelStateBytes(P, { ...s, convention: 'megatron' }))).toBe(8 * P + (8 * P) / d);
  });
  it("'zero' is the default convention", () => {
    expect(bytesPerParameter({ precision: 'mixed-bf16', optimizer: 'adam' })).toEqual(
      bytesPerParameter({ precision: 'mixed-bf16', optimizer: 'adam', convention: 'zero' }),
    );
  });
});

describe('modelStateBytes rejects bad input by name', () => {
  const ok: ModelStateSetup = { precision: 'fp32', optimizer: 'adam' };
  it('params must be a non-negative integer', () => {
    expect(() => modelStateBytes(-1, ok)).toThrow(/params: expected a non-negative integer parameter count, got -1/);
    expect(() => modelStateBytes(1.5, ok)).toThrow(/params: .* got 1.5/);
    expect(() => modelStateBytes(Number.NaN, ok)).toThrow(/params:/);
  });
  it('unknown precision, optimizer, convention', () => {
    expect(() => modelStateBytes(1, { ...ok, precision: 'fp8' as Precision })).toThrow(/precision: expected one of fp32, mixed-fp16, mixed-bf16, bf16, got 'fp8'/);
    expect(() => modelStateBytes(1, { ...ok, optimizer: 'lion' as OptimizerKind })).toThrow(/optimizer: expected one of .* got 'lion'/);
    expect(() => modelStateBytes(1, { ...ok, convention: 'colossal' as 'zero' })).toThrow(/convention: expected one of zero, megatron, deepspeed, got 'colossal'/);
  });
  it('ZeRO stage outside 0..3', () => {
    expect(() => modelStateBytes(1, { ...ok, zeroStage: 4 as 3, dataParallel: 2 })).toThrow(/zeroStage: expected one of 0, 1, 2, 3, got 4/);
  });
  it('data-parallel degree must be a positive integer', () => {
    expect(() => modelStateBytes(1, { ...ok, dataParallel: 0 })).toThrow(/dataParallel: expected a positive integer, got 0/);
    expect(() => modelStateBytes(1, { ...ok, dataParallel: 2.5 })).toThrow(/dataParallel: .* got 2.5/);
  });
  it('ZeRO without data parallelism', () => {
    expect(() => modelStateBytes(1, { ...ok, zeroStage: 2 })).toThrow(/zeroStage: stage 2 shards model states over data-parallel devices, but the data-parallel degree is 1/);
  });
});
