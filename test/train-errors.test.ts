// Bad input to the training API: each case must throw an Error of the right
// class whose message names the problem, and must leave the model exactly as it
// was: parameters bit for bit, the step count, and the arena's live bytes per
// category (a failed call frees whatever it allocated).
//
// Models are "warmed" by one good lossAndGradients call first, so that the
// gradients block and the GEMM packing workspace, which a model allocates once
// and keeps, already exist before the call under test.

import { describe, expect, it } from 'vitest';
import {
  activation,
  Adam,
  AdamW,
  ArgumentError,
  init,
  LeakyReLU,
  Linear,
  NonFiniteError,
  ReLU,
  Sequential,
  SGD,
  ShapeError,
  Tanh,
  type BuildName,
  type CategoryBytes,
  type LayerSpec,
  type LossKind,
  type Optimizer,
  type Runtime,
  type Target,
} from '../src/index.js';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { randomArray, rng } from './helpers/rng.js';

enableRelaxedSimdForTests();

type ErrorClass = new (...args: never[]) => Error;

/** Runs f, which must throw; returns what it threw. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, but the call returned normally');
}

function expectError(f: () => unknown, type: ErrorClass, message: RegExp): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(type);
  expect(e.message).toMatch(message);
}

interface ModelState {
  params: { name: string; bits: number[] }[];
  /** The gradients' bits, or what gradients() says when it has none. */
  grads: { name: string; bits: number[] }[] | string;
  steps: number;
  live: CategoryBytes;
}

const bitsOf = (ps: { name: string; data: Float32Array }[]) => ps.map((p) => ({ name: p.name, bits: Array.from(new Uint32Array(p.data.buffer)) }));

function stateOf(m: Sequential): ModelState {
  let grads: ModelState['grads'];
  try {
    grads = bitsOf(m.gradients());
  } catch (e) {
    grads = (e as Error).message;
  }
  return { params: bitsOf(m.parameters()), grads, steps: m.steps, live: m.runtime.arena.liveByCategory() };
}

/** f throws `type` with a message matching `message`, and the model's state is the same before and after. */
function expectRejected(m: Sequential, f: () => unknown, type: ErrorClass, message: RegExp): void {
  const before = stateOf(m);
  expectError(f, type, message);
  expect(stateOf(m)).toEqual(before);
}

const IN = 4;
const HIDDEN = 6;
const CLASSES = 3;

/** 4 -> 6 -> 3 (cross-entropy) or 4 -> 6 -> 2 (MSE), warmed by one good call. */
function warmModel(rt: Runtime, loss: LossKind, batch = 2): Sequential {
  const out = loss === 'cross_entropy' ? CLASSES : 2;
  const m = new Sequential(rt, [Linear(IN, HIDDEN), ReLU(), Linear(HIDDEN, out)], { seed: 3, loss });
  m.lossAndGradients(goodX(batch), goodTarget(loss, batch));
  return m;
}

function goodX(batch: number): Float32Array {
  return randomArray(batch * IN, rng(batch));
}

function goodTarget(loss: LossKind, batch: number): Target {
  return loss === 'cross_entropy' ? Int32Array.from({ length: batch }, (_, i) => i % CLASSES) : new Float32Array(batch * 2).fill(0.5);
}

/** The calls that take a batch and its labels or targets. */
const BATCH_CALLS: [string, (m: Sequential, x: ArrayLike<number>, t: Target) => unknown][] = [
  ['trainStep', (m, x, t) => m.trainStep(x, t, new SGD({ lr: 0.1 }))],
  ['lossAndGradients', (m, x, t) => m.lossAndGradients(x, t, { inputGradient: true })],
  ['evaluate', (m, x, t) => m.evaluate(x, t, { batchSize: 1 })],
];

