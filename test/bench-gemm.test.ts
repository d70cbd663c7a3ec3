import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MLP_TRAINING_SHAPES,
  gemmFlops,
  gemmShape,
  runGemmBench,
  shapeResult,
  squareShapes,
  type GemmBenchResult,
} from '../src/bench/gemm-bench.js';
import { PEAK_CHAINS, measurePeak, peakProbeMacs } from '../src/bench/peak.js';
import { loadOrtWeb, type OrtWebPeer } from '../src/bench/ort-peer.js';
import { jsGemm, loadTfjsWasm, type TfjsWasmPeer } from '../src/bench/peers.js';
import type { PytorchPeer } from '../src/bench/pytorch-peer.js';
import { benchGemmDocument, renderBenchGemmTable, type BenchGemmDocument } from '../src/report/bench-gemm-document.js';
import { benchTrainDocument, renderBenchTrainTable, type BenchTrainDocument } from '../src/report/bench-train-document.js';
import type { TrainBenchResult } from '../src/bench/train-bench.js';
import { ArgumentError, gemm, init, type Runtime } from '../src/index.js';
import { randomArray, rng } from './helpers/rng.js';

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Every number in a row of the report follows from its measured times and the
 * run's peak; the ratios to the one-thread probe and peers from wasmgrad's
 * one-thread figure, the speedup from its N-thread one over that.
 */
function expectRowConsistent(report: GemmBenchResult) {
  for (const s of report.shapes) {
    expect(s.flops).toBe(2 * s.m * s.n * s.k);
    for (const impl of ['wasmgrad', 'wasmgrad-1thread', 'tfjs-wasm', 'ort-web', 'pytorch', 'js'] as const) {
      const ms = s.ms[impl];
      if (ms === null) expect(s.gflops[impl]).toBeNull();
      else expect(s.gflops[impl]).toBeCloseTo(s.flops / (ms * 1e6), 9);
    }
    expect(s.gflops.peak).toBe(report.peak.gflops);
    const single = s.gflops['wasmgrad-1thread']!;
    expect(s.ratio.peak).toBeCloseTo(single / report.peak.gflops, 12);
    expect(s.ratio.speedup).toBeCloseTo(s.gflops.wasmgrad! / single, 12);
    for (const [key, peer] of [['tfjs', 'tfjs-wasm'], ['ort', 'ort-web'], ['pytorch', 'pytorch']] as const) {
      if (s.gflops[peer] === null) expect(s.ratio[key]).toBeNull();
      else expect(s.ratio[key]).toBeCloseTo(single / s.gflops[peer]!, 12);
    }
  }
}

describe('GEMM benchmark shapes', () => {
  it('are the five GEMMs of a 784-100-10 training step at batch 64, in PyTorch layout', () => {
    const dims = MLP_TRAINING_SHAPES.map(({ m, n, k, transA, transB }) => [m, n, k, transA, transB]);
    expect(dims).toEqual([
      [64, 100, 784, false, true], // fc1 forward: x W1^T
      [64, 10, 100, false, true], // fc2 forward: h W2^T
      [10, 100, 64, true, false], // fc2 weight gradient: dY2^T h
      [64, 100, 10, false, false], // fc2 input gradient: dY2 W2
      [100, 784, 64, true, false], // fc1 weight gradient: dY1^T x
    ]);
    expect(MLP_TRAINING_SHAPES[0].label).toBe('fc1 fwd 64x784·784x100ᵀ');
    expect(MLP_TRAINING_SHAPES[4].label).toBe('fc1 dW 100x64ᵀ·64x784');
  });

  it('rejects sizes that are not positive integers or are too large', () => {
    expect(() => squareShapes([0])).toThrow(/sizes\[0\] must be an integer >= 1, got 0/);
    expect(() => squareShapes([64, 2.5])).toThrow(/sizes\[1\] must be an integer >= 1, got 2.5/);
    expect(() => squareShapes([5000])).toThrow(/sizes\[0\] must be at most 4096, got 5000/);
    expect(() => gemmShape('x', 4, 0, 4)).toThrow(ArgumentError);
  });
});

