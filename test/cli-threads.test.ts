// `--threads N` on every command that runs the core, run as a user runs it:
// one shared definition (1 to 64), a bad value is one usage line (exit 2),
// and each command's output names the threads it ran on.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { threadCount } from '../src/cli/options.js';
import { runCli } from './helpers/cli.js';
import { writeTinyMnist } from './helpers/tiny-mnist.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-cli-threads-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = writeTinyMnist(join(root, 'tiny'));
const text = join(root, 'rhyme.txt');
writeFileSync(text, 'the cat sat on the mat. the dog sat on the log. '.repeat(20));

const TINY_GPT = ['--seq', '16', '--hidden', '16', '--heads', '2', '--layers', '1'];
const AS_RUN_HERE = ['estimate', '--n-layer', '1', '--hidden', '16', '--heads', '2', '--vocab', '65', '--seq', '16', '--batch', '2', '--precision', 'fp32', '--as-run-here'];

/** Every command that takes --threads, with arguments that would otherwise run. */
const COMMANDS: [string, string[]][] = [
  ['main job', []],
  ['bench', ['bench', 'gemm']],
  ['bench train', ['bench', 'train']],
  ['train', ['train', '--data', data]],
  ['train-text', ['train-text', '--text', text]],
  ['profile', ['profile']],
  ['profile --model gpt', ['profile', '--model', 'gpt']],
  ['profile --generate', ['profile', '--model', 'gpt', '--generate', '2']],
  ['serve-check', ['serve-check']],
  ['estimate --as-run-here', AS_RUN_HERE],
];
const BAD = ['0', '65', '1.5', 'abc'];

describe('the --threads parser', () => {
  it.each(['1', '2', '64'])('takes %s', (v) => expect(threadCount(v)).toBe(Number(v)));
  it.each([...BAD, '-1', '', '0x2', '2e0'])('refuses %j', (v) => expect(() => threadCount(v)).toThrow(InvalidArgumentError));
});

describe('--threads with a bad value is one usage line, exit 2, before any work', () => {
  // Each command with each bad value would be 40 processes; every value is
  // checked on two commands, and every command with one value (the parser is shared).
  const cases = [...COMMANDS.map(([name, args], i) => [name, args, BAD[i % BAD.length]!] as const), ...BAD.map((v) => ['train', ['train', '--data', data], v] as const)];
  it.each(cases)('%s --threads %s', async (_, args, value) => {
    const r = await runCli([...args, '--threads', value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: option '--threads <n>' argument '${value.replace('.', '\\.')}' is invalid\\. expected an integer from 1 to 64, got '${value.replace('.', '\\.')}' \\(see 'wasmgrad[^']*--help'\\)\\n$`));
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--threads', '2', 'bench', 'gemm'], "error: --threads before a command is the main job's option; give it after 'bench' (see 'wasmgrad --help')\n"],
    [['--report', 'r.html', 'train'], "error: --report before a command is the main job's option; 'train' does not take it (see 'wasmgrad --help')\n"],
  ])('an option of the main job before a command is refused, not silently dropped: %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
    expect(r.stdout).toBe('');
  });

  it("the main job's --threads is not taken for a command's (options before the command are the main job's)", async () => {
    const r = await runCli(['estimate', '--preset', 'gpt2', '--threads', '2']);
    // estimate's own --threads, refused there without --as-run-here; not silently the main job's.
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --threads: only with --as-run-here (the thread count its estimate assumes) (see 'wasmgrad estimate --help')\n");
  });
});

describe('each command runs on the threads asked and says so', () => {
  const json = async (args: string[]) => {
    const r = await runCli([...args, '--threads', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown> & { setup?: Record<string, unknown> };
  };

  it('train: the JSON carries threads next to build, the header names them', async () => {
    const args = ['train', '--data', data, '--layers', '64,16,4', '--epochs', '1', '--batch', '50', '--threads', '2'];
    const [doc, human] = await Promise.all([json(args.slice(0, -2)), runCli(args)]);
    expect(doc).toMatchObject({ threads: 2, build: expect.any(String) });
    expect(human.stdout).toMatch(/^wasmgrad train: .* build, 2 threads$/m);
  });

  it('train-text: threads in the JSON, and the runtime line names them', async () => {
    const args = ['train-text', '--text', text, ...TINY_GPT, '--batch', '2', '--epochs', '1', '--steps', '2'];
    const [doc, human] = await Promise.all([json(args), runCli([...args, '--threads', '2'])]);
    expect(doc.threads).toBe(2);
    expect(human.stdout).toMatch(/wasmgrad \w+ build, 2 threads \(engine:/);
  });

  it('serve-check: threads in the JSON and in the header', async () => {
    const args = ['serve-check', '--layers', '16,8,4', '--requests', '20', '--warmup', '2'];
    const [doc, human] = await Promise.all([json(args), runCli([...args, '--threads', '2'])]);
    expect(doc.threads).toBe(2);
    expect(human.stdout).toMatch(/^wasmgrad serve-check: .*, \w+ build, 2 threads$/m);
  });

  it.each([
    ['profile (MLP)', ['profile', '--layers', '16,8,4', '--batch', '4']],
    ['profile --model gpt', ['profile', '--model', 'gpt', ...TINY_GPT, '--batch', '2']],
    ['profile --model gpt --generate', ['profile', '--model', 'gpt', ...TINY_GPT, '--generate', '3']],
  ])('%s: setup.threads, and the runtime line names them', async (_, args) => {
    const doc = await json(args);
    expect(doc.setup).toMatchObject({ threads: 2, engine: expect.stringMatching(/ build, 2 threads \(engine:/) });
  });

  it('estimate --as-run-here: the threads assumed (default 1), in its table and in the profile command that measures it', async () => {
    const two = await json(AS_RUN_HERE);
    expect(two.setup).toMatchObject({ threads: 2 });
    expect(two.measureWith).toMatch(/ --threads 2$/);
    const one = await runCli([...AS_RUN_HERE, '--json']);
    const doc = JSON.parse(one.stdout) as { setup: { threads: number }; categories: { workspace: { peak: number } }; measureWith: string };
    expect(doc.setup.threads).toBe(1);
    expect(doc.measureWith).toMatch(/ --threads 1$/);
    // Each thread packs its own GEMM panels: more threads, more workspace.
    expect((two as unknown as typeof doc).categories.workspace.peak).toBeGreaterThan(doc.categories.workspace.peak);
    const table = await runCli([...AS_RUN_HERE, '--threads', '3']);
    expect(table.stdout).toContain('as the core trains it: float32, one device, 3 threads,');
  });

  it('estimate --as-run-here --threads 2: the profile command it names measures the bytes it estimates', async () => {
    const estimate = (await json(AS_RUN_HERE)) as unknown as { peak: { bytes: number }; measureWith: string };
    const measured = await runCli([...estimate.measureWith.replace(/^wasmgrad /, '').split(' '), '--json']);
    expect(measured.code, measured.stderr).toBe(0);
    expect(JSON.parse(measured.stdout)).toMatchObject({ setup: { threads: 2 }, peak: { measured: estimate.peak.bytes } });
  });
});
