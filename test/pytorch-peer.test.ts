// PyTorch as a benchmark peer: a child process that says which BLAS it runs,
// or an unavailable peer with the reason, never a crash of the benchmark.

import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTORCH_PEER_SCRIPT, runPytorchPeer } from '../src/bench/pytorch-peer.js';
import { pytorchSetting } from '../src/bench/pytorch-result.js';

const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
/** Null when Debian's PyTorch imports; otherwise why the test that needs it is skipped. */
const noTorch = probe.status === 0 ? null : `/usr/bin/python3 cannot import torch: ${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()}`;

describe('the PyTorch peer', () => {
  it('is unavailable, with the reason, when there is no Python or no script', async () => {
    expect(await runPytorchPeer({ timeMs: 10 }, { python: '/nonexistent/python3' })).toEqual({
      available: false,
      reason: 'no Python at /nonexistent/python3 (install python3-torch, or set WASMGRAD_PYTHON)',
    });
    const r = await runPytorchPeer({ timeMs: 10 }, { script: '/nonexistent/peer.py' });
    expect(r).toMatchObject({ available: false, reason: expect.stringMatching(/^the PyTorch peer script \/nonexistent\/peer.py is not here/) });
  });

  it('is unavailable when the script fails, naming the last line it printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-peer-'));
    const script = join(dir, 'broken.py');
    writeFileSync(script, 'import sys\nsys.stderr.write("ImportError: no torch here\\n")\nsys.exit(3)\n');
    chmodSync(script, 0o755);
    expect(await runPytorchPeer({ timeMs: 10 }, { script })).toEqual({
      available: false,
      reason: 'the PyTorch peer exited with code 3 and no result: ImportError: no torch here',
    });
  });

  it('is stopped after its time limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-peer-'));
    const script = join(dir, 'slow.py');
    writeFileSync(script, 'import time\ntime.sleep(30)\n');
    const r = await runPytorchPeer({ timeMs: 10 }, { script, timeoutMs: 300 });
    expect(r).toEqual({ available: false, reason: 'the PyTorch peer was stopped (SIGKILL) after 300 ms' });
  });

  it('measures GEMM and a training step on one thread and names its BLAS (Debian python3-torch)', async (ctx) => {
    ctx.skip(noTorch !== null, noTorch ?? '');
    const r = await runPytorchPeer({
      timeMs: 50,
      gemm: [{ label: '64³', m: 64, n: 64, k: 64, transA: false, transB: true }, { label: 'fc2 dW', m: 10, n: 100, k: 64, transA: true, transB: false }],
      train: { layers: [784, 100, 10], batch: 64, optimizers: { sgd: 0.01, adam: 1e-3 } },
    });
    if (!r.available) throw new Error(r.reason);
    expect(r.threads).toBe(1);
    expect(r.blas.name).not.toBe('unknown');
    // Subnormals flushed, as wasmgrad's optimizers flush theirs (x86 CPUs have the mode).
    if (process.arch === 'x64') expect(r.flushDenormal).toBe(true);
    // OpenBLAS runs kernels as new as the CPU: never a pre-AVX2 set on a CPU with AVX2 (OpenBLAS
    // 0.3.21 takes some current Xeons for a Prescott; the peer then sets OPENBLAS_CORETYPE and says so).
    if (r.blas.name.startsWith('OpenBLAS')) {
      expect(r.blas.core).toMatch(/^\w/);
      const avx2 = /^flags\s*:.*\bavx2\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
      if (avx2) expect(['Prescott', 'Core2', 'Penryn', 'Nehalem', 'Sandybridge', 'Atom']).not.toContain(r.blas.core);
      if (r.blas.forced) expect(r.blas.forced).toMatch(new RegExp(`^OPENBLAS_CORETYPE=${r.blas.core}: OpenBLAS picked \\w+ on this CPU$`));
    }
    // Each shape: the median and fastest call of batched samples, as wasmgrad's timer reports them; GFLOP/s from the median.
    expect(r.gemm.map((g) => g.label)).toEqual(['64³', 'fc2 dW']);
    for (const [g, macs] of [[r.gemm[0]!, 64 ** 3], [r.gemm[1]!, 10 * 100 * 64]] as const) {
      expect(g.minMs).toBeGreaterThan(0);
      expect(g.ms).toBeGreaterThanOrEqual(g.minMs);
      expect(g.samples).toBeGreaterThanOrEqual(10);
      expect(g.batch * g.minMs).toBeGreaterThanOrEqual(0.25 * 0.5);
      expect(g.gflops).toBeCloseTo((2 * macs) / (g.ms * 1e6), 9);
    }
    expect(r.train.map((t) => t.optimizer)).toEqual(['sgd', 'adam']);
    expect(r.train.every((t) => t.samplesPerSecond > 0 && t.steps >= 10)).toBe(true);
  });

  it('names the OpenBLAS kernel set in the report line, and why it was set', () => {
    const base = { available: true as const, version: '1.13.0a0', python: '/usr/bin/python3', threads: 1, flushDenormal: true };
    expect(pytorchSetting({ ...base, blas: { name: 'OpenBLAS (pthread)', libraries: [], core: 'Cooperlake', forced: 'OPENBLAS_CORETYPE=Cooperlake: OpenBLAS picked Prescott on this CPU' } }))
      .toBe('1 thread, BLAS: OpenBLAS (pthread), Cooperlake kernels (OPENBLAS_CORETYPE=Cooperlake: OpenBLAS picked Prescott on this CPU), subnormals flushed');
    expect(pytorchSetting({ ...base, blas: { name: 'OpenBLAS (pthread)', libraries: [], core: 'Zen', forced: null } })).toBe('1 thread, BLAS: OpenBLAS (pthread), Zen kernels, subnormals flushed');
    expect(pytorchSetting({ ...base, blas: { name: 'reference BLAS (libblas3, about 10x slower)', libraries: [], core: null, forced: null } }))
      .toBe('1 thread, BLAS: reference BLAS (libblas3, about 10x slower), subnormals flushed');
  });

  it('finds the script of this checkout', () => {
    expect(PYTORCH_PEER_SCRIPT.endsWith(join('bench', 'pytorch-peer.py'))).toBe(true);
  });
});
