// Every backward pass of the training core against central finite differences
// of a float64 reference forward + loss (test/helpers/reference-mlp.ts),
// evaluated on the model's own float32 parameters and inputs: every activation,
// both losses, with, without and with mixed bias, odd sizes (tails of the SIMD
// loops and of the 2x16 GEMM tile), batch 1 and batch 7, on every build.
//
// Finite differences: d loss / d p ~ (L(p + h) - L(p - h)) / 2h in float64 with
// h = 1e-4. Truncation error is h^2 |L'''| / 6 ~ 1e-9 and rounding error
// eps64 |L| / h ~ 1e-12, so the finite difference is the true gradient of the
// float64 function to ~1e-8.
//
// Tolerance: |wasmgrad - fd| <= 1e-6 + 1e-4 |fd|. wasmgrad computes in float32:
// each gradient is a sum of batch x width products, each rounded to ~6e-8
// relative, of values of order 1 (FMA in the relaxed build rounds differently
// again). Measured on these cases, the worst absolute difference is ~3e-8 on
// every build, so the bound leaves a 30x margin; the relative term covers the
// larger gradients. A wrong derivative, a missing 1/batch or a transposed GEMM
// is off by orders of magnitude more, and an activation derivative that is only
// approximately right (an erf good to 1e-5, say) fails too.
//
// ReLU and LeakyReLU have a kink at 0, where a finite difference straddling it
// means nothing. Their pre-activations are kept at least KINK_MARGIN from 0 by
// rejection (redrawing the batch): perturbing one value by h moves any
// pre-activation by at most ~1e-3 here, an order of magnitude inside the margin,
// and float32 rounding (~1e-7) cannot flip a sign that far from 0.

import { describe, expect, it } from 'vitest';
import {
  activation,
  init,
  LeakyReLU,
  Linear,
  GELU,
  Sequential,
  Sigmoid,
  Tanh,
  type ActivationKind,
  type BuildName,
  type LayerSpec,
  type LossKind,
  type Runtime,
} from '../src/index.js';
import { expectClose } from './helpers/expect-close.js';
import { ACTIVATIONS, activationFunction, linearForward, mse, softmaxCrossEntropy } from './helpers/reference-mlp.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

const H = 1e-4;
const TOL = { atol: 1e-6, rtol: 1e-4 };
const KINK_MARGIN = 1e-2;
const MAX_DRAWS = 500;

type Params = Record<string, Float64Array>;

interface Forward64 {
  output: Float64Array;
  /** Each Linear output that feeds a ReLU or LeakyReLU. */
  kinkInputs: Float64Array[];
}

/** The float64 forward of any Sequential's layer list: linearForward and activationFunction, layer by layer. */
function forward64(layers: readonly LayerSpec[], params: Params, x: ArrayLike<number>, batch: number): Forward64 {
  let cur: Float64Array = Float64Array.from(x);
  const kinkInputs: Float64Array[] = [];
  layers.forEach((l, i) => {
    if (l.type === 'linear') {
      const shape = { batch, inFeatures: l.inFeatures, outFeatures: l.outFeatures };
      cur = linearForward(cur, params[`${i}.weight`]!, l.bias ? params[`${i}.bias`]! : null, shape);
    } else {
      if (l.kind === 'relu' || l.kind === 'leaky_relu') kinkInputs.push(cur);
      cur = cur.map(activationFunction(l.kind, l.slope));
    }
  });
  return { output: cur, kinkInputs };
}

function loss64(
  layers: readonly LayerSpec[],
  loss: LossKind,
  params: Params,
  x: ArrayLike<number>,
  batch: number,
  target: ArrayLike<number>,
): number {
  const { output } = forward64(layers, params, x, batch);
  const classes = output.length / batch;
  return loss === 'cross_entropy' ? softmaxCrossEntropy(output, target, classes) : mse(output, target);
}

/** Central differences of f with respect to every element of `values`, perturbed in place and restored. */
function centralDifferences(values: Float64Array, f: () => number): Float64Array {
  const g = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    values[i] = v + H;
    const plus = f();
    values[i] = v - H;
    const minus = f();
    values[i] = v;
    g[i] = (plus - minus) / (2 * H);
  }
  return g;
}

interface Batch {
  x: Float32Array;
  target: Int32Array | Float32Array;
}

