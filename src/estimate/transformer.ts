/**
 * GPT-style decoder transformers described by their shape alone: an exact
 * parameter count per component, the parameters one device holds under tensor
 * and pipeline parallelism, and the bytes each layer saves for backward.
 *
 * Notation follows Korthikanti et al. 2022 ("Reducing Activation Recomputation
 * in Large Transformer Models"): s sequence length, b micro-batch size,
 * h hidden size, a attention heads, L layers, v vocabulary size, t tensor-parallel
 * size, p pipeline-parallel size; f is the feed-forward hidden size (4h in GPT).
 * Extensions beyond the paper: g key/value heads (grouped-query attention,
 * Ainslie et al. 2023, "GQA"; multi-query when g = 1, Shazeer 2019), so K and V
 * are g * h/a wide; E experts of which k serve each token (mixture of experts,
 * Fedus et al. 2021 "Switch Transformers", Jiang et al. 2024 "Mixtral of Experts").
 */
import { ArgumentError } from '../errors.js';
import { checkBoolean, checkChoice, checkPositiveInteger, shown } from './checks.js';
import { checkExact } from './units.js';
import type { LoraSetup, LoraTarget } from './lora.js';

export type FeedForwardKind = 'gelu' | 'swiglu';
export type NormKind = 'layernorm' | 'rmsnorm';
export type PositionEmbeddingKind = 'learned' | 'none';
export type RecomputeKind = 'none' | 'selective' | 'full';
/** 'flash': a fused attention kernel that never stores the s x s scores (Dao et al. 2022, "FlashAttention"). */
export type AttentionKind = 'standard' | 'flash';

export const FEED_FORWARD_KINDS: readonly FeedForwardKind[] = ['gelu', 'swiglu'];
export const NORM_KINDS: readonly NormKind[] = ['layernorm', 'rmsnorm'];
export const POSITION_EMBEDDING_KINDS: readonly PositionEmbeddingKind[] = ['learned', 'none'];
export const RECOMPUTE_KINDS: readonly RecomputeKind[] = ['none', 'selective', 'full'];
export const ATTENTION_KINDS: readonly AttentionKind[] = ['standard', 'flash'];

/** A decoder-only transformer, fully specified. */
export interface TransformerModel {
  name: string;
  vocabSize: number;
  /** Rows of the learned position table, and the longest sequence the model accepts when positions are learned. */
  contextLength: number;
  hidden: number;
  heads: number;
  /** Key/value heads g: heads for multi-head attention, fewer for grouped-query, 1 for multi-query; divides heads. */
  kvHeads: number;
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
  /** Feed-forward experts per layer E: 1 for a dense model; more adds a router h x E (no bias) choosing topK per token. */
  experts: number;
  /** Experts each token is routed to, k <= E (1 when dense). */
  topK: number;
}

/** What a user must give; the rest defaults to GPT-2's choices. */
export type TransformerSpec = Pick<TransformerModel, 'vocabSize' | 'contextLength' | 'hidden' | 'heads' | 'layers'> &
  Partial<TransformerModel>;

/** Checks every field of a model, whether or not it came from defineTransformer. */
export function checkTransformer(model: TransformerModel): void {
  if (typeof model.name !== 'string') throw new ArgumentError(`name: expected a string, got ${shown(model.name)}`, { field: 'name' });
  for (const key of ['vocabSize', 'contextLength', 'hidden', 'heads', 'kvHeads', 'layers', 'ffnHidden', 'experts', 'topK'] as const) {
    checkPositiveInteger(key, model[key]);
  }
  checkChoice('ffn', model.ffn, FEED_FORWARD_KINDS);
  checkChoice('norm', model.norm, NORM_KINDS);
  checkChoice('positionEmbeddings', model.positionEmbeddings, POSITION_EMBEDDING_KINDS);
  for (const key of ['tiedEmbeddings', 'bias', 'dropout'] as const) checkBoolean(key, model[key]);
  if (model.hidden % model.heads !== 0) {
    throw new ArgumentError(`heads: ${model.heads} heads do not divide hidden size ${model.hidden}`, { field: 'heads' });
  }
  if (model.heads % model.kvHeads !== 0) {
    throw new ArgumentError(`kvHeads: ${model.kvHeads} key/value heads do not divide the ${model.heads} attention heads (each group shares one)`, { field: 'kvHeads' });
  }
  if (model.topK > model.experts) {
    throw new ArgumentError(`topK: a token cannot be routed to ${model.topK} of ${model.experts} expert${model.experts === 1 ? '' : 's'}; topK must be at most experts`, { field: 'topK' });
  }
}

