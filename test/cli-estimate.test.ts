// `wasmgrad estimate` as a user runs it (the built CLI): refusals beyond exact
// integers, option names, the SVG file, and one-line errors.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-cli-estimate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const estimate = (...args: string[]) => runCli(['estimate', ...args]);

/** Exit 2, one line on stderr with the pointer to --help, no stack, nothing on stdout. */
function expectRefusal(r: CliRun, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toContain("(see 'wasmgrad estimate --help')");
  expect(r.stderr).not.toMatch(/^ {4}at /m);
}

/** Every number in a JSON document, with its path. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
}

describe('figures beyond exact integers', () => {
  it('--seq 100000000 on llama-7b is refused in one line naming --seq and the limit, with and without --json', async () => {
    for (const json of [[], ['--json']]) {
      const r = await estimate('--preset', 'llama-7b', '--seq', '100000000', ...json);
      expectRefusal(r, /^error: --seq 100000000 makes the activation bytes exceed 2\^53 - 1 = 9,007,199,254,740,991; exact figures are only given below that/);
    }
  });

  it('names the options behind an oversized parameter count or global batch', async () => {
    expectRefusal(await estimate('--preset', 'gpt2', '--hidden', '100000000', '--heads', '1'), /^error: --hidden 100000000 makes the parameter count exceed 2\^53 - 1/);
    expectRefusal(
      await estimate('--preset', 'gpt2', '--seq', '1', '--grad-accum', '9007199254740991', '--devices', '2'),
      /^error: --grad-accum 9007199254740991, --devices 2 make the global batch exceed 2\^53 - 1/,
    );
  });

  it('below the limit every JSON figure is a safe integer, and the text has no exponent notation', async () => {
    const args = ['--preset', 'gpt3-175b', '--batch', '4096', '--devices', '8', '--zero', '3'];
    const doc = JSON.parse((await estimate(...args, '--json')).stdout);
    for (const [path, n] of numbersIn(doc)) expect(Number.isSafeInteger(n), `${path} = ${n}`).toBe(true);
    expect(doc.perDevice.total).toBeGreaterThan(1e15);
    const text = await estimate(...args);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/\de[+-]?\d/);
  });
});

describe('option names', () => {
  it('--n-layer counts transformer blocks', async () => {
    const doc = JSON.parse((await estimate('--preset', 'gpt2', '--n-layer', '6', '--json')).stdout);
    expect(doc.model.layers).toBe(6);
    expect(doc.model.name).toBe('gpt2 (modified)');
  });

  it('--layers is refused and points to --n-layer, since --layers elsewhere means MLP sizes', async () => {
    expectRefusal(await estimate('--preset', 'gpt2', '--layers', '6'), /^error: --layers: estimate counts transformer blocks with --n-layer \(number of transformer blocks\); --layers means MLP sizes in profile and train/);
  });

  it('a bad --n-layer value names --n-layer', async () => {
    expectRefusal(await estimate('--preset', 'gpt2', '--n-layer', '0'), /^error: --n-layer: expected a positive integer, got '0'/);
    expectRefusal(await estimate('--preset', 'gpt2', '--devices', '5', '--pp', '5'), /^error: --pp \(pipelineParallel\): 5 does not divide the 12 layers/);
  });
});

describe('combinations real frameworks refuse', () => {
  it('ZeRO stage 2 or 3 with pipeline parallelism (DeepSpeed refuses them), stage 1 is fine', async () => {
    for (const stage of ['2', '3']) {
      expectRefusal(await estimate('--preset', 'gpt2', '--devices', '4', '--pp', '2', '--zero', stage), new RegExp(`^error: --zero \\(zeroStage\\): ZeRO stage ${stage} .*pipeline parallelism`));
    }
    expect((await estimate('--preset', 'gpt2', '--devices', '4', '--pp', '2', '--zero', '1')).code).toBe(0);
  });

  it('contradictory flags: --tied --no-tied, --bias --no-bias, an option given twice with different values', async () => {
    expectRefusal(await estimate('--preset', 'gpt2', '--tied', '--no-tied'), /^error: --tied and --no-tied contradict each other; give one of them/);
    expectRefusal(await estimate('--preset', 'gpt2', '--no-bias', '--bias'), /^error: --no-bias and --bias contradict each other/);
    expectRefusal(await estimate('--preset', 'gpt2', '--seq', '512', '--seq', '1024'), /^error: --seq given twice \('512', '1024'\); give it once/);
    expect((await estimate('--preset', 'gpt2', '--seq', '512', '--seq', '512')).code).toBe(0);
  });
});

describe('text output', () => {
  it('says in one line what workspace is in this estimate', async () => {
    const r = await estimate('--preset', 'gpt2');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.includes('workspace:'))).toEqual([
      '  workspace: what backward rebuilds for one layer while recomputing (--recompute selective or full); 0 without recomputation',
    ]);
  });

  it('ends every error, commander\'s own included, in one line and never prints the usage', async () => {
    expectRefusal(await estimate('--preset', 'gpt2', '--sq', '5'), /^error: unknown option '--sq' \(did you mean .*--seq.*\?\)/);
    expectRefusal(await estimate('--preset'), /^error: option '--preset <name>' argument missing/);
    expectRefusal(await estimate('gpt2'), /^error: too many arguments/);
  });
});

describe('what the estimate assumes and leaves out', () => {
  it('says in one line each what it assumes and what it does not model, in the table and the document', async () => {
    const r = await estimate('--preset', 'llama-7b');
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('  assumes: '))).toEqual(['  assumes: fused kernels as Korthikanti et al. count them (an unfused RMSNorm or a softmax upcast to fp32, as in Hugging Face LLaMA code, saves 1.18-1.70x more per layer)']);
    const notModelled = lines.filter((l) => l.startsWith('  not modelled: '));
    expect(notModelled).toHaveLength(1);
    for (const what of ['allocator fragmentation', "the framework's own context", 'communication buffers', 'LayerNorm/RMSNorm mean and rstd in fp32, 8sb bytes per norm', 'logsumexp']) expect(notModelled[0]).toContain(what);
    const doc = JSON.parse((await estimate('--preset', 'llama-7b', '--json')).stdout);
    expect(`  not modelled: ${doc.notModelled}`).toBe(notModelled[0]);
  });
});

describe('--svg', () => {
  it('says where it wrote the picture: on stdout after the table, on stderr with --json', async () => {
    const file = join(dir, 'gpt2.svg');
    const text = await estimate('--preset', 'gpt2', '--svg', file);
    expect(text.code).toBe(0);
    expect(text.stdout.endsWith(`wrote ${file}\n`)).toBe(true);
    const json = await estimate('--preset', 'gpt2', '--svg', file, '--json');
    expect(JSON.parse(json.stdout).model.name).toBe('gpt2');
    expect(json.stderr).toBe(`wrote ${file}\n`);
    expect(readFileSync(file, 'utf8')).toContain('<svg');
  });

  it('checks the directory before computing, and a failed write is one line', async () => {
    const missing = join(dir, 'missing', 'x.svg');
    // The estimate itself would be refused; the file's directory is checked first.
    expectRefusal(await estimate('--preset', 'llama-7b', '--seq', '100000000', '--svg', missing), /^error: --svg: cannot write '.*x\.svg': no directory '.*missing'/);
    const notDir = join(dir, 'plain-file');
    writeFileSync(notDir, '');
    expectRefusal(await estimate('--preset', 'gpt2', '--svg', join(notDir, 'x.svg')), /^error: --svg: cannot write '.*x\.svg': '.*plain-file' is not a directory/);
    expectRefusal(await estimate('--preset', 'gpt2', '--svg', dir), /^error: --svg: cannot write '.*': EISDIR/);
    expectRefusal(await estimate('--preset', 'gpt2', '--svg', ''), /^error: --svg: expected a file name, got ''/);
  });
});
