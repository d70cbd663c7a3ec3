// `wasmgrad train-text` and `wasmgrad generate`: a character-level GPT trained
// in the core on a text, saved, and sampled; and the refusals.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-text-'));
// A text with structure a small model learns quickly: a repeated rhyme.
const text = join(dir, 'rhyme.txt');
writeFileSync(text, 'the cat sat on the mat. the dog sat on the log. '.repeat(60));
const TINY = ['--text', text, '--seq', '16', '--hidden', '16', '--heads', '2', '--layers', '1', '--batch', '8', '--build', 'simd'];

interface Doc { epochs: { trainLoss: number; validationLoss: number }[]; unigramEntropy: number; vocab: number; sample: string }

describe('wasmgrad train-text', () => {
  it('learns a text below its unigram entropy, saves it, and generate continues a prompt from the file', async () => {
    const weights = join(dir, 'rhyme.safetensors');
    const r = await runCli(['train-text', ...TINY, '--epochs', '2', '--steps', '60', '--lr', '0.01', '--save', weights, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as Doc;
    expect(d.vocab).toBe(new Set('the cat sat on the mat. the dog sat on the log. ').size);
    expect(d.epochs).toHaveLength(2);
    expect(d.epochs[1]!.validationLoss).toBeLessThan(d.unigramEntropy - 0.3);
    const g = await runCli(['generate', '--weights', weights, '--prompt', 'the ', '--tokens', '40', '--seed', '3']);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout.startsWith('the ')).toBe(true);
    expect([...g.stdout.slice(0, -1)].length).toBe(44);
    // Same seed, same text.
    expect((await runCli(['generate', '--weights', weights, '--prompt', 'the ', '--tokens', '40', '--seed', '3'])).stdout).toBe(g.stdout);
    // A character the model never saw is refused by name.
    const bad = await runCli(['generate', '--weights', weights, '--prompt', 'the Z']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/character "Z" at 4 is not in the model's vocabulary/);
  }, 60_000);

  it('prints the losses per epoch next to the unigram entropy on the default text', async () => {
    const r = await runCli(['train-text', '--epochs', '1', '--steps', '2', '--seq', '16', '--hidden', '16', '--heads', '2', '--layers', '1', '--batch', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/README\.md: [\d,]+ characters/);
    expect(r.stdout).toMatch(/epoch 1\/1: train loss [\d.]+, validation loss [\d.]+/);
    expect(r.stdout).toMatch(/against the unigram entropy/);
  }, 60_000);

  const short = join(dir, 'short.txt');
  writeFileSync(short, 'too short');
  const latin1 = join(dir, 'latin1.txt');
  writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  it.each([
    ['a missing text', ['--text', join(dir, 'none.txt')], /cannot read the text \(ENOENT\)/],
    ['a text too short for the context', ['--text', short], /training and validation need more than --seq 64/],
    ['a text that is not UTF-8', ['--text', latin1], /not UTF-8 text/],
    ['heads not dividing hidden', ['--heads', '5'], /hidden \(64\) must be a multiple of heads \(5\)/],
  ])('refuses %s in one line, exit 2', async (_, extra, message) => {
    const r = await runCli(['train-text', ...extra, '--steps', '1', '--epochs', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('generate refuses a missing --weights and a file that is no GPT', async () => {
    const none = await runCli(['generate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/generate needs --weights FILE/);
    const mlp = join(dir, 'mlp.safetensors');
    expect((await runCli(['train', '--epochs', '1', '--data', join(dir, 'no-data')])).code).toBe(2);
    writeFileSync(mlp, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]));
    const r = await runCli(['generate', '--weights', mlp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no wasmgrad\.gpt\.config in the file's __metadata__/);
  });
});
