/**
 * GPT-style decoder transformers described by their shape alone: an exact
 * parameter count per component, the parameters one device holds under tensor
 * and pipeline parallelism, and the bytes each layer saves for backward.
 *
 * Notation follows Korthikanti et al. 2022 ("Reducing Activation Recomputation
 * in Large Transformer Models"): s sequence length, b micro-batch size,
 * h hidden size, a attention heads, L layers, v vocabulary size, t tensor-parallel
 * size, p pipeline-parallel size; f is the feed-forward hidden size (4h in GPT).
 */
import { ArgumentError } from '../errors.js';
import { checkBoolean, checkChoice, checkPositiveInteger, shown } from './checks.js';
import { checkExact } from './units.js';

export type FeedForwardKind = 'gelu' | 'swiglu';
export type NormKind = 'layernorm' | 'rmsnorm';
export type PositionEmbeddingKind = 'learned' | 'none';
export type RecomputeKind = 'none' | 'selective' | 'full';

export const FEED_FORWARD_KINDS: readonly FeedForwardKind[] = ['gelu', 'swiglu'];
export const NORM_KINDS: readonly NormKind[] = ['layernorm', 'rmsnorm'];
export const POSITION_EMBEDDING_KINDS: readonly PositionEmbeddingKind[] = ['learned', 'none'];
export const RECOMPUTE_KINDS: readonly RecomputeKind[] = ['none', 'selective', 'full'];

/** A decoder-only transformer, fully specified. */
export interface TransformerModel {
  name: string;
  vocabSize: number;
  /** Rows of the learned position table, and the longest sequence the model accepts when positions are learned. */
  contextLength: number;
  hidden: number;
  heads: number;
  layers: number;
  /** Feed-forward hidden size f. */
  ffnHidden: number;
  /** 'gelu': two projections h->f->h; 'swiglu': gate and up h->f, down f->h (Shazeer 2020). */
  ffn: FeedForwardKind;
  norm: NormKind;
  /** The output head reuses the token embedding matrix (GPT-2) or owns one (LLaMA). */
  tiedEmbeddings: boolean;
  /** 'none' means positions enter without parameters (rotary, ALiBi). */
  positionEmbeddings: PositionEmbeddingKind;
  /** Biases in the linear layers and LayerNorm; the output head never has one. */
  bias: boolean;
  /** Dropout after embeddings, attention probabilities, attention and MLP outputs (GPT-2/3); it saves 1-byte masks. */
  dropout: boolean;
}

/** What a user must give; the rest defaults to GPT-2's choices. */
export type TransformerSpec = Pick<TransformerModel, 'vocabSize' | 'contextLength' | 'hidden' | 'heads' | 'layers'> &
  Partial<TransformerModel>;

/** Checks every field of a model, whether or not it came from defineTransformer. */
export function checkTransformer(model: TransformerModel): void {
  if (typeof model.name !== 'string') throw new ArgumentError(`name: expected a string, got ${shown(model.name)}`, { field: 'name' });
  for (const key of ['vocabSize', 'contextLength', 'hidden', 'heads', 'layers', 'ffnHidden'] as const) {
    checkPositiveInteger(key, model[key]);
  }
  checkChoice('ffn', model.ffn, FEED_FORWARD_KINDS);
  checkChoice('norm', model.norm, NORM_KINDS);
  checkChoice('positionEmbeddings', model.positionEmbeddings, POSITION_EMBEDDING_KINDS);
  for (const key of ['tiedEmbeddings', 'bias', 'dropout'] as const) checkBoolean(key, model[key]);
  if (model.hidden % model.heads !== 0) {
    throw new ArgumentError(`heads: ${model.heads} heads do not divide hidden size ${model.hidden}`, { field: 'heads' });
  }
}

/**
 * Completes and checks a model description. Defaults: ffnHidden = 4 * hidden,
 * GeLU feed-forward, LayerNorm, tied embeddings, learned positions, biases, dropout.
 * Only an absent (undefined) field takes its default; null is a bad value.
 */
