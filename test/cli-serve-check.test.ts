// `wasmgrad serve-check` run as a user runs it (node dist/src/cli.js).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Linear, Tanh } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { init } from '../src/runtime.js';
import { saveWeights } from '../src/train/weights-file.js';
import { ArgumentError } from '../src/errors.js';
import { MAX_REQUESTS, timeRequests } from '../src/serve/latency.js';
import { type CliRun, runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-cli-serve-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `wasmgrad serve-check ...args` */
const wasmgrad = (args: string[]) => runCli(['serve-check', ...args]);

const SMALL = ['--layers', '64,32,4', '--requests', '200', '--warmup', '20'];

describe('wasmgrad serve-check', () => {
  let generous: CliRun, impossible: CliRun, noSlo: CliRun, human: CliRun;
  beforeAll(async () => {
    [generous, impossible, noSlo, human] = await Promise.all([
      wasmgrad([...SMALL, '--slo-p99-ms', '100000', '--json']),
      wasmgrad([...SMALL, '--slo-p99-ms', '0.000001', '--json']),
      wasmgrad([...SMALL, '--batch', '8', '--json']),
      wasmgrad([...SMALL, '--slo-p99-ms', '0.000001']),
    ]);
  });

  it('--json: the documented fields, ordered percentiles, exit 0 when the SLO holds', () => {
    expect(generous.stderr).toBe('');
    expect(generous.code).toBe(0);
    const doc = JSON.parse(generous.stdout);
    expect(Object.keys(doc)).toEqual([
      'format', 'layers', 'model', 'weights', 'batch', 'requests', 'warmup', 'percentileMethod', 'latencyMs', 'throughput', 'slo', 'slos', 'build', 'threads',
    ]);
    expect(doc).toMatchObject({
      format: 'wasmgrad.serve-check/1', layers: [64, 32, 4], model: 'Linear(64, 32) -> ReLU -> Linear(32, 4)', weights: null,
      batch: 1, requests: 200, warmup: 20, percentileMethod: 'nearest-rank', slo: { p99Ms: 100000, holds: true }, slos: [],
    });
    expect(['relaxed', 'simd', 'scalar']).toContain(doc.build);
    const { p50, p90, p99, max, mean } = doc.latencyMs;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p90);
    expect(p90).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
    expect(mean).toBeLessThanOrEqual(max);
    // Serial throughput: one request per mean latency.
    expect(doc.throughput.requestsPerSecond).toBeCloseTo(1000 / mean, -1);
    expect(doc.throughput.samplesPerSecond).toBe(doc.throughput.requestsPerSecond);
  });

  it('exits 1 when p99 is above the SLO, with holds: false', () => {
    expect(impossible.code).toBe(1);
    const doc = JSON.parse(impossible.stdout);
    expect(doc.slo).toEqual({ p99Ms: 0.000001, holds: false });
    expect(doc.latencyMs.p99).toBeGreaterThan(0.000001);
  });

  it('without an SLO: slo is null, exit 0; samples/s is requests/s times the batch', () => {
    expect(noSlo.code).toBe(0);
    const doc = JSON.parse(noSlo.stdout);
    expect(doc.slo).toBeNull();
    expect(doc.batch).toBe(8);
    expect(doc.throughput.samplesPerSecond).toBeCloseTo(doc.throughput.requestsPerSecond * 8, 0);
  });

  it('prints percentiles, throughput and the verdict for people', () => {
    expect(human.code).toBe(1);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^wasmgrad serve-check: Linear\(64, 32\) -> ReLU -> Linear\(32, 4\), batch 1, (relaxed|simd|scalar) build, \d+ threads?$/);
    expect(lines[1]).toBe('200 requests after 20 warm-up, initialisation seed 1');
    expect(lines[2]).toMatch(/^latency ms \(nearest rank\): p50 \d+\.\d{3} {2}p90 \d+\.\d{3} {2}p99 \d+\.\d{3} {2}max \d+\.\d{3} {2}mean \d+\.\d{3}$/);
    expect(lines[3]).toMatch(/^throughput \(one request at a time\): [\d,]+ requests\/s, [\d,]+ samples\/s$/);
    expect(lines[4]).toMatch(/^SLO p99 <= 0\.000001 ms: violated \(p99 \d+\.\d{3} ms\)$/);
  });
});

