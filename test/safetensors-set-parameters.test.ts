// setParameters as the loading end of a weights file: strict like PyTorch's
// load_state_dict, weights documents accepted, never half-applied (fast-check).

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArgumentError, NonFiniteError, ShapeError } from '../src/errors.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { Linear, ReLU, Tanh } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { type Runtime, init } from '../src/runtime.js';
import { WEIGHTS_FORMAT, modelToSafetensors, parseWeights, weightsChunks, weightsOf } from '../src/train/weights.js';

let rt: Runtime;
let model: Sequential;
let other: Sequential;
beforeAll(async () => {
  rt = await init({ build: 'simd' });
  model = new Sequential(rt, [Linear(4, 3), ReLU(), Linear(3, 2)], { seed: 1 });
  other = new Sequential(rt, [Linear(4, 3), Tanh(), Linear(3, 2)], { seed: 2 });
});
afterAll(() => {
  model.dispose();
  other.dispose();
});

function expectRefused(call: () => void, type: typeof ArgumentError, message: string): void {
  const before = model.parameters();
  expect(call).toThrow(new type(message));
  expect(model.parameters()).toEqual(before);
}

describe('setParameters is strict by default', () => {
  it('a missing parameter is refused, naming each with its shape, and nothing is written', () => {
    expectRefused(
      () => model.setParameters({ '0.weight': new Float32Array(12), '0.bias': new Float32Array(3) }),
      ArgumentError,
      "setParameters is missing '2.weight' [2, 3], '2.bias' [2]; pass { strict: false } to set only some parameters",
    );
    const list = other.parameters().filter((p) => p.name !== '0.bias');
    expectRefused(() => model.setParameters(list), ArgumentError, "setParameters is missing '0.bias' [3]; pass { strict: false } to set only some parameters");
  });

  it('{ strict: false } sets only what is named; unknown names are refused either way', () => {
    const before = model.parameters();
    model.setParameters({ '2.bias': [5, 6] }, { strict: false });
    expect(Array.from(model.parameters()[3]!.data)).toEqual([5, 6]);
    expect(model.parameters().slice(0, 3)).toEqual(before.slice(0, 3));
    expectRefused(() => model.setParameters({ '5.bias': [1] }, { strict: false }), ArgumentError, "unknown parameter '5.bias'; this model has 0.weight, 0.bias, 2.weight, 2.bias");
    model.setParameters(before);
  });

  it('the option is checked as what it is', () => {
    expectRefused(() => model.setParameters(model.parameters(), { strict: 'no' } as never), ArgumentError, 'setParameters strict must be a boolean (true or false), got "no"');
    expectRefused(() => model.setParameters(model.parameters(), { strcit: false } as never), ArgumentError, 'setParameters: unknown option "strcit"; known options: strict');
  });
});

describe("setParameters takes the package's own weights documents", () => {
  it('weightsOf another model, a parsed JSON file and a document with number[] data', () => {
    const before = model.parameters();
    model.setParameters(weightsOf(other));
    expect(model.parameters()).toEqual(other.parameters());
    model.setParameters(parseWeights([...weightsChunks(weightsOf(other), 'json')].join('')));
    expect(model.parameters()).toEqual(other.parameters());
    // The JSON file's shape as it was typed before: data as plain numbers.
    const doc = { format: WEIGHTS_FORMAT, layers: model.layers, parameters: before.map((p) => ({ name: p.name, shape: p.shape, data: Array.from(p.data) })) };
    model.setParameters(doc);
    expect(model.parameters()).toEqual(before);
  });

  it('the tensors of a safetensors file, as read', () => {
    const before = model.parameters();
    model.setParameters(readSafetensors(modelToSafetensors(other)).tensors);
    expect(model.parameters()).toEqual(other.parameters());
    model.setParameters(before);
  });

  it("a document's shapes are checked", () => {
    const doc = weightsOf(other);
    doc.parameters[2]!.shape = [3, 2];
    expectRefused(() => model.setParameters(doc), ShapeError, "parameter '2.weight' has shape [2, 3], got [3, 2]");
  });
});

describe('setParameters never half-applies (fast-check, seed 14, 300 runs)', () => {
  const names = ['0.weight', '0.bias', '2.weight', '2.bias'];
  const sizes = [12, 3, 6, 2];
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e39, '1' as unknown as number) },
  );
  const entry = fc.record({
    name: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string() }),
    lengthDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
    values: fc.array(value, { maxLength: 14 }),
  });
  const request = fc.record({ entries: fc.array(entry, { maxLength: 6 }), strict: fc.boolean(), asList: fc.boolean() });

  it('either every value is written exactly, or a typed error leaves the model as it was', () => {
    fc.assert(
      fc.property(request, ({ entries, strict, asList }) => {
        const list = entries.map((e) => {
          const k = names.indexOf(e.name);
          const n = Math.max(0, (k >= 0 ? sizes[k]! : 1) + e.lengthDelta);
          return { name: e.name, data: Array.from({ length: n }, (_, i) => e.values[i % Math.max(1, e.values.length)] ?? 0.5) };
        });
        const before = model.parameters();
        const values = asList ? list.map((p) => ({ ...p, shape: undefined })) : Object.fromEntries(list.map((p) => [p.name, p.data]));
        try {
          model.setParameters(values as never, { strict });
        } catch (e) {
          expect([ArgumentError, ShapeError, NonFiniteError].some((t) => e instanceof t)).toBe(true);
          expect((e as Error).message).not.toContain('\n');
          expect(model.parameters()).toEqual(before);
          return;
        }
        // Accepted: what was named is written (as float32), everything else is as it was.
        const given = new Map(list.map((p) => [p.name, p.data]));
        for (const p of model.parameters()) {
          const expected = given.has(p.name) ? Float32Array.from(given.get(p.name)!) : before.find((b) => b.name === p.name)!.data;
          expect(p.data).toEqual(expected);
        }
        if (strict) expect(names.every((n) => given.has(n))).toBe(true);
      }),
      { seed: 14, numRuns: 300 },
    );
  });
});