describe('bad batches, labels and targets', () => {
  const badTargets: [string, LossKind, Target, ErrorClass, RegExp][] = [
    ['a label equal to the class count', 'cross_entropy', [0, 3], ArgumentError, /label 1 is 3; labels must be integers in \[0, 2\] for 3 classes/],
    ['a negative label', 'cross_entropy', [-1, 0], ArgumentError, /label 0 is -1; labels must be integers in \[0, 2\]/],
    ['a non-integer label', 'cross_entropy', new Float32Array([0, 1.5]), ArgumentError, /label 1 is 1.5; labels must be integers/],
    ['a NaN label', 'cross_entropy', [NaN, 1], ArgumentError, /label 0 is NaN/],
    ['too few labels', 'cross_entropy', [0], ShapeError, /labels has 1 entries; the batch has 2 rows/],
    ['too many labels', 'cross_entropy', [0, 1, 2], ShapeError, /labels has 3 entries; the batch has 2 rows/],
    ['MSE targets of the wrong length', 'mse', [0, 0, 0], ShapeError, /targets has 3 values; expected batch 2 x outFeatures 2 = 4/],
    ['no targets at all', 'mse', undefined as never, ArgumentError, /target must be an array/],
  ];
  describe.each(BATCH_CALLS)('%s', (_call, call) => {
    it.each(badTargets)('%s', async (_name, loss, target, type, message) => {
      const m = warmModel(await init({ build: 'simd' }), loss);
      expectRejected(m, () => call(m, goodX(2), target), type, message);
      m.dispose();
    });

    it.each([
      ['not a multiple of inFeatures', goodX(2).subarray(0, 7), ShapeError, /x has 7 values; expected a positive multiple of inFeatures = 4/],
      ['empty', new Float32Array(0), ShapeError, /x has 0 values; expected a positive multiple of inFeatures = 4/],
      ['not an array', 42 as never, ArgumentError, /x must be a Float32Array/],
    ] as [string, ArrayLike<number>, ErrorClass, RegExp][])('x %s', async (_name, x, type, message) => {
      const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
      expectRejected(m, () => call(m, x, [0, 1]), type, message);
      m.dispose();
    });
  });

  it('predict rejects x that is not a multiple of inFeatures, or empty', async () => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    expectRejected(m, () => m.predict(new Float32Array(5)), ShapeError, /x has 5 values; expected a positive multiple of inFeatures = 4/);
    expectRejected(m, () => m.predict([]), ShapeError, /x has 0 values/);
    m.dispose();
  });

  it('evaluate rejects a batch size that is not a positive integer', async () => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    for (const batchSize of [0, -4, 2.5, NaN]) {
      expectRejected(m, () => m.evaluate(goodX(2), [0, 1], { batchSize }), ArgumentError, new RegExp(`batchSize must be an integer >= 1, got ${batchSize}`));
    }
    m.dispose();
  });
});

