// The registry of layer types: every module in src/nn/layers/ is listed here
// once, and everything that needs to know a layer type (the step plan, the
// executor, the estimator, reports, weights files, the CLI) asks this file.
// A new layer type is its module file plus one line in LAYER_MODULES (and its
// core kernel).

import { ArgumentError, checkOptions, describeValue, orDefault } from '../errors.js';
import type { ActivationSpec as AnyActivationSpec, AnyLayerSpec, LayerModule, LinearSpec } from './layer.js';
import { gelu, geluTanh } from './layers/gelu.js';
import { leakyRelu } from './layers/leaky-relu.js';
import { linear } from './layers/linear.js';
import { relu } from './layers/relu.js';
import { sigmoid } from './layers/sigmoid.js';
import { silu } from './layers/silu.js';
import { tanh } from './layers/tanh.js';

export { Linear } from './layers/linear.js';
export { ReLU } from './layers/relu.js';
export { LeakyReLU } from './layers/leaky-relu.js';
export { Sigmoid } from './layers/sigmoid.js';
export { Tanh } from './layers/tanh.js';
export { GELU } from './layers/gelu.js';
export { SiLU } from './layers/silu.js';
export type { LinearSpec, LayerModule };

const ACTIVATION_MODULES = [relu, leakyRelu, sigmoid, tanh, gelu, geluTanh, silu] as const;
export const LAYER_MODULES: readonly LayerModule[] = [linear as LayerModule, ...ACTIVATION_MODULES];

export type ActivationKind = (typeof ACTIVATION_MODULES)[number]['key'];
export const ACTIVATION_KINDS: readonly ActivationKind[] = ACTIVATION_MODULES.map((m) => m.key);

export interface ActivationSpec extends AnyActivationSpec {
  kind: ActivationKind;
}
export type LayerSpec = LinearSpec | ActivationSpec;

const BY_KEY = new Map<string, LayerModule>(LAYER_MODULES.map((m) => [m.key, m]));

/** The module of a (validated) layer description. */
export function moduleOf(spec: AnyLayerSpec): LayerModule {
  const m = BY_KEY.get(spec.type === 'linear' ? 'linear' : spec.kind);
  if (!m) throw new ArgumentError(`unknown layer ${spec.type === 'activation' ? `activation '${String(spec.kind)}'` : String(spec.type)}`);
  return m;
}

export function activation(kind: ActivationKind, slope = 0.01): ActivationSpec {
  return { type: 'activation', kind, slope: kind === 'leaky_relu' ? slope : 0 };
}

/**
 * The layer list of a multilayer perceptron: Linear(sizes[0], sizes[1]), act,
 * Linear(sizes[1], sizes[2]), ..., ending with a Linear.
 */
export function mlp(sizes: readonly number[], kind: ActivationKind = 'relu', options: { bias?: boolean; slope?: number } = {}): LayerSpec[] {
  const o = checkOptions('mlp', options, ['bias', 'slope']);
  if (!Array.isArray(sizes)) throw new ArgumentError(`mlp: sizes must be an array of layer widths, input to output, got ${describeValue(sizes)}`);
  const layers: LayerSpec[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    if (i > 0) layers.push(activation(kind, o.slope as number | undefined));
    layers.push({ type: 'linear', inFeatures: sizes[i]!, outFeatures: sizes[i + 1]!, bias: orDefault(o.bias, true) as boolean });
  }
  return layers;
}

