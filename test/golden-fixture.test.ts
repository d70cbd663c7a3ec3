import { readFileSync } from 'node:fs';

import { describe, it, expect } from 'vitest';

import { expectClose } from './helpers/expect-close.js';
import {
  ACTIVATIONS,
  type Activation,
  activationFunction,
  erf,
  gelu,
  geluTanh,
  type LinearLayer,
  linearForward,
  mlpForward,
  mse,
  softmaxCrossEntropy,
} from './helpers/reference-mlp.js';

// ---- the fixture written by test/golden/make_golden.py (format: test/golden/README.md) ----

interface NamedTensor {
  name: string;
  shape: number[];
  data: number[];
}

interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weight_decay: number;
}

interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}

interface OptimRun {
  optimizer: 'sgd' | 'adam' | 'adamw';
  label: string;
  options: SgdOptions | AdamOptions;
  losses: number[];
  params_after: NamedTensor[];
}

interface GoldenCase {
  name: string;
  layers: number[];
  activation: Activation;
  negative_slope?: number;
  loss: 'cross_entropy' | 'mse';
  batch: number;
  bias: boolean[];
  input: number[];
  labels?: number[];
  targets?: number[];
  params: NamedTensor[];
  output: number[];
  loss_value: number;
  grads: NamedTensor[];
  input_grad: number[];
  optim: OptimRun[];
}

interface GoldenFixture {
  generator: string;
  torch_version: string;
  cases: GoldenCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./golden/golden.json', import.meta.url), 'utf8'),
) as GoldenFixture;
const cases = fixture.cases.map((c) => [c.name, c] as const);

const STEPS = 3;

/** The fixture's float32 gradients sit ~1e-8 from float64 central differences; this leaves 10x room. */
const GRADIENT_TOLERANCE = { rtol: 1e-4, atol: 1e-7 };

/** The optimizer settings the fixture promises, by label. */
const EXPECTED_OPTIMIZERS: Record<string, Pick<OptimRun, 'optimizer' | 'options'>> = {
  sgd: { optimizer: 'sgd', options: { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0 } },
  sgd_momentum: {
    optimizer: 'sgd',
    options: { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false, weight_decay: 0.01 },
  },
  sgd_nesterov: {
    optimizer: 'sgd',
    options: { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weight_decay: 0.001 },
  },
  adam: { optimizer: 'adam', options: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 } },
  adamw: { optimizer: 'adamw', options: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1 } },
};

/** nn.Sequential names Linear k's parameters "<2k>.weight" and "<2k>.bias": activations sit between them. */
function expectedParameterShapes(c: GoldenCase): { name: string; shape: number[] }[] {
  return c.layers.slice(1).flatMap((out, k) => {
    const weight = { name: `${2 * k}.weight`, shape: [out, c.layers[k]!] };
    return c.bias[k] ? [weight, { name: `${2 * k}.bias`, shape: [out] }] : [weight];
  });
}

/** The case's Linear layers, reading parameters by name from `params` (the initial ones, or any same-shaped list). */
function linearLayers(c: GoldenCase, params: NamedTensor[] = c.params): LinearLayer[] {
  const byName = new Map(params.map((p) => [p.name, p.data]));
  return c.layers.slice(1).map((outFeatures, k) => ({
    weight: byName.get(`${2 * k}.weight`)!,
    bias: c.bias[k] ? byName.get(`${2 * k}.bias`)! : null,
    inFeatures: c.layers[k]!,
    outFeatures,
  }));
}

function forward(c: GoldenCase, layers: LinearLayer[], input: ArrayLike<number>, activation = c.activation) {
  return mlpForward(input, c.batch, layers, activation, c.negative_slope);
}

function lossOf(c: GoldenCase, output: ArrayLike<number>): number {
  return c.loss === 'cross_entropy'
    ? softmaxCrossEntropy(output, c.labels!, c.layers.at(-1)!)
    : mse(output, c.targets!);
}