describe.each(['simd', 'relaxed', 'scalar'] as BuildName[])('non-finite values (%s build)', (build) => {
  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('%s in x names its row and column', async (_name, bad) => {
    const m = warmModel(await init({ build }), 'cross_entropy', 3);
    const x = goodX(3);
    x[2 * IN + 3] = bad; // row 2, column 3
    const message = new RegExp(`step 1: loss is NaN because the input batch has ${bad} at row 2, column 3; parameters were not updated`);
    expectRejected(m, () => m.trainStep(x, [0, 1, 2], new SGD({ lr: 0.1 })), NonFiniteError, message);
    expectRejected(m, () => m.lossAndGradients(x, [0, 1, 2]), NonFiniteError, message);
    m.dispose();
  });

  it('a value beyond float32 in x is named as such: the batch holds it as infinity', async () => {
    const m = warmModel(await init({ build }), 'cross_entropy', 3);
    const x = Array.from(goodX(3));
    x[IN + 1] = -1e39; // row 1, column 1
    const message = /step 1: loss is NaN because the input batch has -1e\+39 \(beyond float32\) at row 1, column 1; parameters were not updated/;
    expectRejected(m, () => m.trainStep(x, [0, 1, 2], new SGD({ lr: 0.1 })), NonFiniteError, message);
    m.dispose();
  });

  it.each([
    ['an infinite', Infinity],
    ['a NaN', NaN],
  ])('%s MSE target is reported as coming from the targets', async (_name, bad) => {
    const m = warmModel(await init({ build }), 'mse');
    const targets = new Float32Array(4).fill(0.5);
    targets[3] = bad;
    expectRejected(m, () => m.trainStep(goodX(2), targets, new SGD({ lr: 0.1 })), NonFiniteError, /step 1: loss is (Infinity|NaN); .*the loss itself \(check the targets\)/);
    m.dispose();
  });

  it('a huge learning rate: the step whose loss overflows is refused, naming the step and the layer', async () => {
    const m = warmModel(await init({ build }), 'cross_entropy');
    const opt = new SGD({ lr: 1e30 });
    const x = goodX(2);
    m.trainStep(x, [0, 1], opt); // finite, but leaves weights of order 1e29
    const afterGoodStep = stateOf(m);
    // Weights of order 1e29 make the next Linear outputs overflow float32.
    expectRejected(m, () => m.trainStep(x, [0, 1], opt), NonFiniteError, /^step 2: loss is NaN; the first non-finite value appears in the output of layer \d \(linear\d\); parameters were not updated$/);
    expect(stateOf(m)).toEqual(afterGoodStep);
    expect(m.steps).toBe(1);
    opt.dispose();
    m.dispose();
  });

  // An update lr * g that overflows float32 (lr = 1e38, gradients of order 100)
  // is refused before it is written, though the loss and gradients are finite.
  it('an update that overflows float32 parameters is refused, naming the step', async () => {
    const m = warmModel(await init({ build }), 'cross_entropy');
    const x = goodX(2).map((v) => 200 * v);
    const { grads: _, ...before } = stateOf(m);
    expectError(() => m.trainStep(x, [0, 1], new SGD({ lr: 1e38 })), NonFiniteError, /^step 1: /);
    const { grads: refused, ...after } = stateOf(m);
    expect(after).toEqual(before);
    // Backward completed with finite values, so gradients() holds this batch's: only the update was refused.
    m.lossAndGradients(x, [0, 1]);
    expect(stateOf(m).grads).toEqual(refused);
  });

  it('a gradient that overflows float32 under a finite loss is refused, naming the step, parameter and layer', async () => {
    const m = warmModel(await init({ build }), 'mse');
    // Predictions near +2e38 against targets of -2e38: the float64 loss is finite,
    // but pred - target overflows float32 in the loss gradient.
    m.setParameters({ '2.weight': new Float32Array(2 * HIDDEN), '2.bias': [2e38, 2e38] }, { strict: false });
    const targets = new Float32Array(4).fill(-2e38);
    const before = stateOf(m);
    // The overflow flows back through every layer, so any parameter may be the one named.
    const message = /^step 1: gradient of (\d)\.(weight|bias) \(layer \1, linear\1\) is (-?Infinity|NaN) at index \d+; parameters were not updated$/;
    expectError(() => m.trainStep(goodX(2), targets, new Adam()), NonFiniteError, message);
    // The gradients block was overwritten by the failed backward pass: gradients() says so rather than hand out Infinity.
    expect(stateOf(m)).toEqual({ ...before, grads: expect.stringMatching(/^no gradients: step 1: gradient of/) });
    expectError(() => m.gradients(), ArgumentError, /^no gradients: step 1: gradient of .* is (-?Infinity|NaN)/);
    // A good call makes them available again.
    m.lossAndGradients(goodX(2), new Float32Array(4));
    expect(m.gradients().every((p) => p.data.every(Number.isFinite))).toBe(true);
    m.dispose();
  });
});

