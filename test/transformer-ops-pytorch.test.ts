// The transformer ops against PyTorch 1.13 (test/fixtures/transformer-ops,
// written by make_fixture.py): embedding + learned positions, LayerNorm
// (with and without bias), LLaMA's RMSNorm and SwiGLU's gate, forward values
// and the gradients of sum(out * r), on every build. Tolerance: 1e-5
// relative, plus 1e-6 absolute for values near 0 (float32 sums over at most
// 64 terms, ordered differently from PyTorch's).

import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { init, type BuildName } from '../src/index.js';
import { embeddingBackward, embeddingForward } from '../src/nn/ops/embedding.js';
import { layerNormBackward, layerNormForward, rmsNormBackward, rmsNormForward } from '../src/nn/ops/norm.js';
import { swigluBackward, swigluForward } from '../src/nn/ops/swiglu.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { WasmBuffers } from './helpers/wasm-buffers.js';

enableRelaxedSimdForTests();

type Case = Record<string, number & number[]>;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/transformer-ops/fixture.json', import.meta.url), 'utf8')) as Record<string, Case[]>;
const TOLERANCE = { atol: 1e-6, rtol: 1e-5 };

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('transformer ops match PyTorch (%s build)', (build) => {
  const withBuffers = async (body: (mem: WasmBuffers) => void) => {
    const mem = new WasmBuffers(await init({ build }));
    try {
      body(mem);
    } finally {
      mem.free();
    }
  };
  const close = (mem: WasmBuffers, ptr: number, expected: number[], label: string) =>
    expectClose(mem.read(ptr, expected.length), expected, { ...TOLERANCE, label });

  it.each(fixture.embedding!.map((c) => [`B=${c.batch} T=${c.seq} V=${c.vocab} h=${c.hidden}`, c] as const))('embedding + positions %s', (_, c) =>
    withBuffers((mem) => {
      const shape = { batch: c.batch, seq: c.seq, hidden: c.hidden, vocab: c.vocab };
      const ids = mem.i32(c.ids), out = mem.f32(c.out.length), dwte = mem.f32(c.wte.length), dwpe = mem.f32(c.wpe.length);
      embeddingForward(mem.rt, { ...shape, ids, wte: mem.f32(c.wte), wpe: mem.f32(c.wpe), out });
      close(mem, out, c.out, 'out');
      embeddingBackward(mem.rt, { ...shape, ids, dout: mem.f32(c.r), dwte, dwpe });
      close(mem, dwte, c.dwte, 'dwte');
      close(mem, dwpe, c.dwpe, 'dwpe (block-size table, rows past T untouched)');
    }));

  it.each(fixture.layer_norm!.map((c) => [`rows=${c.rows} h=${c.hidden}${c.bias ? '' : ' no bias'}`, c] as const))('LayerNorm %s', (_, c) =>
    withBuffers((mem) => {
      const { rows, hidden } = c, n = rows * hidden;
      const x = mem.f32(c.x), weight = mem.f32(c.weight), bias = c.bias ? mem.f32(c.bias) : 0;
      const out = mem.f32(n), mean = mem.f32(rows), rstd = mem.f32(rows), dx = mem.f32(n), dweight = mem.f32(hidden), dbias = c.bias ? mem.f32(hidden) : 0;
      layerNormForward(mem.rt, { rows, hidden, x, weight, bias, out, mean, rstd, eps: c.eps });
      close(mem, out, c.out, 'out');
      close(mem, mean, c.mean, 'mean');
      close(mem, rstd, c.rstd, 'rstd');
      layerNormBackward(mem.rt, { rows, hidden, x, weight, mean, rstd, dout: mem.f32(c.r), dx, dweight, dbias });
      close(mem, dx, c.dx, 'dx');
      close(mem, dweight, c.dweight, 'dweight');
      if (c.bias) close(mem, dbias, c.dbias, 'dbias');
    }));

  it.each(fixture.rms_norm!.map((c) => [`rows=${c.rows} h=${c.hidden}`, c] as const))('RMSNorm %s', (_, c) =>
    withBuffers((mem) => {
      const { rows, hidden } = c, n = rows * hidden;
      const x = mem.f32(c.x), weight = mem.f32(c.weight), out = mem.f32(n), rstd = mem.f32(rows), dx = mem.f32(n), dweight = mem.f32(hidden);
      rmsNormForward(mem.rt, { rows, hidden, x, weight, out, rstd, eps: c.eps });
      close(mem, out, c.out, 'out');
      close(mem, rstd, c.rstd, 'rstd');
      rmsNormBackward(mem.rt, { rows, hidden, x, weight, rstd, dout: mem.f32(c.r), dx, dweight });
      close(mem, dx, c.dx, 'dx');
      close(mem, dweight, c.dweight, 'dweight');
    }));

  it.each(fixture.swiglu!.map((c) => [`n=${c.n}`, c] as const))('SwiGLU %s', (_, c) =>
    withBuffers((mem) => {
      const { n } = c, a = mem.f32(c.a), b = mem.f32(c.b), out = mem.f32(n), da = mem.f32(n), db = mem.f32(n);
      swigluForward(mem.rt, { n, a, b, out });
      close(mem, out, c.out, 'out');
      swigluBackward(mem.rt, { n, a, b, dout: mem.f32(c.r), da, db });
      close(mem, da, c.da, 'da');
      close(mem, db, c.db, 'db');
    }));
});