describe('shapeResult', () => {
  it('computes GFLOP/s from the median times and the ratios from those GFLOP/s', () => {
    const shape = gemmShape('t', 30, 20, 10);
    const r = shapeResult(shape, { wasmgrad: { medianMs: 0.004, samples: 9, batch: 1 }, 'tfjs-wasm': { medianMs: 0.012, samples: 7, batch: 1 } }, 5);
    const wasmgrad = 12_000 / (0.004 * 1e6);
    expect(r.flops).toBe(12_000);
    expect(r.gflops.wasmgrad).toBeCloseTo(wasmgrad, 12);
    expect(r.gflops['tfjs-wasm']).toBeCloseTo(12_000 / (0.012 * 1e6), 12);
    expect(r.gflops.js).toBeNull();
    expect(r.gflops.peak).toBe(5);
    expect(r.ratio.peak).toBeCloseTo(wasmgrad / 5, 12);
    expect(r.ratio.tfjs).toBeCloseTo(3, 12);
    // Without a one-thread measurement, wasmgrad ran on one thread: the same measurement fills both columns.
    expect(r.samples).toEqual({ wasmgrad: 9, 'wasmgrad-1thread': 9, 'tfjs-wasm': 7, 'ort-web': null, pytorch: null, js: null });
    expect(r.gflops['wasmgrad-1thread']).toBe(r.gflops.wasmgrad);
    expect(r.ratio.speedup).toBe(1);
  });

  it('on N threads: the speedup over the one-thread figure, and the ratios to the one-thread probe and peers from that figure', () => {
    const shape = gemmShape('t', 30, 20, 10);
    const r = shapeResult(shape, {
      wasmgrad: { medianMs: 0.002, samples: 9, batch: 1 }, 'wasmgrad-1thread': { medianMs: 0.004, samples: 8, batch: 1 }, 'tfjs-wasm': { medianMs: 0.012, samples: 7, batch: 1 },
    }, 5);
    expect(r.gflops.wasmgrad).toBeCloseTo(6, 12);
    expect(r.gflops['wasmgrad-1thread']).toBeCloseTo(3, 12);
    expect(r.ratio.speedup).toBeCloseTo(2, 12);
    expect(r.ratio.peak).toBeCloseTo(3 / 5, 12);
    expect(r.ratio.tfjs).toBeCloseTo(3, 12);
    expect(r.ms).toMatchObject({ wasmgrad: 0.002, 'wasmgrad-1thread': 0.004 });
  });

  it('leaves a ratio null when a side is missing', () => {
    const r = shapeResult(gemmShape('t', 2, 2, 2), { wasmgrad: { medianMs: 1, samples: 1, batch: 1 } }, null);
    expect(r.ratio).toEqual({ peak: null, tfjs: null, ort: null, pytorch: null, speedup: 1 });
    expect(shapeResult(gemmShape('t', 2, 2, 2), {}, null).ratio.speedup).toBeNull();
  });
});

describe('peak probe', () => {
  it('counts iters * chains * 4 lanes in SIMD builds and iters * 8 in the scalar build', () => {
    for (const chains of PEAK_CHAINS) {
      expect(peakProbeMacs('simd', chains, 1000)).toBe(1000 * chains * 4);
      expect(peakProbeMacs('relaxed', chains, 1000)).toBe(1000 * chains * 4);
      expect(peakProbeMacs('scalar', chains, 1000)).toBe(1000 * 8);
    }
  });

  it('rejects chain counts the probe does not implement and non-positive iteration counts', () => {
    expect(() => peakProbeMacs('simd', 9, 10)).toThrow(/chains must be one of 8, 10, 12, got 9/);
    expect(() => peakProbeMacs('simd', 8, 0)).toThrow(/iters must be an integer >= 1, got 0/);
  });

  it('reports, per chain count, the rate that follows from its iterations and fastest call', async () => {
    for (const build of ['simd', 'scalar'] as const) {
      const rt = await init({ build });
      const peak = await measurePeak(rt, { timeMs: 20 });
      expect(peak.byChains.map((p) => p.chains)).toEqual(build === 'scalar' ? [8] : [8, 10, 12]);
      for (const p of peak.byChains) {
        expect(p.bestSeconds).toBeGreaterThan(0);
        expect(p.gflops).toBeCloseTo((2 * peakProbeMacs(build, p.chains, p.iters)) / p.bestSeconds / 1e9, 9);
      }
      expect(peak.gflops).toBe(Math.max(...peak.byChains.map((p) => p.gflops)));
      expect(peak.lanes).toBe(build === 'scalar' ? 1 : 4);
    }
  });
});

