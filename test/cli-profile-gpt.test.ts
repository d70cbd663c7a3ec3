// `wasmgrad profile --model gpt`: a GPT's training memory measured in the core
// and estimated from its step plan, equal per category; and the refusals.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GptProfileDocument } from '../src/report/gpt-profile-report.js';
import { runCli } from './helpers/cli.js';

const SMALL = ['profile', '--model', 'gpt', '--vocab', '11', '--seq', '8', '--hidden', '16', '--heads', '2', '--layers', '2', '--batch', '2', '--build', 'simd'];

async function doc(extra: string[] = []): Promise<GptProfileDocument> {
  const r = await runCli([...SMALL, ...extra, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as GptProfileDocument;
}

describe('wasmgrad profile --model gpt', () => {
  it('measures every category equal to the estimate, per sub-layer too, and accounts for block 0 term by term', async () => {
    const d = await doc();
    expect(d.format).toBe('wasmgrad.gpt-profile/1');
    for (const [name, c] of Object.entries(d.categories)) if (c.estimated !== null) expect(c.measured, name).toBe(c.estimated);
    expect(d.peak.measured).toBe(d.peak.estimated);
    for (const r of d.sublayers) expect(r.savedBytes.measured, r.name).toBe(r.savedBytes.estimated);
    expect(d.block.measured).toBe(d.block.estimated);
    expect(d.block.terms!.reduce((s, t) => s + t.wasmgrad, 0)).toBe(d.block.estimated);
    expect(d.macs.gemmCounted.measured).toBe(d.macs.gemmCounted.estimated);
    // wte (11x16) + wpe (8x16) + 2 blocks of 12·16² + 13·16 + final norm 2·16, head tied.
    expect(d.parameters).toBe(11 * 16 + 8 * 16 + 2 * (12 * 16 * 16 + 13 * 16) + 32);
    expect(d.losses).toHaveLength(2);
  }, 30_000);

  it('saves less with memory-saving attention and with block recomputation, and prints the table', async () => {
    const plain = await doc(['--seq', '32']), flash = await doc(['--seq', '32', '--flash']), blocks = await doc(['--seq', '32', '--recompute', 'blocks']);
    expect(flash.categories.activations.measured).toBeLessThan(plain.categories.activations.measured);
    expect(blocks.categories.activations.measured).toBeLessThan(plain.categories.activations.measured);
    expect(blocks.macs.recompute).toBeGreaterThan(0);
    for (const d of [flash, blocks]) expect(d.peak.measured).toBe(d.peak.estimated);
    const text = await runCli(SMALL);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('h.1.attn.c_attn');
    expect(text.stdout).toContain('Korthikanti');
    expect(text.stdout).not.toContain('differs');
  }, 60_000);

  it('writes the HTML report with the memory timeline and one row per sub-layer', async () => {
    const html = join(mkdtempSync(join(tmpdir(), 'wasmgrad-gpt-')), 'gpt.html');
    const r = await runCli([...SMALL, '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('h.1.mlp.c_proj');
    expect(page).toContain('<svg');
    expect(page).toMatch(/GPT\(vocab 11, seq 8, hidden 16/);
  }, 30_000);

  it('with --dropout keeps the masks and the dropped probabilities, measured == estimated', async () => {
    const d = await doc(['--dropout', '0.1']);
    expect(d.model.config.dropout).toBe(0.1);
    expect(d.peak.measured).toBe(d.peak.estimated);
    expect(d.block.measured).toBe(d.block.estimated);
    const mask = d.block.terms!.find((t) => t.tensor === 'attention dropout mask')!;
    expect(mask.wasmgrad).toBe(2 * 2 * 8 * 8); // batch x heads x seq x seq bytes
    expect(d.block.terms!.reduce((s, t) => s + t.wasmgrad, 0)).toBe(d.block.estimated);
  }, 30_000);

  it('with --flash --dropout keeps no attention mask: the block saves 9·BaT² bytes less than plain, 4·BaT more than without dropout', async () => {
    const flash = await doc(['--flash', '--dropout', '0.1']), plain = await doc(['--dropout', '0.1']), undropped = await doc(['--flash']);
    expect(flash.peak.measured).toBe(flash.peak.estimated);
    expect(flash.block.measured).toBe(flash.block.estimated);
    for (const [name, c] of Object.entries(flash.categories)) if (c.estimated !== null) expect(c.measured, name).toBe(c.estimated);
    const [B, a, T] = [2, 2, 8];
    // Plain: probabilities, mask and dropped probabilities (4 + 1 + 4 bytes an element); memory-saving: the logsumexp.
    expect(plain.block.measured - flash.block.measured).toBe(9 * B * a * T * T - 4 * B * a * T);
    // Dropout on the memory-saving path adds only the two residual-branch masks (B·T·h bytes each).
    expect(flash.block.measured - undropped.block.measured).toBe(2 * B * T * 16);
    expect(flash.block.terms!.find((t) => t.tensor === 'attention dropout mask')!.wasmgrad).toBe(0);
  }, 60_000);

  it.each([
    ['a dropout of 1', ['--dropout', '1'], /expected a probability from 0 to below 1/],
    ['an MLP option', ['--activation', 'gelu'], /--activation is an MLP option/],
    ['heads not dividing hidden', ['--heads', '3'], /hidden \(16\) must be a multiple of heads \(3\)/],
    ['a layer list', ['--layers', '2,3'], /--layers takes one number/],
    ['more tokens than seq', ['--tokens', '9'], /tokens must be an integer <= 8/],
  ])('refuses %s in one line, exit 2', async (_, extra, message) => {
    const r = await runCli([...SMALL, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a GPT option without --model gpt', async () => {
    const r = await runCli(['profile', '--vocab', '50']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--vocab is a GPT option; give --model gpt/);
  });
});