/** d loss / d values[i] for every i by central differences in float64: an independent check of backward. */
function numericalGradient(values: number[], loss: () => number, h = 1e-5): Float64Array {
  return Float64Array.from(values, (v, i) => {
    values[i] = v + h;
    const up = loss();
    values[i] = v - h;
    const down = loss();
    values[i] = v;
    return (up - down) / (2 * h);
  });
}

/** An update rule: updates parameter tensor k in place at step t (1-based) given its gradient. */
type UpdateRule = (k: number, t: number, p: number[], g: Float64Array) => void;

function optimizerStep(run: OptimRun): UpdateRule {
  return run.optimizer === 'sgd'
    ? sgdStep(run.options as SgdOptions)
    : adamStep(run.options as AdamOptions, run.optimizer === 'adamw');
}

/** torch.optim.SGD (1.13): the first momentum step stores the raw gradient, without dampening. */
function sgdStep({ lr, momentum, dampening, nesterov, weight_decay }: SgdOptions): UpdateRule {
  const buffers = new Map<number, Float64Array>();
  return (k, t, p, g) => {
    if (!buffers.has(k)) buffers.set(k, new Float64Array(p.length));
    const buf = buffers.get(k)!;
    for (let i = 0; i < p.length; i++) {
      let d = g[i]! + weight_decay * p[i]!;
      if (momentum !== 0) {
        buf[i] = t === 1 ? d : momentum * buf[i]! + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i]! : buf[i]!;
      }
      p[i] = p[i]! - lr * d;
    }
  };
}

/**
 * torch.optim.Adam / AdamW (1.13; Kingma and Ba 2015, Loshchilov and Hutter 2019): Adam adds
 * weight_decay * p to the gradient (L2); AdamW instead shrinks p by lr * weight_decay before the step.
 */
