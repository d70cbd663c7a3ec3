// CPU offload of optimizer state (ZeRO-Offload) and of parameters too (ZeRO-Infinity):
// what stays on the device and what moves to host memory, side by side.

import { describe, expect, it } from 'vitest';
import { preset } from '../src/estimate/presets.js';
import { defaultTrainingSetup, estimateTransformerMemory, type TrainingSetup } from '../src/estimate/training-setup.js';
import { largestModuleParameters } from '../src/estimate/transformer.js';
import { runCli } from './helpers/cli.js';

const llama = preset('llama-7b');
const P = 6_738_415_616;
const setupFor = (over: Partial<TrainingSetup>): TrainingSetup => ({ ...defaultTrainingSetup(llama), ...over });

describe('offload', () => {
  it('optimizer: gradients and optimizer state move to the host unchanged, the 16-bit weights stay', () => {
    const none = estimateTransformerMemory(llama, setupFor({ devices: 4, zeroStage: 2 })).heaviest;
    const off = estimateTransformerMemory(llama, setupFor({ devices: 4, zeroStage: 2, offload: 'optimizer' })).heaviest;
    expect(off.bytes).toEqual({ ...none.bytes, gradients: 0, optimizer: 0 });
    expect(off.host).toEqual({ weights: 0, gradients: none.bytes.gradients, optimizer: none.bytes.optimizer, total: none.bytes.gradients + none.bytes.optimizer });
    expect(none.host.total).toBe(0);
    expect(off.total + off.host.total).toBe(none.total);
  });

  it('optimizer+params: the device holds the largest module (the 32000 x 4096 embedding) and its gradient; the host holds all states', () => {
    expect(largestModuleParameters(llama)).toBe(32000 * 4096);
    const off = estimateTransformerMemory(llama, setupFor({ offload: 'optimizer+params' })).heaviest;
    expect({ weights: off.bytes.weights, gradients: off.bytes.gradients, optimizer: off.bytes.optimizer }).toEqual({ weights: 2 * 32000 * 4096, gradients: 2 * 32000 * 4096, optimizer: 0 });
    expect(off.host).toEqual({ weights: 2 * P, gradients: 2 * P, optimizer: 12 * P, total: 16 * P });
  });

  it('refuses parameter offload with tensor or pipeline parallelism and an unknown kind', () => {
    expect(() => estimateTransformerMemory(llama, setupFor({ devices: 2, tensorParallel: 2, offload: 'optimizer+params' }))).toThrow(/^offload: parameter offload \(ZeRO-Infinity\) is estimated for data parallelism only/);
    expect(() => estimateTransformerMemory(llama, setupFor({ offload: 'disk' as 'none' }))).toThrow(/^offload: expected one of none, optimizer, optimizer\+params, got 'disk'/);
  });

  it('wasmgrad estimate --offload prints host memory beside the device figures and in the document', async () => {
    const r = await runCli(['estimate', '--preset', 'llama-7b', '--offload', 'optimizer', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.setup.offload).toBe('optimizer');
    expect(doc.perDevice.host).toEqual({ weights: 0, gradients: 2 * P, optimizer: 12 * P, total: 14 * P });
    const text = await runCli(['estimate', '--preset', 'llama-7b', '--offload', 'optimizer']);
    expect(text.stdout).toMatch(/optimizer +0 B +0 B +\| host 80,860,987,392 B/);
  });
});