export function defineTransformer(spec: TransformerSpec): TransformerModel {
  const or = <K extends keyof TransformerModel>(key: K, fallback: TransformerModel[K]): TransformerModel[K] =>
    spec[key] === undefined ? fallback : (spec[key] as TransformerModel[K]);
  const model: TransformerModel = {
    name: or('name', 'custom'),
    vocabSize: spec.vocabSize,
    contextLength: spec.contextLength,
    hidden: spec.hidden,
    heads: spec.heads,
    layers: spec.layers,
    ffnHidden: or('ffnHidden', 4 * Number(spec.hidden)), // a bad hidden is reported before this default is read
    ffn: or('ffn', 'gelu'),
    norm: or('norm', 'layernorm'),
    tiedEmbeddings: or('tiedEmbeddings', true),
    positionEmbeddings: or('positionEmbeddings', 'learned'),
    bias: or('bias', true),
    dropout: or('dropout', true),
  };
  checkTransformer(model);
  return model;
}

/** The fields a parameter count grows with, for InexactFigureError. */
export function parameterInputs(model: TransformerModel): Record<string, number> {
  const { vocabSize, contextLength, hidden, ffnHidden, layers } = model;
  return model.positionEmbeddings === 'learned' ? { vocabSize, contextLength, hidden, ffnHidden, layers } : { vocabSize, hidden, ffnHidden, layers };
}

/** Parameters of one transformer layer, by component. */
export interface LayerParameters {
  /** Q, K, V and output projections with their biases. */
  attention: number;
  feedForward: number;
  /** The two norms before attention and before the feed-forward block. */
  norms: number;
  total: number;
}

/** Exact parameter count, decomposed; the sum of the components is `total`. */
export interface ParameterCount {
  tokenEmbedding: number;
  positionEmbedding: number;
  /** All layers (layers x perLayer.attention). */
  attention: number;
  feedForward: number;
  /** Layer norms of all layers plus the final norm. */
  norms: number;
  /** 0 when tied to the token embedding. */
  outputHead: number;
  total: number;
  perLayer: LayerParameters;
}

function normParameters(model: TransformerModel): number {
  // LayerNorm: scale and (with bias) shift; RMSNorm: scale only (Zhang & Sennrich 2019).
  return model.norm === 'layernorm' && model.bias ? 2 * model.hidden : model.hidden;
}

export function layerParameters(model: TransformerModel): LayerParameters {
  checkTransformer(model);
  const { hidden: h, ffnHidden: f, bias } = model;
  const b = bias ? 1 : 0;
  const attention = 4 * h * h + b * 4 * h; // QKV: 3h*h + 3h, output: h*h + h
  const feedForward =
    model.ffn === 'gelu'
      ? 2 * h * f + b * (f + h) // up h*f + f, down f*h + h
      : 3 * h * f + b * (2 * f + h); // gate and up h*f + f each, down f*h + h
  const norms = 2 * normParameters(model);
  return { attention, feedForward, norms, total: attention + feedForward + norms };
}

/** GPT-2 small (50257, 1024, 768, 12 heads, 12 layers, tied) gives 124,439,808. */
export function countParameters(model: TransformerModel): ParameterCount {
  checkTransformer(model);
  const { vocabSize: v, hidden: h, layers: L } = model;
  const perLayer = layerParameters(model);
  const tokenEmbedding = v * h;
  const positionEmbedding = model.positionEmbeddings === 'learned' ? model.contextLength * h : 0;
  const attention = L * perLayer.attention;
  const feedForward = L * perLayer.feedForward;
  const norms = L * perLayer.norms + normParameters(model);
  const outputHead = model.tiedEmbeddings ? 0 : v * h;
  const total = tokenEmbedding + positionEmbedding + attention + feedForward + norms + outputHead;
  checkExact('parameters', 'the parameter count', total, parameterInputs(model));
  return { tokenEmbedding, positionEmbedding, attention, feedForward, norms, outputHead, total, perLayer };
}