describe('wasmgrad serve-check --weights', () => {
  const path = join(root, 'tanh.json');
  beforeAll(async () => {
    const model = new Sequential(await init(), [Linear(10, 6), Tanh(), Linear(6, 2)], { seed: 4 });
    saveWeights(path, model);
    model.dispose();
  });

  it('takes the layers from the file', async () => {
    const r = await wasmgrad(['--weights', path, '--requests', '20', '--warmup', '0', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ layers: [10, 6, 2], model: 'Linear(10, 6) -> Tanh -> Linear(6, 2)', weights: path, warmup: 0 });
  });

  it('--layers that disagree with the file: exit 2', async () => {
    const r = await wasmgrad(['--weights', path, '--layers', '10,6,2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: --layers/--activation describe 10-6-relu-2 but ${path} holds 10-6-tanh-2`);
  });

  it('a malformed or missing weights file: exit 2 naming it', async () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{"format": "wasmgrad.weights/1", "layers": [], "parameters": []}');
    const r = await wasmgrad(['--weights', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${bad}: layers: a Sequential needs at least one layer`);
    const missing = await wasmgrad(['--weights', join(root, 'none.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`error: ${join(root, 'none.json')}: cannot read the weights file (ENOENT)`);
  });
});

describe.concurrent('wasmgrad serve-check: bad arguments exit 2 with usage', () => {
  it.each([
    [['--requests', '0'], "option '--requests <n>' argument '0' is invalid. expected an integer from 1 to 10,000,000, got '0'"],
    [['--warmup', '-3'], "option '--warmup <n>' argument '-3' is invalid. expected an integer from 0 to 10,000,000, got '-3'"],
    [['--slo-p99-ms', 'fast'], "option '--slo-p99-ms <ms>' argument 'fast' is invalid. expected a positive number, got 'fast'"],
    [['--slo-p99-ms', '0'], "expected a positive number, got '0'"],
    [['--layers', '784'], '--layers needs at least two sizes (input and output), got 784'],
    [['--batch', '2.5'], "expected a positive integer, got '2.5'"],
    [['--frobnicate'], "error: unknown option '--frobnicate'"],
  ])('%j', async (args, message) => {
    const r = await wasmgrad(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/Usage: wasmgrad serve-check|see 'wasmgrad serve-check --help'/);
    expect(r.stdout).toBe('');
  });
});

describe('timeRequests bounds what it keeps', () => {
  it('refuses more requests or warm-up than MAX_REQUESTS before running any', () => {
    let calls = 0;
    const request = () => { calls++; };
    expect(() => timeRequests(request, { requests: MAX_REQUESTS + 1 })).toThrow(new ArgumentError('requests must be at most 10,000,000, got 10000001'));
    expect(() => timeRequests(request, { requests: 1, warmup: 1e10 })).toThrow(new ArgumentError('warmup must be at most 10,000,000, got 10000000000'));
    expect(calls).toBe(0);
  });
});

// serve-check feeds the same Monitor as `wasmgrad monitor`: every timed request is a prediction.
describe('wasmgrad serve-check --slo (the Monitor and its SLO syntax)', () => {
  it('evaluates each objective over windows of the run, and exits 1 when one fails', async () => {
    const r = await wasmgrad([...SMALL, '--window', '5', '--slo', 'latency.p99 < 10s @ 90%', '--slo', 'latency.p50 < 0.000001ms', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.slos.map((s: { slo: string; holds: boolean }) => [s.slo, s.holds])).toEqual([
      ['latency.p99 < 10s @ 90%', true],
      ['latency.p50 < 0.000001ms', false],
    ]);
    expect(doc.slos[0].evaluated).toBeGreaterThan(0);
    expect(doc.slos[1].compliance).toBe(0);
  });

  it('holds: exit 0, a line per objective in the table', async () => {
    const r = await wasmgrad([...SMALL, '--slo', 'latency.max < 60s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SLO latency\.max < 60s: holds \(100\.0% of \d+ windows compliant, target 99\.0%\)$/m);
  });

  it("an objective that does not parse is one line and exit 2, pointing at serve-check's own help", async () => {
    const r = await wasmgrad([...SMALL, '--slo', 'latency.p99 <']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: SLO "latency\.p99 <": expected METRIC OP VALUE.* \(see 'wasmgrad serve-check --help'\)\n$/);
  });
});
