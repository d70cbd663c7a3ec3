/**
 * A training run's setup and the memory it costs on each device: model states
 * (model-states.ts) plus saved activations (transformer.ts), per pipeline stage.
 *
 * Devices: `devices` = data-parallel d x tensor-parallel t x pipeline-parallel p
 * (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU
 * Clusters Using Megatron-LM"). ZeRO shards model states over the d replicas.
 *
 * Pipeline schedule: non-interleaved 1F1B (Narayanan et al. 2021, Sec. 2.2).
 * Stage i (0-based) holds the activations of min(p - i, m) micro-batches in
 * flight, m being the number of micro-batches per step (gradient-accumulation
 * steps). Korthikanti et al. 2022, Sec. 4.2: the first stage therefore stores
 * L/p layers x p micro-batches = L layers' worth, whatever p is.
 *
 * Expert parallelism (mixture of experts): the e expert-parallel ranks are
 * carved out of the d data-parallel replicas (DeepSpeed-MoE, Megatron-LM), each
 * holding E/e experts; ZeRO shards the non-expert states over d and the expert
 * states over the d/e replicas that hold the same experts.
 *
 * Offload (`offload`), as ZeRO-Offload (Ren et al. 2021, Sec. 4) and
 * ZeRO-Infinity (Rajbhandari et al. 2021) place the states:
 *   'optimizer'          optimizer state and gradients live in host memory and the
 *                        update runs on the CPU (gradients move as they are made);
 *                        the device keeps the 16-bit weights
 *   'optimizer+params'   the weights too; the device holds one module's weights and
 *                        gradients at a time, the largest (largestModuleParameters)
 * Bytes move unchanged from device to host; each device's host share is reported.
 * Transfer buffers and pinned staging memory are not modelled.
 */
import { ArgumentError } from '../errors.js';
import { CATEGORIES, type Category, type CategoryBytes, sumCategoryBytes } from '../memory/categories.js';
import { checkChoice, checkPositiveInteger, shown } from './checks.js';
import { type LoraSetup, checkLoraSetup, frozenBaseBytes, loraParameters } from './lora.js';
import { type DeviceAndHost, deepspeedStates } from './deepspeed-convention.js';
import {
  CONVENTIONS,
  type ModelStateConvention,
  OPTIMIZERS,
  type OptimizerKind,
  PRECISIONS,
  type Precision,
  ZERO_STAGES,
  type ZeroStage,
  bytesPerParameter,
  computeElementBytes,
  modelStateBytes,
  type ModelStateBytes,
} from './model-states.js';
import {
  ATTENTION_KINDS,
  type ActivationSetup,
  type AttentionKind,
  type RecomputeKind,
  RECOMPUTE_KINDS,
  type TransformerModel,
  checkActivationSetup,
  checkModelSplit,
  checkTransformer,
  countParameters,
  edgeActivationBytes,
  layerActivationBytes,
  recomputeTransientBytes,
  parameterInputs,
  largestModuleParameters,
  stageExpertParameters,
  stageParameters,
} from './transformer.js';
import { InexactFigureError, checkExact } from './units.js';

export const OFFLOAD_KINDS = ['none', 'optimizer', 'optimizer+params'] as const;
export type OffloadKind = (typeof OFFLOAD_KINDS)[number];

export interface TrainingSetup {
  precision: Precision;
  optimizer: OptimizerKind;
  /** Sequences per micro-batch on one data-parallel replica (b). */
  microBatch: number;
  /** Tokens per sequence (s); at most the model's context length when positions are learned. */
  seqLength: number;
  /** Micro-batches per optimizer step (m), also the micro-batches a pipeline can have in flight. */
  gradAccumulation: number;
  recompute: RecomputeKind;
  /** All devices: dataParallel x tensorParallel x pipelineParallel. */
  devices: number;
  zeroStage: ZeroStage;
  tensorParallel: number;
  sequenceParallel: boolean;
  pipelineParallel: number;
  /** Expert-parallel size e (mixture of experts only): divides the experts and the data-parallel degree. */
  expertParallel: number;
  attention: AttentionKind;
  convention: ModelStateConvention;
  /** LoRA or QLoRA fine-tuning (lora.ts), or null to train every parameter. */
  lora: LoraSetup | null;
  offload: OffloadKind;
}

