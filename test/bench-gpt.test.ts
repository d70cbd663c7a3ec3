// `wasmgrad bench gpt`: GPT training tokens/s with the GEMMs' share of a step,
// next to PyTorch training the reference GPT; an unavailable peer is a line.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { runGptBench } from '../src/bench/gpt-bench.js';
import { runPytorchPeer } from '../src/bench/pytorch-peer.js';
import type { PytorchPeer } from '../src/bench/pytorch-result.js';
import { GPT } from '../src/gpt/model.js';
import { AdamW } from '../src/optim/adam.js';
import { benchGptDocument, renderBenchGptTable } from '../src/report/bench-gpt-document.js';
import { runCli } from './helpers/cli.js';

const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const noTorch = probe.status === 0 ? null : `/usr/bin/python3 cannot import torch: ${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()}`;
const tiny = { vocab: 11, seq: 8, hidden: 16, heads: 2, layers: 1 };

describe('bench gpt', () => {
  it("times training steps and the step's GEMMs alone, whose MACs are the plan's", async () => {
    const rt = await init({ build: 'simd' });
    const r = await runGptBench(rt, { timeMs: 50, config: tiny, batch: 2 });
    expect(r.tokensPerSecond).toBeCloseTo((2 * 8 * 1000) / r.msPerStep, 6);
    expect(r.gemmMsPerStep).toBeGreaterThan(0);
    const model = new GPT(rt, tiny);
    const plan = model.stepPlan(2, 8, new AdamW());
    expect(r.gemmMacs).toBe(plan.reduce((s, op) => s + (op.op === 'run' ? op.gemmMacs : 0), 0));
    model.dispose();
    const peer: PytorchPeer = { available: true, version: '1.13.0a0', python: '/usr/bin/python3', threads: 1, blas: { name: 'OpenBLAS (pthread)', libraries: [] }, flushDenormal: true, gemm: [], train: [], gpt: { tokensPerSecond: r.tokensPerSecond / 2, msPerStep: 2 * r.msPerStep, steps: 10 }, fit: null };
    const doc = benchGptDocument(r, peer);
    expect(doc.ratio).toBeCloseTo(2, 6);
    expect(renderBenchGptTable(doc)).toMatch(/ratio {6}2\.00x PyTorch's tokens\/s/);
    const none = benchGptDocument(r, { available: false, reason: 'no Python at /x' });
    expect(none.ratio).toBeNull();
    expect(renderBenchGptTable(none)).toMatch(/PyTorch {4}unavailable: no Python at \/x/);
  }, 30_000);

  it('PyTorch trains the reference GPT on one thread (Debian python3-torch)', async (ctx) => {
    ctx.skip(noTorch !== null, noTorch ?? '');
    const r = await runPytorchPeer({ timeMs: 50, gpt: { config: { ...tiny, ffn: 64, dropout: 0, bias: true, tiedHead: true, norm: 'layernorm', feedForward: 'gelu', normEps: 1e-5 }, batch: 2, tokens: 8, lr: 1e-3 } });
    expect(r.available).toBe(true);
    if (r.available) {
      expect(r.threads).toBe(1);
      expect(r.gpt!.tokensPerSecond).toBeGreaterThan(0);
    }
  }, 60_000);

  it('runs from the command line and prints its JSON document', async () => {
    const r = await runCli(['bench', 'gpt', '--time', '50', '--threads', '2', '--json'], { WASMGRAD_PYTHON: '/nonexistent/python3' });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ReturnType<typeof benchGptDocument>;
    expect(doc.format).toBe('wasmgrad.bench.gpt/1');
    // --threads: the document and its runtime line name the threads it ran on.
    expect(doc.threads).toBe(2);
    expect(doc.engine).toMatch(/ build, 2 threads \(engine:/);
    expect(doc.wasmgrad.gemmShare).toBeGreaterThan(0);
    expect(doc.wasmgrad.gemmShare).toBeLessThan(1.5);
    expect(doc.pytorch).toEqual({ available: false, reason: 'no Python at /nonexistent/python3 (install python3-torch, or set WASMGRAD_PYTHON)' });
  }, 60_000);
});
