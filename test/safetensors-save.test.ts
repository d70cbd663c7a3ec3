// Saving never loses work: saveWeights picks the format by name, streams, and
// writes atomically (a temporary file renamed; a symlink written through).

import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArgumentError } from '../src/errors.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../src/io/safetensors-file.js';
import { writeFileAtomic } from '../src/io/write-atomic.js';
import { GELU, Linear, ReLU } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { type Runtime, init } from '../src/runtime.js';
import { LAYERS_METADATA_KEY, modelFromWeights, readWeights, saveWeights, weightsChunks, weightsFormatOf, weightsOf } from '../src/train/weights-file.js';
import { randomArray, rng } from './helpers/rng.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-save-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const temporaries = (dir = root) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

let rt: Runtime;
let model: Sequential;
beforeAll(async () => {
  rt = await init({ build: 'simd' });
  model = new Sequential(rt, [Linear(6, 5), GELU(), Linear(5, 3, { bias: false })], { seed: 9 });
});

describe('saveWeights picks the format by the name', () => {
  it('.json is JSON; anything else is safetensors', () => {
    expect(['m.json', 'M.JSON', 'm.safetensors', 'm.st', 'model'].map(weightsFormatOf)).toEqual(['json', 'json', 'safetensors', 'safetensors', 'safetensors']);
  });

  it('a .safetensors file holds F32 tensors by PyTorch name and the layers, and rebuilds the same model', () => {
    const path = join(root, 'model.safetensors');
    saveWeights(path, model);
    const { tensors, metadata } = readSafetensors(readFileSync(path));
    expect(tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([['0.weight', 'F32', [5, 6]], ['0.bias', 'F32', [5]], ['2.weight', 'F32', [3, 5]]]);
    expect(JSON.parse(metadata[LAYERS_METADATA_KEY]!)).toEqual(model.layers);
    const copy = modelFromWeights(rt, readWeights(path));
    expect(copy.parameters()).toEqual(model.parameters());
    const x = randomArray(4 * 6, rng(2));
    expect(copy.predict(x)).toEqual(model.predict(x));
    copy.dispose();
    expect(temporaries()).toEqual([]);
  });

  it('a .json file is the JSON format', () => {
    const path = join(root, 'model.json');
    saveWeights(path, model);
    expect(JSON.parse(readFileSync(path, 'utf8')).format).toBe('wasmgrad.weights/1');
    expect(readWeights(path).parameters).toEqual(model.parameters());
  });

  it('a PyTorch file without wasmgrad layers needs them given', () => {
    const path = join(root, 'bare.safetensors');
    writeSafetensorsFile(path, model.parameters());
    expect(() => readWeights(path)).toThrow(new ArgumentError(`${path}: no 'wasmgrad.layers' in __metadata__, so the file does not say its layers; give them (serve-check --layers and --activation)`));
    expect(readWeights(path, { layers: model.layers }).layers).toEqual(model.layers);
    expect(readSafetensorsFile(path).tensors.map((t) => t.name)).toEqual(['0.weight', '0.bias', '2.weight']);
  });

  it('layers metadata that is not a layer list is refused naming the file', () => {
    const path = join(root, 'bad-layers.safetensors');
    writeSafetensorsFile(path, model.parameters(), { [LAYERS_METADATA_KEY]: '[{"type":"conv"}]' });
    expect(() => readWeights(path)).toThrow(new ArgumentError(`${path}: layers[0].type must be 'linear' or 'activation', got 'conv'`));
    writeSafetensorsFile(path, model.parameters(), { [LAYERS_METADATA_KEY]: '[{' });
    expect(() => readWeights(path)).toThrow(/^.*bad-layers\.safetensors: __metadata__ 'wasmgrad\.layers' is not JSON \(/);
  });

  it('tensors that are not the layers\' are refused naming the parameter', () => {
    const path = join(root, 'short.safetensors');
    const params = model.parameters().slice(0, 2);
    writeSafetensorsFile(path, params, { [LAYERS_METADATA_KEY]: JSON.stringify(model.layers) });
    expect(() => readWeights(path)).toThrow(new ArgumentError(`${path}: missing parameter '2.weight' (shape [3, 5])`));
    const nan = model.parameters();
    nan[1]!.data[2] = NaN;
    writeSafetensorsFile(path, nan, { [LAYERS_METADATA_KEY]: JSON.stringify(model.layers) });
    expect(() => readWeights(path)).toThrow(`${path}: parameter '0.bias' has a non-finite value at index 2: NaN`);
  });
});

describe('saving streams: no piece the size of the whole file', () => {
  it('JSON goes out in slices of at most 65,536 numbers, and joins to the document', () => {
    const big = new Sequential(rt, [Linear(400, 500), ReLU(), Linear(500, 10)], { seed: 1 });
    const chunks = [...weightsChunks(weightsOf(big), 'json')];
    const longest = Math.max(...chunks.map((c) => c.length));
    expect(longest).toBeLessThan(65536 * 25);
    expect(chunks.join('').length).toBeGreaterThan(3 * longest);
    const doc = JSON.parse(chunks.join(''));
    expect(doc.parameters.map((p: { data: number[] }) => Float32Array.from(p.data))).toEqual(big.parameters().map((p) => p.data));
    big.dispose();
  });

  it('safetensors goes out as the header, then each tensor\'s own bytes (views, not copies)', () => {
    const weights = weightsOf(model);
    const chunks = [...weightsChunks(weights, 'safetensors')] as Uint8Array[];
    expect(chunks.length).toBe(1 + weights.parameters.length);
    weights.parameters.forEach((p, i) => expect(chunks[i + 1]!.buffer).toBe(p.data.buffer));
  });
});

describe('saving is atomic', () => {
  it('a failure part-way leaves the old file as it was and no temporary', () => {
    const path = join(root, 'kept.bin');
    writeFileSync(path, 'old contents');
    function* failing() {
      yield 'new ';
      throw new Error('disk on fire');
    }
    expect(() => writeFileAtomic(path, failing(), 'weights file')).toThrow(new ArgumentError(`${path}: cannot write the weights file (disk on fire)`));
    expect(readFileSync(path, 'utf8')).toBe('old contents');
    expect(temporaries()).toEqual([]);
  });

  it('a name ending in a slash is a directory error, and nothing is created', () => {
    const dir = join(root, 'not-yet');
    expect(() => saveWeights(`${dir}/`, model)).toThrow(new ArgumentError(`${dir}/: cannot write the weights file (EISDIR: a name ending in a slash is a directory; give a file name)`));
    expect(existsSync(dir)).toBe(false);
    expect(temporaries()).toEqual([]);
  });

  it('an existing directory is refused before anything is written', () => {
    const dir = join(root, 'a-directory');
    mkdirSync(dir);
    expect(() => saveWeights(dir, model)).toThrow(new ArgumentError(`${dir}: cannot write the weights file (EISDIR: it is a directory; give a file name)`));
    expect(temporaries()).toEqual([]);
  });

  it('a symlink is written through: its target gets the weights and the link stays a link', () => {
    const dir = join(root, 'links');
    mkdirSync(join(dir, 'store'), { recursive: true });
    const target = join(dir, 'store', 'real.safetensors');
    writeFileSync(target, 'old');
    const link = join(dir, 'current.safetensors');
    symlinkSync(join('store', 'real.safetensors'), link);
    saveWeights(link, model);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join('store', 'real.safetensors'));
    expect(readWeights(target).parameters).toEqual(model.parameters());
    // A dangling link creates its target.
    const dangling = join(dir, 'next.safetensors');
    symlinkSync(join('store', 'new.safetensors'), dangling);
    saveWeights(dangling, model);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(readWeights(join(dir, 'store', 'new.safetensors')).parameters).toEqual(model.parameters());
    expect([...temporaries(dir), ...temporaries(join(dir, 'store'))]).toEqual([]);
  });

  it('a JSON file too long for a JavaScript string is refused unread (safetensors is the format for large models)', () => {
    const path = join(root, 'huge.json');
    writeFileSync(path, '');
    truncateSync(path, 2 ** 29); // sparse: nothing is written or read
    expect(() => readWeights(path)).toThrow(new ArgumentError(`${path}: the weights file is 536,870,912 bytes, more than a JavaScript string holds; save large models as .safetensors (536,870,888)`));
    rmSync(path);
  });

  it('a file that cannot be read is named with the reason', () => {
    const missing = join(root, 'missing.safetensors');
    expect(() => readWeights(missing)).toThrow(new ArgumentError(`${missing}: cannot read the weights file (ENOENT)`));
  });
});
