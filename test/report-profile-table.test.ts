// The text profile reads clearly: a header that says what was measured, an
// explicit match column, each human-readable size next to the figure it
// spells, and no line wider than 100 columns.

import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../src/memory/categories.js';
import { mlp, type LayerSpec } from '../src/nn/layers.js';
import { profileMlp, type MlpProfile } from '../src/profile/profile-mlp.js';
import { describeLayers } from '../src/nn/layers.js';
import { profileDocument, renderProfileTable } from '../src/report/profile-report.js';

const MAX_COLUMNS = 100;

async function table(layers: LayerSpec[], options: Parameters<typeof profileMlp>[0] extends infer O ? Omit<O, 'layers'> : never = {}) {
  const p = await profileMlp({ layers, build: 'simd', threads: 1, seed: 1, ...options });
  return { p, text: renderProfileTable(profileDocument(p, layers)) };
}

/** The memory table's rows: label -> the row's line. */
function memoryRows(text: string): Map<string, string> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^category\s/.test(l));
  return new Map(lines.slice(start + 1).map((l) => [l.split(/\s{2,}/)[0]!, l]));
}

describe('the text profile', () => {
  it('says the steps it measured and their batches', async () => {
    const { text } = await table(mlp([784, 100, 10]), { batch: 64 });
    expect(text.split('\n')[1]).toMatch(/^ {2}2 measured steps \(batch 64, 64\) \| adam \|/);
    const partial = await table(mlp([20, 8, 3]), { batches: [64, 17, 5] });
    expect(partial.text.split('\n')[1]).toMatch(/^ {2}3 measured steps \(batch 64, 17, 5\) \|/);
    const one = await table(mlp([20, 8, 3]), { batches: [9] });
    expect(one.text.split('\n')[1]).toMatch(/^ {2}1 measured step \(batch 9\) \|/);
  });

  it('has a match column, and each human-readable size sits next to the measured figure it spells', async () => {
    const { text } = await table(mlp([784, 100, 10]), { batch: 64 });
    const header = text.split('\n').find((l) => /^category\s/.test(l))!;
    expect(header.split(/\s{2,}/)).toEqual(['category', 'measured peak', 'estimated peak', 'match', 'at the peak', 'live after']);
    const rows = memoryRows(text);
    expect(rows.get('weights')!.split(/\s{2,}/)).toEqual(['weights', '318,040 (310.6 KiB)', '318,040', 'exact', '318,040', '318,040']);
    expect(rows.get('peak')!.split(/\s{2,}/)).toEqual(['peak', '1,709,152 (1.630 MiB)', '1,709,152', 'exact', '1,709,152', '1,454,432']);
    // The match column lines up under its header.
    const matchAt = header.indexOf('match');
    for (const k of [...CATEGORIES, 'peak']) expect(rows.get(k)!.slice(matchAt, matchAt + 5), k).toBe('exact');
    // No sign detached from what it compares, as in "318,040  = (310.6 KiB)".
    expect(text).not.toMatch(/\s!?=\s*(\(|$)/m);
  });

  it('leaves no dangling sign below 1 KiB and says "differs" where measured and estimated part', async () => {
    const { p, text } = await table(mlp([4, 3, 2]), { batch: 2, optimizer: 'sgd' });
    const rows = memoryRows(text);
    expect(p.measured.peak.inputs).toBeLessThan(1024);
    expect(rows.get('inputs')!.split(/\s{2,}/)).toEqual(['inputs', String(p.measured.peak.inputs), String(p.measured.peak.inputs), 'exact', String(p.measured.atPeak.inputs), '0']);
    for (const line of text.split('\n')) expect(line, JSON.stringify(line)).not.toMatch(/[=!]=?\s*$/);

    const tampered: MlpProfile = { ...p, estimated: { ...p.estimated, peak: { ...p.estimated.peak, inputs: p.estimated.peak.inputs + 8 } } };
    expect(memoryRows(renderProfileTable(profileDocument(tampered, mlp([4, 3, 2])))).get('inputs')!.split(/\s{2,}/)[3]).toBe('differs');
  });

  it.each([
    ['784-100-10', mlp([784, 100, 10]), { batch: 64 }],
    ['a deep network, checkpointed, with a partial batch', mlp([784, 512, 512, 512, 512, 10], 'leaky_relu'), { batches: [64, 17], checkpoint: [1, 5], inplace: true, optimizer: 'sgd-momentum' as const }],
  ])('keeps every line of %s within 100 columns', async (_name, layers, options) => {
    const { text } = await table(layers, options);
    const wide = text.split('\n').filter((l) => l.length > MAX_COLUMNS);
    expect(wide.map((l) => `${l.length}: ${l}`)).toEqual([]);
    // Wrapping loses nothing: the description and the checkpoint sentence are still there.
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain(`wasmgrad profile: ${describeLayers(layers)}`);
    if ('checkpoint' in options) expect(flat).toMatch(/Checkpointed \w+1, \w+5: forward saves [\d,]+ B instead of [\d,]+ B/);
  });
});