describe('setParameters', () => {
  const cases: [string, Record<string, ArrayLike<number>>, ErrorClass, RegExp][] = [
    ['an unknown name', { '3.weight': new Float32Array(6) }, ArgumentError, /unknown parameter '3.weight'; this model has 0.weight, 0.bias, 2.weight, 2.bias/],
    ['the wrong length', { '0.bias': new Float32Array(5) }, ShapeError, /parameter '0.bias' needs 6 values \(shape \[6\]\), got 5/],
    ['a NaN value', { '2.weight': Float32Array.from({ length: 18 }, (_, i) => (i === 4 ? NaN : 0)) }, NonFiniteError, /parameter '2.weight' has a non-finite value at index 4: NaN/],
    ['an infinite value', { '2.bias': [0, -Infinity, 0] }, NonFiniteError, /parameter '2.bias' has a non-finite value at index 1: -Infinity/],
    ['a value beyond float32', { '2.bias': [0, 0, 1e39] }, NonFiniteError, /parameter '2.bias' has a non-finite value at index 2: 1e\+39 \(beyond float32\)/],
    ['no object at all', null as never, ArgumentError, /setParameters needs \{ name: values \}, a Map, a parameters\(\) list or a weights document, got null/],
    ['a good value before a bad one', { '0.bias': new Float32Array(6).fill(7), '2.bias': [1, 2] }, ShapeError, /parameter '2.bias' needs 3 values/],
  ];
  it.each(cases)('%s leaves the model unchanged', async (_name, values, type, message) => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    expectRejected(m, () => m.setParameters(values), type, message);
    m.dispose();
  });

  it('the list form (as parameters() returns it) is checked the same way', async () => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    const list = m.parameters();
    list[3]!.data = new Float32Array(4);
    expectRejected(m, () => m.setParameters(list), ShapeError, /parameter '2.bias' needs 3 values \(shape \[3\]\), got 4/);
    m.dispose();
  });
});

describe('layer lists', () => {
  const cases: [string, LayerSpec[], ErrorClass, RegExp][] = [
    ['empty', [], ArgumentError, /a Sequential needs at least one layer/],
    ['dims that do not chain', [Linear(4, 5), ReLU(), Linear(6, 2)], ShapeError, /layer 2 \(Linear\) takes 6 features but layer 1 produces 5/],
    ['an activation first', [ReLU(), Linear(4, 2)], ArgumentError, /layer 0 \(relu\) must follow a Linear layer/],
    ['two activations in a row', [Linear(4, 5), ReLU(), Tanh(), Linear(5, 2)], ArgumentError, /layer 2 \(tanh\) must follow a Linear layer/],
    ['an activation last', [Linear(4, 5), ReLU()], ArgumentError, /the last layer must be a Linear/],
    ['an unknown activation kind', [Linear(4, 5), activation('swish' as never), Linear(5, 2)], ArgumentError, /layer 1: unknown activation 'swish'/],
    ['a zero width', [Linear(0, 5)], ArgumentError, /layer 0 inFeatures must be an integer >= 1, got 0/],
    ['a fractional width', [Linear(4, 2.5)], ArgumentError, /layer 0 outFeatures must be an integer >= 1, got 2.5/],
    ['a non-finite LeakyReLU slope', [Linear(4, 5), LeakyReLU(NaN), Linear(5, 2)], ArgumentError, /layer 1: slope must be finite, got NaN/],
    ['a LeakyReLU slope beyond float32', [Linear(4, 5), LeakyReLU(-1e39), Linear(5, 2)], ArgumentError, /layer 1: slope must be finite in float32, got -1e\+39/],
    ['something that is not a layer', [Linear(4, 5), null as never, Linear(5, 2)], ArgumentError, /layer 1 is not a layer description/],
  ];
  it.each(cases)('%s', async (_name, layers, type, message) => {
    const rt = await init({ build: 'simd' });
    const live = rt.arena.liveByCategory();
    expectError(() => new Sequential(rt, layers), type, message);
    expect(rt.arena.liveByCategory()).toEqual(live);
  });

  it.each([
    ['a string', 'seven'],
    ['a fraction', 1.5],
    ['NaN', NaN],
  ])('a seed that is %s', async (_name, seed) => {
    const rt = await init({ build: 'simd' });
    const live = rt.arena.liveByCategory();
    expectError(() => new Sequential(rt, [Linear(4, 2)], { seed: seed as never }), ArgumentError, new RegExp(`seed must be an integer >= 0, got ${typeof seed === 'string' ? `"${seed}"` : seed}`));
    expect(rt.arena.liveByCategory()).toEqual(live);
  });

  it('an unknown loss', async () => {
    const rt = await init({ build: 'simd' });
    const live = rt.arena.liveByCategory();
    expectError(() => new Sequential(rt, [Linear(4, 2)], { loss: 'hinge' as never }), ArgumentError, /loss must be 'cross_entropy' or 'mse', got "hinge"/);
    expect(rt.arena.liveByCategory()).toEqual(live);
  });

  // Names inherited from Object.prototype must not pass as activation kinds.
  it.each(['constructor', 'toString', '__proto__'])('an activation kind named like an Object.prototype property (%s) is unknown', async (kind) => {
    const rt = await init({ build: 'simd' });
    expectError(() => new Sequential(rt, [Linear(4, 5), activation(kind as never), Linear(5, 2)]), ArgumentError, /unknown activation/);
  });
});