/** Width of K and of V: g heads of h/a each (h for multi-head attention). */
export function kvWidth(model: TransformerModel): number {
  return (model.kvHeads * model.hidden) / model.heads;
}

/**
 * Completes and checks a model description. Defaults: ffnHidden = 4 * hidden,
 * GeLU feed-forward, LayerNorm, tied embeddings, learned positions, biases, dropout,
 * kvHeads = heads, one expert (dense), topK = 1.
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
    kvHeads: or('kvHeads', spec.heads),
    layers: spec.layers,
    ffnHidden: or('ffnHidden', 4 * Number(spec.hidden)), // a bad hidden is reported before this default is read
    ffn: or('ffn', 'gelu'),
    norm: or('norm', 'layernorm'),
    tiedEmbeddings: or('tiedEmbeddings', true),
    positionEmbeddings: or('positionEmbeddings', 'learned'),
    bias: or('bias', true),
    dropout: or('dropout', true),
    experts: or('experts', 1),
    topK: or('topK', 1),
  };
  checkTransformer(model);
  return model;
}

/** The fields a parameter count grows with, for InexactFigureError. */
export function parameterInputs(model: TransformerModel): Record<string, number> {
  const { vocabSize, contextLength, hidden, ffnHidden, layers, experts } = model;
  const moe: Record<string, number> = experts > 1 ? { experts } : {};
  return model.positionEmbeddings === 'learned' ? { vocabSize, contextLength, hidden, ffnHidden, layers, ...moe } : { vocabSize, hidden, ffnHidden, layers, ...moe };
}

/** Parameters of one transformer layer, by component. */
export interface LayerParameters {
  /** Q, K, V and output projections with their biases. */
  attention: number;
  /** All experts' feed-forward blocks plus the router (h x E) when E > 1. */
  feedForward: number;
  /** The feed-forward parameters one token uses: topK experts and the router. */
  activeFeedForward: number;
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
  /** Parameters one token passes through: total less the (E - k) experts per layer it is not routed to; total when dense. */
  activePerToken: number;
  perLayer: LayerParameters;
}

function normParameters(model: TransformerModel): number {
  // LayerNorm: scale and (with bias) shift; RMSNorm: scale only (Zhang & Sennrich 2019).
  return model.norm === 'layernorm' && model.bias ? 2 * model.hidden : model.hidden;
}

/** One expert's (or the dense) feed-forward block. */
export function expertParameters(model: TransformerModel): number {
  const { hidden: h, ffnHidden: f } = model;
  const b = model.bias ? 1 : 0;
  return model.ffn === 'gelu'
    ? 2 * h * f + b * (f + h) // up h*f + f, down f*h + h
    : 3 * h * f + b * (2 * f + h); // gate and up h*f + f each, down f*h + h
}

/** The router's h x E matrix (no bias, as Mixtral and Switch), 0 for a dense model. */
export function routerParameters(model: TransformerModel): number {
  return model.experts > 1 ? model.hidden * model.experts : 0;
}

/** One linear matrix of a layer: its input and output widths, how many of them a layer has (experts), which LoRA target adapts it (null: the router). Biases are not included. */
export interface LayerMatrix {
  target: LoraTarget | null;
  in: number;
  out: number;
  count: number;
}

export function layerMatrices(model: TransformerModel): LayerMatrix[] {
  const { hidden: h, ffnHidden: f, experts: E } = model;
  const kv = kvWidth(model);
  const ffn: LayerMatrix[] =
    model.ffn === 'gelu'
      ? [{ target: 'mlp', in: h, out: f, count: E }, { target: 'mlp', in: f, out: h, count: E }]
      : [{ target: 'mlp', in: h, out: f, count: 2 * E }, { target: 'mlp', in: f, out: h, count: E }];
  return [
    { target: 'q', in: h, out: h, count: 1 },
    { target: 'k', in: h, out: kv, count: 1 },
    { target: 'v', in: h, out: kv, count: 1 },
    { target: 'o', in: h, out: h, count: 1 },
    ...ffn,
    ...(E > 1 ? [{ target: null, in: h, out: E, count: 1 }] : []), // the router, frozen and quantised like any linear layer
  ];
}