/** Defaults: one device, mixed-precision bf16 with AdamW, one sequence of the model's full context. */
export function defaultTrainingSetup(model: TransformerModel): TrainingSetup {
  return {
    precision: 'mixed-bf16',
    optimizer: 'adamw',
    microBatch: 1,
    seqLength: model.contextLength,
    gradAccumulation: 1,
    recompute: 'none',
    devices: 1,
    zeroStage: 0,
    tensorParallel: 1,
    sequenceParallel: false,
    pipelineParallel: 1,
    expertParallel: 1,
    attention: 'standard',
    convention: 'zero',
    lora: null,
    offload: 'none',
  };
}

/** Checks a setup against a model; returns the data-parallel degree d = devices / (t p). */
export function checkTrainingSetup(model: TransformerModel, setup: TrainingSetup): number {
  checkTransformer(model);
  for (const key of ['microBatch', 'seqLength', 'gradAccumulation', 'devices', 'tensorParallel', 'pipelineParallel', 'expertParallel'] as const) {
    checkPositiveInteger(key, setup[key]);
  }
  checkChoice('precision', setup.precision, PRECISIONS);
  checkChoice('optimizer', setup.optimizer, OPTIMIZERS);
  checkChoice('recompute', setup.recompute, RECOMPUTE_KINDS);
  checkChoice('zeroStage', setup.zeroStage, ZERO_STAGES);
  checkChoice('convention', setup.convention, CONVENTIONS);
  checkChoice('attention', setup.attention, ATTENTION_KINDS);
  checkChoice('offload', setup.offload, OFFLOAD_KINDS);
  if (setup.convention === 'deepspeed') {
    const why =
      setup.lora !== null ? 'LoRA' : setup.expertParallel > 1 ? 'expert parallelism' : setup.offload === 'optimizer+params' && setup.zeroStage === 2 ? 'parameter offload with ZeRO stage 2 (DeepSpeed offloads parameters only at stage 3)' : null;
    if (why !== null) throw new ArgumentError(`convention: 'deepspeed' reproduces DeepSpeed's estimators, which do not cover ${why}`, { field: 'convention' });
  }
  if (setup.offload === 'optimizer+params' && setup.tensorParallel * setup.pipelineParallel > 1) {
    throw new ArgumentError('offload: parameter offload (ZeRO-Infinity) is estimated for data parallelism only; use tensorParallel and pipelineParallel 1', { field: 'offload' });
  }
  if (model.positionEmbeddings === 'learned' && setup.seqLength > model.contextLength) {
    throw new ArgumentError(`seqLength: ${setup.seqLength} exceeds the model's ${model.contextLength} learned positions`, { field: 'seqLength' });
  }
  checkModelSplit(model, setup.tensorParallel, setup.pipelineParallel, setup.expertParallel);
  if (setup.lora !== null) {
    if (typeof setup.lora !== 'object') throw new ArgumentError(`lora: expected a LoRA setup or null, got ${shown(setup.lora)}`, { field: 'lora' });
    checkLoraSetup(model, setup.lora);
    if (setup.tensorParallel * setup.pipelineParallel * setup.expertParallel > 1) {
      throw new ArgumentError('lora: LoRA is estimated on data-parallel replicas only; use tensorParallel, pipelineParallel and expertParallel 1', { field: 'lora' });
    }
  }
  const modelParallel = setup.tensorParallel * setup.pipelineParallel;
  if (setup.devices % modelParallel !== 0) {
    throw new ArgumentError(
      `devices: ${setup.devices} devices cannot be split into tensorParallel ${setup.tensorParallel} x pipelineParallel ${setup.pipelineParallel} groups ` +
        `(devices must be a multiple of ${modelParallel})`,
      { field: 'devices' },
    );
  }
  checkActivationSetup(model, activationSetupOf(setup));
  const dataParallel = setup.devices / modelParallel;
  if (dataParallel % setup.expertParallel !== 0) {
    throw new ArgumentError(
      `expertParallel: ${setup.expertParallel} expert-parallel ranks must divide the ${dataParallel} data-parallel replica${dataParallel === 1 ? '' : 's'} they are carved from; add devices`,
      { field: 'expertParallel' },
    );
  }
  if (setup.zeroStage > 0 && dataParallel < 2) {
    throw new ArgumentError(
      `zeroStage: ZeRO stage ${setup.zeroStage} shards model states across data-parallel replicas, but ${setup.devices} ` +
        `device${setup.devices === 1 ? '' : 's'} / (tensorParallel ${setup.tensorParallel} x pipelineParallel ${setup.pipelineParallel}) leaves 1 replica; ` +
        `add devices or use ZeRO stage 0`,
      { field: 'zeroStage' },
    );
  }
  // DeepSpeed's pipeline engine refuses these: stages 2 and 3 shard gradients, which every micro-batch of a pipeline accumulates.
  if (setup.zeroStage >= 2 && setup.pipelineParallel > 1) {
    throw new ArgumentError(
      `zeroStage: ZeRO stage ${setup.zeroStage} cannot be combined with pipeline parallelism (pipelineParallel ${setup.pipelineParallel}); ` +
        `DeepSpeed allows ZeRO stage 0 or 1 with a pipeline`,
      { field: 'zeroStage' },
    );
  }
  bytesPerParameter({ precision: setup.precision, optimizer: setup.optimizer, zeroStage: setup.zeroStage, dataParallel, convention: setup.convention });
  return dataParallel;
}

