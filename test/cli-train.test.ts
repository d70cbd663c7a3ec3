// `wasmgrad train` run as a user runs it (node dist/src/cli.js), on a tiny
// MNIST-format dataset written here: 8x8 images whose label is the quadrant
// holding a bright 4x4 block, which a 64-16-4 MLP learns in two epochs.
// Plus the library loop (fit) in-process: shuffle seed, partial last batch.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadMnistDir } from '../src/data/mnist-files.js';
import { Linear, ReLU } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { Adam } from '../src/optim/adam.js';
import { init } from '../src/runtime.js';
import { ArgumentError } from '../src/errors.js';
import { type BatchProgress, MAX_EPOCHS, evaluateImages, fit } from '../src/train/fit.js';
import { modelFromWeights, readWeights } from '../src/train/weights-file.js';
import { type CliRun, runCli } from './helpers/cli.js';
import { writeTinyMnist } from './helpers/tiny-mnist.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-cli-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const wasmgrad = runCli;

const data = writeTinyMnist(join(root, 'tiny'));
const TINY = ['--data', data, '--layers', '64,16,4', '--batch', '16', '--lr', '0.01', '--build', 'simd', '--threads', '1'];

describe('wasmgrad train on a tiny dataset', () => {
  let json: CliRun, human: CliRun;
  const saved = join(root, 'weights.json');
  beforeAll(async () => {
    [json, human] = await Promise.all([
      wasmgrad(['train', ...TINY, '--epochs', '2', '--json', '--save', saved]),
      wasmgrad(['train', ...TINY, '--epochs', '2']),
    ]);
  });

  it('--json prints one document with the documented fields, and nothing else', () => {
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    // The same key as the weights file's: format.
    expect(Object.keys(doc)[0]).toBe('format');
    expect(doc.format).toBe('wasmgrad.train/1');
    expect(doc.data).toMatchObject({ dir: data, rows: 8, cols: 8, classes: 4, train: { count: 200 }, test: { count: 50 } });
    expect(doc.data.train.images).toBe(join(data, 'train-images-idx3-ubyte.gz'));
    expect(doc.data.test.labels).toBe(join(data, 't10k-labels-idx1-ubyte'));
    expect(doc.layers).toEqual([64, 16, 4]);
    expect(doc.model).toBe('Linear(64, 16) -> ReLU -> Linear(16, 4)');
    expect(doc.parameters).toBe(64 * 16 + 16 + 16 * 4 + 4);
    expect(doc).toMatchObject({ optimizer: 'adam', lr: 0.01, batch: 16, seed: 1, build: 'simd', threads: 1, parametersSaved: saved });
    expect(doc.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    for (const e of doc.epochs) {
      expect(Object.keys(e).sort()).toEqual(['epoch', 'samplesPerSecond', 'seconds', 'testAccuracy', 'testLoss', 'trainLoss']);
      expect(e.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.testAccuracy).toBeLessThanOrEqual(1);
      // 50 test images: accuracy is a whole number of them.
      expect(Number.isInteger(Math.round(e.testAccuracy * 50 * 1e9) / 1e9)).toBe(true);
      expect(e.samplesPerSecond).toBeGreaterThan(0);
      expect(e.seconds).toBeGreaterThan(0);
      expect(e.samplesPerSecond * e.seconds).toBeCloseTo(200, 6);
    }
    const [first, second] = doc.epochs;
    expect(second.trainLoss).toBeLessThan(first.trainLoss);
    expect(second.testLoss).toBeLessThan(first.testLoss);
    // Four quadrants, chance is 25%: the model has learnt the task.
    expect(second.testAccuracy).toBeGreaterThan(0.8);
  });

  it('--save writes weights whose predictions give the reported test accuracy and loss', async () => {
    const doc = JSON.parse(json.stdout);
    const last = doc.epochs[doc.epochs.length - 1];
    const rt = await init({ build: 'simd' });
    const model = modelFromWeights(rt, readWeights(saved));
    const { test } = loadMnistDir(data);
    const x = Float32Array.from(test.images, (p) => p / 255);
    const logits = model.predict(x);
    let correct = 0;
    for (let n = 0; n < test.count; n++) {
      const row = logits.subarray(n * 4, n * 4 + 4);
      if (row.indexOf(Math.max(...row)) === test.labels[n]) correct++;
    }
    expect(correct / test.count).toBe(last.testAccuracy);
    expect(evaluateImages(model, test).loss).toBeCloseTo(last.testLoss, 6);
    model.dispose();
  });

  it('--save leaves no temporary file behind', () => {
    expect(existsSync(saved)).toBe(true);
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('prints a header and one line per epoch with test accuracy; no progress bar off a terminal', () => {
    expect(human.code).toBe(0);
    expect(human.stderr).toBe('');
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toBe('wasmgrad train: Linear(64, 16) -> ReLU -> Linear(16, 4) (1,108 parameters), simd build, 1 thread');
    expect(lines[1]).toBe(`data ${data}: 200 train / 50 test images of 8x8, 4 classes`);
    const epochs = lines.filter((l) => l.startsWith('epoch '));
    expect(epochs).toHaveLength(2);
    expect(epochs[0]).toMatch(/^epoch 1\/2 {2}train loss \d\.\d{4} {2}test loss \d\.\d{4} {2}test accuracy \d+\.\d\d% {2}[\d,]+ samples\/s {2}\d+\.\d s$/);
    // Same seed, same data: the human run trained the same model as the JSON run.
    const accuracy = JSON.parse(json.stdout).epochs[1].testAccuracy;
    expect(epochs[1]).toContain(`test accuracy ${(accuracy * 100).toFixed(2)}%`);
  });
});

describe.concurrent('wasmgrad train: bad data and bad arguments exit 2 with a message', () => {
  it('no --data and an empty WASMGRAD_DATA directory: explains how to get a dataset', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const r = await wasmgrad(['train', '--json'], { WASMGRAD_DATA: empty });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: ${empty}: missing the train images file`);
    expect(r.stderr).toContain('apt-get install dataset-fashion-mnist');
    expect(r.stderr).toContain('WASMGRAD_DATA');
  });

  it('--data that is not a directory', async () => {
    const r = await wasmgrad(['train', '--data', join(root, 'no-such-dir')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--data: ${join(root, 'no-such-dir')} is not a directory`);
  });

  it('a truncated images file: names the file', async () => {
    const dir = join(root, 'truncated');
    mkdirSync(dir);
    for (const f of readdirSync(data)) copyFileSync(join(data, f), join(dir, f));
    truncateSync(join(dir, 't10k-images-idx3-ubyte'), 1000);
    const r = await wasmgrad(['train', '--data', dir, '--layers', '64,16,4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${join(dir, 't10k-images-idx3-ubyte')}: truncated`);
  });

  it('a truncated gzip file: names the file', async () => {
    const dir = join(root, 'truncated-gz');
    mkdirSync(dir);
    for (const f of readdirSync(data)) copyFileSync(join(data, f), join(dir, f));
    truncateSync(join(dir, 'train-labels-idx1-ubyte.gz'), 20);
    const r = await wasmgrad(['train', '--data', dir, '--layers', '64,16,4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${join(dir, 'train-labels-idx1-ubyte.gz')}: corrupt gzip data`);
  });

  it('--layers whose first size is not the pixels per image', async () => {
    const r = await wasmgrad(['train', '--data', data, '--layers', '784,100,4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--layers starts with 784 but the images');
    expect(r.stderr).toContain('8x8 = 64 pixels; use --layers 64,100,4');
  });

  it('--layers whose last size is not the number of classes', async () => {
    const r = await wasmgrad(['train', '--data', data, '--layers', '64,16,10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--layers ends with 10 but the labels');
    expect(r.stderr).toContain('are 0..3 (4 classes); use --layers 64,16,4');
  });

  it('--save into a directory that does not exist, before training', async () => {
    const r = await wasmgrad(['train', ...TINY, '--save', join(root, 'nowhere', 'w.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--save: directory ${join(root, 'nowhere')} does not exist`);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['1e39', 'infinite'],
    ['1e-50', '0'],
    ['1e-40', 'subnormal'],
  ])('an --lr of %s (%s in float32) is refused before loading anything', async (lr, what) => {
    const r = await wasmgrad(['train', '--data', join(root, 'nowhere'), '--lr', lr]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: option '--lr <x>' argument '${lr}' is invalid. expected a positive number in float32's normal range ` +
        `(1.1754944e-38 to 3.4028235e38), got '${lr}': it would be ${what} in float32 (see 'wasmgrad train --help')\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('--seed 0 is a seed; the old activation spelling leaky_relu still works, and the JSON spells it leaky-relu', async () => {
    const r = await wasmgrad(['train', ...TINY, '--epochs', '1', '--seed', '0', '--activation', 'leaky_relu', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ seed: 0, activation: 'leaky-relu', model: 'Linear(64, 16) -> LeakyReLU(0.01) -> Linear(16, 4)' });
  });

  it('--epochs above the cap is refused', async () => {
    const r = await wasmgrad(['train', ...TINY, '--epochs', '1000000000000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: option '--epochs <n>' argument '1000000000000' is invalid. expected an integer from 1 to 10,000, got '1000000000000' (see 'wasmgrad train --help')\n");
  });

  it.each([
    [['--epochs', '0'], "option '--epochs <n>' argument '0' is invalid. expected an integer from 1 to 10,000, got '0'"],
    [['--batch', 'abc'], "option '--batch <n>' argument 'abc' is invalid. expected a positive integer, got 'abc'"],
    [['--optimizer', 'rmsprop'], "expected one of sgd, sgd-momentum, adam, adamw, got 'rmsprop'"],
    [['--lr', '-1'], "option '--lr <x>' argument '-1' is invalid"],
    [['--frobnicate'], "error: unknown option '--frobnicate'"],
  ])('%j: usage error', async (args, message) => {
    const r = await wasmgrad(['train', '--data', data, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/^error: [^\n]*\(see 'wasmgrad train --help'\)\n$/);
    expect(r.stdout).toBe('');
  });
});

describe('fit (the library loop)', () => {
  const { train, test } = loadMnistDir(data);
  const layers = [Linear(64, 16), ReLU(), Linear(16, 4)];

  async function run(seed: number, batchSize: number, onBatch?: (p: BatchProgress) => void) {
    const rt = await init({ build: 'simd' });
    const model = new Sequential(rt, layers, { seed: 3 });
    const optimizer = new Adam({ lr: 0.01 });
    try {
      return fit(model, optimizer, train, test, { epochs: 2, batchSize, seed, onBatch });
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }

  it('takes a last partial batch: 200 images in batches of 64 are 64, 64, 64, 8', async () => {
    const seen: number[] = [];
    await run(1, 64, (p) => {
      if (p.epoch === 1) seen.push(p.samples);
      expect(p.batches).toBe(4);
    });
    expect(seen).toEqual([64, 128, 192, 200]);
  });

  it('the shuffle is seeded: the same seed trains the same model, another seed another one', async () => {
    const a = await run(7, 16), b = await run(7, 16), c = await run(8, 16);
    expect(b.map((e) => e.trainLoss)).toEqual(a.map((e) => e.trainLoss));
    expect(c[0]!.trainLoss).not.toBe(a[0]!.trainLoss);
  });

  it('rejects a model that does not fit the images or the labels', async () => {
    const rt = await init({ build: 'simd' });
    const optimizer = new Adam();
    const wide = new Sequential(rt, [Linear(784, 4)]);
    expect(() => fit(wide, optimizer, train, test, { epochs: 1, batchSize: 8 })).toThrow(
      'the model takes 784 input features but train images are 8x8 = 64 pixels',
    );
    const few = new Sequential(rt, [Linear(64, 3)]);
    expect(() => fit(few, optimizer, train, test, { epochs: 1, batchSize: 8 })).toThrow(
      'train labels go up to 3 (4 classes) but the model has 3 outputs',
    );
    expect(() => fit(few, optimizer, train, test, { epochs: 0, batchSize: 8 })).toThrow('epochs must be an integer >= 1, got 0');
    // Results hold a summary per epoch: the cap bounds a run's memory and time.
    const before = few.parameters();
    expect(() => fit(few, optimizer, train, test, { epochs: MAX_EPOCHS + 1, batchSize: 8 })).toThrow(new ArgumentError('epochs must be at most 10,000, got 10001'));
    expect(few.parameters()).toEqual(before);
    wide.dispose();
    few.dispose();
  });
});
