// `wasmgrad train --save model.safetensors` then `wasmgrad serve-check --weights model.safetensors`,
// run as a user runs them (node dist/src/cli.js).

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSafetensors } from '../src/io/safetensors.js';
import { runCli as wasmgrad, type CliRun } from './helpers/cli.js';
import { safetensorsBytes } from './helpers/safetensors-bytes.js';
import { writeTinyMnist } from './helpers/tiny-mnist.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-cli-safetensors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const data = writeTinyMnist(join(root, 'tiny'));
const TINY = ['train', '--data', data, '--layers', '64,16,4', '--batch', '16', '--lr', '0.01', '--build', 'simd', '--epochs', '1'];
const FIXTURES = join(import.meta.dirname, 'fixtures', 'safetensors');
const SERVE = ['serve-check', '--requests', '5', '--warmup', '0', '--build', 'simd', '--json'];

describe('train --save model.safetensors, then serve-check --weights model.safetensors', () => {
  const saved = join(root, 'model.safetensors');
  let train: CliRun;
  beforeAll(async () => {
    train = await wasmgrad([...TINY, '--save', saved]);
  });

  it('train writes a safetensors file with the layers in its metadata, and no temporary', () => {
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    expect(train.stdout).toContain(`saved weights to ${saved} (safetensors)`);
    const { tensors, metadata } = readSafetensors(readFileSync(saved));
    expect(tensors.map((t) => [t.name, t.shape])).toEqual([['0.weight', [16, 64]], ['0.bias', [16]], ['2.weight', [4, 16]], ['2.bias', [4]]]);
    expect(metadata['wasmgrad.layers']).toBeDefined();
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('serve-check runs the saved model, its layers from the file', async () => {
    const r = await wasmgrad([...SERVE, '--weights', saved]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ layers: [64, 16, 4], model: 'Linear(64, 16) -> ReLU -> Linear(16, 4)', weights: saved });
  });
});

describe('train --save is checked before training starts', () => {
  it('a name ending in a slash is a directory: exit 2, nothing trained or created', async () => {
    const r = await wasmgrad([...TINY, '--save', `${join(root, 'out')}/`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: --save: ${join(root, 'out')}/ ends in a slash, so it names a directory; give a file name (see 'wasmgrad train --help')\n`);
    expect(r.stdout).toBe('');
    expect(existsSync(join(root, 'out'))).toBe(false);
  });
});

describe('serve-check --weights with PyTorch\'s files', () => {
  it('a file PyTorch saved (with wasmgrad layers in its metadata) runs', async () => {
    const file = join(FIXTURES, 'torch_gelu_5_11_4.safetensors');
    const r = await wasmgrad([...SERVE, '--weights', file]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ layers: [5, 11, 4], model: 'Linear(5, 11) -> GELU -> Linear(11, 4, bias=False)' });
  });

  it('a bare state dict takes its layers from --layers and --activation', async () => {
    const bare = join(root, 'bare.safetensors');
    const { tensors } = readSafetensors(readFileSync(join(FIXTURES, 'torch_relu_7_13_5_3.safetensors')));
    const header: Record<string, unknown> = {};
    let at = 0;
    for (const t of tensors) header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, (at += t.data.byteLength)] };
    writeFileSync(bare, safetensorsBytes(header, Buffer.concat(tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)))));
    const without = await wasmgrad([...SERVE, '--weights', bare]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(`error: ${bare}: no 'wasmgrad.layers' in __metadata__`);
    const r = await wasmgrad([...SERVE, '--weights', bare, '--layers', '7,13,5,3', '--activation', 'relu']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ layers: [7, 13, 5, 3] });
  });

  it('a hostile file: exit 2 and one line naming it', async () => {
    const bad = join(root, 'hostile.safetensors');
    writeFileSync(bad, safetensorsBytes({ '0.weight': { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)));
    const r = await wasmgrad([...SERVE, '--weights', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`error: ${bad}: dtype I64 of '0.weight' is not supported; wasmgrad reads F32, F16, BF16 (see 'wasmgrad serve-check --help')`]);
  });
});