/** Checks that t tensor-parallel and p pipeline-parallel ranks can split this model. */
export function checkModelSplit(model: TransformerModel, tensorParallel: number, pipelineParallel: number): void {
  checkTransformer(model);
  checkPositiveInteger('tensorParallel', tensorParallel);
  checkPositiveInteger('pipelineParallel', pipelineParallel);
  if (model.heads % tensorParallel !== 0) {
    throw new ArgumentError(`tensorParallel: ${tensorParallel} does not divide the ${model.heads} attention heads (each rank must own whole heads)`, { field: 'tensorParallel' });
  }
  if (model.ffnHidden % tensorParallel !== 0) {
    throw new ArgumentError(`tensorParallel: ${tensorParallel} does not divide the feed-forward size ${model.ffnHidden}`, { field: 'tensorParallel' });
  }
  if (model.layers % pipelineParallel !== 0) {
    throw new ArgumentError(`pipelineParallel: ${pipelineParallel} does not divide the ${model.layers} layers (each stage holds the same number)`, { field: 'pipelineParallel' });
  }
}

/**
 * Parameters one device of each pipeline stage holds, following Megatron-LM's
 * partitioning (Shoeybi et al. 2019, Sec. 3; Narayanan et al. 2021):
 *  - column-parallel Q/K/V, MLP up (and gate) weights and their biases split by t;
 *    row-parallel output / down weights split by t, their biases replicated;
 *  - norms and position embeddings replicated;
 *  - token embedding and output head vocabulary-parallel: ceil(v / t) rows each
 *    (Megatron also pads v to a multiple of 128 t; that padding is not counted);
 *  - stage 0 holds the embeddings, the last stage the final norm and the output head;
 *    with tied embeddings and p > 1 the last stage keeps its own copy of the
 *    token embedding (Megatron all-reduces the two copies' gradients).
 * Returns one count per stage; with t = p = 1 the single entry is countParameters().total.
 */
export function stageParameters(model: TransformerModel, tensorParallel = 1, pipelineParallel = 1): number[] {
  checkModelSplit(model, tensorParallel, pipelineParallel);
  const { hidden: h, ffnHidden: f } = model;
  const t = tensorParallel;
  const p = pipelineParallel;
  const b = model.bias ? 1 : 0;
  const attention = (4 * h * h + b * 3 * h) / t + b * h;
  const feedForward =
    model.ffn === 'gelu' ? (2 * h * f + b * f) / t + b * h : (3 * h * f + b * 2 * f) / t + b * h;
  const layer = attention + feedForward + 2 * normParameters(model);
  const vocabRows = Math.ceil(model.vocabSize / t);
  const embedding = vocabRows * h + (model.positionEmbeddings === 'learned' ? model.contextLength * h : 0);
  const head = model.tiedEmbeddings && p === 1 ? 0 : vocabRows * h;
  const stages = new Array<number>(p).fill((model.layers / p) * layer);
  stages[0] += embedding;
  stages[p - 1] += normParameters(model) + head;
  for (const n of stages) checkExact('parameters', 'the parameter count', n, parameterInputs(model));
  return stages;
}

/** Shape of one micro-batch on one device, and how it is parallelised and recomputed. */
export interface ActivationSetup {
  seqLength: number;
  microBatch: number;
  tensorParallel: number;
  sequenceParallel: boolean;
  recompute: RecomputeKind;
  /** Bytes of one activation element: 2 for 16-bit training, 4 for fp32. Dropout masks are 1 byte. */
  elementBytes: number;
}

/**
 * One tensor a transformer layer keeps for its backward pass. `region` says how
 * tensor parallelism splits it: 'tensor' tensors live inside the tensor-parallel
 * region and are split by t; 'sequence' tensors (around the norms and dropouts)
 * are replicated across the t ranks unless sequence parallelism splits them
 * along the sequence. `coreAttention` marks what selective recomputation drops.
 */
export interface SavedTensor {
  name: string;
  elements: number;
  bytesPerElement: number;
  region: 'tensor' | 'sequence';
  coreAttention: boolean;
}

/** The layer's input, which is also the first norm's input: all that full recomputation keeps. */
const LAYER_INPUT = 'attention norm input';

/**
 * The tensors one layer saves for backward for one micro-batch, before any
 * split, after Korthikanti et al. 2022, Sec. 4.1. With 16-bit activations, GeLU
 * MLP (f = 4h), LayerNorm and dropout they add up to the paper's Eq. 1,
 * sbh(34 + 5as/h): attention 11sbh + 5as^2b, MLP 19sbh, norms 4sbh.
 * Without dropout, the masks go and the softmax output is both what the
 * softmax backward and the attention-over-values matmul read: stored once.
 * A SwiGLU MLP saves its input, the gate projection (SiLU input), the SiLU
 * output and the up projection (the product's two operands) and the product
 * (down projection input): 2sbh + 8sbf with 16-bit activations.
 */