function adamStep({ lr, betas: [beta1, beta2], eps, weight_decay }: AdamOptions, decoupled: boolean): UpdateRule {
  const moments = new Map<number, { m: Float64Array; v: Float64Array }>();
  return (k, t, p, g) => {
    if (!moments.has(k)) moments.set(k, { m: new Float64Array(p.length), v: new Float64Array(p.length) });
    const { m, v } = moments.get(k)!;
    for (let i = 0; i < p.length; i++) {
      let d = g[i]!;
      if (decoupled) p[i] = p[i]! * (1 - lr * weight_decay);
      else d += weight_decay * p[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * d;
      v[i] = beta2 * v[i]! + (1 - beta2) * d * d;
      const denominator = Math.sqrt(v[i]!) / Math.sqrt(1 - beta2 ** t) + eps;
      p[i] = p[i]! - (lr / (1 - beta1 ** t)) * (m[i]! / denominator);
    }
  };
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

describe('golden fixture: format', () => {
  it('names its generator and the PyTorch version that wrote it', () => {
    expect(fixture.generator).toBe('test/golden/make_golden.py');
    expect(fixture.torch_version).toMatch(/^\d+\.\d+/);
  });

  it('covers every activation, both losses, batch 1, a batch not a multiple of 4 and a layer without bias', () => {
    const all = fixture.cases;
    expect(new Set(all.map((c) => c.activation))).toEqual(new Set(ACTIVATIONS));
    expect(new Set(all.map((c) => c.loss))).toEqual(new Set(['cross_entropy', 'mse']));
    expect(all.some((c) => c.batch === 1)).toBe(true);
    expect(all.some((c) => c.batch > 1 && c.batch % 4 !== 0)).toBe(true);
    expect(all.some((c) => c.bias.includes(false))).toBe(true);
    expect(all.some((c) => c.layers.length > 3)).toBe(true);
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
  });

  it.each(cases)('%s: every array has the length its shape implies', (_, c) => {
    const [inputs, outputs] = [c.layers[0]!, c.layers.at(-1)!];
    expect(c.bias).toHaveLength(c.layers.length - 1);
    expect(c.input).toHaveLength(c.batch * inputs);
    expect(c.output).toHaveLength(c.batch * outputs);
    expect(c.input_grad).toHaveLength(c.batch * inputs);
    expect(c.negative_slope !== undefined).toBe(c.activation === 'leaky_relu');
    if (c.loss === 'cross_entropy') {
      expect(c.targets).toBeUndefined();
      expect(c.labels).toHaveLength(c.batch);
      for (const label of c.labels!) expect(Number.isInteger(label) && label >= 0 && label < outputs).toBe(true);
    } else {
      expect(c.labels).toBeUndefined();
      expect(c.targets).toHaveLength(c.batch * outputs);
    }
    const shapes = expectedParameterShapes(c);
    for (const list of [c.params, c.grads, ...c.optim.map((o) => o.params_after)]) {
      expect(list.map(({ name, shape }) => ({ name, shape }))).toEqual(shapes);
      for (const t of list) expect(t.data).toHaveLength(product(t.shape));
    }
  });

  it.each(cases)('%s: every recorded value is exactly a float32 (no precision lost in the JSON)', (_, c) => {
    const tensors = [c.params, c.grads, ...c.optim.map((o) => o.params_after)].flat().map((t) => t.data);
    const arrays = [c.input, c.targets ?? [], c.output, c.input_grad, [c.loss_value], ...c.optim.map((o) => o.losses)];
    for (const values of [...tensors, ...arrays]) {
      for (const v of values) expect(Math.fround(v)).toBe(v);
    }
  });

  it.each(cases)('%s: runs each optimizer setting for 3 steps from the forward pass above', (_, c) => {
    expect(c.optim.map((o) => o.label)).toEqual(Object.keys(EXPECTED_OPTIMIZERS));
    for (const run of c.optim) {
      const { optimizer, options } = EXPECTED_OPTIMIZERS[run.label]!;
      expect({ optimizer: run.optimizer, options: run.options }).toEqual({ optimizer, options });
      expect(run.losses).toHaveLength(STEPS);
      // The first loss is taken before any update, so it is the forward pass's loss.
      expect(run.losses[0]).toBe(c.loss_value);
      // Three steps of descent on one batch with these small learning rates lower the loss.
      expect(run.losses[STEPS - 1]!).toBeLessThan(run.losses[0]!);
    }
  });
});

describe('golden fixture: agrees with a float64 reference', () => {
  it.each(cases)('%s: output and loss recomputed from params and input', (_, c) => {
    const { output } = forward(c, linearLayers(c), c.input);
    expectClose(output, c.output, { rtol: 1e-4, atol: 1e-6, label: `${c.name} output` });
    expectClose(lossOf(c, output), c.loss_value, { rtol: 1e-4, atol: 0, label: `${c.name} loss` });
  });

  it.each(cases)('%s: no other activation reproduces the output (the name means what it says)', (_, c) => {
    for (const other of ACTIVATIONS.filter((a) => a !== c.activation)) {
      const { output } = forward(c, linearLayers(c), c.input, other);
      expect(() => expectClose(output, c.output, { rtol: 1e-4, atol: 1e-6 }), other).toThrow();
    }
  });

  it.each(cases)('%s: parameter and input gradients match central differences', (_, c) => {
    const params = c.params.map((p) => ({ ...p, data: [...p.data] }));
    const input = [...c.input];
    const loss = () => lossOf(c, forward(c, linearLayers(c, params), input).output);
    params.forEach((p, k) => {
      expectClose(numericalGradient(p.data, loss), c.grads[k]!.data, { ...GRADIENT_TOLERANCE, label: `${c.name} grad ${p.name}` });
    });
    expectClose(numericalGradient(input, loss), c.input_grad, { ...GRADIENT_TOLERANCE, label: `${c.name} input grad` });
  });

  it.each(cases)('%s: optimizer runs match the PyTorch update rules driven by central-difference gradients', (_, c) => {
    for (const run of c.optim) {
      const params = c.params.map((p) => ({ ...p, data: [...p.data] }));
      const loss = () => lossOf(c, forward(c, linearLayers(c, params), c.input).output);
      const step = optimizerStep(run);
      const losses: number[] = [];
      for (let t = 1; t <= STEPS; t++) {
        losses.push(loss());
        const grads = params.map((p) => numericalGradient(p.data, loss));
        params.forEach((p, k) => step(k, t, p.data, grads[k]!));
      }
      const label = `${c.name} ${run.label}`;
      expectClose(losses, run.losses, { rtol: 1e-5, atol: 0, label: `${label} losses` });
      params.forEach((p, k) => {
        expectClose(p.data, run.params_after[k]!.data, { rtol: 1e-5, atol: 5e-7, label: `${label} ${p.name}` });
      });
    }
  });

  it.each(cases.filter(([, c]) => c.activation === 'relu' || c.activation === 'leaky_relu'))(
    '%s: every pre-activation is at least 1e-3 from the kink at 0',
    (_, c) => {
      const { preActivations } = forward(c, linearLayers(c), c.input);
      const smallest = Math.min(...preActivations.flatMap((z) => Array.from(z, Math.abs)));
      expect(smallest).toBeGreaterThan(1e-3);
    },
  );
});

describe('reference MLP helpers', () => {
  it('erf matches tabulated values to 1e-14', () => {
    // erf at these points, from Python's math.erf (libm); odd symmetry covers the negatives.
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.4999, 0.9995928300996666],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [6, 1],
    ];
    for (const [x, value] of table) {
      expectClose(erf(x), value, { atol: 1e-14, rtol: 0, label: `erf(${x})` });
      expectClose(erf(-x), -value, { atol: 1e-14, rtol: 0, label: `erf(${-x})` });
    }
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });

  it('exact and tanh GELU differ by up to ~5e-4, enough for the fixture to tell them apart', () => {
    const xs = Array.from({ length: 801 }, (_, i) => -4 + i / 100);
    const largest = Math.max(...xs.map((x) => Math.abs(gelu(x) - geluTanh(x))));
    expect(largest).toBeGreaterThan(1e-4);
    expect(largest).toBeLessThan(1e-3);
    // GELU(x) = x Phi(x): Phi(1) = 0.8413447460685429.
    expectClose(gelu(1), 0.8413447460685429, { atol: 1e-15, rtol: 0 });
  });

  it('activations follow their PyTorch definitions at a few points', () => {
    const at = (name: Activation, xs: number[], slope?: number) => xs.map(activationFunction(name, slope));
    expect(at('relu', [-2, 0, 3])).toEqual([0, 0, 3]);
    expect(at('leaky_relu', [-2, 0, 3], 0.1)).toEqual([-0.2, 0, 3]);
    expect(at('leaky_relu', [-2])).toEqual([-0.02]); // nn.LeakyReLU's default slope 0.01
    expectClose(at('sigmoid', [-800, 0, 800]), [0, 0.5, 1], { atol: 0, rtol: 0 });
    expectClose(at('tanh', [0, 1]), [0, Math.tanh(1)], { atol: 0, rtol: 0 });
  });

  it('linearForward computes x W^T + b with W stored [out][in]', () => {
    // x: 2x3, W: 2x3 (out 2, in 3), b: 2
    const y = linearForward([1, 2, 3, 4, 5, 6], [1, 0, -1, 0.5, 0.5, 0.5], [10, 20], {
      batch: 2,
      inFeatures: 3,
      outFeatures: 2,
    });
    expect(Array.from(y)).toEqual([1 - 3 + 10, 3 + 20, 4 - 6 + 10, 7.5 + 20]);
    expect(Array.from(linearForward([1, 2], [3, 4], null, { batch: 1, inFeatures: 2, outFeatures: 1 }))).toEqual([11]);
  });

  it('softmaxCrossEntropy is the mean of log-sum-exp minus the true logit, stable for large logits', () => {
    const logits = [1, 2, 3, 1000, 0, -1000];
    const first = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 1;
    expectClose(softmaxCrossEntropy(logits, [0, 0], 3), first / 2, { atol: 1e-15, rtol: 1e-15 });
    expect(softmaxCrossEntropy([0, 0, 0, 0], [1], 4)).toBeCloseTo(Math.log(4), 15);
  });

  it('mse is the mean over all elements', () => {
    expect(mse([1, 2, 3, 4], [1, 0, 3, 0])).toBe((4 + 16) / 4);
  });

  it('mlpForward applies the activation between Linear layers but not after the last', () => {
    const layers: LinearLayer[] = [
      { weight: [1, -1], bias: null, inFeatures: 1, outFeatures: 2 },
      { weight: [1, 1], bias: [-5], inFeatures: 2, outFeatures: 1 },
    ];
    const { output, preActivations } = mlpForward([3], 1, layers, 'relu');
    expect(Array.from(preActivations[0]!)).toEqual([3, -3]);
    expect(Array.from(output)).toEqual([3 + 0 - 5]); // -2: no relu after the last layer
  });

  describe('reject bad arguments with an Error that names them', () => {
    const shape = { batch: 1, inFeatures: 2, outFeatures: 1 };
    it.each([
      ['batch 0', () => linearForward([], [1, 2], null, { ...shape, batch: 0 }), /linearForward: batch must be a positive integer, got 0/],
      ['fractional inFeatures', () => linearForward([1], [1], null, { ...shape, inFeatures: 1.5 }), /inFeatures must be a positive integer, got 1.5/],
      ['outFeatures -1', () => linearForward([1, 2], [1, 2], null, { ...shape, outFeatures: -1 }), /outFeatures must be a positive integer, got -1/],
      ['short x', () => linearForward([1], [1, 2], null, shape), /linearForward: x must have 2 elements \(batch 1 x inFeatures 2\), got 1/],
      ['long weight', () => linearForward([1, 2], [1, 2, 3], null, shape), /weight must have 2 elements \(outFeatures 1 x inFeatures 2\), got 3/],
      ['wrong bias', () => linearForward([1, 2], [1, 2], [1, 2], shape), /bias must have 1 elements \(outFeatures 1\), got 2/],
      ['no layers', () => mlpForward([1], 1, [], 'relu'), /layers must hold at least one Linear layer, got 0/],
      [
        'layers that do not chain',
        () =>
          mlpForward([1], 1, [
            { weight: [1, 1], bias: null, inFeatures: 1, outFeatures: 2 },
            { weight: [1, 1, 1], bias: null, inFeatures: 3, outFeatures: 1 },
          ], 'tanh'),
        /layers\[1\]\.inFeatures must equal layers\[0\]\.outFeatures 2, got 3/,
      ],
      ['unknown activation', () => activationFunction('swish' as Activation), /unknown activation "swish", expected one of relu, leaky_relu/],
      ['NaN slope', () => activationFunction('leaky_relu', NaN), /negativeSlope must be a finite number, got NaN/],
      ['empty labels', () => softmaxCrossEntropy([], [], 3), /labels must not be empty/],
      ['classes 0', () => softmaxCrossEntropy([], [0], 0), /classes must be a positive integer, got 0/],
      ['logits of the wrong length', () => softmaxCrossEntropy([1, 2], [0], 3), /logits must have 3 elements \(labels.length 1 x classes 3\), got 2/],
      ['label out of range', () => softmaxCrossEntropy([1, 2, 3], [3], 3), /labels\[0\] must be an integer in \[0, 3\), got 3/],
      ['negative label', () => softmaxCrossEntropy([1, 2, 3], [-1], 3), /labels\[0\] must be an integer in \[0, 3\), got -1/],
      ['fractional label', () => softmaxCrossEntropy([1, 2, 3], [0.5], 3), /got 0.5/],
      ['empty targets', () => mse([], []), /mse: targets must not be empty/],
      ['predictions of the wrong length', () => mse([1], [1, 2]), /predictions must have 2 elements \(targets.length 2\), got 1/],
    ])('%s', (_, call, message) => {
      expect(call).toThrow(message);
    });
  });
});

