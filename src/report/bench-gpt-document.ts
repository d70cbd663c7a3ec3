// `wasmgrad bench gpt` as a document and a table: GPT training tokens/s at
// the stated configuration, the GEMMs' share of a step, and PyTorch CPU
// training the identical model in the same run.
//
// JSON (format "wasmgrad.bench.gpt/1"):
//   model        the GPTConfig; batch, tokens (per sequence)
//   engine, build, threads (the threads it ran on)
//   wasmgrad     { tokensPerSecond, msPerStep, minMsPerStep, gemmMsPerStep, gemmShare, gemmMacs }
//                (gemmShare = gemmMsPerStep / msPerStep: the step's products run alone)
//   pytorch      { available, version, threads, blas, tokensPerSecond, msPerStep } or { available: false, reason }
//   ratio        wasmgrad / PyTorch tokens per second (null without PyTorch)

import type { GptBenchReport } from '../bench/gpt-bench.js';
import { pytorchInfo, type PytorchInfo, type PytorchPeer } from '../bench/pytorch-result.js';
import { formatInteger } from '../estimate/units.js';
import type { GPTConfig } from '../gpt/config.js';
import { describeGpt } from './gpt-profile-report.js';

export interface BenchGptDocument {
  format: 'wasmgrad.bench.gpt/1';
  model: GPTConfig;
  batch: number;
  tokens: number;
  engine: string;
  build: string;
  threads: number;
  wasmgrad: { tokensPerSecond: number; msPerStep: number; minMsPerStep: number; gemmMsPerStep: number; gemmShare: number; gemmMacs: number };
  pytorch: (PytorchInfo & { tokensPerSecond?: number; msPerStep?: number }) | { available: false; reason: string };
  ratio: number | null;
}

export function benchGptDocument(r: GptBenchReport, peer: PytorchPeer): BenchGptDocument {
  const torch = peer.available && peer.gpt ? { ...pytorchInfo(peer), tokensPerSecond: peer.gpt.tokensPerSecond, msPerStep: peer.gpt.msPerStep } : peer.available ? { available: false as const, reason: 'the PyTorch peer ran no GPT' } : pytorchInfo(peer);
  return {
    format: 'wasmgrad.bench.gpt/1',
    model: r.config, batch: r.batch, tokens: r.tokens, engine: r.engine, build: r.build, threads: r.threads,
    wasmgrad: { tokensPerSecond: r.tokensPerSecond, msPerStep: r.msPerStep, minMsPerStep: r.minMsPerStep, gemmMsPerStep: r.gemmMsPerStep, gemmShare: r.gemmMsPerStep / r.msPerStep, gemmMacs: r.gemmMacs },
    pytorch: torch,
    ratio: 'tokensPerSecond' in torch && torch.tokensPerSecond ? r.tokensPerSecond / torch.tokensPerSecond : null,
  };
}

export function renderBenchGptTable(d: BenchGptDocument): string {
  const w = d.wasmgrad;
  const lines = [
    `GPT training (forward, backward, AdamW): ${describeGpt(d.model)}, batch ${d.batch} x ${d.tokens} tokens`,
    `  ${d.engine}`,
    `  wasmgrad   ${formatInteger(Math.round(w.tokensPerSecond))} tokens/s (${w.msPerStep.toFixed(2)} ms a step, fastest ${w.minMsPerStep.toFixed(2)}); its GEMMs alone ${w.gemmMsPerStep.toFixed(2)} ms = ${(100 * w.gemmShare).toFixed(0)}% of the step (${formatInteger(w.gemmMacs)} MACs)`,
  ];
  if ('tokensPerSecond' in d.pytorch && d.pytorch.available && d.pytorch.tokensPerSecond !== undefined) {
    lines.push(`  PyTorch    ${formatInteger(Math.round(d.pytorch.tokensPerSecond))} tokens/s (${d.pytorch.msPerStep!.toFixed(2)} ms a step; ${d.pytorch.version}, ${d.pytorch.threads} thread, ${d.pytorch.blas.name}), the same model`);
    lines.push(`  ratio      ${d.ratio!.toFixed(2)}x PyTorch's tokens/s`);
  } else lines.push(`  PyTorch    unavailable: ${(d.pytorch as { reason: string }).reason}`);
  return `${lines.join('\n')}\n`;
}