function drawBatch(next: () => number, batch: number, inFeatures: number, outFeatures: number, loss: LossKind): Batch {
  // Inputs in [-2, 2): wide enough to reach the curved parts of sigmoid, tanh and GELU.
  const x = randomArray(batch * inFeatures, next).map((v) => 2 * v);
  const target =
    loss === 'cross_entropy'
      ? Int32Array.from({ length: batch }, () => Math.floor(next() * outFeatures))
      : randomArray(batch * outFeatures, next);
  return { x, target };
}

function minAbs(arrays: Float64Array[]): number {
  let m = Infinity;
  for (const a of arrays) for (const v of a) m = Math.min(m, Math.abs(v));
  return m;
}

/**
 * Checks loss, every parameter gradient and the input gradient of one model
 * on one batch against float64 finite differences. The batch is redrawn until
 * no ReLU/LeakyReLU input lies within KINK_MARGIN of 0.
 */
function gradcheck(rt: Runtime, layers: LayerSpec[], loss: LossKind, batch: number, seed: number): void {
  const m = new Sequential(rt, layers, { seed, loss });
  try {
    const params: Params = {};
    for (const p of m.parameters()) params[p.name] = Float64Array.from(p.data);

    const next = rng(seed);
    let data: Batch | null = null;
    for (let draw = 0; draw < MAX_DRAWS && !data; draw++) {
      const candidate = drawBatch(next, batch, m.inFeatures, m.outFeatures, loss);
      if (minAbs(forward64(layers, params, candidate.x, batch).kinkInputs) >= KINK_MARGIN) data = candidate;
    }
    if (!data) throw new Error(`no batch in ${MAX_DRAWS} draws keeps ReLU inputs ${KINK_MARGIN} away from 0`);
    const { x, target } = data;

    const { loss: value, inputGradient } = m.lossAndGradients(x, target, { inputGradient: true });
    const x64 = Float64Array.from(x);
    const f = () => loss64(layers, loss, params, x64, batch, target);
    expectClose(value, f(), { atol: 1e-5, rtol: 1e-5, label: 'loss' });

    const grads = m.gradients();
    expect(grads.map((g) => g.name)).toEqual(Object.keys(params));
    for (const g of grads) {
      expectClose(g.data, centralDifferences(params[g.name]!, f), { ...TOL, label: `gradient of ${g.name}` });
    }
    expectClose(inputGradient!, centralDifferences(x64, f), { ...TOL, label: 'input gradient' });
  } finally {
    m.dispose();
  }
}

/** Odd widths everywhere: 5 -> 9 -> 7 -> 3, two hidden activations. */
function mlp(kind: ActivationKind, bias: readonly boolean[]): LayerSpec[] {
  const widths = [5, 9, 7, 3];
  const layers: LayerSpec[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    if (i > 0) layers.push(activation(kind));
    layers.push(Linear(widths[i]!, widths[i + 1]!, { bias: bias[i]! }));
  }
  return layers;
}

const BIASES = [
  ['with bias', [true, true, true]],
  ['without bias', [false, false, false]],
  ['mixed bias', [false, true, false]],
] as const;
const LOSSES: LossKind[] = ['cross_entropy', 'mse'];
const BATCHES = [1, 7];

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('gradients vs float64 finite differences (%s build)', (build) => {
  let seed = 100;
  for (const kind of ACTIVATIONS) {
    describe(kind, () => {
      for (const loss of LOSSES) {
        for (const [biasName, bias] of BIASES) {
          for (const batch of BATCHES) {
            const s = seed++;
            it(`${loss}, ${biasName}, batch ${batch}`, async () => {
              gradcheck(await init({ build }), mlp(kind, bias), loss, batch, s);
            });
          }
        }
      }
    });
  }

  // One network mixing kinds, a LeakyReLU slope other than the default, and a
  // single-Linear model (no hidden layer: the input gradient comes straight from the loss).
  it.each([
    ['mixed activations, LeakyReLU(0.2)', [Linear(6, 11), GELU({ approximate: 'tanh' }), Linear(11, 5), LeakyReLU(0.2), Linear(5, 10, { bias: false }), Sigmoid(), Linear(10, 4), Tanh(), Linear(4, 2)]],
    ['a single Linear', [Linear(13, 5)]],
  ] as [string, LayerSpec[]][])('%s', async (_name, layers) => {
    const rt = await init({ build });
    for (const loss of LOSSES) for (const batch of BATCHES) gradcheck(rt, layers, loss, batch, 7 + batch);
  });
});
