// Layer descriptions: plain data that says what a Sequential is made of.
// The arithmetic lives in the core; src/nn/sequential.ts runs it.

export const ACTIVATION_KINDS = ['relu', 'leaky_relu', 'sigmoid', 'tanh', 'gelu', 'gelu_tanh'] as const;
export type ActivationKind = (typeof ACTIVATION_KINDS)[number];

export interface LinearSpec {
  type: 'linear';
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

export interface ActivationSpec {
  type: 'activation';
  kind: ActivationKind;
  /** LeakyReLU's negative slope. */
  slope: number;
}

export type LayerSpec = LinearSpec | ActivationSpec;

export function Linear(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}): LinearSpec {
  return { type: 'linear', inFeatures, outFeatures, bias: options.bias ?? true };
}
export const ReLU = (): ActivationSpec => ({ type: 'activation', kind: 'relu', slope: 0 });
export const LeakyReLU = (negativeSlope = 0.01): ActivationSpec => ({ type: 'activation', kind: 'leaky_relu', slope: negativeSlope });
export const Sigmoid = (): ActivationSpec => ({ type: 'activation', kind: 'sigmoid', slope: 0 });
export const Tanh = (): ActivationSpec => ({ type: 'activation', kind: 'tanh', slope: 0 });
/** GELU, exact (erf) by default; approximate: 'tanh' as PyTorch's nn.GELU(approximate='tanh'). */
export const GELU = (options: { approximate?: 'none' | 'tanh' } = {}): ActivationSpec => ({
  type: 'activation',
  kind: options.approximate === 'tanh' ? 'gelu_tanh' : 'gelu',
  slope: 0,
});

export function activation(kind: ActivationKind, slope = 0.01): ActivationSpec {
  return { type: 'activation', kind, slope: kind === 'leaky_relu' ? slope : 0 };
}

/**
 * The layer list of a multilayer perceptron: Linear(sizes[0], sizes[1]), act,
 * Linear(sizes[1], sizes[2]), ..., ending with a Linear.
 */
export function mlp(sizes: readonly number[], kind: ActivationKind = 'relu', options: { bias?: boolean; slope?: number } = {}): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    if (i > 0) layers.push(activation(kind, options.slope));
    layers.push(Linear(sizes[i]!, sizes[i + 1]!, { bias: options.bias }));
  }
  return layers;
}

/** Kind codes of assembly/kernels/activations.ts. */
export const ACTIVATION_CODE: Record<ActivationKind, number> = {
  relu: 0, leaky_relu: 1, sigmoid: 2, tanh: 3, gelu: 4, gelu_tanh: 5,
};

/**
 * What an activation's backward reads: ReLU, Sigmoid and Tanh derive it from
 * their output; LeakyReLU and GELU need their input.
 */
export function savesOutput(kind: ActivationKind): boolean {
  return kind === 'relu' || kind === 'sigmoid' || kind === 'tanh';
}

/** Weights and bias of a Linear: in*out + out (in*out without bias). */
export function linearParameters(l: LinearSpec): number {
  return l.inFeatures * l.outFeatures + (l.bias ? l.outFeatures : 0);
}