/**
 * Parameters of the largest single module (one weight matrix with its bias, or
 * the token embedding, or the untied head), as DeepSpeed's model_to_params
 * finds it: the working set ZeRO-3 gathers at a time. Projections are
 * separate modules (q, k, v as LLaMA's); a fused QKV matrix would be larger.
 */
export function largestModuleParameters(model: TransformerModel): number {
  checkTransformer(model);
  const b = model.bias ? 1 : 0;
  const matrices = layerMatrices(model).map((m) => m.in * m.out + (m.target === null ? 0 : b * m.out));
  const positions = model.positionEmbeddings === 'learned' ? model.contextLength * model.hidden : 0;
  return Math.max(model.vocabSize * model.hidden, positions, ...matrices);
}

export function layerParameters(model: TransformerModel): LayerParameters {
  checkTransformer(model);
  const { hidden: h } = model;
  const kv = kvWidth(model);
  const b = model.bias ? 1 : 0;
  const attention = 2 * h * h + 2 * h * kv + b * (2 * h + 2 * kv); // Q h*h + h, K and V h*kv + kv each, output h*h + h
  const router = routerParameters(model);
  const feedForward = model.experts * expertParameters(model) + router;
  const activeFeedForward = model.topK * expertParameters(model) + router;
  const norms = 2 * normParameters(model);
  return { attention, feedForward, activeFeedForward, norms, total: attention + feedForward + norms };
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
  const activePerToken = total - L * (perLayer.feedForward - perLayer.activeFeedForward);
  return { tokenEmbedding, positionEmbedding, attention, feedForward, norms, outputHead, total, activePerToken, perLayer };
}

/** One expert's (or the dense) feed-forward parameters on one of t tensor-parallel ranks: the row-parallel bias is replicated. */
function expertParametersOnDevice(model: TransformerModel, t: number): number {
  const { hidden: h, ffnHidden: f } = model;
  const b = model.bias ? 1 : 0;
  return model.ffn === 'gelu' ? (2 * h * f + b * f) / t + b * h : (3 * h * f + b * 2 * f) / t + b * h;
}

/** Expert parameters one device of a stage holds (E/e experts of L/p layers); 0 for a dense model, whose feed-forward is not sharded by experts. */
export function stageExpertParameters(model: TransformerModel, tensorParallel = 1, pipelineParallel = 1, expertParallel = 1): number {
  checkModelSplit(model, tensorParallel, pipelineParallel, expertParallel);
  if (model.experts === 1) return 0;
  return (model.layers / pipelineParallel) * (model.experts / expertParallel) * expertParametersOnDevice(model, tensorParallel);
}

