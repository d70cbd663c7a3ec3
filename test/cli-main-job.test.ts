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
    const r = await wasmgrad(['--train-steps', '2', '--report', report, '--threads', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wasmgrad main job: the classic MNIST network 784-100-10 (ReLU), batch 64, Adam');
    // --threads: the runtime line, the memory profile and the MAC throughput name the threads they ran on.
    expect(r.stdout).toMatch(/^ {2}wasmgrad \w+ build, 2 threads \(engine:/m);
    expect(r.stdout).toMatch(/^MAC throughput on 2 threads .*peak probe [\d.]+ GFLOP\/s with \d+ chains on one thread\)$/m);
    // A share of peak, or n/a with the anomaly named when a one-thread figure beat the re-measured probe.
    expect(r.stdout).toMatch(/GFLOP\/s {2}1 thread +[\d.]+ \( *(\d+%|n\/a) of peak\), speedup [\d.]+x/);
    if (/n\/a of peak/.test(r.stdout)) expect(r.stdout).toMatch(/^ {2}anomaly: .* above the peak probe's [\d.]+ after \d+ more probe runs/m);
    // The reference example's numbers, spelled out.
    expect(r.stdout).toContain('784 inputs x 100 units = 78,400 weights (+ 100 biases)');
    expect(r.stdout).toContain('940,800 B at 4 B each');
    expect(r.stdout).toMatch(/Training run: 2 steps on synthetic data/);
    expect(r.stdout).toMatch(/loss \d+\.\d{4} -> \d+\.\d{4}, [\d,]+ samples\/s/);
    expect(r.stdout).toContain(`report: ${report}`);
    expect(readFileSync(report, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  }, 60_000);

  it.each(['1', '0', 'two', '100001'])('--train-steps %s is a usage error: samples/s is timed over the steps after the first, and steps are capped', async (steps) => {
    const report = join(root, `never-${steps}.html`);
    const r = await wasmgrad(['--train-steps', steps, '--report', report]);
    expect(r.code).toBe(2);
    // One line: the error and where to read more, not the whole usage.
    expect(r.stderr).toBe(
      `error: option '--train-steps <n>' argument '${steps}' is invalid. expected an integer from 2 to 100,000, got '${steps}' (see 'wasmgrad --help')\n`,
    );
    expect(r.stdout).toBe('');
    expect(existsSync(report)).toBe(false);
  });

  it('--report in a directory that does not exist is refused before the job runs', async () => {
    const start = performance.now();
    const r = await wasmgrad(['--report', '/nonexistent/r.html']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --report: directory /nonexistent does not exist (see 'wasmgrad --help')\n");
    expect(r.stdout).toBe('');
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

describe('wasmgrad commands', () => {
  it('an unknown command suggests the nearest one, on one line', async () => {
    const r = await wasmgrad(['profil']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown command 'profil' (did you mean profile?) (see 'wasmgrad --help')\n");
    expect(r.stdout).toBe('');
    const far = await wasmgrad(['frobnicate']);
    expect(far.stderr).toBe("error: unknown command 'frobnicate' (see 'wasmgrad --help')\n");
  });

  it('help <command> prints that command\'s help', async () => {
    const r = await wasmgrad(['help', 'profile']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: wasmgrad profile \[options\]/);
    expect(r.stderr).toBe('');
  });

  it('help <unknown command> is an unknown command, on one line', async () => {
    const r = await wasmgrad(['help', 'profil']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown command 'profil' (did you mean profile?) (see 'wasmgrad --help')\n");
  });
});