export function layerSavedTensors(model: TransformerModel, setup: Pick<ActivationSetup, 'seqLength' | 'microBatch' | 'elementBytes'>): SavedTensor[] {
  checkTransformer(model);
  const sbh = setup.seqLength * setup.microBatch * model.hidden;
  const sbf = setup.seqLength * setup.microBatch * model.ffnHidden;
  const ass = model.heads * setup.seqLength * setup.seqLength * setup.microBatch;
  const e = setup.elementBytes;
  const saved = (name: string, elements: number, bytesPerElement: number, region: SavedTensor['region'], coreAttention = false): SavedTensor => ({
    name,
    elements,
    bytesPerElement,
    region,
    coreAttention,
  });
  const tensors: SavedTensor[] = [
    saved(LAYER_INPUT, sbh, e, 'sequence'),
    saved('QKV projection input', sbh, e, 'sequence'),
    saved('Q and K', 2 * sbh, e, 'tensor'),
    saved('softmax output', ass, e, 'tensor', true),
  ];
  if (model.dropout) {
    tensors.push(saved('attention-probability dropout mask', ass, 1, 'tensor', true));
    tensors.push(saved('attention probabilities after dropout', ass, e, 'tensor', true));
  }
  tensors.push(saved('V', sbh, e, 'tensor'));
  tensors.push(saved('attention output projection input', sbh, e, 'tensor'));
  if (model.dropout) tensors.push(saved('attention output dropout mask', sbh, 1, 'sequence'));
  tensors.push(saved('MLP norm input', sbh, e, 'sequence'));
  tensors.push(saved('MLP input', sbh, e, 'sequence'));
  if (model.ffn === 'gelu') {
    tensors.push(saved('GeLU input', sbf, e, 'tensor'));
    tensors.push(saved('GeLU output (down projection input)', sbf, e, 'tensor'));
  } else {
    tensors.push(saved('gate projection output (SiLU input)', sbf, e, 'tensor'));
    tensors.push(saved('SiLU output', sbf, e, 'tensor'));
    tensors.push(saved('up projection output', sbf, e, 'tensor'));
    tensors.push(saved('down projection input', sbf, e, 'tensor'));
  }
  if (model.dropout) tensors.push(saved('MLP output dropout mask', sbh, 1, 'sequence'));
  return tensors;
}

/** Checks an activation setup against a model (tensor-parallel split, sequence parallelism, element size). */
export function checkActivationSetup(model: TransformerModel, setup: ActivationSetup): void {
  checkPositiveInteger('seqLength', setup.seqLength);
  checkPositiveInteger('microBatch', setup.microBatch);
  checkModelSplit(model, setup.tensorParallel, 1);
  checkBoolean('sequenceParallel', setup.sequenceParallel);
  checkChoice('recompute', setup.recompute, RECOMPUTE_KINDS);
  if (setup.elementBytes !== 2 && setup.elementBytes !== 4) {
    throw new ArgumentError(`elementBytes: expected 2 (16-bit) or 4 (fp32) bytes per activation element, got ${setup.elementBytes}`, { field: 'elementBytes' });
  }
  if (setup.sequenceParallel && setup.tensorParallel < 2) {
    throw new ArgumentError('sequenceParallel: sequence parallelism splits along the tensor-parallel group; it needs tensorParallel >= 2', { field: 'sequenceParallel' });
  }
  if (setup.sequenceParallel && setup.seqLength % setup.tensorParallel !== 0) {
    throw new ArgumentError(`sequenceParallel: tensorParallel ${setup.tensorParallel} does not divide the sequence length ${setup.seqLength}`, { field: 'sequenceParallel' });
  }
}

/** Bytes one device stores for a saved tensor under tensor (and maybe sequence) parallelism. */
function bytesOnDevice(tensor: SavedTensor, t: number, sequenceParallel: boolean): number {
  const split = tensor.region === 'tensor' || sequenceParallel ? t : 1;
  return (tensor.elements / split) * tensor.bytesPerElement;
}