describe('plain-JS peer', () => {
  it('computes the same product as wasmgrad for every transpose', async () => {
    const rt = await init();
    const next = rng(7);
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const shape = gemmShape('t', 5, 7, 3, transA, transB);
      const a = randomArray(15, next), b = randomArray(21, next);
      const expected = new Float32Array(35);
      gemm(rt, 5, 7, 3, a, b, expected, { transA, transB });
      const actual = jsGemm(shape, a, b, new Float32Array(35).fill(Number.NaN));
      for (let i = 0; i < 35; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(1e-5);
    }
  });
});

const missing = async (s: string) => {
  throw Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' });
};
const broken = async () => {
  throw new Error('this engine has no WebAssembly SIMD');
};

describe('tfjs-wasm peer', () => {
  it('is reported unavailable, with the reason, when TensorFlow.js is not installed', async () => {
    const peer = await loadTfjsWasm(missing);
    expect(peer.prepare).toBeNull();
    expect(peer.info.available).toBe(false);
    expect(peer.info.reason).toMatch(/@tensorflow\/tfjs-core and @tensorflow\/tfjs-backend-wasm not installed/);
  });

  it('is reported unavailable, with the loader\'s own message, when loading fails or the backend will not start', async () => {
    expect((await loadTfjsWasm(broken)).info).toMatchObject({
      available: false,
      reason: 'could not load @tensorflow/tfjs-core / @tensorflow/tfjs-backend-wasm: this engine has no WebAssembly SIMD',
    });
    const noBackend = async (s: string) =>
      s.endsWith('-wasm') ? { setWasmPaths() {} } : { setBackend: () => Promise.reject(new Error('no wasm here')), ready: async () => {} };
    expect((await loadTfjsWasm(noBackend)).info.reason).toBe('the tfjs WASM backend did not start: no wasm here');
  });
});

describe('ort-web peer', () => {
  it('runs onnxruntime-web on its WASM backend, one thread, no proxy, and computes every transpose as wasmgrad does', async () => {
    const rt = await init();
    const peer = await loadOrtWeb();
    expect(peer.info).toMatchObject({ available: true, reason: null, backend: 'wasm', threads: 1, proxy: false, version: expect.stringMatching(/^1\./) });
    const next = rng(11);
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const shape = gemmShape('t', 5, 7, 3, transA, transB);
      const a = randomArray(15, next), b = randomArray(21, next);
      const expected = new Float32Array(35);
      gemm(rt, 5, 7, 3, a, b, expected, { transA, transB });
      const prepared = await peer.prepare!(shape, a, b);
      const actual = await prepared.run();
      await prepared.dispose();
      expect(actual).toHaveLength(35);
      for (let i = 0; i < 35; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(1e-5);
    }
  });

  it('is reported unavailable, with the reason, when onnxruntime-web is missing or its backend cannot start', async () => {
    expect(await loadOrtWeb(missing)).toEqual({
      info: { available: false, reason: 'onnxruntime-web not installed (npm install --save-dev onnxruntime-web)', version: null, backend: null, threads: null, proxy: null },
      prepare: null,
    });
    expect((await loadOrtWeb(broken)).info.reason).toBe('could not load onnxruntime-web: this engine has no WebAssembly SIMD');
    const noSession = async () => ({
      env: { versions: {}, wasm: {} },
      Tensor: class {},
      InferenceSession: { create: () => Promise.reject(new Error('no available backend found')) },
    });
    expect((await loadOrtWeb(noSession)).info.reason).toBe('the onnxruntime-web WASM backend did not start: no available backend found');
    const wrong = async () => ({
      env: { versions: {}, wasm: {} },
      Tensor: class {},
      InferenceSession: { create: async () => ({ run: async () => ({ C: { data: new Float32Array(4) } }), release: async () => {} }) },
    });
    expect((await loadOrtWeb(wrong)).info.reason).toBe('onnxruntime-web computed [1 2; 3 4] x I as 0,0,0,0');
  });
});

