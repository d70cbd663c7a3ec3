/**
 * The inference memory estimate as a document (`wasmgrad estimate --inference --json`)
 * and as the table people read, drawn from the same document.
 *
 * JSON fields (stable; new ones may be added). Every byte figure is an exact integer:
 *
 *   format               "wasmgrad.estimate.inference/1"
 *   model                as in "wasmgrad.estimate/1" (src/report/estimate-document.ts), with .parameters
 *   setup                promptLength, generateLength, tokens (P + G), batch, precision
 *                        ("fp32" | "fp16" | "bf16", weights and activations), kvDtype
 *                        ("fp32" | "fp16" | "bf16" | "int8"), attention ("standard" | "flash"),
 *                        devices (t x p), tensorParallel, pipelineParallel
 *   kvCacheBytesPerToken KV-cache bytes of one token of one sequence, all layers, before any split
 *   perDevice            the heaviest pipeline stage: stage, parameters, layers, weights,
 *                        kvCache, activations (peak live bytes of one forward pass), inputs, total
 *   stages               one entry per pipeline stage, same fields as perDevice
 *   assumptions          the peak-activation assumption, in words
 *   notModelled          what the figures leave out, in words
 *   deviceMemory         bytes of one device's memory, or null when not given
 *   fits                 perDevice.total <= deviceMemory, or null without deviceMemory
 */
import { colours } from './colours.js';
import type { InferenceEstimate, InferenceSetup, InferenceStage } from '../estimate/inference.js';
import { countParameters, type ParameterCount, type TransformerModel } from '../estimate/transformer.js';
import { formatBytes, formatBytesBoth, formatInteger } from '../estimate/units.js';
import { deviceMemoryLine, NOT_MODELLED } from './estimate-document.js';

export interface InferenceDocument {
  format: 'wasmgrad.estimate.inference/1';
  model: TransformerModel & { parameters: ParameterCount };
  setup: InferenceSetup & { tokens: number; devices: number };
  kvCacheBytesPerToken: number;
  perDevice: InferenceStage;
  stages: InferenceStage[];
  assumptions: string;
  notModelled: string;
  deviceMemory: number | null;
  fits: boolean | null;
}

export const INFERENCE_PEAK_ASSUMPTION =
  'activations: the peak of one layer (or the output head) in the larger of the prefill pass and the last decode step, ' +
  'nothing kept for backward, logits of the last position only';

export function inferenceDocument(est: InferenceEstimate, deviceMemory: number | undefined): InferenceDocument {
  const { setup } = est;
  return {
    format: 'wasmgrad.estimate.inference/1',
    model: { ...est.model, parameters: countParameters(est.model) },
    setup: { ...setup, tokens: est.tokens, devices: setup.tensorParallel * setup.pipelineParallel },
    kvCacheBytesPerToken: est.kvCacheBytesPerToken,
    perDevice: { ...est.heaviest },
    stages: est.stages.map((s) => ({ ...s })),
    assumptions: INFERENCE_PEAK_ASSUMPTION,
    notModelled: NOT_MODELLED,
    deviceMemory: deviceMemory ?? null,
    fits: deviceMemory === undefined ? null : est.heaviest.total <= deviceMemory,
  };
}

const ROWS = ['weights', 'kvCache', 'activations', 'inputs'] as const;
const LABELS: Record<(typeof ROWS)[number], string> = { weights: 'weights', kvCache: 'KV cache', activations: 'activations', inputs: 'inputs' };

export function renderInferenceTable(doc: InferenceDocument, colour = false): string {
  const c = colours(colour);
  const { model, setup, perDevice: d } = doc;
  const lines: string[] = [];
  lines.push(c.bold(`wasmgrad estimate --inference: ${model.name}, ${formatInteger(model.parameters.total)} parameters`));
  lines.push(
    `  model       ${model.layers} layers, hidden ${model.hidden}, ${model.heads} heads (${model.kvHeads} key/value), vocab ${model.vocabSize}` +
      (model.experts > 1 ? `, ${model.experts} experts (${model.topK} per token)` : ''),
  );
  lines.push(
    `  inference   ${setup.batch} sequence${setup.batch === 1 ? '' : 's'} x (${setup.promptLength} prompt + ${setup.generateLength} generated) tokens, ` +
      `${setup.precision} weights, ${setup.kvDtype} KV cache, ${setup.attention} attention`,
  );
  lines.push(`  KV cache    ${formatInteger(doc.kvCacheBytesPerToken)} B per token per sequence (all layers, before splitting)`);
  lines.push(`  devices     ${setup.devices} = ${setup.tensorParallel} tensor x ${setup.pipelineParallel} pipeline`);
  lines.push('');
  const where = setup.pipelineParallel > 1 ? `pipeline stage ${d.stage} of ${setup.pipelineParallel} (the heaviest), ` : '';
  lines.push(`per device: ${where}${formatInteger(d.parameters)} parameters, ${d.layers} layers`);
  const width = Math.max(...ROWS.map((r) => formatInteger(d[r]).length), formatInteger(d.total).length);
  const row = (label: string, bytes: number) => `  ${label.padEnd(13)}${formatInteger(bytes).padStart(width)} B  ${formatBytesBoth(bytes)}`;
  for (const r of ROWS) lines.push(row(LABELS[r], d[r]));
  lines.push(c.bold(row('total', d.total)));
  if (setup.pipelineParallel > 1) lines.push(`  stages      ${doc.stages.map((s) => `${s.stage}: ${formatBytes(s.total)}`).join(', ')}`);
  if (doc.deviceMemory !== null) lines.push(deviceMemoryLine(d.total, doc.deviceMemory, c));
  lines.push(`  ${doc.assumptions}`);
  lines.push(`  not modelled: ${doc.notModelled}`);
  return `${lines.join('\n')}\n`;
}