describe('expectClose', () => {
  it('passes within atol + rtol * |expected|, element by element', () => {
    expectClose([1, 100, 0], [1.05, 100.5, 0], { atol: 0.1, rtol: 0.005 });
    expectClose(2, 2, { atol: 0, rtol: 0 });
    expectClose(new Float32Array([Infinity, -Infinity]), [Infinity, -Infinity], { atol: 0, rtol: 0 });
    expectClose([], [], {});
  });

  it('defaults to torch.testing float32 tolerances (atol 1e-5, rtol 1.3e-6)', () => {
    expectClose([1e-5], [0]);
    expect(() => expectClose([1.1e-5], [0])).toThrow(/atol 0.00001, rtol 0.0000013/);
  });

  it('reports the largest absolute and relative differences and the first 5 mismatches', () => {
    const expected = [0, 1, 2, 3, 4, 5, 6, 7, 100];
    const actual = [0.5, 1, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 103];
    let message = '';
    try {
      expectClose(actual, expected, { atol: 0.1, rtol: 0, label: 'grads[0.weight]' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      [
        'grads[0.weight]: 8 of 9 elements differ (atol 0.1, rtol 0)',
        '  largest absolute difference 3 at [8] actual 103 vs expected 100',
        '  largest relative difference Infinity at [0] actual 0.5 vs expected 0',
        '  first mismatches:',
        '    [0] actual 0.5 vs expected 0',
        '    [2] actual 2.5 vs expected 2',
        '    [3] actual 3.5 vs expected 3',
        '    [4] actual 4.5 vs expected 4',
        '    [5] actual 5.5 vs expected 5',
        '    ... and 3 more',
      ].join('\n'),
    );
  });

  it('treats NaN as a mismatch and as the largest difference', () => {
    expect(() => expectClose([1, NaN, 1e9], [1, 2, 0], { atol: 1, rtol: 0 })).toThrow(
      /largest absolute difference NaN at \[1\] actual NaN vs expected 2/,
    );
    expect(() => expectClose([NaN], [NaN], { atol: 1, rtol: 1 })).toThrow(/1 of 1 elements differ/);
  });

  it('accepts an infinity only where the same infinity is expected', () => {
    expect(() => expectClose([5, Infinity], [Infinity, -Infinity], { atol: 1, rtol: 1 })).toThrow(
      /2 of 2 elements differ[\s\S]*\[0\] actual 5 vs expected Infinity\n {4}\[1\] actual Infinity vs expected -Infinity/,
    );
  });

  it.each([
    ['lengths differ', () => expectClose([1, 2], [1], {}), /values: length mismatch: actual has 2 elements, expected 1/],
    ['negative atol', () => expectClose([1], [1], { atol: -1 }), /expectClose: atol must be a finite number >= 0, got -1/],
    ['NaN rtol', () => expectClose([1], [1], { rtol: NaN }), /expectClose: rtol must be a finite number >= 0, got NaN/],
    ['infinite atol', () => expectClose([1], [1], { atol: Infinity }), /atol must be a finite number >= 0, got Infinity/],
    ['actual not an array', () => expectClose(undefined as unknown as number[], [1]), /actual must be a number or an array of numbers, got undefined/],
    ['expected not an array', () => expectClose([1], {} as number[]), /expected must be a number or an array of numbers, got \[object Object\]/],
  ])('rejects bad arguments: %s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});