/** The fields a layer's activation bytes grow with, for InexactFigureError. */
function activationInputs(model: TransformerModel, setup: ActivationSetup): Record<string, number> {
  return { seqLength: setup.seqLength, microBatch: setup.microBatch, hidden: model.hidden, heads: model.heads, ffnHidden: model.ffnHidden };
}

function sumOnDevice(tensors: SavedTensor[], t: number, sequenceParallel: boolean): number {
  return tensors.reduce((sum, x) => sum + bytesOnDevice(x, t, sequenceParallel), 0);
}

/**
 * Bytes one layer keeps for backward on one device, for one micro-batch
 * (Korthikanti et al. 2022, Table 2, with 16-bit activations and a GPT layer):
 *   no parallelism                 sbh(34 + 5as/h)                   Eq. 1
 *   tensor parallel t              sbh(10 + 24/t + 5as/(ht))         Eq. 2
 *   tensor + sequence parallel     sbh/t (34 + 5as/h)                Eq. 3
 *   selective recompute, TP        sbh(10 + 24/t)
 *   selective recompute, TP + SP   sbh(34/t)
 *   full recompute                 2sbh (only the layer input; 2sbh/t when SP splits it)
 */
export function layerActivationBytes(model: TransformerModel, setup: ActivationSetup): number {
  checkActivationSetup(model, setup);
  const { tensorParallel: t, sequenceParallel: sp } = setup;
  const tensors = layerSavedTensors(model, setup);
  const kept =
    setup.recompute === 'full' ? tensors.filter((x) => x.name === LAYER_INPUT) : setup.recompute === 'selective' ? tensors.filter((x) => !x.coreAttention) : tensors;
  return checkExact('activations', 'the activation bytes', sumOnDevice(kept, t, sp), activationInputs(model, setup));
}

/**
 * Transient bytes while backward recomputes one layer (one micro-batch): full
 * recomputation rebuilds everything the layer would have saved except its
 * stored input; selective recomputation rebuilds the core attention. Korthikanti
 * et al.'s totals leave this out; it is real memory at the peak of backward.
 */
export function recomputeTransientBytes(model: TransformerModel, setup: ActivationSetup): number {
  checkActivationSetup(model, setup);
  const { tensorParallel: t, sequenceParallel: sp } = setup;
  const tensors = layerSavedTensors(model, setup);
  if (setup.recompute === 'none') return 0;
  const rebuilt = setup.recompute === 'full' ? tensors.filter((x) => x.name !== LAYER_INPUT) : tensors.filter((x) => x.coreAttention);
  return checkExact('workspace', 'the workspace bytes', sumOnDevice(rebuilt, t, sp), activationInputs(model, setup));
}

/** Activations outside the layers, per micro-batch (Korthikanti et al. 2022, Sec. 4.3). */
export interface EdgeActivationBytes {
  /** First stage: the embedding dropout mask, sbh (split by t under SP). */
  embedding: number;
  /** Last stage: final norm input and output projection input (2 x 2sbh, or 4sbh with fp32), split by t under SP, plus fp32 logits for the loss, 4sbv/t. */
  output: number;
}

export function edgeActivationBytes(model: TransformerModel, setup: ActivationSetup): EdgeActivationBytes {
  checkActivationSetup(model, setup);
  const { tensorParallel: t, sequenceParallel: sp, elementBytes: e } = setup;
  const sb = setup.seqLength * setup.microBatch;
  const sequenceSplit = sp ? t : 1;
  const embedding = model.dropout ? (sb * model.hidden) / sequenceSplit : 0;
  // Cross-entropy reads the logits in fp32 whatever the training precision (Korthikanti et al. Sec. 4.3; Megatron upcasts).
  const logits = 4 * sb * Math.ceil(model.vocabSize / t);
  const output = (2 * e * sb * model.hidden) / sequenceSplit + logits;
  const inputs = { seqLength: setup.seqLength, microBatch: setup.microBatch, hidden: model.hidden, vocabSize: model.vocabSize };
  return { embedding, output: checkExact('activations', 'the activation bytes', output, inputs) };
}
