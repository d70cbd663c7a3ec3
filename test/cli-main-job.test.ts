// `wasmgrad` with no subcommand (the main job), run as a user runs it.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-cli-main-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const wasmgrad = runCli;

describe('wasmgrad (the main job)', () => {
  it('profiles, measures and trains 784-100-10, then writes the report', async () => {
    const report = join(root, 'report.html');
    const r = await wasmgrad(['--train-steps', '2', '--report', report]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wasmgrad main job: the classic MNIST network 784-100-10 (ReLU), batch 64, Adam');
    // The reference example's numbers, spelled out.
    expect(r.stdout).toContain('784 inputs x 100 units = 78,400 weights (+ 100 biases)');
    expect(r.stdout).toContain('940,800 B at 4 B each');
    expect(r.stdout).toMatch(/Training run: 2 steps on synthetic data/);
    expect(r.stdout).toMatch(/loss \d+\.\d{4} -> \d+\.\d{4}, [\d,]+ samples\/s/);
    expect(r.stdout).toContain(`report: ${report}`);
    expect(readFileSync(report, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  }, 60_000);

  it.each(['1', '0', 'two'])('--train-steps %s is a usage error: samples/s is timed over the steps after the first', async (steps) => {
    const report = join(root, `never-${steps}.html`);
    const r = await wasmgrad(['--train-steps', steps, '--report', report]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`option '--train-steps <n>' argument '${steps}' is invalid. expected an integer >= 2, got '${steps}'`);
    expect(r.stdout).toBe('');
    expect(existsSync(report)).toBe(false);
  });
});
