import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LeakyReLU, Linear, ReLU } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { type Runtime, init } from '../src/runtime.js';
import { WEIGHTS_FORMAT, loadWeightsInto, modelFromWeights, parseWeights, readWeights, saveWeights, weightsChunks, weightsOf } from '../src/train/weights-file.js';
import { randomArray, rng } from './helpers/rng.js';
import { ArgumentError } from '../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-weights-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ build: 'simd' });
});

const layers = () => [Linear(6, 5), LeakyReLU(0.1), Linear(5, 4, { bias: false }), ReLU(), Linear(4, 3)];

/** A valid document for `layers()`, as JSON-ready data, to break one field at a time. */
function goodDoc(): { format: string; layers: unknown[]; parameters: { name: string; shape: unknown; data: unknown[] }[] } {
  const model = new Sequential(rt, layers(), { seed: 5 });
  const doc = JSON.parse([...weightsChunks(weightsOf(model), 'json')].join(''));
  model.dispose();
  return doc;
}

const parse = (doc: unknown) => parseWeights(JSON.stringify(doc), 'w.json');

describe('saveWeights / readWeights', () => {
  it('round-trips every float32 bit for bit, and the reloaded model predicts the same', () => {
    const model = new Sequential(rt, layers(), { seed: 11 });
    const path = join(root, 'model.json');
    saveWeights(path, model);
    const file = readWeights(path);
    expect(file.format).toBe(WEIGHTS_FORMAT);
    expect(file.layers).toEqual(model.layers);
    expect(file.parameters.map((p) => [p.name, p.shape])).toEqual([
      ['0.weight', [5, 6]], ['0.bias', [5]], ['2.weight', [4, 5]], ['4.weight', [3, 4]], ['4.bias', [3]],
    ]);
    const copy = modelFromWeights(rt, file);
    expect(copy.parameters()).toEqual(model.parameters());
    const x = randomArray(7 * 6, rng(1));
    expect(copy.predict(x)).toEqual(model.predict(x));
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    copy.dispose();
    model.dispose();
  });

  it('writes the documented format: format, layers, parameters { name, shape, data }', () => {
    const model = new Sequential(rt, [Linear(2, 1)], { seed: 1 });
    const path = join(root, 'small.json');
    saveWeights(path, model);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(doc)).toEqual(['format', 'layers', 'parameters']);
    expect(doc.layers).toEqual([{ type: 'linear', inFeatures: 2, outFeatures: 1, bias: true }]);
    const [w] = model.parameters();
    expect(doc.parameters[0]).toEqual({ name: '0.weight', shape: [1, 2], data: Array.from(w!.data) });
    model.dispose();
  });

  it('a save that cannot complete leaves neither a half file nor its temporary', () => {
    const model = new Sequential(rt, [Linear(2, 1)], { seed: 1 });
    const directory = join(root, 'a-directory');
    mkdirSync(directory);
    expect(() => saveWeights(directory, model)).toThrow(/EISDIR/);
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    model.dispose();
  });

  it('names the file it cannot read', () => {
    const missing = join(root, 'missing.json');
    expect(() => readWeights(missing)).toThrow(`${missing}: cannot read the weights file (ENOENT)`);
  });
});

describe('parseWeights rejects a bad file with the reason', () => {
  it('not JSON, not an object, wrong format', () => {
    expect(() => parseWeights('{"format":', 'w.json')).toThrow('w.json: not JSON');
    expect(() => parse([1, 2])).toThrow('w.json: expected a JSON object with format, layers and parameters');
    expect(() => parse({ ...goodDoc(), format: 'wasmgrad.weights/2' })).toThrow(
      `w.json: format must be 'wasmgrad.weights/1', got 'wasmgrad.weights/2'`,
    );
  });

  it('layers that are not layers, or do not chain', () => {
    const doc = goodDoc();
    expect(() => parse({ ...doc, layers: 'mlp' })).toThrow("w.json: 'layers' must be an array");
    expect(() => parse({ ...doc, layers: [{ type: 'conv' }] })).toThrow(`w.json: layers[0].type must be 'linear' or 'activation', got 'conv'`);
    expect(() => parse({ ...doc, layers: [{ type: 'linear', inFeatures: 2, outFeatures: 0, bias: true }] })).toThrow(
      'w.json: layers[0].outFeatures must be a positive integer, got 0',
    );
    expect(() => parse({ ...doc, layers: [{ type: 'linear', inFeatures: 2, outFeatures: 3, bias: 'yes' }] })).toThrow(
      'w.json: layers[0].bias must be true or false, got \'yes\'',
    );
    expect(() => parse({ ...doc, layers: [{ type: 'linear', inFeatures: 2, outFeatures: 3, bias: true }, { type: 'activation', kind: 'swish', slope: 0 }] })).toThrow(
      'w.json: layers[1].kind must be one of relu, leaky_relu, sigmoid, tanh, gelu, gelu_tanh, silu, got \'swish\'',
    );
    expect(() => parse({ ...doc, layers: [Linear(6, 5), Linear(4, 3)] })).toThrow(
      'w.json: layers: layer 1 (Linear) takes 4 features but layer 0 produces 5',
    );
  });

  it('unknown, duplicate and missing parameter names', () => {
    const doc = goodDoc();
    expect(() => parse({ ...doc, parameters: [...doc.parameters, { ...doc.parameters[0]!, name: '2.bias' }] })).toThrow(
      "w.json: unknown parameter '2.bias'; these layers have 0.weight, 0.bias, 2.weight, 4.weight, 4.bias",
    );
    expect(() => parse({ ...doc, parameters: [...doc.parameters, doc.parameters[1]] })).toThrow("w.json: parameter '0.bias' appears twice");
    expect(() => parse({ ...doc, parameters: doc.parameters.filter((p) => p.name !== '4.bias') })).toThrow(
      "w.json: missing parameter '4.bias' (shape [3])",
    );
    expect(() => parse({ ...doc, parameters: [42] })).toThrow("w.json: parameters[0] must be an object with a string 'name'");
  });

  it('a shape or value count that is not the layers', () => {
    const doc = goodDoc();
    doc.parameters[2]!.shape = [5, 4];
    expect(() => parse(doc)).toThrow("w.json: parameter '2.weight' has shape [5,4]; the layers need [4, 5]");
    const short = goodDoc();
    short.parameters[0]!.data.pop();
    expect(() => parse(short)).toThrow("w.json: parameter '0.weight' needs 30 values in 'data' (shape [5, 6]), got 29 values");
  });

  it('a non-finite or non-number value, by index (JSON writes NaN and Infinity as null)', () => {
    const doc = goodDoc();
    doc.parameters[3]!.data[7] = null;
    expect(() => parse(doc)).toThrow("w.json: parameter '4.weight' has a non-finite value at index 7: null");
    const text = goodDoc();
    text.parameters[1]!.data[0] = '0.5';
    expect(() => parse(text)).toThrow(`w.json: parameter '0.bias' has a non-finite value at index 0: '0.5'`);
    // 1e999 parses to Infinity.
    const huge = JSON.stringify(goodDoc()).replace(/("name":"4\.bias","shape":\[3\],"data":\[)[^,\]]+/, '$11e999');
    expect(() => parseWeights(huge, 'w.json')).toThrow("w.json: parameter '4.bias' has a non-finite value at index 0: Infinity");
    // 1e39 is a finite double but would load into float32 weights as infinity.
    const beyond = JSON.stringify(goodDoc()).replace(/("name":"4\.bias","shape":\[3\],"data":\[)[^,\]]+/, '$11e39');
    expect(() => parseWeights(beyond, 'w.json')).toThrow("w.json: parameter '4.bias' has a non-finite value at index 0: 1e+39 (beyond float32)");
  });
});

