// The round trip with PyTorch, both ways, through committed artifacts (CI needs no PyTorch):
//   PyTorch -> wasmgrad  torch_*.safetensors saved by test/fixtures/safetensors/make_fixture.py
//                        load here and predict PyTorch's logits (expected.json) within 1e-6.
//   wasmgrad -> PyTorch  wasmgrad writes wasmgrad_*.safetensors byte for byte as committed; the
//                        script loaded those into nn.Sequential and recorded PyTorch's logits,
//                        which this wasmgrad model predicts too.
// After changing the writer: WASMGRAD_WRITE_FIXTURES=1 npx vitest run test/safetensors-pytorch.test.ts,
// then /usr/bin/python3 test/fixtures/safetensors/make_fixture.py, and commit both.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { readSafetensors } from '../src/io/safetensors.js';
import { GELU, LeakyReLU, Linear, ReLU, type LayerSpec } from '../src/nn/layers.js';
import { Sequential } from '../src/nn/sequential.js';
import { type Runtime, init } from '../src/runtime.js';
import { modelFromWeights, modelToSafetensors, weightsFromSafetensors } from '../src/train/weights.js';
import { expectClose } from './helpers/expect-close.js';

const DIR = join(import.meta.dirname, 'fixtures', 'safetensors');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  from_torch: Record<string, { input: number[]; logits: number[] }>;
  from_wasmgrad: Record<string, { input: number[]; logits: number[] }>;
};

/** The models wasmgrad saves for PyTorch: file name, layers, initialisation seed. */
const WASMGRAD_MODELS: [string, () => LayerSpec[], number][] = [
  ['wasmgrad_relu_7_13_5_3.safetensors', () => [Linear(7, 13), ReLU(), Linear(13, 5), ReLU(), Linear(5, 3)], 3],
  ['wasmgrad_leaky_gelu_tanh_6_9_5_4.safetensors', () => [Linear(6, 9), LeakyReLU(0.1), Linear(9, 5), GELU({ approximate: 'tanh' }), Linear(5, 4, { bias: false })], 4],
];

let rt: Runtime;
beforeAll(async () => {
  rt = await init({ build: 'simd' });
});

describe('PyTorch -> wasmgrad', () => {
  it.each(Object.keys(expected.from_torch))('%s rebuilds from the file alone and predicts PyTorch\'s logits within 1e-6', (file) => {
    const model = modelFromWeights(rt, weightsFromSafetensors(readFileSync(join(DIR, file)), { source: file }));
    const { input, logits } = expected.from_torch[file]!;
    expectClose(model.predict(input), logits, { atol: 1e-6, rtol: 0, label: file });
    model.dispose();
  });

  it('covers F32, F16 and BF16 files and a Linear without bias', () => {
    const dtypes = Object.keys(expected.from_torch).flatMap((f) => readSafetensors(readFileSync(join(DIR, f))).tensors.map((t) => t.dtype));
    expect(new Set(dtypes)).toEqual(new Set(['F32', 'F16', 'BF16']));
    const gelu = readSafetensors(readFileSync(join(DIR, 'torch_gelu_5_11_4.safetensors')));
    expect(gelu.tensors.map((t) => t.name)).toEqual(['0.weight', '0.bias', '2.weight']);
  });

  it('a state dict alone (no layer metadata) loads into a model built in code', () => {
    const { tensors } = readSafetensors(readFileSync(join(DIR, 'torch_relu_7_13_5_3.safetensors')));
    const model = new Sequential(rt, [Linear(7, 13), ReLU(), Linear(13, 5), ReLU(), Linear(5, 3)]);
    model.setParameters(tensors);
    const { input, logits } = expected.from_torch['torch_relu_7_13_5_3.safetensors']!;
    expectClose(model.predict(input), logits, { atol: 1e-6, rtol: 0 });
    model.dispose();
  });
});

describe('wasmgrad -> PyTorch', () => {
  it.each(WASMGRAD_MODELS)('%s: wasmgrad writes the committed file byte for byte, and predicts what PyTorch predicted from it', (file, layers, seed) => {
    const model = new Sequential(rt, layers(), { seed });
    const bytes = modelToSafetensors(model);
    if (process.env.WASMGRAD_WRITE_FIXTURES === '1') writeFileSync(join(DIR, file), bytes);
    expect(Buffer.from(bytes).equals(readFileSync(join(DIR, file)))).toBe(true);
    const fromPyTorch = expected.from_wasmgrad[file];
    expect(fromPyTorch, `${file} has no PyTorch logits: run make_fixture.py`).toBeDefined();
    expectClose(model.predict(fromPyTorch!.input), fromPyTorch!.logits, { atol: 1e-6, rtol: 0, label: file });
    model.dispose();
  });
});
