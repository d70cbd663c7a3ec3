// Causal self-attention against PyTorch: test/fixtures/attention/attention.json,
// written by make_fixture.py beside it (nanoGPT's CausalSelfAttention from
// c_attn's output to what c_proj reads, float32, PyTorch 1.13). Both paths,
// every build, within 1e-5 relative (plus 1e-6 absolute for values near 0).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { init, type BuildName } from '../src/index.js';
import { expectClose } from './helpers/expect-close.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { runAttention } from './helpers/attention-run.js';

enableRelaxedSimdForTests();

interface FixtureCase {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
  qkv: number[];
  y: number[];
  dy: number[];
  dqkv: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/attention/attention.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };
const TOLERANCE = { rtol: 1e-5, atol: 1e-6 };

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('attention matches PyTorch (%s build)', (build) => {
  it('has the two configurations', () => expect(fixture.cases.map((c) => c.seq)).toEqual([7, 33]));

  // Block 8 leaves a partial block at T = 33 (and one block at T = 7).
  it.each([{ flash: false }, { flash: true, blockSize: 8 }])('y and dqkv, %o', async (path) => {
    const rt = await init({ build, fresh: true });
    for (const c of fixture.cases) {
      const spec = { batch: c.batch, seq: c.seq, heads: c.heads, headDim: c.headDim, ...path };
      const run = runAttention(rt, spec, Float32Array.from(c.qkv), Float32Array.from(c.dy));
      expectClose(run.y, c.y, { ...TOLERANCE, label: `y, seq ${c.seq}` });
      expectClose(run.dqkv!, c.dqkv, { ...TOLERANCE, label: `dqkv, seq ${c.seq}` });
    }
  });
});
