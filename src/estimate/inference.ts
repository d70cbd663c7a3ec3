/**
 * Inference memory per device for a transformer generating text: the weights,
 * the key/value cache and the live activations of one forward pass, per
 * pipeline stage under tensor (t) and pipeline (p) parallelism.
 *
 * KV cache: every layer keeps K and V for every token of every sequence,
 *   2 * layers * kvHeads * headDim * (P + G) * B * bytes
 * (P prompt tokens, G generated, B sequences); a device holds its stage's L/p
 * layers and kvHeads/t of the groups. int8 caches count one byte per element;
 * their per-token scales are not counted.
 *
 * Peak live activations: nothing is kept for backward, so what is live is the
 * largest moment of one layer, or of the output head, in the larger of the
 * prefill pass (P queries over P keys) and the last decode step (1 query over
 * P + G keys). In a layer PyTorch frees a tensor once nothing reads it:
 *   attention  residual x + Q + scores + probabilities (a q n b each; flash: x + Q + output)
 *   MLP        residual x + the f-wide tensors live together: GeLU 2 (pre- and
 *              post-activation), SwiGLU 3 (gate, up, product), k-fold for k experts
 *   head       final norm output + fp32 logits of the last position only, as a
 *              sampler needs (vLLM; Hugging Face with logits_to_keep = 1)
 * Tensors inside the tensor-parallel region (Q, scores, f-wide) are split by t;
 * the residual stream is replicated. The whole batch passes each stage at once.
 * Token ids of all P + G positions (int64) are the inputs, on the first stage.
 */
import { ArgumentError } from '../errors.js';
import { checkChoice, checkPositiveInteger, shown } from './checks.js';
import {
  ATTENTION_KINDS,
  type AttentionKind,
  type TransformerModel,
  checkModelSplit,
  countParameters,
  kvWidth,
  parameterInputs,
  stageParameters,
} from './transformer.js';
import { checkExact } from './units.js';

export const INFERENCE_PRECISIONS = ['fp32', 'fp16', 'bf16'] as const;
export type InferencePrecision = (typeof INFERENCE_PRECISIONS)[number];

export const KV_DTYPES = ['fp32', 'fp16', 'bf16', 'int8'] as const;
export type KvDtype = (typeof KV_DTYPES)[number];

const DTYPE_BYTES: Record<KvDtype, number> = { fp32: 4, fp16: 2, bf16: 2, int8: 1 };

export interface InferenceSetup {
  /** Prompt tokens per sequence (P). */
  promptLength: number;
  /** Tokens generated per sequence (G), 0 for the prefill alone. */
  generateLength: number;
  /** Sequences decoded together (B). */
  batch: number;
  /** Weights and activations. */
  precision: InferencePrecision;
  kvDtype: KvDtype;
  tensorParallel: number;
  pipelineParallel: number;
  attention: AttentionKind;
}

export function defaultInferenceSetup(model: TransformerModel): InferenceSetup {
  return { promptLength: model.contextLength, generateLength: 0, batch: 1, precision: 'bf16', kvDtype: 'fp16', tensorParallel: 1, pipelineParallel: 1, attention: 'standard' };
}

export interface InferenceStage {
  stage: number;
  parameters: number;
  layers: number;
  weights: number;
  kvCache: number;
  activations: number;
  inputs: number;
  total: number;
}

export interface InferenceEstimate {
  model: TransformerModel;
  setup: InferenceSetup;
  /** P + G: the tokens each sequence's cache holds at the end. */
  tokens: number;
  /** KV-cache bytes of one token of one sequence over all layers and heads (before any split). */
  kvCacheBytesPerToken: number;
  stages: InferenceStage[];
  heaviest: InferenceStage;
}

export function checkInferenceSetup(model: TransformerModel, setup: InferenceSetup): void {
  checkPositiveInteger('promptLength', setup.promptLength);
  if (!Number.isSafeInteger(setup.generateLength) || setup.generateLength < 0) {
    throw new ArgumentError(`generateLength: expected a non-negative integer, got ${shown(setup.generateLength)}`, { field: 'generateLength' });
  }
  checkPositiveInteger('batch', setup.batch);
  checkChoice('precision', setup.precision, INFERENCE_PRECISIONS);
  checkChoice('kvDtype', setup.kvDtype, KV_DTYPES);
  checkChoice('attention', setup.attention, ATTENTION_KINDS);
  checkModelSplit(model, setup.tensorParallel, setup.pipelineParallel);
  const tokens = setup.promptLength + setup.generateLength;
  if (model.positionEmbeddings === 'learned' && tokens > model.contextLength) {
    throw new ArgumentError(`generateLength: prompt ${setup.promptLength} + ${setup.generateLength} generated tokens exceed the model's ${model.contextLength} learned positions`, { field: 'generateLength' });
  }
}

/** Elements live at the peak of one layer for q queries over n keys (see the top of this file), before multiplying by the element size. */
function layerPeakElements(model: TransformerModel, setup: InferenceSetup, q: number, n: number): number {
  const t = setup.tensorParallel;
  const qbh = q * setup.batch * model.hidden;
  const attention = setup.attention === 'flash' ? (2 * qbh) / t : qbh / t + (2 * model.heads * q * n * setup.batch) / t;
  const fWide = model.ffn === 'gelu' ? 2 : 3;
  const mlp = (fWide * model.topK * q * setup.batch * model.ffnHidden) / t;
  return qbh + Math.max(attention, mlp);
}

export function estimateInferenceMemory(model: TransformerModel, setup: InferenceSetup): InferenceEstimate {
  checkInferenceSetup(model, setup);
  countParameters(model); // refuses a parameter count beyond exact integers, naming the model's fields
  const { tensorParallel: t, pipelineParallel: p, batch: B } = setup;
  const P = setup.promptLength;
  const tokens = P + setup.generateLength;
  const e = setup.precision === 'fp32' ? 4 : 2;
  const kvBytes = DTYPE_BYTES[setup.kvDtype];
  const layersPerStage = model.layers / p;
  const inputs = { promptLength: P, generateLength: setup.generateLength, batch: B, hidden: model.hidden, layers: model.layers };
  const exact = (figure: string, what: string, value: number) => checkExact(figure, what, value, inputs);

  const kvCacheBytesPerToken = 2 * model.layers * kvWidth(model) * kvBytes;
  const kvCache = exact('kvCache', 'the KV-cache bytes', (2 * layersPerStage * (kvWidth(model) / t) * tokens * B * kvBytes));
  const layerPeak = e * Math.max(layerPeakElements(model, setup, P, P), layerPeakElements(model, setup, 1, tokens));
  const headPeak = e * B * model.hidden + 4 * B * Math.ceil(model.vocabSize / t);
  const stages = stageParameters(model, t, p).map((parameters, stage): InferenceStage => {
    const weights = checkExact('weights', 'the weight bytes', e * parameters, parameterInputs(model));
    const activations = exact('activations', 'the activation bytes', stage === p - 1 ? Math.max(layerPeak, headPeak) : layerPeak);
    const ids = stage === 0 ? exact('inputs', 'the input bytes', 8 * tokens * B) : 0;
    const total = exact('total', 'the total bytes', weights + kvCache + activations + ids);
    return { stage, parameters, layers: layersPerStage, weights, kvCache, activations, inputs: ids, total };
  });
  return { model, setup, tokens, kvCacheBytesPerToken, stages, heaviest: stages.reduce((a, b) => (b.total > a.total ? b : a)) };
}