describe('optimizer options', () => {
  it.each([
    ['SGD with a negative lr', () => new SGD({ lr: -0.1 }), /SGD lr must be >= 0, got -0.1/],
    ['SGD without an lr', () => new SGD({} as never), /SGD lr must be a finite number, got undefined/],
    ['SGD with a NaN lr', () => new SGD({ lr: NaN }), /SGD lr must be a finite number, got NaN/],
    ['SGD with negative momentum', () => new SGD({ lr: 0.1, momentum: -0.9 }), /SGD momentum must be >= 0, got -0.9/],
    ['SGD with negative weight decay', () => new SGD({ lr: 0.1, weightDecay: -1 }), /SGD weightDecay must be >= 0, got -1/],
    ['SGD nesterov without momentum', () => new SGD({ lr: 0.1, nesterov: true }), /nesterov momentum requires momentum > 0 and dampening = 0/],
    ['SGD nesterov with dampening', () => new SGD({ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /nesterov momentum requires momentum > 0 and dampening = 0/],
    ['Adam with a negative lr', () => new Adam({ lr: -1e-3 }), /Adam lr must be >= 0, got -0.001/],
    ['Adam with beta1 = 1', () => new Adam({ betas: [1, 0.999] }), /Adam betas\[0\] must be in \[0, 1\), got 1/],
    ['Adam with a negative beta2', () => new Adam({ betas: [0.9, -0.1] }), /Adam betas\[1\] must be in \[0, 1\), got -0.1/],
    ['Adam with a NaN beta', () => new Adam({ betas: [NaN, 0.999] }), /Adam betas\[0\] must be in \[0, 1\), got NaN/],
    ['Adam with a negative eps', () => new Adam({ eps: -1e-8 }), /Adam eps must be >= 0, got -1e-8/],
    ['AdamW with beta2 above 1', () => new AdamW({ betas: [0.9, 1.5] }), /AdamW betas\[1\] must be in \[0, 1\), got 1.5/],
    ['AdamW with an infinite weight decay', () => new AdamW({ weightDecay: Infinity }), /AdamW weightDecay must be a finite number, got Infinity/],
  ] as [string, () => Optimizer, RegExp][])('%s', (_name, make, message) => {
    expectError(make, ArgumentError, message);
  });

  // The core computes in float32: an option above 3.4e38 would become Infinity there.
  it.each([
    ['SGD lr', () => new SGD({ lr: 1e300 })],
    ['Adam lr', () => new Adam({ lr: 1e39 })],
    ['AdamW eps', () => new AdamW({ eps: 1e39 })],
  ] as [string, () => Optimizer][])('%s beyond the float32 range', (_name, make) => {
    expectError(make, ArgumentError, /float32|must be/);
  });

  // A missing beta would reach the core as NaN and silently poison every parameter.
  it('Adam with betas of the wrong length', () => {
    expectError(() => new Adam({ betas: [0.9] as never }), ArgumentError, /betas/);
  });

  // Called from JavaScript without options: a named error, not a TypeError.
  it('SGD with no options object', () => {
    expectError(() => new SGD(undefined as never), ArgumentError, /SGD needs options with lr/);
  });
});

describe('lifetimes', () => {
  it('one optimizer used with two models is refused, and the first model keeps training', async () => {
    const rt = await init({ build: 'simd' });
    const a = warmModel(rt, 'cross_entropy');
    const b = warmModel(rt, 'cross_entropy');
    const x = goodX(2);
    for (const opt of [new Adam(), new SGD({ lr: 0.1, momentum: 0.9 }), new SGD({ lr: 0.1 })]) {
      a.trainStep(x, [0, 1], opt);
      expectRejected(b, () => b.trainStep(x, [0, 1], opt), ArgumentError, /this optimizer already holds state for another model; create one optimizer per model/);
      const before = a.parameters()[0]!.data;
      a.trainStep(x, [0, 1], opt);
      expect(a.parameters()[0]!.data).not.toEqual(before);
      opt.dispose();
    }
    expect(a.steps).toBe(6);
    expect(b.steps).toBe(0);
    a.dispose();
    b.dispose();
  });

  it('every method of a disposed model says so, and dispose frees what the model held', async () => {
    const rt = await init({ build: 'simd' });
    const live = rt.arena.liveByCategory();
    const m = warmModel(rt, 'cross_entropy');
    const opt = new Adam();
    m.trainStep(goodX(2), [0, 1], opt);
    opt.dispose();
    const workspace = rt.arena.live('workspace'); // the GEMM packing workspace belongs to the runtime and may have grown
    m.dispose();
    expect(rt.arena.liveByCategory()).toEqual({ ...live, workspace });
    m.dispose(); // a second dispose is a no-op

    const calls: [string, () => unknown][] = [
      ['predict', () => m.predict(goodX(2))],
      ['forward', () => m.forward(goodX(2))],
      ['evaluate', () => m.evaluate(goodX(2), [0, 1])],
      ['trainStep', () => m.trainStep(goodX(2), [0, 1], new SGD({ lr: 0.1 }))],
      ['lossAndGradients', () => m.lossAndGradients(goodX(2), [0, 1])],
      ['parameters', () => m.parameters()],
      ['gradients', () => m.gradients()],
      ['setParameters', () => m.setParameters({ '0.bias': new Float32Array(HIDDEN) })],
      ['parameterBlock', () => m.parameterBlock()],
    ];
    for (const [, call] of calls) expectError(call, ArgumentError, /this model was disposed/);
    expect(rt.arena.liveByCategory()).toEqual({ ...live, workspace });
  });

  it('gradients before any step is an error, not stale memory', async () => {
    const m = new Sequential(await init({ build: 'simd' }), [Linear(IN, 2)]);
    expectError(() => m.gradients(), ArgumentError, /no gradients yet: run trainStep or lossAndGradients first/);
    m.dispose();
  });
});

describe('refusals come before any state changes', () => {
  it('an optimizer bound to another model is refused before the forward pass: no gradients block, nothing overwritten', async () => {
    const rt = await init({ build: 'simd' });
    const a = warmModel(rt, 'cross_entropy');
    const opt = new Adam();
    a.trainStep(goodX(2), [0, 1], opt);
    const fresh = new Sequential(rt, [Linear(IN, HIDDEN), ReLU(), Linear(HIDDEN, CLASSES)], { seed: 4 });
    expectRejected(fresh, () => fresh.trainStep(goodX(2), [0, 1], opt), ArgumentError, /already holds state for another model/);
    const warm = warmModel(rt, 'cross_entropy');
    expectRejected(warm, () => warm.trainStep(goodX(2), [1, 0], opt), ArgumentError, /already holds state for another model/);
  });

  it('an optimizer bound to a model of another runtime is refused the same way', async () => {
    const opt = new SGD({ lr: 0.1, momentum: 0.9 });
    const a = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    a.trainStep(goodX(2), [0, 1], opt);
    const b = warmModel(await init({ build: 'scalar' }), 'cross_entropy');
    expectRejected(b, () => b.trainStep(goodX(2), [0, 1], opt), ArgumentError, /already holds state for another model/);
  });

  it.each([
    ['no optimizer', undefined, /trainStep needs an optimizer .*got none; use lossAndGradients/],
    ['null', null, /trainStep needs an optimizer .*got null/],
    ['an empty object', {}, /trainStep needs an optimizer .*got an object that is not one/],
    ['options instead of an optimizer', { lr: 0.1 }, /trainStep needs an optimizer/],
    ['a string', 'adam', /trainStep needs an optimizer .*got "adam"/],
  ])('trainStep with %s is an ArgumentError and changes nothing', async (_name, optimizer, message) => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    expectRejected(m, () => m.trainStep(goodX(2), [0, 1], optimizer as never), ArgumentError, message);
  });

  it.each([
    ['a negative length', { length: -4 }],
    ['a fractional length', { length: 4.5 }],
    ['a string', 'abcd'],
    ['null', null],
  ])('x with %s is an ArgumentError', async (_name, x) => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    for (const [, call] of BATCH_CALLS) expectRejected(m, () => call(m, x as never, [0]), ArgumentError, /x must be a Float32Array/);
    expectRejected(m, () => m.predict(x as never), ArgumentError, /x must be a Float32Array/);
  });

  it('labels given as { length: -1 } are an ArgumentError', async () => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    expectRejected(m, () => m.lossAndGradients(goodX(2), { length: -1 } as never), ArgumentError, /target must be an array/);
  });

  it.each([
    ['null options', null, /lossAndGradients: options must be an object, got null/],
    ['a non-boolean inputGradient', { inputGradient: 'yes' }, /inputGradient must be a boolean \(true or false\), got "yes"/],
    ['a misspelt option', { inputGrad: true }, /lossAndGradients: unknown option "inputGrad"; known options: inputGradient/],
  ])('lossAndGradients with %s', async (_name, options, message) => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    expectRejected(m, () => m.lossAndGradients(goodX(2), [0, 1], options as never), ArgumentError, message);
  });

  it.each([
    ['null options', null, /evaluate: options must be an object, got null/],
    ['a misspelt option', { batch: 2 }, /evaluate: unknown option "batch"/],
  ])('evaluate with %s', async (_name, options, message) => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    expectRejected(m, () => m.evaluate(goodX(2), [0, 1], options as never), ArgumentError, message);
  });

  // NaN compares false with everything, so an argmax over it used to name class 0.
  it('evaluate over outputs that are not finite is a NonFiniteError, not the share of label-0 rows', async () => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    const x = goodX(2);
    x[IN] = NaN; // row 1
    expectRejected(m, () => m.evaluate(x, [0, 0]), NonFiniteError, /evaluate: the model's output for row 1 is NaN at column 0/);
  });
});

