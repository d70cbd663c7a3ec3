// `wasmgrad estimate --as-run-here`: a transformer described as for the
// large-model estimator, trained as wasmgrad's core trains it (float32, one
// device, AdamW or another of its optimizers), estimated by folding the same
// step plans the core executes (src/plan/gpt-step-plan.ts). For every GPT the
// core can run, `wasmgrad profile --model gpt` measures exactly these bytes;
// for larger ones it is the same arithmetic.

import { ArgumentError } from '../errors.js';
import { type GPTConfig, gptConfig } from '../gpt/config.js';
import type { OptimizerName } from '../optim/registry.js';
import { estimateGpt, type GptEstimate } from './gpt.js';
import type { TrainingSetup } from './training-setup.js';
import type { TransformerModel } from './transformer.js';

export interface AsRunHere {
  config: GPTConfig;
  batch: number;
  tokens: number;
  optimizer: OptimizerName;
  flashAttention: boolean;
  recompute: 'none' | 'blocks';
  /** Threads of the runtime it would train on: each packs its own GEMM panels. */
  threads: number;
  estimate: GptEstimate;
}

/** What the core trains differently from the large-model estimator's options, each refused by name. */
function unsupported(model: TransformerModel, setup: TrainingSetup): string | null {
  if (model.kvHeads !== model.heads) return '--kv-heads: the core\'s attention has as many key/value heads as query heads';
  if (model.experts > 1) return '--experts: the core has no mixture-of-experts layers';
  if (model.positionEmbeddings !== 'learned') return '--positions: the core learns position embeddings (no rotary positions)';
  if (setup.precision !== 'fp32') return `--precision ${setup.precision}: the core trains in fp32; give --precision fp32`;
  if (setup.devices > 1 || setup.tensorParallel > 1 || setup.pipelineParallel > 1 || setup.expertParallel > 1) return '--devices/--tp/--pp/--ep: the core trains on one device';
  if (setup.zeroStage !== 0) return '--zero: the core trains on one device, without ZeRO';
  if (setup.gradAccumulation > 1) return '--grad-accum: the core updates after every micro-batch';
  if (setup.lora !== null) return '--lora-rank: the core trains every parameter';
  if (setup.offload !== 'none') return '--offload: the core keeps every state in WASM memory';
  if (setup.recompute === 'selective') return "--recompute selective: the core recomputes whole blocks ('full') or nothing";
  if (setup.optimizer === 'adam-8bit') return "--optimizer adam-8bit: the core's optimizers keep float32 state";
  if (setup.convention !== 'zero') return '--convention: --as-run-here counts the core\'s own fp32 bytes';
  return null;
}

export function estimateAsRunHere(model: TransformerModel, setup: TrainingSetup, threads = 1): AsRunHere {
  const why = unsupported(model, setup);
  if (why !== null) throw new ArgumentError(`--as-run-here: ${why}`);
  const config = gptConfig({
    vocab: model.vocabSize, seq: model.contextLength, hidden: model.hidden, heads: model.heads, layers: model.layers, ffn: model.ffnHidden,
    bias: model.bias, tiedHead: model.tiedEmbeddings, norm: model.norm, feedForward: model.ffn,
    // The bytes do not depend on p, only on whether dropout keeps masks.
    dropout: model.dropout ? 0.1 : 0,
  });
  const optimizer = setup.optimizer as OptimizerName;
  const flashAttention = setup.attention === 'flash', recompute = setup.recompute === 'full' ? 'blocks' : 'none';
  // Two steps: the first allocates gradients and optimizer state, the second is the steady state.
  const estimate = estimateGpt({ model: config, batch: setup.microBatch, tokens: setup.seqLength, steps: 2, optimizer, flashAttention, recompute, build: 'simd', threads });
  return { config, batch: setup.microBatch, tokens: setup.seqLength, optimizer, flashAttention, recompute, threads, estimate };
}