describe('runGemmBench on tiny shapes', () => {
  let rt: Runtime;
  let tfjs: TfjsWasmPeer;
  let ort: OrtWebPeer;
  let report: GemmBenchResult;
  const shapes = [...squareShapes([8]), gemmShape('ta', 5, 7, 3, true, false), gemmShape('tb', 4, 6, 9, false, true)];
  // PyTorch's child process stood in for by its answer: shape i took (i + 1) µs per call.
  const torch: PytorchPeer = {
    available: true, version: '1.13.0a0', python: '/usr/bin/python3', threads: 1, blas: { name: 'OpenBLAS (pthread)', libraries: [] }, flushDenormal: true,
    gemm: shapes.map((s, i) => ({ label: s.label, ms: (i + 1) / 1000, minMs: (i + 1) / 1000, samples: 10, batch: 100, gflops: 0 })),
    train: [],
    gpt: null, fit: null,
  };
  let asked: { labels: string[]; timeMs: number } | undefined;

  beforeAll(async () => {
    rt = await init({ threads: 2 });
    tfjs = await loadTfjsWasm();
    ort = await loadOrtWeb();
    const pytorch = async (s: readonly { label: string }[], timeMs: number) => ((asked = { labels: s.map((x) => x.label), timeMs }), torch);
    report = await runGemmBench(rt, { shapes, timeMs: 20, warmupMs: 30, peakTimeMs: 10, jsMaxMacs: 8 * 8 * 8 - 1, tfjs, ort, pytorch });
  });

  it('runs tfjs on its WASM backend, single-threaded', () => {
    expect(tfjs.info).toMatchObject({ available: true, reason: null, backend: 'wasm', threads: 1 });
  });

  it('times tfjs on a product it computes and disposes within the call, leaving no tensor behind', async () => {
    const tf = tfjs.tf as unknown as { memory(): { numTensors: number }; profile(f: () => void): Promise<{ kernelNames: string[] }> };
    const prepared = await tfjs.prepare!(gemmShape('t', 5, 7, 3, true, false), randomArray(15, rng(3)), randomArray(21, rng(4)));
    try {
      const before = tf.memory().numTensors;
      const { kernelNames } = await tf.profile(() => prepared.compute!());
      expect(kernelNames).toContain('BatchMatMul');
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      prepared.dispose();
    }
  });

  it('has the documented fields and nothing that JSON would lose', () => {
    const json = JSON.parse(JSON.stringify(benchGemmDocument(report))) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(
      ['build', 'cores', 'cpu', 'date', 'features', 'format', 'gemmTile', 'loadavg', 'node', 'overheadNs', 'peak', 'peers', 'shapes', 'statistic', 'threads', 'threadsNote', 'timeMs', 'v8', 'warmupMs'].sort(),
    );
    expect(json).toMatchObject({ format: 'wasmgrad.bench.gemm/1', build: rt.build, gemmTile: rt.gemmTile ?? null, threads: 2, threadsNote: null, statistic: 'median', timeMs: 20, warmupMs: 30, node: process.version, v8: process.versions.v8 });
    expect(report.features).toEqual(rt.features);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    expect(report.overheadNs).toBeGreaterThan(0);
    expect(Object.keys(report.peers)).toEqual(['tfjs-wasm', 'ort-web', 'pytorch', 'js']);
    expect(report.peers['ort-web']).toEqual(ort.info);
    expect(report.peers.pytorch).toEqual({ available: true, version: '1.13.0a0', python: '/usr/bin/python3', threads: 1, blas: torch.available && torch.blas, flushDenormal: torch.available && torch.flushDenormal });
    expect(report.peers.js.maxMacs).toBe(511);
    expect(report.shapes.map((s) => s.label)).toEqual(shapes.map((s) => s.label));
    for (const s of report.shapes) {
      expect(Object.keys(s).sort()).toEqual(['flops', 'gflops', 'k', 'label', 'm', 'ms', 'n', 'ratio', 'samples', 'transA', 'transB'].sort());
      expect(Object.keys(s.gflops)).toEqual(['wasmgrad', 'wasmgrad-1thread', 'peak', 'tfjs-wasm', 'ort-web', 'pytorch', 'js']);
      expect(Object.keys(s.ratio)).toEqual(['peak', 'tfjs', 'ort', 'pytorch', 'speedup']);
      expect(s.gflops.wasmgrad).toBeGreaterThan(0);
      // Two measurements: on the runtime's 2 threads and on one thread.
      expect(s.gflops['wasmgrad-1thread']).toBeGreaterThan(0);
      expect(s.samples['wasmgrad-1thread']).toBeGreaterThan(0);
      expect(s.ms['wasmgrad-1thread']).not.toBe(s.ms.wasmgrad);
      expect(s.gflops['tfjs-wasm']).toBeGreaterThan(0);
      expect(s.gflops['ort-web']).toBeGreaterThan(0);
    }
  });

  it('asks PyTorch for the same shapes and budget, and takes each shape\'s median from its answer', () => {
    expect(asked).toEqual({ labels: shapes.map((s) => s.label), timeMs: 20 });
    expect(report.shapes.map((s) => [s.ms.pytorch, s.samples.pytorch])).toEqual([[0.001, 10], [0.002, 10], [0.003, 10]]);
    expect(report.shapes[1].gflops.pytorch).toBeCloseTo((2 * 5 * 7 * 3) / (0.002 * 1e6), 12);
  });

  it('skips plain JS above jsMaxMacs and runs it below', () => {
    expect(report.shapes.map((s) => s.gflops.js === null)).toEqual([true, false, false]);
  });

  it('derives every GFLOP/s and ratio from the measured times', () => {
    expectRowConsistent(report);
  });

  it('prints 2 threads, 1 thread and the speedup side by side, and says the ratios use the one-thread figure', () => {
    const table = renderBenchGemmTable(benchGemmDocument(report));
    expect(table).toContain(`${rt.build} build (tile ${rt.gemmTile}), wasmgrad on 2 threads and on 1\n`);
    expect(table).toMatch(/^shape +2 threads +1 thread +speedup +peak +tfjs-wasm /m);
    const s = report.shapes[0];
    const row = table.split('\n').find((l) => l.startsWith(s.label))!.trim().split(/ {2,}/);
    expect(row.slice(1, 4)).toEqual([s.gflops.wasmgrad!.toFixed(1), s.gflops['wasmgrad-1thread']!.toFixed(1), `${s.ratio.speedup!.toFixed(2)}x`]);
    expect(table).toContain("the peak probe and the peers run on one thread, so the ratios use wasmgrad's 1-thread figure");
  });

  it('on one thread, times wasmgrad once and prints one column, saying so', async () => {
    const one = await init({ threads: 1 });
    const r = await runGemmBench(one, { shapes: shapes.slice(0, 1), timeMs: 10, warmupMs: 10, peakTimeMs: 5, tfjs: false, ort: false, pytorch: false });
    expect(r.threads).toBe(1);
    expect(r.shapes[0].ms['wasmgrad-1thread']).toBe(r.shapes[0].ms.wasmgrad);
    expect(r.shapes[0].ratio.speedup).toBe(1);
    const table = renderBenchGemmTable(benchGemmDocument(r));
    expect(table).toMatch(/^shape +wasmgrad +peak /m);
    expect(table).not.toMatch(/1 thread +speedup/);
    expect(table).toMatch(/build \(tile (2x16|6x8)\), one thread\n/);
    expect(table).toContain('  threads   1: one measurement of wasmgrad; --threads N also measures it on N threads, next to 1');
  });

  it('refuses a oneThread runtime that runs more threads or another build', async () => {
    const two = await init({ threads: 2, fresh: true });
    await expect(runGemmBench(rt, { shapes, oneThread: two, tfjs: false, ort: false, pytorch: false })).rejects.toThrow(
      `oneThread must be a one-thread runtime of the ${rt.build} build, got the ${rt.build} build on 2 threads`,
    );
    two.dispose();
  });

  it('reports every peer that cannot load as unavailable with the reason, its columns null, not a crash', async () => {
    const r = await runGemmBench(rt, {
      shapes: shapes.slice(1, 2), timeMs: 10, warmupMs: 10, peakTimeMs: 5,
      tfjs: await loadTfjsWasm(missing),
      ort: await loadOrtWeb(broken),
      pytorch: async () => ({ available: false, reason: 'PyTorch is not importable by /usr/bin/python3: No module named torch' }),
    });
    expect(r.peers['tfjs-wasm']).toMatchObject({ available: false, reason: expect.stringMatching(/not installed/) });
    expect(r.peers['ort-web']).toMatchObject({ available: false, reason: 'could not load onnxruntime-web: this engine has no WebAssembly SIMD' });
    expect(r.peers.pytorch).toEqual({ available: false, reason: 'PyTorch is not importable by /usr/bin/python3: No module named torch' });
    for (const impl of ['tfjs-wasm', 'ort-web', 'pytorch'] as const) expect(r.shapes[0].gflops[impl]).toBeNull();
    expect(r.shapes[0].ratio).toMatchObject({ tfjs: null, ort: null, pytorch: null });
    expectRowConsistent(r);
    const table = renderBenchGemmTable(benchGemmDocument(r));
    expect(table).toContain('ort-web   not measured: could not load onnxruntime-web: this engine has no WebAssembly SIMD');
    expect(table).toContain('pytorch   not measured: PyTorch is not importable by /usr/bin/python3: No module named torch');
  });

  it('takes a PyTorch answer for other shapes than asked as unavailable, saying so', async () => {
    const wrong = async () => (torch.available ? { ...torch, gemm: torch.gemm.slice(0, 1) } : torch);
    const r = await runGemmBench(rt, { shapes: shapes.slice(1, 2), timeMs: 10, warmupMs: 10, peakTimeMs: 5, tfjs: false, ort: false, pytorch: wrong });
    expect(r.peers.pytorch).toEqual({ available: false, reason: 'the PyTorch peer answered for shapes [square 8x8·8x8], not the 1 asked' });
    expect(r.shapes[0].gflops.pytorch).toBeNull();
  });

  it('rejects a non-positive time budget, a negative warm-up and an empty shape list', async () => {
    await expect(runGemmBench(rt, { shapes, timeMs: 0, tfjs: false, ort: false, pytorch: false })).rejects.toThrow(/timeMs must be a positive number of milliseconds, got 0/);
    await expect(runGemmBench(rt, { shapes, warmupMs: -1, tfjs: false, ort: false, pytorch: false })).rejects.toThrow(/warmupMs must be a number >= 0, got -1/);
    await expect(runGemmBench(rt, { shapes: [], tfjs: false, ort: false, pytorch: false })).rejects.toThrow(/shapes must list at least one GEMM shape/);
  });
});