describe('options are checked as what they are', () => {
  it.each([
    ['SGD nesterov as a string', () => new SGD({ lr: 0.1, momentum: 0.9, nesterov: 'yes' as never }), /SGD nesterov must be a boolean \(true or false\), got "yes"/],
    ['SGD with a misspelt option', () => new SGD({ lr: 0.1, weight_decay: 0.1 } as never), /SGD: unknown option "weight_decay"; known options: lr, momentum, dampening, nesterov, weightDecay/],
    ['Adam with a misspelt option', () => new Adam({ lr: 0.1, beta1: 0.8 } as never), /Adam: unknown option "beta1"/],
    ['AdamW with null options', () => new AdamW(null as never), /AdamW: options must be an object, got null/],
    ['Adam with a beta as a string', () => new Adam({ betas: ['0.9', 0.999] as never }), /Adam betas\[0\] must be in \[0, 1\), got "0.9"/],
  ] as [string, () => Optimizer, RegExp][])('%s', (_name, make, message) => {
    expectError(make, ArgumentError, message);
  });

  it.each([
    ['undefined', undefined],
    ['an empty object', {}],
    ['a number', 3],
  ])('a Sequential given %s for its runtime is an ArgumentError', (_name, rt) => {
    expectError(() => new Sequential(rt as never, [Linear(2, 2)]), ArgumentError, /Sequential needs a Runtime from init\(\), got/);
  });

  it.each([
    ['inplace as a string', { inplace: 'false' }, /inplace must be a boolean \(true or false\), got "false"/],
    ['a misspelt option', { checkpoints: [1] }, /Sequential: unknown option "checkpoints"; known options: seed, loss, inplace, checkpoint/],
    ['null options', null, /Sequential: options must be an object, got null/],
  ])('a Sequential with %s', async (_name, options, message) => {
    const rt = await init({ build: 'simd' });
    const live = rt.arena.liveByCategory();
    expectError(() => new Sequential(rt, [Linear(2, 2), ReLU(), Linear(2, 2)], options as never), ArgumentError, message);
    expect(rt.arena.liveByCategory()).toEqual(live);
  });
});