/** Checks that t tensor-parallel, p pipeline-parallel and e expert-parallel ranks can split this model. */
export function checkModelSplit(model: TransformerModel, tensorParallel: number, pipelineParallel: number, expertParallel = 1): void {
  checkTransformer(model);
  checkPositiveInteger('tensorParallel', tensorParallel);
  checkPositiveInteger('pipelineParallel', pipelineParallel);
  checkPositiveInteger('expertParallel', expertParallel);
  if (model.heads % tensorParallel !== 0) {
    throw new ArgumentError(`tensorParallel: ${tensorParallel} does not divide the ${model.heads} attention heads (each rank must own whole heads)`, { field: 'tensorParallel' });
  }
  // Megatron-LM requires whole key/value groups per rank (num_query_groups % tensor_model_parallel_size == 0).
  if (model.kvHeads % tensorParallel !== 0) {
    throw new ArgumentError(`tensorParallel: ${tensorParallel} does not divide the ${model.kvHeads} key/value heads (each rank must own whole groups)`, { field: 'tensorParallel' });
  }
  if (model.experts % expertParallel !== 0) {
    throw new ArgumentError(`expertParallel: ${expertParallel} does not divide the ${model.experts} experts (each rank must own whole experts)`, { field: 'expertParallel' });
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
 *  - column-parallel Q/K/V, MLP up (and gate) weights and their biases split by t
 *    (K and V are kv = g h/a wide);
 *    row-parallel output / down weights split by t, their biases replicated;
 *  - norms and position embeddings replicated;
 *  - token embedding and output head vocabulary-parallel: ceil(v / t) rows each
 *    (Megatron also pads v to a multiple of 128 t; that padding is not counted);
 *  - stage 0 holds the embeddings, the last stage the final norm and the output head;
 *    with tied embeddings and p > 1 the last stage keeps its own copy of the
 *    token embedding (Megatron all-reduces the two copies' gradients).
 *  - experts: E / e of them on each expert-parallel rank (Lepikhin et al. 2020,
 *    "GShard"), each split by t as a dense block is; the router is replicated.
 * Returns one count per stage; with t = p = e = 1 the single entry is countParameters().total.
 */
export function stageParameters(model: TransformerModel, tensorParallel = 1, pipelineParallel = 1, expertParallel = 1): number[] {
  checkModelSplit(model, tensorParallel, pipelineParallel, expertParallel);
  const { hidden: h, ffnHidden: f } = model;
  const kv = kvWidth(model);
  const t = tensorParallel;
  const p = pipelineParallel;
  const b = model.bias ? 1 : 0;
  const attention = (2 * h * h + 2 * h * kv + b * (h + 2 * kv)) / t + b * h;
  const feedForward = (model.experts / expertParallel) * expertParametersOnDevice(model, t) + routerParameters(model);
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
  /** Default 'standard' (the s x s scores are stored); 'flash' stores none of them. */
  attention?: AttentionKind;
  /** LoRA fine-tuning: the base is frozen, only the adapters on these targets train (checked by lora.ts). */
  lora?: Pick<LoraSetup, 'rank' | 'targets'>;
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
 *
 * Grouped-query attention: K and V are saved kv = g h/a wide, as kernels that
 * broadcast the groups keep them (FlashAttention, Megatron-LM); code that
 * repeats K and V to all a heads first (Hugging Face's repeat_kv) saves 2sbh each.
 * Flash attention (`attention: 'flash'`) drops exactly the core-attention
 * tensors, the 5as^2b term; it keeps Q, K, V and its output, which are here
 * already, plus a logsumexp of 4asb bytes that, like LayerNorm's mean and rstd
 * (8sb bytes per norm in fp32), this estimator does not count.
 * Mixture of experts (E > 1): the router reads the MLP input and saves its fp32
 * probabilities (4sbE bytes); each token is dispatched to k experts, so the
 * experts' inputs, their f-wide tensors and their outputs (which the weighted
 * combine reads for the routing weights' gradient) are k-fold; balanced routing
 * is assumed, so expert parallelism moves tokens but does not change the count.
 * LoRA (`lora`): a frozen projection's input is read only by its weight
 * gradient, so it is not kept unless an adapter on that projection reads it
 * (autograd saves what the gradients it computes need); everything the input
 * gradients need stays. Each adapter adds x A, s b r elements (k-fold for experts).
 */
export function layerSavedTensors(model: TransformerModel, setup: Pick<ActivationSetup, 'seqLength' | 'microBatch' | 'elementBytes' | 'attention' | 'lora'>): SavedTensor[] {
  checkTransformer(model);
  const sb = setup.seqLength * setup.microBatch;
  const sbh = sb * model.hidden;
  const sbkv = sb * kvWidth(model);
  const moe = model.experts > 1;
  const k = model.topK;
  const sbf = k * sb * model.ffnHidden; // f-wide tensors of the k experts a token visits (k = 1 when dense)
  const ass = model.heads * setup.seqLength * setup.seqLength * setup.microBatch;
  const e = setup.elementBytes;
  const flash = setup.attention === 'flash';
  const tensors: SavedTensor[] = [];
  const lora = setup.lora;
  const save = (name: string, elements: number, bytesPerElement: number, region: SavedTensor['region'], coreAttention = false) => {
    if (!(coreAttention && flash)) tensors.push({ name, elements, bytesPerElement, region, coreAttention });
  };
  /** A projection's input, read only by the weight gradient of the projections it feeds (and their adapters). */
  const saveProjectionInput = (name: string, elements: number, region: SavedTensor['region'], readBy: readonly LoraTarget[]) => {
    if (lora === undefined || readBy.some((x) => lora.targets.includes(x))) save(name, elements, e, region);
  };
  save(LAYER_INPUT, sbh, e, 'sequence');
  saveProjectionInput('QKV projection input', sbh, 'sequence', ['q', 'k', 'v']);
  save('Q', sbh, e, 'tensor');
  save('K', sbkv, e, 'tensor');
  save('softmax output', ass, e, 'tensor', true);
  if (model.dropout) {
    save('attention-probability dropout mask', ass, 1, 'tensor', true);
    save('attention probabilities after dropout', ass, e, 'tensor', true);
  }
  save('V', sbkv, e, 'tensor');
  saveProjectionInput('attention output projection input', sbh, 'tensor', ['o']);
  if (model.dropout) save('attention output dropout mask', sbh, 1, 'sequence');
  save('MLP norm input', sbh, e, 'sequence');
  if (moe) {
    saveProjectionInput('MLP input', sbh, 'sequence', []); // the router's input, read only by the router's weight gradient (frozen under LoRA)
    save('router probabilities (fp32)', sb * model.experts, 4, 'sequence');
    saveProjectionInput('expert inputs (tokens dispatched to top-k experts)', k * sbh, 'sequence', ['mlp']);
  } else {
    saveProjectionInput('MLP input', sbh, 'sequence', ['mlp']);
  }
  if (model.ffn === 'gelu') {
    save('GeLU input', sbf, e, 'tensor');
    saveProjectionInput('GeLU output (down projection input)', sbf, 'tensor', ['mlp']);
  } else {
    save('gate projection output (SiLU input)', sbf, e, 'tensor');
    save('SiLU output', sbf, e, 'tensor');
    save('up projection output', sbf, e, 'tensor');
    saveProjectionInput('down projection input', sbf, 'tensor', ['mlp']);
  }
  if (moe) save('expert outputs (weighted by the router)', k * sbh, e, 'sequence');
  if (model.dropout) save('MLP output dropout mask', sbh, 1, 'sequence');
  for (const target of lora?.targets ?? []) {
    const adapters = target === 'mlp' ? (model.ffn === 'gelu' ? 2 : 3) * k : 1; // one per adapted matrix a token passes
    save(`LoRA ${target} adapter x A`, adapters * sb * lora!.rank, e, 'sequence');
  }
  return tensors;
}

/** Checks an activation setup against a model (tensor-parallel split, sequence parallelism, element size). */
export function checkActivationSetup(model: TransformerModel, setup: ActivationSetup): void {
  checkPositiveInteger('seqLength', setup.seqLength);
  checkPositiveInteger('microBatch', setup.microBatch);
  checkModelSplit(model, setup.tensorParallel, 1);
  checkBoolean('sequenceParallel', setup.sequenceParallel);
  checkChoice('recompute', setup.recompute, RECOMPUTE_KINDS);
  if (setup.attention !== undefined) checkChoice('attention', setup.attention, ATTENTION_KINDS);
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
  return { seqLength: setup.seqLength, microBatch: setup.microBatch, hidden: model.hidden, heads: model.heads, ffnHidden: model.ffnHidden, ...(model.experts > 1 ? { topK: model.topK } : {}) };
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
 * Flash attention removes the 5as^2b (5as^2b/t) term from each row, and nothing else.
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
  /**
   * Last stage: final norm input and output projection input (2 x 2sbh, or 4sbh with fp32), split by t under SP, plus fp32 logits for the loss, 4sbv/t.
   * Under LoRA the head is frozen and its input is not kept.
   */
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
  const output = ((setup.lora ? 1 : 2) * e * sb * model.hidden) / sequenceSplit + logits;
  const inputs = { seqLength: setup.seqLength, microBatch: setup.microBatch, hidden: model.hidden, vocabSize: model.vocabSize };
  return { embedding, output: checkExact('activations', 'the activation bytes', output, inputs) };
}