describe('bench tables (human output)', () => {
  // One thread: both wasmgrad rates are the one measurement.
  const row = (optimizer: 'sgd' | 'adam', samplesPerSecond: number, oneThread = samplesPerSecond) => ({
    optimizer,
    wasmgrad: { samplesPerSecond, msPerStep: 64_000 / samplesPerSecond },
    'wasmgrad-1thread': { samplesPerSecond: oneThread, msPerStep: 64_000 / oneThread },
    speedup: samplesPerSecond / oneThread,
    'tfjs-wasm': { samplesPerSecond: 12_001.4, msPerStep: 64_000 / 12_001.4 },
    ratio: samplesPerSecond / 12_001.4,
    gemmMsPerStep: 0.55,
    stepOverGemm: 1.11,
    outsideGemm: 0.1,
    gflops: 36.9,
    firstLoss: { wasmgrad: 2.30251, 'tfjs-wasm': 2.30252 },
    pytorch: { samplesPerSecond: 140_123.4, msPerStep: 64_000 / 140_123.4 },
    ratioPytorch: samplesPerSecond / 140_123.4,
  });
  const train: BenchTrainDocument = {
    format: 'wasmgrad.bench.train/1',
    network: '784-100-10',
    threads: 1,
    threadsNote: null,
    batch: 64,
    lr: { sgd: 0.01, adam: 0.001 },
    gemmMacsPerStep: 64 * (784 * 100 * 2 + 100 * 10 * 3),
    rows: [row('sgd', 103_866.2), { ...row('adam', 1_234_567.8), steady: { steps: 5000, firstSamplesPerSecond: 80_123.4, lastSamplesPerSecond: 79_000.2, ratio: 0.986 } }],
    pytorch: { available: true, version: '1.13.0a0', python: '/usr/bin/python3', threads: 1, blas: { name: 'OpenBLAS (pthread)', libraries: [] }, flushDenormal: true },
    'ort-web': { available: false, reason: 'onnxruntime-web has no training API' },
  };

  it('bench train: samples/s and multiply-adds with thousands separators, and a final newline', () => {
    const text = renderBenchTrainTable(train);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toMatch(/^sgd +103,866 +12,001 /m);
    expect(text).toMatch(/^adam +1,234,568 +12,001 /m);
    // PyTorch's samples/s and wasmgrad's ratio to it, and the BLAS PyTorch ran.
    expect(text).toMatch(/^sgd +103,866 +12,001 +8\.65x +140,123 +0\.74x /m);
    expect(text).toContain('pytorch 1.13.0a0, 1 thread, BLAS: OpenBLAS (pthread), subnormals flushed (a child process');
    expect(text).toContain('  ort-web: unavailable (onnxruntime-web has no training API)');
    expect(text).toContain('steady state, adam: 80,123 samples/s over the first 500 steps, 79,000 over the last 500 of 5,000 (99%)');
    expect(text).not.toContain('steady state, sgd');
    expect(text).toContain('(10,227,200 multiply-adds)');
    expect(text).not.toMatch(/(?<![\d.,])\d{4,}(?![\d.])/); // no whole number of four digits or more without separators
    // One thread: one wasmgrad column, and a line saying so.
    expect(text).toMatch(/^optimizer +wasmgrad +tfjs-wasm /m);
    expect(text).toContain('samples/s (median step time), one thread\n');
    expect(text).toContain('  threads: 1, one measurement of wasmgrad; --threads N also measures it on N threads, next to 1');
  });

  it('bench train on 2 threads: 2 threads, 1 thread and the speedup side by side; the peer ratios from the 1-thread rate', () => {
    const threaded: BenchTrainDocument = { ...train, threads: 2, rows: [{ ...row('sgd', 180_000, 100_000), ratio: 100_000 / 12_001.4, ratioPytorch: 100_000 / 140_123.4 }] };
    const text = renderBenchTrainTable(threaded);
    expect(text).toContain('samples/s (median step time), wasmgrad on 2 threads and on 1\n');
    expect(text).toMatch(/^optimizer +2 threads +1 thread +speedup +tfjs-wasm +ratio +pytorch +ratio /m);
    expect(text).toMatch(/^sgd +180,000 +100,000 +1\.80x +12,001 +8\.33x +140,123 +0\.71x /m);
    expect(text).toContain("tfjs-wasm and PyTorch run on one thread, so the ratios use wasmgrad's 1-thread rate");
  });

  it('benchTrainDocument takes the PyTorch ratio from the one-thread rate', () => {
    const result = { ...train, rows: [row('sgd', 180_000, 100_000)] } as unknown as TrainBenchResult;
    const doc = benchTrainDocument(result, {
      available: true, version: '1.13.0a0', python: '/usr/bin/python3', threads: 1, blas: { name: 'OpenBLAS', libraries: [] }, flushDenormal: true, gemm: [],
      train: [{ optimizer: 'sgd', samplesPerSecond: 50_000, msPerStep: 64_000 / 50_000 }], gpt: null, fit: null,
    } as unknown as PytorchPeer);
    expect(doc.rows[0]!.ratioPytorch).toBeCloseTo(2, 12);
  });
});