function activationSetupOf(setup: TrainingSetup): ActivationSetup {
  return {
    seqLength: setup.seqLength,
    microBatch: setup.microBatch,
    tensorParallel: setup.tensorParallel,
    sequenceParallel: setup.sequenceParallel,
    recompute: setup.recompute,
    elementBytes: computeElementBytes(setup.precision),
    attention: setup.attention,
    ...(setup.lora === null ? {} : { lora: setup.lora }),
  };
}

/** One pipeline stage, as seen by any one device in it. */
export interface StageEstimate {
  stage: number;
  /** Parameters of the model replica on this device (before ZeRO sharding). */
  parameters: number;
  /** Layers this stage runs. */
  layers: number;
  /** Micro-batches whose activations this stage holds at its peak (1F1B). */
  microBatchesInFlight: number;
  /** On the device. */
  bytes: CategoryBytes;
  total: number;
  /** This device's share of host memory under offload (all 0 without). */
  host: HostBytes;
}

export interface HostBytes {
  weights: number;
  gradients: number;
  optimizer: number;
  total: number;
}

export interface TransformerEstimate {
  model: TransformerModel;
  setup: TrainingSetup;
  dataParallel: number;
  /** Sequences per optimizer step over all replicas: microBatch x gradAccumulation x dataParallel. */
  globalBatch: number;
  /** Before ZeRO sharding. */
  bytesPerParameter: ModelStateBytes;
  /** Bytes one layer saves for one micro-batch on one device. */
  layerActivationBytes: number;
  stages: StageEstimate[];
  /** The stage with the largest total: what every device must be able to hold. */
  heaviest: StageEstimate;
  /** Under LoRA: the adapters' parameter count and the frozen base's bytes before ZeRO-3 sharding; null otherwise. */
  lora: { trainableParameters: number; frozenBaseBytes: number } | null;
  largest: Category;
}

