// `wasmgrad train --pytorch`: PyTorch CPU trains the same MLP on the images
// wasmgrad loaded, in a child process fed raw uint8 files; without PyTorch the
// run still succeeds and says why there is no PyTorch figure.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnistDir } from '../src/data/mnist-files.js';
import { medianSamplesPerSecond, renderPytorchLines, type TrainDocument } from '../src/report/train-document.js';
import { pytorchFit, type PytorchFitSetup } from '../src/train/pytorch-fit.js';
import { runCli } from './helpers/cli.js';
import { writeTinyMnist } from './helpers/tiny-mnist.js';

const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const noTorch = probe.status === 0 ? null : `/usr/bin/python3 cannot import torch: ${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()}`;

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-pytorch-fit-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dataDir = writeTinyMnist(join(root, 'tiny'));
const SETUP: PytorchFitSetup = { layers: [64, 16, 4], activation: 'relu', optimizer: 'adam', lr: 0.01, batch: 16, epochs: 2, seed: 1 };

/** A stand-in peer that answers from the files it was given: their sizes, and where they were. */
function fakePeer(epochs: number): string {
  const script = join(root, `fake-peer-${epochs}.py`);
  writeFileSync(script, [
    'import json, os, sys',
    'r = json.load(sys.stdin)["fit"]',
    'size = lambda p: os.path.getsize(p)',
    'e = {"epoch": 1, "trainLoss": size(r["train"]["labels"]), "testLoss": size(r["test"]["labels"]), "testAccuracy": 0.5,',
    '     "samplesPerSecond": size(r["train"]["images"]), "seconds": 1, "dir": os.path.dirname(r["train"]["images"]), "request": r}',
    `print(json.dumps({"available": True, "version": "fake", "python": sys.executable, "threads": 1, "blas": {"name": "none", "libraries": []}, "flushDenormal": False,`,
    `                  "gemm": [], "train": [], "gpt": None, "fit": {"epochs": [e] * ${epochs}}}))`,
  ].join('\n'));
  return script;
}

describe('PyTorch training the same MLP on the same images', () => {
  it('gets the images and labels wasmgrad loaded as raw bytes, with the run\'s setup, and removes them after', async () => {
    const data = loadMnistDir(dataDir);
    const r = await pytorchFit(data, SETUP, { script: fakePeer(2) });
    expect(r.available).toBe(true);
    const e = r.epochs![0] as unknown as { samplesPerSecond: number; trainLoss: number; testLoss: number; dir: string; request: Record<string, unknown> };
    expect(e.samplesPerSecond).toBe(data.train.count * 64);
    expect(e.trainLoss).toBe(data.train.count);
    expect(e.testLoss).toBe(data.test.count);
    expect(e.request).toMatchObject({ ...SETUP, train: { count: data.train.count }, test: { count: data.test.count } });
    expect(existsSync(e.dir)).toBe(false);
  });

  it('is unavailable, with the reason, without Python or when the peer returns other epochs than asked', async () => {
    const data = loadMnistDir(dataDir);
    expect(await pytorchFit(data, SETUP, { python: '/nonexistent/python3' })).toEqual({ available: false, reason: 'no Python at /nonexistent/python3 (install python3-torch, or set WASMGRAD_PYTHON)' });
    expect(await pytorchFit(data, SETUP, { script: fakePeer(1) })).toEqual({ available: false, reason: 'the PyTorch peer returned 1 epochs, not 2' });
  });

  it('compares the median epochs\' samples/s', () => {
    expect(medianSamplesPerSecond([{ samplesPerSecond: 3 }, { samplesPerSecond: 1 }, { samplesPerSecond: 2 }])).toBe(2);
    expect(medianSamplesPerSecond([{ samplesPerSecond: 4 }, { samplesPerSecond: 1 }, { samplesPerSecond: 2 }, { samplesPerSecond: 8 }])).toBe(3);
    const epoch = (samplesPerSecond: number, n: number) => ({ epoch: n, trainLoss: 1, testLoss: 1, testAccuracy: 0.5, samplesPerSecond, seconds: 1 });
    const doc = {
      build: 'simd', threads: 2, epochs: [epoch(300, 1), epoch(100, 2), epoch(200, 3)],
      pytorch: { available: true, version: '1.13', python: 'p', threads: 1, blas: { name: 'OpenBLAS', libraries: [] }, flushDenormal: true, epochs: [epoch(100, 1), epoch(50, 2), epoch(150, 3)] },
    } as unknown as TrainDocument;
    const lines = renderPytorchLines(doc);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^pytorch 1.13, 1 thread, BLAS: OpenBLAS, subnormals flushed: the same network/);
    expect(lines[4]).toBe('samples/s, median epoch: wasmgrad 200 (simd build, 2 threads), pytorch 100: 2.00x');
    expect(renderPytorchLines({ ...doc, pytorch: { available: false, reason: 'no torch' } })).toEqual(['pytorch: not measured (no torch)']);
    expect(renderPytorchLines({ ...doc, pytorch: undefined })).toEqual([]);
  });

  it('wasmgrad train --pytorch without PyTorch trains, exits 0 and says why PyTorch was not measured', async () => {
    const run = await runCli(['train', '--data', dataDir, '--layers', '64,16,4', '--batch', '16', '--epochs', '1', '--threads', '1', '--pytorch', '--json'], { WASMGRAD_PYTHON: '/nonexistent/python3' });
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.epochs).toHaveLength(1);
    expect(doc.pytorch).toEqual({ available: false, reason: 'no Python at /nonexistent/python3 (install python3-torch, or set WASMGRAD_PYTHON)' });
  });

  it('wasmgrad train --pytorch trains the same network in PyTorch and prints both (Debian python3-torch)', async (ctx) => {
    ctx.skip(noTorch !== null, noTorch ?? '');
    const args = ['train', '--data', dataDir, '--layers', '64,16,4', '--batch', '16', '--epochs', '2', '--lr', '0.01', '--threads', '1', '--pytorch'];
    const [json, human] = await Promise.all([runCli([...args, '--json']), runCli(args)]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.pytorch).toMatchObject({ available: true, threads: 1, blas: { name: expect.any(String) } });
    expect(doc.pytorch.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    for (const e of doc.pytorch.epochs) {
      expect(e.samplesPerSecond).toBeGreaterThan(0);
      // The same task: its loss falls from chance (ln 4) as wasmgrad's does.
      expect(e.trainLoss).toBeLessThan(Math.log(4));
      expect(e.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.testAccuracy).toBeLessThanOrEqual(1);
    }
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^pytorch .*, 1 thread, BLAS: .+: the same network/m);
    expect(human.stdout).toMatch(/^samples\/s, median epoch: wasmgrad [\d,]+ \(\w+ build, 1 thread\), pytorch [\d,]+: \d+\.\d\dx$/m);
  });
});
