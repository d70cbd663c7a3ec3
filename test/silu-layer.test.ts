// SiLU arrived as one layer module (src/nn/layers/silu.ts), one registry line
// and its core kernel: the command line, the profile and the estimator know it
// with no edit of their own.

import { describe, expect, it } from 'vitest';
import { describeLayers, init, Linear, Sequential, SiLU } from '../src/index.js';
import { profileMlp } from '../src/profile/profile-mlp.js';
import { runCli } from './helpers/cli.js';

describe('SiLU', () => {
  it('is named as PyTorch names it, and trains', async () => {
    const layers = [Linear(4, 6), SiLU(), Linear(6, 3)];
    expect(describeLayers(layers)).toBe('Linear(4, 6) -> SiLU -> Linear(6, 3)');
    const m = new Sequential(await init({ build: 'simd' }), layers, { seed: 2 });
    const { loss } = m.lossAndGradients(new Float32Array(8).fill(0.5), [0, 2]);
    expect(Number.isFinite(loss)).toBe(true);
    m.dispose();
  });

  // test/memory-estimate.test.ts holds SiLU networks to measured == estimated, event for event.
  it('saves its input and its output for backward', async () => {
    const p = await profileMlp({ layers: [Linear(9, 12), SiLU(), Linear(12, 4)], batches: [5, 3], optimizer: 'adam', build: 'simd' });
    expect(p.measured.peak).toEqual(p.estimated.peak);
    // SiLU reads its input in backward: the Linear's output is saved, and so is SiLU's (the next Linear's input).
    expect(p.layers[0]!.savedBytes).toBe(3 * 12 * 4);
    expect(p.layers[1]!.savedBytes).toBe(3 * 12 * 4);
  });

  it('is an --activation choice of the command line', async () => {
    const r = await runCli(['profile', '--layers', '6,8,3', '--activation', 'silu', '--batch', '4', '--optimizer', 'sgd']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Linear(6, 8) -> SiLU -> Linear(8, 3)');
  });
});