/**
 * Per-device training memory for every pipeline stage. Categories:
 *   weights, gradients, optimizer  modelStateBytes() of the stage's parameters, ZeRO over d
 *   activations  layers x in-flight micro-batches x layerActivationBytes(), plus the
 *                embedding dropout mask (first stage, per micro-batch in flight) and the
 *                output layer's inputs and fp32 logits (last stage, one micro-batch)
 *   workspace    the transient of recomputing one layer in backward (recompute only)
 *   inputs       token ids (first stage, per micro-batch in flight) and labels (last stage),
 *                int64 as PyTorch indexes (8sb bytes each; Megatron-LM's estimator counts the same)
 * Not modelled: other backward temporaries (activation gradients), communication
 * buffers, allocator fragmentation and the framework's own context.
 */
export function estimateTransformerMemory(model: TransformerModel, setup: TrainingSetup): TransformerEstimate {
  const dataParallel = checkTrainingSetup(model, setup);
  countParameters(model); // refuses a parameter count beyond exact integers, naming the model's fields
  const p = setup.pipelineParallel;
  const activationSetup = activationSetupOf(setup);
  const perLayer = layerActivationBytes(model, activationSetup);
  const transient = recomputeTransientBytes(model, activationSetup);
  const edges = edgeActivationBytes(model, activationSetup);
  const tokenIdBytes = 8 * setup.seqLength * setup.microBatch;
  const layersPerStage = model.layers / p;
  const stateSetup = {
    precision: setup.precision,
    optimizer: setup.optimizer,
    zeroStage: setup.zeroStage,
    dataParallel,
    convention: setup.convention,
  };

  // What each figure grows with, so a figure past exact integers names its causes.
  const tokens = { seqLength: setup.seqLength, microBatch: setup.microBatch, ...(p > 1 ? { gradAccumulation: setup.gradAccumulation } : {}) };
  const activationInputs = { ...tokens, hidden: model.hidden, heads: model.heads, ffnHidden: model.ffnHidden, layers: model.layers, vocabSize: model.vocabSize };

  const lora = setup.lora === null ? null : { trainableParameters: loraParameters(model, setup.lora), frozenBaseBytes: frozenBaseBytes(model, setup.lora, computeElementBytes(setup.precision)) };
  const largestModule = largestModuleParameters(model);
  const expertParameters = stageExpertParameters(model, setup.tensorParallel, p, setup.expertParallel);
  const stages = stageParameters(model, setup.tensorParallel, p, setup.expertParallel).map((parameters, stage): StageEstimate => {
    const inFlight = Math.min(p - stage, setup.gradAccumulation);
    const first = stage === 0;
    const last = stage === p - 1;
    const activations = layersPerStage * inFlight * perLayer + (first ? inFlight * edges.embedding : 0) + (last ? edges.output : 0);
    const inputs = (first ? inFlight * tokenIdBytes : 0) + (last ? tokenIdBytes : 0);
    const states =
      setup.convention === 'deepspeed'
        ? withHostTotal(deepspeedStates(parameters, largestModule, setup.zeroStage, dataParallel, setup.offload))
        : offloaded(
            lora === null ? statesOf(model, parameters, expertParameters, stateSetup, setup.expertParallel) : loraStates(model, lora, stateSetup),
            setup.offload,
            largestModule * bytesPerParameter(stateSetup).weights,
            largestModule * bytesPerParameter(stateSetup).gradients,
          );
    const bytes: CategoryBytes = {
      ...states.device,
      activations: checkExact('activations', 'the activation bytes', activations, activationInputs),
      workspace: transient,
      inputs: checkExact('inputs', 'the input bytes', inputs, tokens),
      kvCache: 0, // training keeps no cache
    };
    const total = checkExact('total', 'the total bytes', sumCategoryBytes(bytes), { ...parameterInputs(model), ...activationInputs });
    return { stage, parameters, layers: layersPerStage, microBatchesInFlight: inFlight, bytes, total, host: states.host };
  });
  const heaviest = stages.reduce((a, b) => (b.total > a.total ? b : a));
  return {
    model,
    setup,
    dataParallel,
    globalBatch: checkExact('globalBatch', 'the global batch', setup.microBatch * setup.gradAccumulation * dataParallel, {
      microBatch: setup.microBatch,
      gradAccumulation: setup.gradAccumulation,
      devices: setup.devices,
    }),
    bytesPerParameter: bytesPerParameter(stateSetup),
    layerActivationBytes: perLayer,
    stages,
    heaviest,
    largest: largestCategory(heaviest.bytes),
    lora,
  };
}