describe('setParameters takes every form a state dict comes in, and checks shapes', () => {
  it('a Map sets what it names', async () => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    m.setParameters(new Map([['2.bias', [1, 2, 3]]]), { strict: false });
    expect(Array.from(m.parameters()[3]!.data)).toEqual([1, 2, 3]);
    expectRejected(m, () => m.setParameters(new Map([['2.bias', [1, 2]]]), { strict: false }), ShapeError, /parameter '2.bias' needs 3 values/);
  });

  it('a list entry whose shape is transposed is a ShapeError, though its length fits', async () => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    const list = m.parameters();
    list[2]!.shape = [HIDDEN, CLASSES]; // 2.weight is [3, 6]
    expectRejected(m, () => m.setParameters(list), ShapeError, /parameter '2.weight' has shape \[3, 6\], got \[6, 3\]/);
  });

  it.each([
    ['null values', { '0.bias': null }, ArgumentError, /parameter '0.bias' needs a Float32Array or array of numbers, got null/],
    ['a number for values', { '0.bias': 3 }, ArgumentError, /parameter '0.bias' needs a Float32Array or array of numbers, got 3/],
    ['a string among the values', { '2.bias': [0, '1', 0] }, ArgumentError, /parameter '2.bias' has a value that is not a number at index 1: "1"/],
    ['a Float32Array instead of a dict', new Float32Array(3), ArgumentError, /setParameters needs \{ name: values \}, a Map, a parameters\(\) list or a weights document/],
    ['a list entry that is not a parameter', [null], ArgumentError, /setParameters list entry 0 must be \{ name, shape, data \}/],
    ['a name given twice', [{ name: '2.bias', shape: [3], data: new Float32Array(3) }, { name: '2.bias', shape: [3], data: new Float32Array(3) }], ArgumentError, /parameter '2.bias' is given twice/],
  ])('%s', async (_name, values, type, message) => {
    const m = warmModel(await init({ build: 'simd' }), 'cross_entropy');
    expectRejected(m, () => m.setParameters(values as never), type, message);
  });
});
