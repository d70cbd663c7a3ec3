// GPT training throughput: tokens per second of full training steps (forward,
// backward, AdamW) at a stated configuration, and how much of a step is its
// GEMMs: the step plan's products run alone on resident buffers, with the
// same shapes and transposes.

import { gptConfig, type GPTConfig, type GPTConfigInput } from '../gpt/config.js';
import { GPT } from '../gpt/model.js';
import { attentionGemms } from '../nn/ops/attention-cost.js';
import { Random } from '../nn/random.js';
import { AdamW } from '../optim/adam.js';
import type { GPTPlanOp } from '../plan/gpt-step-plan.js';
import type { Runtime } from '../runtime.js';
import { timeCall } from './timing.js';

/** The configuration `bench gpt` states: train-text's character-level GPT. */
export const GPT_BENCH_CONFIG: GPTConfigInput = { vocab: 65, seq: 64, hidden: 64, heads: 4, layers: 2 };
export const GPT_BENCH_BATCH = 16;
export const GPT_BENCH_LR = 1e-3;

export interface GptBenchReport {
  config: GPTConfig;
  batch: number;
  tokens: number;
  build: string;
  /** Threads it ran on. */
  threads: number;
  engine: string;
  /** Median ms of one training step, and the fastest. */
  msPerStep: number;
  minMsPerStep: number;
  tokensPerSecond: number;
  /** The step's GEMMs alone, ms (median). */
  gemmMsPerStep: number;
  /** GEMM multiply-accumulates of one step. */
  gemmMacs: number;
}

interface Product { transA: number; transB: number; m: number; n: number; k: number; count: number }

/** The products one step runs (Linear forward and both gradients; attention's batched products), with their repeat counts. */
function stepProducts(plan: readonly GPTPlanOp[], model: GPT, batch: number, tokens: number): Product[] {
  const rows = batch * tokens, c = model.config;
  const out: Product[] = [];
  const shapeOf = (prefix: string) => model.parameterTable.find((p) => p.name === `${prefix}.weight`)!.shape as [number, number];
  for (const op of plan) {
    if (op.op !== 'run') continue;
    if (op.kernel === 'linear') {
      const [outF, inF] = shapeOf(op.parameters!);
      if (op.pass === 'forward') out.push({ transA: 0, transB: 1, m: rows, n: outF, k: inF, count: 1 });
      else out.push({ transA: 1, transB: 0, m: outF, n: inF, k: rows, count: 1 }, { transA: 0, transB: 0, m: rows, n: inF, k: outF, count: 1 });
    } else if (op.kernel === 'attention') {
      const g = attentionGemms({ batch, seq: tokens, heads: c.heads, headDim: c.hidden / c.heads, flash: model.flashAttention });
      for (const s of op.pass === 'forward' ? g.forward : g.backward) out.push({ transA: 0, transB: 0, ...s, count: batch * c.heads });
    }
  }
  return out;
}

export async function runGptBench(rt: Runtime, options: { timeMs: number; config?: GPTConfigInput; batch?: number; onProgress?(m: string): void }): Promise<GptBenchReport> {
  const config = gptConfig(options.config ?? GPT_BENCH_CONFIG), batch = options.batch ?? GPT_BENCH_BATCH, tokens = config.seq;
  const model = new GPT(rt, config, { seed: 1 });
  const optimizer = new AdamW({ lr: GPT_BENCH_LR });
  const rng = new Random(2);
  const rows = () => Array.from({ length: batch }, () => Int32Array.from({ length: tokens }, () => rng.nextUint32() % config.vocab));
  const x = rows(), y = rows();
  try {
    options.onProgress?.('gpt: training steps');
    const step = await timeCall(() => [model.trainStep(x, y, optimizer)], { timeMs: options.timeMs });
    options.onProgress?.('gpt: the step\'s GEMMs alone');
    const products = stepProducts(model.stepPlan(batch, tokens, optimizer), model, batch, tokens);
    const largest = Math.max(...products.flatMap((p) => [p.m * p.k, p.k * p.n, p.m * p.n]));
    const [a, b, cc] = [0, 1, 2].map(() => rt.arena.alloc(largest * 4, 'workspace', 'GEMM bench operand'));
    try {
      new Float32Array(rt.memory.buffer, a!, largest).fill(0.5);
      new Float32Array(rt.memory.buffer, b!, largest).fill(0.25);
      const gemms = await timeCall(() => {
        for (const p of products) {
          const lda = p.transA ? p.m : p.k, ldb = p.transB ? p.k : p.n;
          for (let i = 0; i < p.count; i++) rt.core.gemm(p.transA, p.transB, p.m, p.n, p.k, 1, a!, lda, b!, ldb, 0, cc!, p.n);
        }
        return new Float32Array(rt.memory.buffer, cc!, 1);
      }, { timeMs: options.timeMs });
      return {
        config, batch, tokens, build: rt.build, threads: rt.threads, engine: rt.describe(),
        msPerStep: step.medianMs, minMsPerStep: step.minMs, tokensPerSecond: (batch * tokens * 1000) / step.medianMs,
        gemmMsPerStep: gemms.medianMs, gemmMacs: products.reduce((s, p) => s + p.m * p.n * p.k * p.count, 0),
      };
    } finally {
      for (const p of [a, b, cc]) rt.arena.free(p!);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