function withHostTotal({ device, host }: DeviceAndHost): { device: ModelStateBytes; host: HostBytes } {
  return { device, host: { ...host, total: host.weights + host.gradients + host.optimizer } };
}

/** Splits model states between device and host for an offload kind (see the top of this file). */
function offloaded(states: ModelStateBytes, offload: OffloadKind, moduleWeights: number, moduleGradients: number): { device: ModelStateBytes; host: HostBytes } {
  const host = (weights: number, gradients: number, optimizer: number): HostBytes => ({ weights, gradients, optimizer, total: weights + gradients + optimizer });
  if (offload === 'none') return { device: states, host: host(0, 0, 0) };
  if (offload === 'optimizer') return { device: { ...states, gradients: 0, optimizer: 0 }, host: host(0, states.gradients, states.optimizer) };
  return {
    device: { weights: Math.min(moduleWeights, states.weights), gradients: Math.min(moduleGradients, states.gradients), optimizer: 0 },
    host: host(states.weights, states.gradients, states.optimizer),
  };
}

/**
 * Model states under LoRA: the adapters train under the setup's precision and
 * optimizer rules (modelStateBytes); the frozen base has no gradients and no
 * optimizer state, and only ZeRO stage 3 shards its weights.
 */
function loraStates(model: TransformerModel, lora: { trainableParameters: number; frozenBaseBytes: number }, setup: Required<Parameters<typeof modelStateBytes>[1]>): ModelStateBytes {
  const adapters = modelStateBytes(lora.trainableParameters, setup);
  const base = setup.zeroStage >= 3 ? Math.ceil(lora.frozenBaseBytes / setup.dataParallel) : lora.frozenBaseBytes;
  return { ...adapters, weights: checkExact('weights', 'the weight bytes', base + adapters.weights, parameterInputs(model)) };
}

/**
 * Model-state bytes of one stage: the non-expert parameters sharded over d, the
 * expert ones over d/e. A figure past exact integers names the model's fields,
 * not the stage's parameter count.
 */
function statesOf(model: TransformerModel, parameters: number, expertParameters: number, setup: Required<Parameters<typeof modelStateBytes>[1]>, expertParallel: number): ModelStateBytes {
  try {
    const dense = modelStateBytes(parameters - expertParameters, setup);
    if (expertParameters === 0) return dense;
    const expertReplicas = setup.dataParallel / expertParallel;
    const experts = modelStateBytes(expertParameters, { ...setup, dataParallel: expertReplicas, zeroStage: expertReplicas > 1 ? setup.zeroStage : 0 });
    return {
      weights: checkExact('weights', 'the weight bytes', dense.weights + experts.weights, parameterInputs(model)),
      gradients: checkExact('gradients', 'the gradient bytes', dense.gradients + experts.gradients, parameterInputs(model)),
      optimizer: checkExact('optimizer', 'the optimizer-state bytes', dense.optimizer + experts.optimizer, parameterInputs(model)),
    };
  } catch (e) {
    if (e instanceof InexactFigureError) throw new InexactFigureError(e.figure, e.what, parameterInputs(model));
    throw e;
  }
}

/** The category with the most bytes (the first in CATEGORIES order on a tie). */
export function largestCategory(bytes: CategoryBytes): Category {
  return CATEGORIES.reduce((a, b) => (bytes[b] > bytes[a] ? b : a));
}
