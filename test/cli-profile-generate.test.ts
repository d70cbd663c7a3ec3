// `wasmgrad profile --model gpt --generate N`: a generation's memory measured
// with its KV cache as a category of its own, equal to the estimate and to the
// inference estimator's KV-cache bytes; and the options it refuses.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../src/memory/categories.js';
import type { GptGenerationProfileDocument } from '../src/report/gpt-profile-report.js';
import { runCli } from './helpers/cli.js';

const SMALL = ['profile', '--model', 'gpt', '--vocab', '11', '--seq', '12', '--hidden', '16', '--heads', '2', '--layers', '2', '--build', 'simd'];

describe('wasmgrad profile --model gpt --generate', () => {
  it('prints the categories with the KV cache, measured == estimated, and the inference estimator\'s figure', async () => {
    const r = await runCli([...SMALL, '--generate', '5', '--tokens', '4', '--batch', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as GptGenerationProfileDocument;
    expect(d.format).toBe('wasmgrad.gpt-generation-profile/1');
    expect(d.setup).toMatchObject({ batch: 2, prompt: 4, generate: 5 });
    for (const c of CATEGORIES) expect(d.categories[c].measured, c).toBe(d.categories[c].estimated);
    expect(d.peak.measured).toBe(d.peak.estimated);
    // 2 layers · K and V · 2 sequences · 9 positions · 16 wide · 4 bytes.
    expect(d.categories.kvCache.measured).toBe(2 * 2 * 2 * 9 * 16 * 4);
    expect(d.kvCache).toEqual({ measured: 2 * 2 * 2 * 9 * 16 * 4, estimated: 2 * 2 * 2 * 9 * 16 * 4, capacity: 9, inferenceEstimate: 2 * 2 * 2 * 9 * 16 * 4 });
    expect(d.passes).toEqual({ prefill: 1, decode: 4 });
    expect(d.macs.gemmCounted.measured).toBe(d.macs.gemmCounted.estimated);
    expect(d.tokens.map((t) => t.length)).toEqual([5, 5]);
    const text = await runCli([...SMALL, '--generate', '5']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^kvCache +\d[\d,]* \(.*\) +[\d,]+ +exact/m);
    expect(text.stdout).toMatch(/Inference memory \(bytes\) over a generation of 5 tokens \(batch 1, prompt 7\)/);
  }, 30_000);

  it('writes an HTML page with the KV cache among the categories', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wasmgrad-gen-')), 'gen.html');
    const r = await runCli([...SMALL, '--generate', '3', '--html', file]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('wasmgrad inference-memory profile');
    expect(html).toContain('kvCache');
  }, 30_000);

  it('refuses training options and a bad count in one line, exit 2', async () => {
    for (const extra of [['--steps', '3'], ['--optimizer', 'sgd'], ['--recompute', 'blocks'], ['--generate', '0'], ['--generate', 'x']]) {
      const r = await runCli([...SMALL, '--generate', '2', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), extra.join(' ')).toHaveLength(1);
    }
    const mlp = await runCli(['profile', '--generate', '2']);
    expect(mlp.code).toBe(2);
    expect(mlp.stderr).toMatch(/--generate is a GPT option/);
  }, 30_000);
});
