// What a layer type is: one module per type (src/nn/layers/*.ts) declares its
// description, parameters, forward and backward kernel calls side by side,
// what its backward reads, and its MACs. The step plan, the executor, the
// estimator, the reports and the weights file learn a layer only from this.

import type { Runtime } from '../runtime.js';

export interface LinearSpec {
  type: 'linear';
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

export interface ActivationSpec {
  type: 'activation';
  kind: string;
  /** LeakyReLU's negative slope (0 for every other kind). */
  slope: number;
}

export type AnyLayerSpec = LinearSpec | ActivationSpec;

/** A product C (m x n) += A (m x k) B (k x n) that a kernel call runs, for its packing workspace. */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
}

/** Pointers of one call: the layer's input and output and its parameters' weights and gradients. */
export interface LayerCall {
  rt: Runtime;
  batch: number;
  /** Features per row of the input. */
  inWidth: number;
  input: number;
  output: number;
  /** One pointer per parameter(), into the weights and into the gradients block. */
  weights: readonly number[];
  gradients: readonly number[];
}

export interface BackwardCall extends LayerCall {
  /** d loss / d output, batch x outFeatures. */
  gradOutput: number;
  /** Where d loss / d input goes (0: not wanted). An activation writes it over gradOutput. */
  gradInput: number;
}

export interface LayerModule<S extends AnyLayerSpec = AnyLayerSpec> {
  /** 'linear' or an activation kind: the key of the registry. */
  readonly key: string;
  /** Linear layers own parameters and change width; activations are elementwise. */
  readonly role: 'linear' | 'activation';
  /**
   * What backward reads besides the output gradient: its input (Linear,
   * LeakyReLU, GELU, SiLU) or its output (ReLU, Sigmoid, Tanh). A layer that
   * reads its output may overwrite its input (in place).
   */
  readonly backwardReads: 'input' | 'output';
  /** Checks a description (throws ArgumentError/ShapeError naming `index`); returns its output width. */
  validate(spec: S, index: number, inWidth: number | null): number;
  /** PyTorch's spelling, for reports: "Linear(784, 100)", "ReLU". */
  describe(spec: S): string;
  /** Parameters in PyTorch's order and layout (`${index}.${name}`). */
  parameters(spec: S): { name: string; shape: number[] }[];
  outWidth(spec: S, inWidth: number): number;
  /** Default initialisation of each parameter (in parameters() order) from a seeded uniform source. */
  initialise(spec: S, uniform: (low: number, high: number) => number, values: readonly Float32Array[]): void;
  forward(spec: S, call: LayerCall): void;
  backward(spec: S, call: BackwardCall): void;
  /** torchinfo's mult-adds of one pass at `batch`; backward with or without the input gradient. */
  macs(spec: S, batch: number, inputGradient: boolean): { forward: number; backward: number };
  /** GEMM products of forward and of backward (what the core counts and packs). */
  gemms(spec: S, batch: number, inputGradient: boolean): { forward: GemmShape[]; backward: GemmShape[] };
}
