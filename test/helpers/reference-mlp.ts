/**
 * A naive float64 reference for the MLPs that wasmgrad trains: Linear layers in PyTorch layout
 * (W[out][in], y = x W^T + b), the activations by their PyTorch names, and the two losses.
 * Written for obviousness, not speed: tests compare wasmgrad's float32 kernels against it.
 */

export const ACTIVATIONS = ['relu', 'leaky_relu', 'sigmoid', 'tanh', 'gelu', 'gelu_tanh', 'silu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** PyTorch's nn.LeakyReLU default. */
export const DEFAULT_NEGATIVE_SLOPE = 0.01;

export interface LinearShape {
  batch: number;
  inFeatures: number;
  outFeatures: number;
}

/** One Linear layer's parameters: weight is outFeatures x inFeatures row-major, bias null for bias=False. */
export interface LinearLayer {
  weight: ArrayLike<number>;
  bias: ArrayLike<number> | null;
  inFeatures: number;
  outFeatures: number;
}

export interface MlpForward {
  /** The last Linear's output (logits or predictions), batch x outFeatures row-major. */
  output: Float64Array;
  /** The input to each activation, in order: one array per hidden layer. */
  preActivations: Float64Array[];
}

/** y[b][o] = sum_i x[b][i] * weight[o][i] + bias[o]. */
export function linearForward(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  shape: LinearShape,
): Float64Array {
  const { batch, inFeatures, outFeatures } = shape;
  checkDimension('linearForward', 'batch', batch);
  checkDimension('linearForward', 'inFeatures', inFeatures);
  checkDimension('linearForward', 'outFeatures', outFeatures);
  checkLength('linearForward', 'x', x, batch * inFeatures, `batch ${batch} x inFeatures ${inFeatures}`);
  const weightShape = `outFeatures ${outFeatures} x inFeatures ${inFeatures}`;
  checkLength('linearForward', 'weight', weight, outFeatures * inFeatures, weightShape);
  if (bias !== null) checkLength('linearForward', 'bias', bias, outFeatures, `outFeatures ${outFeatures}`);

  const y = new Float64Array(batch * outFeatures);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outFeatures; o++) {
      let sum = bias === null ? 0 : bias[o]!;
      for (let i = 0; i < inFeatures; i++) sum += x[b * inFeatures + i]! * weight[o * inFeatures + i]!;
      y[b * outFeatures + o] = sum;
    }
  }
  return y;
}

/** Linear, activation, Linear, ..., Linear: no activation after the last layer, as nn.Sequential builds it. */
export function mlpForward(
  input: ArrayLike<number>,
  batch: number,
  layers: readonly LinearLayer[],
  activation: Activation,
  negativeSlope = DEFAULT_NEGATIVE_SLOPE,
): MlpForward {
  if (layers.length === 0) throw new Error('mlpForward: layers must hold at least one Linear layer, got 0');
  const f = activationFunction(activation, negativeSlope);
  const preActivations: Float64Array[] = [];
  let x: ArrayLike<number> = input;
  layers.forEach((layer, k) => {
    if (k > 0) {
      const previous = layers[k - 1]!.outFeatures;
      if (layer.inFeatures !== previous) {
        throw new Error(
          `mlpForward: layers[${k}].inFeatures must equal layers[${k - 1}].outFeatures ${previous}, got ${layer.inFeatures}`,
        );
      }
      preActivations.push(Float64Array.from(x));
      x = Float64Array.from(x, f);
    }
    const { weight, bias, inFeatures, outFeatures } = layer;
    x = linearForward(x, weight, bias, { batch, inFeatures, outFeatures });
  });
  return { output: x as Float64Array, preActivations };
}

// ---- activations (scalar, float64) ----

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

export function leakyRelu(x: number, negativeSlope = DEFAULT_NEGATIVE_SLOPE): number {
  return x > 0 ? x : negativeSlope * x;
}

export function sigmoid(x: number): number {
  // Two branches so that exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Exact GELU (PyTorch approximate='none'): x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/**
 * Tanh GELU (PyTorch approximate='tanh'; Hendrycks and Gimpel 2016):
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** SiLU (PyTorch nn.SiLU): x sigmoid(x). */
export function silu(x: number): number {
  return x * sigmoid(x);
}

export function activationFunction(name: Activation, negativeSlope = DEFAULT_NEGATIVE_SLOPE): (x: number) => number {
  switch (name) {
    case 'relu':
      return relu;
    case 'leaky_relu':
      if (!Number.isFinite(negativeSlope)) {
        throw new Error(`activationFunction: negativeSlope must be a finite number, got ${negativeSlope}`);
      }
      return (x) => leakyRelu(x, negativeSlope);
    case 'sigmoid':
      return sigmoid;
    case 'tanh':
      return Math.tanh;
    case 'gelu':
      return gelu;
    case 'gelu_tanh':
      return geluTanh;
    case 'silu':
      return silu;
    default:
      throw new Error(
        `activationFunction: unknown activation ${JSON.stringify(name)}, expected one of ${ACTIVATIONS.join(', ')}`,
      );
  }
}

/**
 * The error function to ~1e-15: its Maclaurin series below |x| = 2.5, where the alternating terms
 * stay small, and above it the continued fraction for erfc (Abramowitz and Stegun 1964, 7.1.14).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x; // (-1)^n x^(2n+1) / n!
    let sum = x;
    for (let n = 1; n < 60 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated from the tail.
  let fraction = ax;
  for (let k = 80; k >= 1; k--) fraction = ax + k / 2 / fraction;
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * fraction);
  return Math.sign(x) * (1 - erfc);
}

// ---- losses ----

/** Mean over the batch of -log softmax(logits[b])[labels[b]] (F.cross_entropy, reduction 'mean'). */
export function softmaxCrossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  checkDimension('softmaxCrossEntropy', 'classes', classes);
  const batch = labels.length;
  if (batch === 0) {
    throw new Error('softmaxCrossEntropy: labels must not be empty (the mean of no losses is undefined)');
  }
  checkLength('softmaxCrossEntropy', 'logits', logits, batch * classes, `labels.length ${batch} x classes ${classes}`);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const label = labels[b]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`softmaxCrossEntropy: labels[${b}] must be an integer in [0, ${classes}), got ${label}`);
    }
    const row = b * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]!);
    let sumExp = 0;
    for (let c = 0; c < classes; c++) sumExp += Math.exp(logits[row + c]! - max);
    total += max + Math.log(sumExp) - logits[row + label]!; // log-sum-exp minus the true class's logit
  }
  return total / batch;
}

/** Mean over all elements of (prediction - target)^2 (nn.MSELoss default). */
export function mse(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  if (targets.length === 0) throw new Error('mse: targets must not be empty (the mean of no errors is undefined)');
  checkLength('mse', 'predictions', predictions, targets.length, `targets.length ${targets.length}`);
  let total = 0;
  for (let i = 0; i < targets.length; i++) total += (predictions[i]! - targets[i]!) ** 2;
  return total / targets.length;
}

// ---- argument checks ----

function checkDimension(where: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${where}: ${name} must be a positive integer, got ${value}`);
  }
}

function checkLength(where: string, name: string, array: ArrayLike<number>, expected: number, because: string): void {
  if (array.length !== expected) {
    throw new Error(`${where}: ${name} must have ${expected} elements (${because}), got ${array.length}`);
  }
}