/** Checks that layers chain: Linear, then optional activation, ..., ending with a Linear. */
export function validateLayers(layers: readonly LayerSpec[]): void {
  if (!Array.isArray(layers) || layers.length === 0) throw new ArgumentError('a Sequential needs at least one layer');
  let width: number | null = null;
  layers.forEach((l, i) => {
    if (typeof l !== 'object' || l === null || (l.type !== 'linear' && l.type !== 'activation')) {
      throw new ArgumentError(`layer ${i} is not a layer description (use Linear(), ReLU(), ...)`);
    }
    const m = l.type === 'linear' ? linear : typeof l.kind === 'string' ? BY_KEY.get(l.kind) : undefined;
    if (!m || m.role !== (l.type === 'linear' ? 'linear' : 'activation')) throw new ArgumentError(`layer ${i}: unknown activation ${describeValue((l as ActivationSpec).kind, "'")}; known: ${ACTIVATION_KINDS.join(', ')}`);
    // An activation must follow a Linear: it takes the Linear's width.
    const inWidth = l.type === 'activation' && layers[i - 1]?.type !== 'linear' ? null : width;
    width = m.validate(l, i, inWidth);
  });
  if (layers[layers.length - 1]!.type !== 'linear') throw new ArgumentError('the last layer must be a Linear (the loss takes its output)');
}

export function layerName(l: AnyLayerSpec, i: number): string {
  return l.type === 'linear' ? `linear${i}` : `${l.kind}${i}`;
}

/** PyTorch's spelling of the whole list: "Linear(784, 100) -> ReLU -> Linear(100, 10)". */
export function describeLayers(layers: readonly AnyLayerSpec[]): string {
  return layers.map((l) => moduleOf(l).describe(l)).join(' -> ');
}

/** Features into layer 0 and out of layer i. */
export function inWidth(layers: readonly AnyLayerSpec[]): number {
  return (layers[0] as LinearSpec).inFeatures;
}
export function outWidth(layers: readonly AnyLayerSpec[], i: number): number {
  let width = inWidth(layers);
  for (let j = 0; j <= i; j++) width = moduleOf(layers[j]!).outWidth(layers[j]!, width);
  return width;
}

/** Every parameter of a layer list, by PyTorch name, with its offset (in floats) in the flat block. */
export function parameterSlots(layers: readonly AnyLayerSpec[]): { name: string; shape: number[]; offset: number; count: number; layer: number }[] {
  const slots: { name: string; shape: number[]; offset: number; count: number; layer: number }[] = [];
  let offset = 0;
  layers.forEach((l, i) => {
    for (const p of moduleOf(l).parameters(l)) {
      const count = p.shape.reduce((a, b) => a * b, 1);
      slots.push({ name: `${i}.${p.name}`, shape: p.shape, offset, count, layer: i });
      offset += count;
    }
  });
  return slots;
}

export function countParameters(layers: readonly AnyLayerSpec[]): number {
  return parameterSlots(layers).reduce((s, p) => s + p.count, 0);
}

/**
 * Checks a `checkpoint` list against (already validated) layers and returns it as a set: each
 * entry an index of an activation layer, none twice. (An activation is always
 * preceded and followed by a Linear, validateLayers sees to it: the one before
 * recomputes its input, the one after is why its output is needed.)
 */
export function validateCheckpoint(layers: readonly LayerSpec[], checkpoint: readonly number[] | undefined): ReadonlySet<number> {
  const set = new Set<number>();
  if (checkpoint === undefined) return set;
  if (!Array.isArray(checkpoint)) throw new ArgumentError(`checkpoint must be an array of activation-layer indices, got ${describeValue(checkpoint)}`);
  const activations = layers.flatMap((l, i) => (l.type === 'activation' ? [i] : []));
  const these = activations.length ? `this model's activation layers are ${activations.join(', ')}` : 'this model has no activation layers';
  checkpoint.forEach((c, k) => {
    if (!Number.isInteger(c) || c < 0 || c >= layers.length) {
      throw new ArgumentError(`checkpoint[${k}] must be a layer index in [0, ${layers.length - 1}], got ${describeValue(c)}; ${these}`);
    }
    const l = layers[c]!;
    if (l.type !== 'activation') {
      throw new ArgumentError(`checkpoint[${k}] is layer ${c}, a Linear; only activation layers can be checkpointed (${these})`);
    }
    if (set.has(c)) throw new ArgumentError(`checkpoint lists layer ${c} (${layerName(l, c)}) twice`);
    set.add(c);
  });
  return set;
}
