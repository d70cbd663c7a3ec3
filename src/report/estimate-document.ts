/**
 * The transformer memory estimate as a document (`wasmgrad estimate --json`)
 * and as the table people read, which is drawn from the same document.
 *
 * JSON fields (stable; new ones may be added). Every byte figure is an exact
 * integer number of bytes:
 *
 *   format               "wasmgrad.estimate/1"
 *   model                name, vocabSize, contextLength, hidden, heads, kvHeads (key/value heads),
 *                        layers, ffnHidden, ffn ("gelu" | "swiglu"), norm ("layernorm" | "rmsnorm"),
 *                        tiedEmbeddings, positionEmbeddings ("learned" | "none"), bias, dropout,
 *                        experts (1 = dense), topK (experts per token)
 *     .parameters        total, tokenEmbedding, positionEmbedding, attention, feedForward (all
 *                        experts and the router), norms, outputHead, activePerToken (total less
 *                        the experts a token skips), perLayer { attention, feedForward,
 *                        activeFeedForward, norms, total }
 *   setup                precision, optimizer, convention ("zero" | "megatron" | "deepspeed"), microBatch,
 *                        seqLength, gradAccumulation, globalBatch, recompute, devices,
 *                        dataParallel, tensorParallel, sequenceParallel, pipelineParallel,
 *                        expertParallel, zeroStage, attention ("standard" | "flash"),
 *                        offload ("none" | "optimizer" | "optimizer+params"),
 *                        lora: { rank, targets (of "q" "k" "v" "o" "mlp"), quantizedBase (QLoRA) } or null
 *   bytesPerParameter    weights, gradients, optimizer, total (before ZeRO sharding)
 *   layerActivationBytes bytes one layer saves for one micro-batch on one device
 *   perDevice            the heaviest pipeline stage, which every device must hold:
 *                        stage, parameters, layers, microBatchesInFlight,
 *                        weights, gradients, optimizer, activations, workspace, inputs, kvCache (0 in training), total (on
 *                        the device), host { weights, gradients, optimizer, total } (this device's
 *                        share of host memory under offload; all 0 without)
 *   stages               one entry per pipeline stage, same fields as perDevice
 *   largest              the largest category of perDevice ("weights", "gradients", ...)
 *   lora                 under LoRA: trainableParameters (the adapters), frozenBaseBytes (the
 *                        frozen base, NF4 with QLoRA, before ZeRO-3 sharding); null otherwise
 *   assumptions          how activations are counted (fused kernels), in words
 *   notModelled          what the figures leave out, in words
 *   deviceMemory         bytes of one device's memory, or null when not given
 *   fits                 perDevice.total <= deviceMemory, or null without deviceMemory
 */
import { type Colours, colours } from './colours.js';
import { CATEGORIES, type Category, type CategoryBytes } from '../memory/categories.js';
import type { ModelStateBytes } from '../estimate/model-states.js';
import { countParameters, type ParameterCount, type TransformerModel } from '../estimate/transformer.js';
import type { StageEstimate, TrainingSetup, TransformerEstimate } from '../estimate/training-setup.js';
import { formatBytes, formatBytesBoth, formatInteger } from '../estimate/units.js';

/** One pipeline stage as the document gives it: its categories flat beside its counts. */
export type EstimateStage = Omit<StageEstimate, 'bytes'> & CategoryBytes;

export interface EstimateDocument {
  format: 'wasmgrad.estimate/1';
  model: TransformerModel & { parameters: ParameterCount };
  setup: TrainingSetup & { globalBatch: number; dataParallel: number };
  bytesPerParameter: ModelStateBytes & { total: number };
  layerActivationBytes: number;
  perDevice: EstimateStage;
  stages: EstimateStage[];
  largest: Category;
  lora: TransformerEstimate['lora'];
  assumptions: string;
  notModelled: string;
  deviceMemory: number | null;
  fits: boolean | null;
}

function stageOf(s: StageEstimate): EstimateStage {
  return {
    stage: s.stage,
    parameters: s.parameters,
    layers: s.layers,
    microBatchesInFlight: s.microBatchesInFlight,
    ...s.bytes,
    total: s.total,
    host: { ...s.host },
  };
}

