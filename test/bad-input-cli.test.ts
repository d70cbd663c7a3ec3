// Every option of the commands below, given bad values, as a user types them:
// the built CLI must exit 2 with exactly one line on stderr that names the
// option, print no stack trace and nothing on stdout, and stop within seconds
// (a value that slipped through would run the whole job).
//
// The option table is here, next to the values: a new option is one row.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-bad-input-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const missingFile = join(root, 'no-such-file.json');
const missingDir = join(root, 'no-such-dir');
const aDirectory = join(root, 'a-directory');
const aFile = join(root, 'a-file.txt');
const notJson = join(root, 'not-json.json');
const deepJson = join(root, 'deep.json');
mkdirSync(aDirectory);
writeFileSync(aFile, 'not a dataset\n');
writeFileSync(notJson, '{"format": ');
writeFileSync(deepJson, `{"format":"wasmgrad.weights/1","layers":[${'['.repeat(100_000)}${']'.repeat(100_000)}],"parameters":[]}`);

// A valid two-image dataset, so train's bad values are judged on their own.
const data = join(root, 'data');
mkdirSync(data);
const idx = (dims: number[], payload: number[]) => {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(payload)]);
};
for (const split of ['train', 't10k']) {
  writeFileSync(join(data, `${split}-images-idx3-ubyte.gz`), gzipSync(idx([2, 2, 2], [0, 9, 0, 9, 9, 0, 9, 0])));
  writeFileSync(join(data, `${split}-labels-idx1-ubyte`), idx([2], [0, 1]));
}

/** Bad values by what an option takes (a few of each family: a child process costs about 0.3 s). */
const BAD = {
  count: ['', '-1', '0', '2.5', '0x10', '99999999999999999999', 'ten'],
  countFrom0: ['', '-1', '2.5', '0x10', '99999999999999999999'],
  seed: ['-1', '0x10', '4294967296', 'one'],
  positive: ['', '0', '-1', '0x10', 'NaN', 'Infinity', '1e400'],
  float32: ['', '0', '0x10', 'NaN', '1e39', '1e-50', '1e-40'],
  sizes: ['', '784', '784,0,10', '784,1.5,10', '0x10,10', '784,,10', '784,99999999999999999999,10'],
  indices: ['', '0', '1.5', '0x1', '99999999999999999999'],
  choice: ['', 'nope'],
  outFile: ['', join(missingDir, 'out.html'), aDirectory],
  inFile: ['', missingFile, aDirectory, notJson, deepJson],
  inDir: ['', missingDir, aFile],
} as const;
type Kind = keyof typeof BAD;

interface Command {
  /** Arguments before the option under test (the subcommand and what makes the rest valid). */
  base: string[];
  options: Record<string, Kind>;
  /** Values that are bad for this command only. */
  extra?: [string, string][];
}

const COMMANDS: Record<string, Command> = {
  'main job': {
    base: [],
    options: { '--report': 'outFile', '--train-steps': 'count' },
    extra: [['--train-steps', '1'], ['--train-steps', '1000000000000']],
  },
  profile: {
    base: ['profile', '--json'],
    options: {
      '--layers': 'sizes', '--activation': 'choice', '--slope': 'float32', '--batch': 'count', '--batches': 'indices',
      '--optimizer': 'choice', '--loss': 'choice', '--checkpoint': 'indices', '--build': 'choice', '--seed': 'seed', '--html': 'outFile',
    },
    extra: [['--checkpoint', '2']],
  },
  train: {
    base: ['train', '--data', data, '--layers', '4,3,2', '--json'],
    options: {
      '--data': 'inDir', '--epochs': 'count', '--batch': 'count', '--optimizer': 'choice', '--lr': 'float32',
      '--layers': 'sizes', '--activation': 'choice', '--seed': 'seed', '--build': 'choice', '--save': 'outFile',
    },
    extra: [['--epochs', '1000000000000'], ['--layers', '5,3,2'], ['--layers', '4,3,7']],
  },
  'serve-check': {
    base: ['serve-check', '--json'],
    options: {
      '--layers': 'sizes', '--activation': 'choice', '--batch': 'count', '--requests': 'count', '--warmup': 'countFrom0',
      '--slo-p99-ms': 'positive', '--weights': 'inFile', '--seed': 'seed', '--build': 'choice',
    },
    extra: [['--batch', '1000000000'], ['--requests', '10000000000'], ['--warmup', '10000000000']],
  },
};

interface Case {
  command: string;
  option: string;
  args: string[];
}

const cases: Case[] = Object.entries(COMMANDS).flatMap(([command, { base, options, extra = [] }]) => [
  ...Object.entries(options).flatMap(([option, kind]) => BAD[kind].map((value) => ({ command, option, args: [...base, option, value] }))),
  { command, option: Object.keys(options)[0]!, args: [...base, Object.keys(options)[0]!] }, // value missing (commander's check, the same for all)
  ...extra.map(([option, value]) => ({ command, option, args: [...base, option, value] })),
]);

/** Runs every case, two children at a time (the machine is shared). */
async function runAll(all: Case[], concurrency = 2): Promise<{ run: CliRun; ms: number }[]> {
  const results: { run: CliRun; ms: number }[] = new Array(all.length);
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const i = next++;
      const start = performance.now();
      const run = await runCli(all[i]!.args);
      results[i] = { run, ms: performance.now() - start };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

describe('bad values for every option: exit 2, one line naming the option, no trace, nothing on stdout', () => {
  let results: { run: CliRun; ms: number }[];
  beforeAll(async () => {
    results = await runAll(cases);
  }, 180_000);

  it.each(cases.map((c, i) => [c.args.slice(-2).join(' '), c.command, i] as const))('%s (%s)', (_, __, i) => {
    const { run, ms } = results[i]!;
    const shown = JSON.stringify({ args: cases[i]!.args, ...run });
    expect(run.code, shown).toBe(2);
    expect(run.stderr, shown).toMatch(/^error: [^\n]+\n$/);
    // Parsers name the option, the library the field ('checkpoint[0] is layer 2, ...') or the file.
    const value = cases[i]!.args.at(-1)!;
    expect(run.stderr.includes(cases[i]!.option.replace(/^--/, '')) || (value.startsWith(root) && run.stderr.includes(value)), shown).toBe(true);
    expect(run.stderr, shown).not.toMatch(/^\s+at /m);
    expect(run.stderr.length, shown).toBeLessThan(600);
    expect(run.stdout, shown).toBe('');
    expect(ms, shown).toBeLessThan(8000);
  });
});

describe('errors found while running are one line too', () => {
  it.each([
    // Warm-up needs 8 GB for one layer's output: a typed OutOfMemoryError, caught at the top.
    [['serve-check', '--batch', '20000', '--layers', '10,100000,10'], /^error: cannot allocate .* bytes/],
    [['serve-check', '--batch', '1000000000'], /^error: --batch 1000000000: one request's input is 1000000000 x 784 float32 = 3,136,000,000,000 bytes/],
    [['profile', '--batch', '1000000000'], /^error: .* bytes/],
    [['profile', '--layers', '784,100000,100000,10'], /^error: .*bytes/],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });
});