describe('parseWeights on hostile files: typed errors, short messages', () => {
  it('a deeply nested layer is described, not serialised (no stack overflow)', () => {
    const text = `{"format":"${WEIGHTS_FORMAT}","layers":[${'['.repeat(100_000)}${']'.repeat(100_000)}],"parameters":[]}`;
    expect(() => parseWeights(text, 'w.json')).toThrow(new ArgumentError('w.json: layers[0] must be an object, got an array of 1'));
  });

  it('a 40 MB string is quoted as a short prefix', () => {
    const text = JSON.stringify({ format: 'x'.repeat(40_000_000) });
    let message = '';
    try {
      parseWeights(text, 'w.json');
    } catch (e) {
      expect(e).toBeInstanceOf(ArgumentError);
      message = (e as Error).message;
    }
    expect(message.length).toBeLessThan(200);
    expect(message).toBe(`w.json: format must be '${WEIGHTS_FORMAT}', got '${'x'.repeat(60)}...' (40,000,000 characters)`);
  });

  it('long names and kinds are cut too', () => {
    const doc = goodDoc();
    doc.layers[1] = { type: 'activation', kind: 'k'.repeat(1000), slope: 0 };
    expect(() => parse(doc)).toThrow(`w.json: layers[1].kind must be one of relu, leaky_relu, sigmoid, tanh, gelu, gelu_tanh, silu, got '${'k'.repeat(60)}...' (1,000 characters)`);
    const named = goodDoc();
    named.parameters[0]!.name = 'n'.repeat(1000);
    expect(() => parse(named)).toThrow(`w.json: unknown parameter '${'n'.repeat(60)}...' (1,000 characters)`);
  });
});

describe('loading never half-loads', () => {
  it('a file whose last parameter is bad leaves the model as it was', () => {
    const model = new Sequential(rt, layers(), { seed: 2 });
    const before = model.parameters();
    const doc = goodDoc(); // other values (seed 5)
    doc.parameters[4]!.data[2] = null;
    const path = join(root, 'bad-last.json');
    writeFileSync(path, JSON.stringify(doc));
    expect(() => loadWeightsInto(model, readWeights(path), path)).toThrow("parameter '4.bias' has a non-finite value at index 2");
    expect(model.parameters()).toEqual(before);
    model.dispose();
  });

  it('a document built in code (not parsed) with a bad last value leaves the model as it was', () => {
    const model = new Sequential(rt, layers(), { seed: 2 });
    const before = model.parameters();
    const file = parse(goodDoc());
    file.parameters[4]!.data[1] = NaN;
    expect(() => loadWeightsInto(model, file)).toThrow("parameter '4.bias' has a non-finite value at index 1: NaN");
    expect(model.parameters()).toEqual(before);
    model.dispose();
  });

  it('a file for other layers is refused before any value is written', () => {
    const model = new Sequential(rt, [Linear(6, 5), ReLU(), Linear(5, 3)], { seed: 2 });
    const before = model.parameters();
    expect(() => loadWeightsInto(model, parse(goodDoc()), 'w.json')).toThrow(
      "w.json: its layers 6-5-leaky_relu-4-relu-3 are not the model's 6-5-relu-3",
    );
    expect(model.parameters()).toEqual(before);
    model.dispose();
  });

  it('loadWeightsInto with a good file sets every parameter', () => {
    const model = new Sequential(rt, layers(), { seed: 2 });
    const file = parse(goodDoc());
    loadWeightsInto(model, file);
    expect(model.parameters().map((p) => p.data)).toEqual(file.parameters.map((p) => p.data));
    model.dispose();
  });
});