/** The document of an estimate, given one device's memory in bytes (or none). */
export function estimateDocument(est: TransformerEstimate, deviceMemory: number | undefined): EstimateDocument {
  const { model, setup } = est;
  const bpp = est.bytesPerParameter;
  return {
    format: 'wasmgrad.estimate/1',
    model: { ...model, parameters: countParameters(model) },
    setup: {
      precision: setup.precision,
      optimizer: setup.optimizer,
      convention: setup.convention,
      microBatch: setup.microBatch,
      seqLength: setup.seqLength,
      gradAccumulation: setup.gradAccumulation,
      globalBatch: est.globalBatch,
      recompute: setup.recompute,
      devices: setup.devices,
      dataParallel: est.dataParallel,
      tensorParallel: setup.tensorParallel,
      sequenceParallel: setup.sequenceParallel,
      pipelineParallel: setup.pipelineParallel,
      expertParallel: setup.expertParallel,
      zeroStage: setup.zeroStage,
      attention: setup.attention,
      offload: setup.offload,
      lora: setup.lora === null ? null : { rank: setup.lora.rank, targets: [...setup.lora.targets], quantizedBase: setup.lora.quantizedBase },
    },
    bytesPerParameter: { ...bpp, total: bpp.weights + bpp.gradients + bpp.optimizer },
    layerActivationBytes: est.layerActivationBytes,
    perDevice: stageOf(est.heaviest),
    stages: est.stages.map(stageOf),
    largest: est.largest,
    lora: est.lora,
    assumptions: TRAINING_ASSUMPTIONS,
    notModelled: TRAINING_NOT_MODELLED,
    deviceMemory: deviceMemory ?? null,
    fits: deviceMemory === undefined ? null : est.heaviest.total <= deviceMemory,
  };
}

const CONVENTION_NAMES: Record<TrainingSetup['convention'], string> = {
  zero: 'ZeRO-paper convention',
  megatron: 'Megatron-LM convention',
  deepspeed: "DeepSpeed estimator's convention",
};

/** What the workspace row is in this estimate, said once in the table and in the README. */
export const WORKSPACE_MEANS = 'what backward rebuilds for one layer while recomputing (--recompute selective or full); 0 without recomputation';

