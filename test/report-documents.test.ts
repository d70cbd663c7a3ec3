// Every JSON document wasmgrad prints is built in src/report from a typed
// interface the package exports, says its kind first under one key, format
// (wasmgrad.<document>/1), and its table is drawn from the same document.
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import * as wasmgrad from '../src/index.js';
import {
  benchDocument,
  benchGemmDocument,
  benchTrainDocument,
  estimateDocument,
  mlp,
  profileDocument,
  profileMlp,
  renderEstimateTable,
  serveCheckDocument,
  trainDocument,
} from '../src/index.js';
import { preset } from '../src/estimate/presets.js';
import { defaultTrainingSetup, estimateTransformerMemory } from '../src/estimate/training-setup.js';
import type { GemmBenchResult } from '../src/bench/gemm-bench.js';
import type { TrainBenchResult } from '../src/bench/train-bench.js';
import { colours } from '../src/report/colours.js';

const firstKey = (doc: object) => Object.entries(doc)[0];

describe('document formats', () => {
  it('profile, estimate, bench, train and serve-check documents all say format: wasmgrad.<doc>/1, first', async () => {
    const layers = mlp([4, 3, 2], 'relu');
    const profile = profileDocument(await profileMlp({ layers, batch: 2 }), layers);
    const gpt2 = preset('gpt2');
    const estimate = estimateDocument(estimateTransformerMemory(gpt2, defaultTrainingSetup(gpt2)), undefined);
    const gemm = benchGemmDocument({ build: 'simd' } as GemmBenchResult);
    const train = benchTrainDocument({ network: 'n', rows: [] } as unknown as TrainBenchResult);
    const split = { count: 1, rows: 2, cols: 2, maxLabel: 1, files: { images: 'i', labels: 'l' } };
    const run = trainDocument({
      data: { dir: 'd', train: split, test: split } as never, sizes: [4, 3, 2], activation: 'relu', model: { layers, parameterCount: 23 },
      optimizer: 'adam', lr: 0.001, batch: 2, seed: 1, build: 'simd',
    });
    const latency = { count: 1, p50: 1, p90: 1, p99: 1, max: 1, mean: 1 };
    const serve = serveCheckDocument({
      layers: [4, 3, 2], model: 'm', weights: null, batch: 1, requests: 1, warmup: 0, latencyMs: latency,
      throughput: { requestsPerSecond: 1000, samplesPerSecond: 1000 }, slo: null, build: 'simd',
    });
    expect([profile, estimate, gemm, train, benchDocument({ gemm }), run, serve].map(firstKey)).toEqual([
      ['format', 'wasmgrad.profile/1'],
      ['format', 'wasmgrad.estimate/1'],
      ['format', 'wasmgrad.bench.gemm/1'],
      ['format', 'wasmgrad.bench.train/1'],
      ['format', 'wasmgrad.bench/1'],
      ['format', 'wasmgrad.train/1'],
      ['format', 'wasmgrad.serve-check/1'],
    ]);
    for (const doc of [profile, estimate, gemm, train, run, serve]) expect(doc).not.toHaveProperty('schema');
  });

  it('the package exports every document builder and table renderer', () => {
    for (const name of [
      'profileDocument', 'renderProfileTable', 'estimateDocument', 'renderEstimateTable', 'benchGemmDocument', 'renderBenchGemmTable',
      'benchTrainDocument', 'renderBenchTrainTable', 'benchDocument', 'trainDocument', 'renderTrainHeader', 'renderTrainEpochLine',
      'serveCheckDocument', 'renderServeCheckTable', 'renderMainJobHeader', 'renderReferenceExample', 'renderMacThroughput', 'renderTrainingRun',
      'inferenceDocument', 'renderInferenceTable', 'fitDocument', 'renderFitTable',
    ]) {
      expect(typeof (wasmgrad as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('the estimate table is drawn from the document alone: what the document says, the table says', () => {
    const gpt2 = preset('gpt2');
    const doc = estimateDocument(estimateTransformerMemory(gpt2, { ...defaultTrainingSetup(gpt2), devices: 2, zeroStage: 1 }), 80e9);
    const edited = { ...doc, model: { ...doc.model, name: 'renamed' }, perDevice: { ...doc.perDevice, total: 123_456 } };
    const table = renderEstimateTable(edited);
    expect(table).toMatch(/^wasmgrad estimate: renamed, /);
    expect(table).toMatch(/^  total +123,456 B/m);
  });
});

describe('report colours', () => {
  it('are the escape codes picocolors writes, nested styles included', () => {
    const ours = colours(true);
    const theirs = pc.createColors(true);
    for (const text of ['plain', `a ${theirs.yellow('b')} c`, `${theirs.bold('x')} and ${theirs.bold('y')}`, '']) {
      for (const s of ['bold', 'red', 'green', 'yellow'] as const) expect(ours[s](text), `${s}(${JSON.stringify(text)})`).toBe(theirs[s](text));
      expect(ours.bold(ours.yellow(text))).toBe(theirs.bold(theirs.yellow(text)));
    }
    expect(colours(false).bold('x')).toBe('x');
  });
});
