// "Will it fit?": the setups wasmgrad estimate --fit lists must each fit by their own
// estimate, best first, and a device too small must say so with the smallest requirement.

import { describe, expect, it } from 'vitest';
import { preset } from '../src/estimate/presets.js';
import { type FitSearch, powersOfTwoUpTo, searchFits } from '../src/estimate/fit.js';
import { OFFLOAD_KINDS, defaultTrainingSetup, estimateTransformerMemory } from '../src/estimate/training-setup.js';
import { ZERO_STAGES } from '../src/estimate/model-states.js';
import { RECOMPUTE_KINDS } from '../src/estimate/transformer.js';
import { runCli } from './helpers/cli.js';

const llama = preset('llama-7b');
const GiB = 2 ** 30;
const everything = (deviceMemory: number, devices = 8): FitSearch => ({
  deviceMemory,
  microBatches: powersOfTwoUpTo(16),
  recompute: RECOMPUTE_KINDS,
  zeroStages: ZERO_STAGES,
  offload: OFFLOAD_KINDS,
  devices: powersOfTwoUpTo(devices),
});

describe('searchFits', () => {
  const result = searchFits(llama, defaultTrainingSetup(llama), everything(24 * GiB));

  it('every listed setup fits by its own estimate, with the headroom it states', () => {
    expect(result.fits.length).toBeGreaterThan(0);
    for (const c of result.fits) {
      const est = estimateTransformerMemory(llama, c.setup);
      expect(est.heaviest.total).toBe(c.total);
      expect(c.total).toBeLessThanOrEqual(24 * GiB);
      expect(c.headroom).toBe(24 * GiB - c.total);
      expect(c.hostTotal).toBe(est.heaviest.host.total);
    }
  });

  it('best first: fewer devices, then less offload, less recomputation, larger micro-batch, lower ZeRO stage', () => {
    const key = (c: (typeof result.fits)[number]) => [c.setup.devices, OFFLOAD_KINDS.indexOf(c.setup.offload), RECOMPUTE_KINDS.indexOf(c.setup.recompute), -c.setup.microBatch, c.setup.zeroStage, -c.headroom];
    for (let i = 1; i < result.fits.length; i++) {
      const [a, b] = [key(result.fits[i - 1]), key(result.fits[i])];
      const first = a.findIndex((x, j) => x !== b[j]);
      expect(first === -1 || a[first] < b[first], `${i}: ${a} before ${b}`).toBe(true);
    }
    expect(result.fits[0].setup.devices).toBe(1);
  });

  it('is deterministic, and skips combinations the estimator refuses (ZeRO on one device)', () => {
    expect(searchFits(llama, defaultTrainingSetup(llama), everything(24 * GiB))).toEqual(result);
    expect(result.fits.some((c) => c.setup.devices === 1 && c.setup.zeroStage > 0)).toBe(false);
    // 5 micro-batches x 3 recompute x 3 offload x (1 stage on 1 device + 4 stages on 2, 4, 8 devices)
    expect(result.evaluated).toBe(5 * 3 * 3 * (1 + 3 * 4));
  });

  it('a device too small: nothing fits, and the smallest requirement is the least of every setup searched', () => {
    const none = searchFits(llama, defaultTrainingSetup(llama), everything(GiB, 1));
    expect(none.fits).toEqual([]);
    expect(none.smallest).not.toBeNull();
    const all = searchFits(llama, defaultTrainingSetup(llama), everything(2 ** 50, 1)).fits;
    expect(none.smallest!.total).toBe(Math.min(...all.map((c) => c.total)));
    expect(none.smallest!.headroom).toBe(GiB - none.smallest!.total);
  });

  it('refuses a bad device memory and a bad base setup', () => {
    expect(() => searchFits(llama, defaultTrainingSetup(llama), everything(0))).toThrow(/^deviceMemory: expected a positive number of bytes, got 0/);
    expect(() => searchFits(llama, { ...defaultTrainingSetup(llama), tensorParallel: 3 }, everything(GiB))).toThrow(/^tensorParallel: 3 does not divide/);
  });
});

describe('wasmgrad estimate --fit', () => {
  it('lists what fits best first with headroom, and the document agrees with the library', async () => {
    const r = await runCli(['estimate', '--preset', 'llama-7b', '--device-memory', '24GiB', '--fit', '--devices', '8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('wasmgrad.estimate.fit/1');
    const lib = searchFits(llama, { ...defaultTrainingSetup(llama), devices: 8 }, everything(24 * GiB));
    expect(doc.fits.map((e: { total: number }) => e.total)).toEqual(lib.fits.map((c) => c.total));
    expect(doc.searched.devices).toEqual([1, 2, 4, 8]);
    const text = await runCli(['estimate', '--preset', 'llama-7b', '--device-memory', '24GiB', '--fit', '--recompute', 'full', '--offload', 'none', '--devices', '8']);
    expect(text.stdout).toMatch(/setups fit, best first:/);
    expect(text.stdout).toMatch(/^ {2}devices {2}micro-batch {2}recompute {2}ZeRO {2}offload/m);
  });

  it('too small a device: "nothing fits" with the smallest requirement and its setup', async () => {
    const r = await runCli(['estimate', '--preset', 'llama-2-70b', '--device-memory', '1GiB', '--fit']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nothing fits: the smallest requirement is [\d,]+ B \(.*\), .* more than the device has, with 1 device, micro-batch 1, recompute full, ZeRO 0, offload optimizer\+params/);
  });
});

describe('searchFits with an absurd micro-batch bound', () => {
  it('skips setups past 2^53 bytes, which no device holds, instead of failing', () => {
    const r = searchFits(llama, { ...defaultTrainingSetup(llama), microBatch: 2 ** 40 }, { ...everything(24 * GiB, 1), microBatches: powersOfTwoUpTo(2 ** 40) });
    expect(r.fits.length).toBeGreaterThan(0);
    expect(r.evaluated).toBeLessThan(41 * 3 * 3);
  });
});