/** The human report: the setup in a few lines, then one line per category with exact bytes. */
export function renderEstimateTable(doc: EstimateDocument, colour = false): string {
  const c = colours(colour);
  const { model, setup, perDevice: heaviest, bytesPerParameter: bpp, deviceMemory } = doc;
  const params = model.parameters;
  const lines: string[] = [];
  lines.push(c.bold(`wasmgrad estimate: ${model.name}, ${formatInteger(params.total)} parameters`));
  lines.push(
    `  parameters  embeddings ${formatInteger(params.tokenEmbedding + params.positionEmbedding)} + attention ${formatInteger(params.attention)} + ` +
      `feed-forward ${formatInteger(params.feedForward)} + norms ${formatInteger(params.norms)} + output head ${formatInteger(params.outputHead)}` +
      (model.tiedEmbeddings ? ' (tied)' : ''),
  );
  const kv = model.kvHeads === model.heads ? '' : ` (${model.kvHeads} key/value)`;
  const experts = model.experts === 1 ? '' : `, ${model.experts} experts (${model.topK} per token, ${formatInteger(params.activePerToken)} parameters active)`;
  lines.push(
    `  model       vocab ${model.vocabSize}, context ${model.contextLength}, hidden ${model.hidden}, ${model.heads} heads${kv}, ${model.layers} layers, ` +
      `ffn ${model.ffnHidden} ${model.ffn}${experts}, ${model.norm}, ${model.positionEmbeddings === 'learned' ? 'learned positions' : 'no position parameters'}, ` +
      `${model.bias ? 'biases' : 'no biases'}, ${model.dropout ? 'dropout' : 'no dropout'}`,
  );
  lines.push(
    `  training    ${setup.precision}, ${setup.optimizer}, micro-batch ${setup.microBatch} x ${setup.seqLength} tokens, ` +
      `${setup.gradAccumulation} micro-batch${setup.gradAccumulation === 1 ? '' : 'es'} per step, global batch ${setup.globalBatch}, recompute ${setup.recompute}` +
      (setup.attention === 'flash' ? ', flash attention' : ''),
  );
  lines.push(
    `  devices     ${setup.devices} = ${setup.dataParallel} data x ${setup.tensorParallel} tensor${setup.sequenceParallel ? ' (+ sequence)' : ''} x ` +
      `${setup.pipelineParallel} pipeline, ZeRO stage ${setup.zeroStage}` +
      (setup.expertParallel > 1 ? `, experts split ${setup.expertParallel} ways` : ''),
  );
  lines.push(
    `  states      ${bpp.weights} + ${bpp.gradients} + ${bpp.optimizer} = ${bpp.total} bytes per parameter ` +
      `(weights + gradients + optimizer, ${CONVENTION_NAMES[setup.convention]}, before sharding` +
      `${setup.lora === null ? '' : '; of the adapters: the frozen base has weights only'})`,
  );
  if (setup.lora !== null && doc.lora !== null) {
    const share = ((100 * doc.lora.trainableParameters) / params.total).toPrecision(2);
    lines.push(
      `  fine-tune   ${setup.lora.quantizedBase ? 'QLoRA' : 'LoRA'} rank ${setup.lora.rank} on ${setup.lora.targets.join(', ')}: ` +
        `${formatInteger(doc.lora.trainableParameters)} trainable parameters (${share}%), frozen base ${formatBytes(doc.lora.frozenBaseBytes)}` +
        (setup.lora.quantizedBase ? ' (NF4, double quantisation)' : ''),
    );
  }
  lines.push('');
  const where = setup.pipelineParallel > 1 ? `pipeline stage ${heaviest.stage} of ${setup.pipelineParallel} (the heaviest), ` : '';
  const sharded = setup.zeroStage > 0 ? `, its states sharded ${setup.dataParallel} ways by ZeRO stage ${setup.zeroStage}` : '';
  lines.push(`per device: ${where}a replica of ${formatInteger(heaviest.parameters)} parameters${sharded}`);
  const width = Math.max(...CATEGORIES.map((cat) => formatInteger(heaviest[cat]).length), formatInteger(heaviest.total).length);
  const offload = setup.offload !== 'none';
  const host = new Map<string, number>(Object.entries(heaviest.host));
  const hostOf = (label: string) => host.get(label);
  const row = (label: string, bytes: number) => {
    const onHost = offload ? hostOf(label) : undefined;
    const line = `  ${label.padEnd(13)}${formatInteger(bytes).padStart(width)} B  ${formatBytesBoth(bytes)}`;
    return onHost === undefined ? line : `${line.padEnd(width + 50)}| host ${formatInteger(onHost)} B  ${formatBytesBoth(onHost)}`;
  };
  if (offload) lines.push(`  offload ${setup.offload}: device bytes, then this device's share of host memory (| host)`);
  for (const cat of CATEGORIES) {
    const line = row(cat, heaviest[cat]);
    lines.push(cat === doc.largest ? c.bold(c.yellow(`${line}  <- largest`)) : line);
  }
  lines.push(c.bold(row('total', heaviest.total)));
  if (setup.pipelineParallel > 1) {
    lines.push(`  stages      ${doc.stages.map((s) => `${s.stage}: ${formatBytes(s.total)}`).join(', ')}`);
  }
  if (deviceMemory !== null) lines.push(deviceMemoryLine(heaviest.total, deviceMemory, c));
  lines.push(`  workspace: ${WORKSPACE_MEANS}`);
  lines.push(`  assumes: ${doc.assumptions}`);
  lines.push(`  not modelled: ${doc.notModelled}`);
  return `${lines.join('\n')}\n`;
}

/** What no estimate here counts, said in every report (training adds backward temporaries). */
export const NOT_MODELLED = 'communication buffers, allocator fragmentation, the framework\'s own context';

/** What the training estimate leaves out, said in the report rather than left to silence. */
export const TRAINING_NOT_MODELLED =
  'backward temporaries other than recomputation, per-row statistics (LayerNorm/RMSNorm mean and rstd in fp32, 8sb bytes per norm; ' +
  `flash attention's logsumexp, 4asb bytes per layer), ${NOT_MODELLED}`;

/** How the activations are counted. */
export const TRAINING_ASSUMPTIONS =
  'fused kernels as Korthikanti et al. count them (an unfused RMSNorm or a softmax upcast to fp32, as in Hugging Face LLaMA code, saves 1.18-1.70x more per layer)';

/** `  device memory 80,000,000,000 B (...): fits, 13.4% used, 69.25 GB free` (or how much it is short by). */
export function deviceMemoryLine(total: number, deviceMemory: number, c: Colours): string {
  const free = deviceMemory - total;
  const used = ((100 * total) / deviceMemory).toFixed(1);
  return (
    `  device memory ${formatInteger(deviceMemory)} B (${formatBytesBoth(deviceMemory)}): ` +
    (free >= 0 ? c.green(`fits, ${used}% used, ${formatBytes(free)} free`) : c.red(`does not fit, ${used}% of it, short by ${formatBytes(-free)}`))
  );
}