describe('wasmgrad bench (CLI)', () => {
  beforeAll(() => {
    if (!existsSync(fileURLToPath(new URL('../dist/src/cli/bench.js', import.meta.url)))) {
      throw new Error('dist/src/cli/bench.js is missing: run `npm run build` first');
    }
  });

  it.each([
    ['0', /--sizes: expected positive integers separated by commas \(e\.g\. 64,256\), got '0' in '0'/],
    ['abc', /got 'abc' in 'abc'/],
    ['-5', /got '-5' in '-5'/],
    ['64,,128', /got '' in '64,,128'/],
    ['8192', /--sizes: 8192 is above the largest size 4096/],
  ])('exits 2 for --sizes=%s and says why', (value, message) => {
    const r = cli('bench', 'gemm', `--sizes=${value}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for a bad --time, --build or suite', () => {
    for (const [args, message] of [
      [['--time', '0'], /--time: expected a positive integer number of milliseconds, got '0'/],
      [['--time', '1.5'], /got '1.5'/],
      [['--build', 'avx'], /--build: expected one of auto, simd, relaxed, scalar, got 'avx'/],
    ] as const) {
      const r = cli('bench', 'gemm', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const bad = cli('bench', 'cpu');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid/i);
  });

  it('bench train measures both optimizers on 2 threads and on 1, next to tfjs-wasm training the identical network', () => {
    const r = cli('bench', 'train', '--time', '60', '--steady-steps', '1000', '--threads', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as BenchTrainDocument;
    // The steady-state run: the first and the last 500 of 1,000 steps.
    for (const row of doc.rows) expect(row.steady).toMatchObject({ steps: 1000, ratio: row.steady!.lastSamplesPerSecond / row.steady!.firstSamplesPerSecond });
    // PyTorch is measured where it is installed, and otherwise says why not.
    expect(doc.pytorch.available || typeof (doc.pytorch as { reason: string }).reason === 'string').toBe(true);
    // onnxruntime-web's npm package cannot train: one honest line, checked against the installed package.
    expect(doc['ort-web']).toEqual({ available: false, reason: 'onnxruntime-web has no training API: its package exports no /training, and on-device training is a separate onnxruntime build' });
    expect(doc.format).toBe('wasmgrad.bench.train/1');
    expect(doc.gemmMacsPerStep).toBe(64 * (784 * 100 * 2 + 100 * 10 * 3));
    expect(doc.rows.map((row) => row.optimizer)).toEqual(['sgd', 'adam']);
    expect(doc).toMatchObject({ threads: 2, threadsNote: null });
    for (const row of doc.rows) {
      expect(row.wasmgrad.samplesPerSecond).toBeCloseTo((64 * 1000) / row.wasmgrad.msPerStep, 6);
      const single = row['wasmgrad-1thread'];
      expect(single.samplesPerSecond).toBeCloseTo((64 * 1000) / single.msPerStep, 6);
      // Two measurements, not one copied.
      expect(single.msPerStep).not.toBe(row.wasmgrad.msPerStep);
      expect(row.speedup).toBeCloseTo(row.wasmgrad.samplesPerSecond / single.samplesPerSecond, 9);
      expect(row.stepOverGemm).toBeCloseTo(row.wasmgrad.msPerStep / row.gemmMsPerStep, 9);
      expect(row.ratio).toBeCloseTo(single.samplesPerSecond / row['tfjs-wasm']!.samplesPerSecond, 9);
      // Same weights, same batch: the first losses agree, so both trained the same network.
      expect(Math.abs(row.firstLoss.wasmgrad - row.firstLoss['tfjs-wasm']!)).toBeLessThan(1e-5);
    }
  });

  it.each(['999', '-1', 'x', '2000000'])('bench train --steady-steps %s is refused in one line', (value) => {
    const r = cli('bench', 'train', '--steady-steps', value);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --steady-steps: expected 0 or an integer from 1,000 to 1,000,000, got '/);
  });

  it('prints one JSON document, alone on stdout, with --json', () => {
    const r = cli('bench', 'gemm', '--sizes', '16', '--no-training', '--time', '20', '--threads', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as BenchGemmDocument;
    expect(doc.format).toBe('wasmgrad.bench.gemm/1');
    expect(doc.threads).toBe(2);
    expect(doc.shapes[0].gflops['wasmgrad-1thread']).toBeGreaterThan(0);
    expect(doc.shapes.map((s) => [s.m, s.n, s.k, s.transA, s.transB])).toEqual([[16, 16, 16, false, false]]);
    expect(gemmFlops(doc.shapes[0])).toBe(doc.shapes[0].flops);
    expectRowConsistent(doc);
    expect(r.stderr).toMatch(/peak probe/);
    // Every peer in the same run: measured, or unavailable with the reason (PyTorch only where python3-torch is installed).
    expect(doc.peers['ort-web']).toMatchObject({ available: true, threads: 1 });
    expect(doc.shapes[0].gflops['ort-web']).toBeGreaterThan(0);
    if (doc.peers.pytorch.available) expect(doc.shapes[0].gflops.pytorch).toBeGreaterThan(0);
    else expect(doc.peers.pytorch.reason).toMatch(/./);
  });
});
