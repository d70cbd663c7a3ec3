/**
 * Low-rank adaptation (Hu et al. 2021, "LoRA"): the base model is frozen and
 * each adapted projection W (in x out) gains trainable A (in x r) and B (r x out),
 * r (in + out) parameters, as PEFT's LoraConfig(r, target_modules) builds them.
 * Targets: q, k, v, o (the attention projections, k and v kv = g h/a wide) and
 * mlp (every feed-forward matrix: up and down, and gate for SwiGLU, in every expert).
 *
 * QLoRA (Dettmers et al. 2023, "QLoRA: Efficient Finetuning of Quantized LLMs",
 * Sec. 3): the frozen linear weights of the layers are stored as 4-bit NormalFloat
 * with double quantisation, the paper's recipe (bitsandbytes nf4 with
 * bnb_4bit_use_double_quant): per matrix of n weights, n/2 bytes of 4-bit codes,
 * one 8-bit absmax per block of 64 weights and one fp32 constant per block of
 * 256 absmax values, 0.127 bits per weight on top of the 4 (Sec. 3, "Double
 * Quantization"); each is rounded up to whole blocks. Embeddings, the output
 * head, norms and biases stay in 16 bits (bitsandbytes leaves lm_head
 * unquantised; embeddings and norms are not linear layers).
 */
import { ArgumentError } from '../errors.js';
import { checkBoolean, checkPositiveInteger, shown } from './checks.js';
import { type TransformerModel, checkTransformer, countParameters, layerMatrices, parameterInputs } from './transformer.js';
import { checkExact } from './units.js';

export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'mlp'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraSetup {
  rank: number;
  targets: readonly LoraTarget[];
  /** QLoRA: the frozen base is 4-bit NF4 with double quantisation. */
  quantizedBase: boolean;
}

export function checkLoraSetup(model: TransformerModel, lora: LoraSetup): void {
  checkTransformer(model);
  checkPositiveInteger('loraRank', lora.rank);
  checkBoolean('quantizedBase', lora.quantizedBase);
  if (!Array.isArray(lora.targets) || lora.targets.length === 0) {
    throw new ArgumentError(`loraTargets: expected a non-empty list of ${LORA_TARGETS.join(', ')}, got ${shown(lora.targets)}`, { field: 'loraTargets' });
  }
  for (const [i, target] of lora.targets.entries()) {
    if (!(LORA_TARGETS as readonly unknown[]).includes(target)) {
      throw new ArgumentError(`loraTargets: unknown target ${shown(target)}; expected ${LORA_TARGETS.join(', ')}`, { field: 'loraTargets' });
    }
    if (lora.targets.indexOf(target) !== i) throw new ArgumentError(`loraTargets: '${target}' given twice`, { field: 'loraTargets' });
  }
  const smallest = Math.min(...layerMatrices(model).filter((m) => m.target !== null && lora.targets.includes(m.target)).map((m) => Math.min(m.in, m.out)));
  if (lora.rank > smallest) {
    throw new ArgumentError(`loraRank: rank ${lora.rank} exceeds ${smallest}, the smallest dimension of an adapted matrix (a rank-r update of an in x out matrix needs r <= min(in, out))`, { field: 'loraRank' });
  }
}

/** Trainable adapter parameters of the whole model: layers x the sum of r (in + out) over adapted matrices. */
export function loraParameters(model: TransformerModel, lora: LoraSetup): number {
  checkLoraSetup(model, lora);
  const perLayer = layerMatrices(model)
    .filter((m) => m.target !== null && lora.targets.includes(m.target))
    .reduce((n, m) => n + m.count * lora.rank * (m.in + m.out), 0);
  return checkExact('parameters', 'the parameter count', model.layers * perLayer, parameterInputs(model));
}

/** Bytes of one n-weight matrix in NF4 with double quantisation (see the top of this file). */
export function nf4Bytes(n: number): number {
  const blocks = Math.ceil(n / 64);
  return Math.ceil(n / 2) + blocks + 4 * Math.ceil(blocks / 256);
}

/** Bytes of the frozen base model: every parameter at elementBytes, or with QLoRA the layers' linear weights in NF4 and the rest at elementBytes. */
export function frozenBaseBytes(model: TransformerModel, lora: LoraSetup, elementBytes: number): number {
  checkLoraSetup(model, lora);
  const total = countParameters(model).total;
  if (!lora.quantizedBase) return checkExact('weights', 'the weight bytes', total * elementBytes, parameterInputs(model));
  const matrices = layerMatrices(model);
  const quantized = model.layers * matrices.reduce((n, m) => n + m.count * m.in * m.out, 0);
  const packed = model.layers * matrices.reduce((n, m) => n + m.count * nf4Bytes(m.in * m.out), 0);
  return checkExact('weights', 'the weight bytes', packed + (total - quantized) * elementBytes, parameterInputs(model));
}
