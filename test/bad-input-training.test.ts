// Property: any one bad argument or option to the training surface (building a
// model and its layers, predict, evaluate, trainStep, lossAndGradients,
// setParameters, the optimizers, profileMlp, the weights-file and IDX
// parsers) is refused with one of wasmgrad's typed errors, on one short line,
// quickly, with the model (parameters bit for bit, gradients, step count),
// the arena's live bytes and the caller's arrays as they were; and a model
// that refused bad calls between good ones trains exactly as one that never
// saw them.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIdx, parseImages, parseLabels } from '../src/data/idx.js';
import {
  ACTIVATION_KINDS, Adam, ArgumentError, NonFiniteError, AdamW, GELU, LeakyReLU, Linear, SGD, SiLU, Sequential, activation, init, mlp, profileMlp,
  type LayerSpec, type Optimizer, type Runtime,
} from '../src/index.js';
import { parseWeights, weightsOf } from '../src/train/weights-file.js';
import {
  anyBadValue, badBoolean, badFloat32, badInteger, badName, badNumberList, badNumbers, badOptions, badRuntime, badType, oneBadArgument,
} from './helpers/bad-values.js';
import { expectRefused, expectTypedOneLine, TIME_LIMIT_MS, thrownBy, withArgument } from './helpers/refusal.js';
import { randomArray, rng } from './helpers/rng.js';

const NUM_RUNS = 120;
const params = { numRuns: NUM_RUNS, seed: 15 };

const IN = 4, HIDDEN = 5, OUT = 3, BATCH = 2;
const layers = (): LayerSpec[] => mlp([IN, HIDDEN, OUT], 'leaky_relu');

/** Everything a refused call must leave as it was: parameters bit for bit, gradients (or why there are none), steps, live bytes. */
function modelState(model: Sequential): unknown {
  const bits = (ps: { name: string; shape: number[]; data: Float32Array }[]) =>
    ps.map((p) => ({ name: p.name, shape: p.shape, bits: Array.from(new Uint32Array(p.data.buffer, p.data.byteOffset, p.data.length)) }));
  let gradients: unknown;
  try {
    gradients = bits(model.gradients());
  } catch (e) {
    gradients = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return { parameters: bits(model.parameters()), gradients, steps: model.steps, live: model.runtime.arena.liveByCategory() };
}

const goodBatch = (next: () => number, rows = BATCH) => randomArray(rows * IN, next);
const goodLabels = (next: () => number, rows = BATCH) => Int32Array.from({ length: rows }, () => Math.floor(next() * OUT));

/** Label arrays that are not `rows` class indices in [0, OUT). */
const badLabels = (rows: number) =>
  fc.oneof(
    badType,
    fc.constantFrom<unknown>(new Int32Array(rows + 1), new Int32Array(Math.max(0, rows - 1)), { length: -rows }, { length: rows }),
    fc.tuple(fc.nat({ max: rows - 1 }), fc.oneof(fc.integer({ min: OUT, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: -1 }), badNumber())).map(([at, v]) => {
      const labels: unknown[] = new Array(rows).fill(0);
      labels[at] = v;
      return labels;
    }),
    badNumbers(rows),
  );
const badNumber = () => fc.oneof(badType, fc.constantFrom<unknown>(NaN, Infinity, 0.5, '1', true));
/** Batches that are not rows of IN numbers: lengths that are no multiple of IN, and what badNumberList gives. */
const badBatch = badNumberList(IN * BATCH).filter((x) => !(x instanceof Float32Array && x.length > 0 && x.length % IN === 0));

describe('bad input to the training surface is refused, and changes nothing', () => {
  let rt: Runtime;
  let model: Sequential;
  let mseModel: Sequential;
  let optimizer: Optimizer;
  const next = rng(7);
  beforeAll(async () => {
    rt = await init({ fresh: true });
    model = new Sequential(rt, layers(), { seed: 3 });
    mseModel = new Sequential(rt, layers(), { seed: 4, loss: 'mse' });
    optimizer = new Adam({ lr: 0.01 });
    // A step first, so there are gradients and optimizer state a bad call could disturb.
    model.trainStep(goodBatch(next), goodLabels(next), optimizer);
  });

  /** Refused, with the arena's live bytes and both models as they were. */
  const refused = (call: () => unknown, inputs: readonly unknown[] = []) =>
    expectRefused(call, inputs, () => [modelState(model), modelState(mseModel)]);

  const badLayerList = fc.oneof(
    anyBadValue.filter((v) => !Array.isArray(v)),
    fc.constant([]),
    fc.array(badType, { minLength: 1, maxLength: 3 }),
    fc.constantFrom<unknown>(
      [Linear(IN, OUT), Linear(IN + 1, OUT)], // widths do not chain
      [activation('relu'), Linear(IN, OUT)], // activation first
      [Linear(IN, OUT), activation('relu')], // activation last
      [Linear(IN, OUT), activation('relu'), activation('tanh'), Linear(OUT, 2)],
      [Linear(2 ** 20, 2 ** 20)], // 4 TiB of weights: more than wasm32 holds
      [Linear(2 ** 27, 2 ** 27)], // more weights than a double counts exactly
    ),
    fc.record({ type: fc.constant('linear'), inFeatures: badInteger, outFeatures: fc.constant(OUT), bias: fc.constant(true) }).map((l) => [l]),
    fc.record({ type: fc.constant('linear'), inFeatures: fc.constant(IN), outFeatures: fc.constant(OUT), bias: badBoolean }).map((l) => [l]),
    fc.oneof(fc.record({ kind: badName(ACTIVATION_KINDS), slope: fc.constant(0) }), fc.record({ kind: fc.constantFrom(...ACTIVATION_KINDS), slope: badFloat32 }))
      .map((a) => [Linear(IN, HIDDEN), { type: 'activation', ...a }, Linear(HIDDEN, OUT)]),
  );
  const badSequentialOptions = badOptions({
    seed: fc.oneof(badInteger, fc.constantFrom<unknown>(2 ** 32, -1)),
    loss: badName(['cross_entropy', 'mse']),
    inplace: badBoolean,
    checkpoint: fc.oneof(anyBadValue.filter((v) => !Array.isArray(v)), fc.array(fc.oneof(badInteger, fc.constantFrom(0, 2, 3, 99)), { minLength: 1, maxLength: 3 }), fc.constant([1, 1])),
  });

  it('new Sequential(rt, layers, options)', () => {
    fc.assert(
      fc.property(oneBadArgument([badRuntime, badLayerList, badSequentialOptions]), ([at, value]) => {
        const args = withArgument([rt, layers(), { seed: 1 }], at, value);
        refused(() => new Sequential(...(args as [Runtime, LayerSpec[], object])), [args[1]]);
      }),
      params,
    );
  });

  // A layer constructor given a bad argument (or a spec it made, edited) is refused by the time a model is built from it.
  it('Linear, LeakyReLU, GELU, SiLU, activation and mlp with bad arguments never make a model', () => {
    /** A call that shows as `label` in a counterexample. */
    const labelled = (label: string, call: () => unknown) => Object.assign(call, { [fc.toStringMethod]: () => label });
    const args = (list: unknown[]) => list.map((v) => fc.stringify(v)).join(', ');
    const inside = (label: string, layer: () => unknown) =>
      labelled(`[Linear, ${label}, Linear]`, () => new Sequential(rt, [Linear(IN, HIDDEN), layer() as LayerSpec, Linear(HIDDEN, OUT)]));
    const cases: fc.Arbitrary<() => unknown>[] = [
      oneBadArgument([badInteger, badInteger, badOptions({ bias: badBoolean })]).map(([at, v]) => {
        const a = withArgument([IN, OUT, { bias: true }], at, v);
        return labelled(`[Linear(${args(a)})]`, () => new Sequential(rt, [(Linear as (...a: unknown[]) => LayerSpec)(...a)]));
      }),
      badFloat32.map((v) => inside(`LeakyReLU(${args([v])})`, () => LeakyReLU(v as number))),
      badOptions({ approximate: badName(['none', 'tanh']) }).map((v) => inside(`GELU(${args([v])})`, () => GELU(v as never))),
      fc.constantFrom(...ACTIVATION_KINDS).chain((kind) => badFloat32.map((v) => inside(`{ ...activation('${kind}'), slope: ${args([v])} }`, () => ({ ...activation(kind), slope: v })))),
      fc.constant(inside("{ ...SiLU(), kind: 'silu ' }", () => ({ ...SiLU(), kind: 'silu ' }))),
      oneBadArgument([badName(ACTIVATION_KINDS), badFloat32]).map(([at, v]) => {
        const a = withArgument(['leaky_relu', 0.1], at, v);
        return inside(`activation(${args(a)})`, () => (activation as (...a: unknown[]) => unknown)(...a));
      }),
      oneBadArgument([
        fc.oneof(anyBadValue.filter((v) => !Array.isArray(v)), fc.constantFrom<unknown>([], [IN]), fc.tuple(badInteger, fc.constant(OUT)).map((t) => [...t])),
        badName(ACTIVATION_KINDS),
        badOptions({ bias: badBoolean, slope: badFloat32 }),
      ]).map(([at, v]) => {
        const a = withArgument([[IN, HIDDEN, OUT], 'leaky_relu', {}], at, v);
        return labelled(`mlp(${args(a)})`, () => new Sequential(rt, (mlp as (...a: unknown[]) => LayerSpec[])(...a)));
      }),
    ];
    fc.assert(fc.property(fc.oneof(...cases), (call) => refused(call)), params);
  });

  it('predict(x) and forward(x)', () => {
    fc.assert(fc.property(badBatch, fc.boolean(), (x, viaForward) => refused(() => (viaForward ? model.forward(x as never) : model.predict(x as never)), [x])), params);
  });

  it('evaluate(x, target, options)', () => {
    fc.assert(
      fc.property(oneBadArgument([badBatch, badLabels(BATCH), badOptions({ batchSize: fc.oneof(badInteger, fc.constant(0)) })]), ([at, value]) => {
        const args = withArgument([goodBatch(next), goodLabels(next), { batchSize: 1 }], at, value);
        refused(() => (model.evaluate as (...a: unknown[]) => unknown)(...args), args.slice(0, 2));
      }),
      params,
    );
  });

  const badTarget = (m: Sequential) => (m.loss === 'mse' ? fc.oneof(badNumberList(BATCH * OUT), fc.constant(new Float32Array(BATCH * OUT).fill(NaN))) : badLabels(BATCH));
  const nonFiniteBatch = fc.tuple(fc.nat({ max: BATCH * IN - 1 }), fc.constantFrom(NaN, Infinity, -Infinity, 1e39)).map(([at, v]) => {
    const x: number[] = new Array(BATCH * IN).fill(0.5);
    x[at] = v;
    return x;
  });
  const goodTarget = (m: Sequential) => (m.loss === 'mse' ? randomArray(BATCH * OUT, next) : goodLabels(next));

  /** One of the two models (cross-entropy, MSE) and one bad argument among `generators(model)`. */
  const modelAndBadArgument = (generators: (m: Sequential) => fc.Arbitrary<unknown>[]) =>
    fc.constantFrom(0, 1).chain((i) => {
      const m = [model, mseModel][i]!;
      return oneBadArgument(generators(m)).map(([at, value]) => [m, at, value] as const);
    });

  it('trainStep(x, target, optimizer)', () => {
    const otherModel = new Sequential(rt, layers(), { seed: 9 });
    const boundElsewhere = new SGD({ lr: 0.1, momentum: 0.9 });
    otherModel.trainStep(goodBatch(next), goodLabels(next), boundElsewhere);
    const badOptimizer = fc.oneof(anyBadValue, fc.constantFrom<unknown>({ step: () => -1 }, boundElsewhere));
    fc.assert(
      fc.property(modelAndBadArgument((m) => [fc.oneof(badBatch, nonFiniteBatch), badTarget(m), badOptimizer]), ([m, at, value]) => {
        const args = withArgument([goodBatch(next), goodTarget(m), optimizer], at, value);
        refused(() => (m.trainStep as (...a: unknown[]) => unknown).call(m, ...args), args.slice(0, 2));
      }),
      params,
    );
    otherModel.dispose();
    boundElsewhere.dispose();
  });

  it('lossAndGradients(x, target, options)', () => {
    fc.assert(
      fc.property(modelAndBadArgument((m) => [fc.oneof(badBatch, nonFiniteBatch), badTarget(m), badOptions({ inputGradient: badBoolean })]), ([m, at, value]) => {
        const args = withArgument([goodBatch(next), goodTarget(m), { inputGradient: true }], at, value);
        refused(() => (m.lossAndGradients as (...a: unknown[]) => unknown).call(m, ...args), args.slice(0, 2));
      }),
      params,
    );
  });

  it('setParameters(values)', () => {
    const named = model.parameters();
    const badValues = fc.oneof(
      anyBadValue.filter((v) => typeof v !== 'object' || v === null || ArrayBuffer.isView(v)),
      fc.string({ maxLength: 70 }).filter((n) => !named.some((p) => p.name === n)).map((n) => ({ [n]: new Float32Array(1) })),
      fc.constantFrom(...named).chain((p) => fc.oneof(badNumberList(p.data.length), fc.constant(new Float32Array(p.data.length).fill(NaN)), fc.constant(new Array(p.data.length).fill(1e39))).map((data) => ({ [p.name]: data }))),
      fc.tuple(fc.constantFrom(...named), fc.oneof(badType, fc.constant([HIDDEN * IN]), fc.constant([IN, HIDDEN]))).map(([p, shape]) => [{ name: p.name, shape, data: p.data }]),
      fc.constantFrom(...named).map((p) => new Map([[p.name, new Float32Array(p.data.length + 1)]])),
      fc.constantFrom(...named).map((p) => [p, p]),
      fc.array(badType, { minLength: 1, maxLength: 2 }),
    );
    fc.assert(fc.property(badValues, (values) => refused(() => model.setParameters(values as never), [values])), params);
  });

  it('gradients() before any gradients, and every method of a disposed model', () => {
    const fresh = new Sequential(rt, layers(), { seed: 5 });
    refused(() => fresh.gradients());
    const disposed = new Sequential(rt, layers(), { seed: 5 });
    disposed.dispose();
    const methods = [
      () => disposed.parameters(), () => disposed.gradients(), () => disposed.predict(goodBatch(next)), () => disposed.setParameters({}),
      () => disposed.trainStep(goodBatch(next), goodLabels(next), new SGD({ lr: 0.1 })), () => disposed.lossAndGradients(goodBatch(next), goodLabels(next)),
      () => disposed.evaluate(goodBatch(next), goodLabels(next)), () => disposed.parameterBlock(),
    ];
    for (const call of methods) refused(call);
    fresh.dispose();
  });

  it('new SGD(options), new Adam(options), new AdamW(options)', () => {
    const sgd = badOptions({ lr: fc.oneof(badFloat32, fc.constant(-1)), momentum: fc.oneof(badFloat32, fc.constant(-0.5)), dampening: badFloat32, nesterov: badBoolean, weightDecay: fc.oneof(badFloat32, fc.constant(-1)) });
    const adam = badOptions({
      lr: fc.oneof(badFloat32, fc.constant(-1)),
      betas: fc.oneof(anyBadValue, fc.constantFrom<unknown>([0.9], [0.9, 0.999, 0.5], [1, 0.999], [0.9, -0.1], [0.9, NaN], ['0.9', 0.999])),
      eps: fc.oneof(badFloat32, fc.constant(-1e-8)),
      weightDecay: fc.oneof(badFloat32, fc.constant(-1)),
    });
    const made = fc.oneof(
      sgd.map((o) => () => new SGD(o as never)),
      fc.constant(() => new SGD({ lr: 0.1, nesterov: true })),
      adam.map((o) => () => new Adam(o as never)),
      adam.map((o) => () => new AdamW(o as never)),
    );
    fc.assert(fc.property(made, (call) => refused(call)), params);
  });

  it('profileMlp(options) rejects, never throws', async () => {
    const badProfile = badOptions({
      layers: badLayerList,
      batches: fc.oneof(anyBadValue.filter((v) => !Array.isArray(v)), fc.constant([]), fc.array(badInteger, { minLength: 1, maxLength: 2 }), fc.constant([0])),
      batch: fc.oneof(badInteger, fc.constant(0)),
      optimizer: badName(['sgd', 'sgd-momentum', 'adam', 'adamw']),
      loss: badName(['cross_entropy', 'mse']),
      inplace: badBoolean,
      checkpoint: fc.oneof(anyBadValue.filter((v) => !Array.isArray(v)), fc.constant([0])),
      build: badName(['auto', 'relaxed', 'simd', 'scalar']),
      seed: fc.oneof(badInteger, fc.constant(2 ** 32)),
      lr: fc.oneof(badFloat32, fc.constant(-1)),
    });
    await fc.assert(
      fc.asyncProperty(badProfile, async (patch) => {
        const options = typeof patch === 'object' && patch !== null && !Array.isArray(patch) ? { layers: layers(), ...patch } : patch;
        let pending: Promise<unknown> | undefined;
        const start = performance.now();
        expect(() => (pending = profileMlp(options as never))).not.toThrow();
        const error = await pending!.then(() => undefined, (e: unknown) => e ?? new Error('rejected with nothing'));
        expect(performance.now() - start).toBeLessThan(TIME_LIMIT_MS);
        expect(error, 'profileMlp must reject').toBeDefined();
        expectTypedOneLine(error);
      }),
      { numRuns: 80, seed: 15 },
    );
  });

  it('parseWeights(text, source)', () => {
    const good = weightsOf(model);
    // Values no field of a weights file takes (numbers are added where a field refuses them).
    const notANumber = fc.oneof(fc.constantFrom<unknown>(null, true, '', 'x'.repeat(100), [], {}, [1]), fc.string({ maxLength: 8 }).filter((k) => !(ACTIVATION_KINDS as readonly string[]).includes(k)));
    const notACount = fc.oneof(notANumber, fc.constantFrom<unknown>(0, -1, 1.5, 1e39, 2 ** 53));
    /** The good document as text with the value at `path` replaced by one from `values`. */
    const edited = (values: fc.Arbitrary<unknown>, path: (doc: Record<string, any>) => [Record<string, unknown> | unknown[], string | number]) =>
      values.map((v) => {
        const doc = structuredClone(good) as Record<string, any>;
        const [owner, key] = path(doc);
        (owner as Record<string | number, unknown>)[key] = v;
        return JSON.stringify(doc);
      });
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('', '{', '[]', 'null', '"weights"', '{"format":"wasmgrad.weights/1"}', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, JSON.stringify({ ...good, format: 'x'.repeat(1_000_000) })),
      edited(notACount, (d) => [d, 'format']), edited(notACount, (d) => [d, 'layers']), edited(notACount, (d) => [d, 'parameters']),
      ...['type', 'inFeatures', 'outFeatures', 'bias'].map((key) => edited(notACount, (d) => [d.layers[0], key])),
      edited(notANumber, (d) => [d.layers[1], 'kind']), edited(fc.oneof(notANumber, fc.constant(1e39)), (d) => [d.layers[1], 'slope']),
      ...['name', 'shape', 'data'].map((key) => edited(notACount, (d) => [d.parameters[0], key])),
      edited(notACount, (d) => [d.parameters[3], 'name']),
      fc.nat({ max: IN * HIDDEN - 1 }).chain((k) => edited(fc.oneof(notANumber, fc.constant(1e39)), (d) => [d.parameters[0].data, k])),
      fc.constant(JSON.stringify({ ...good, parameters: [...good.parameters, good.parameters[0]] })),
    );
    fc.assert(fc.property(text, fc.oneof(fc.constant('weights'), fc.string({ maxLength: 10 })), (t, source) => {
      const { error, threw, ms } = thrownBy(() => parseWeights(t, source));
      expect(ms).toBeLessThan(TIME_LIMIT_MS);
      expect(threw, 'parseWeights must refuse').toBe(true);
      expectTypedOneLine(error);
    }), params);
  });

  it('parseIdx, parseImages and parseLabels', () => {
    const header = (type: number, dims: number[]) => {
      const out = new Uint8Array(4 + 4 * dims.length);
      out[2] = type;
      out[3] = dims.length;
      const view = new DataView(out.buffer);
      dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
      return out;
    };
    const withData = (h: Uint8Array, n: number) => {
      const out = new Uint8Array(h.length + n);
      out.set(h);
      return out;
    };
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.tuple(fc.constantFrom(0x08, 0x09, 0x0d, 0xff), fc.array(fc.nat({ max: 6 }), { maxLength: 4 }), fc.integer({ min: -3, max: 3 })).map(([type, dims, extra]) => {
        const h = header(type, dims);
        return withData(h, Math.max(0, dims.reduce((a, b) => a * b, 1) + extra));
      }),
      fc.array(fc.integer({ min: 2 ** 16, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 4 }).map((dims) => header(0x08, dims)),
      fc.constantFrom(new Uint8Array([0x1f, 0x8b, 8, 0]), header(0x08, [0, 2, 2]), withData(header(0x08, [0]), 0)),
    );
    const parsers = [
      (b: Uint8Array) => parseIdx(b, 'f', 3),
      (b: Uint8Array) => parseImages(b, 'images'),
      (b: Uint8Array) => parseLabels(b, 'labels'),
    ];
    let refusals = 0;
    fc.assert(fc.property(bytes, fc.nat({ max: 2 }), (b, which) => {
      const before = Array.from(b);
      const { error, threw, ms } = thrownBy(() => parsers[which]!(b));
      expect(ms).toBeLessThan(TIME_LIMIT_MS);
      expect(Array.from(b)).toEqual(before);
      // Random bytes are sometimes a valid file; those must not throw anything.
      if (threw) {
        refusals++;
        expectTypedOneLine(error);
      }
    }), { numRuns: 300, seed: 15 });
    expect(refusals).toBeGreaterThan(200);
  });

  it('a model that refused bad calls between good steps trains exactly as one that never saw them', () => {
    const badCall = fc.oneof(
      badBatch.map((x) => (m: Sequential, o: Optimizer) => m.trainStep(x as never, goodLabels(next), o)),
      badLabels(BATCH).map((y) => (m: Sequential, o: Optimizer) => m.trainStep(goodBatch(next), y as never, o)),
      nonFiniteBatch.map((x) => (m: Sequential, o: Optimizer) => m.trainStep(x, goodLabels(next), o)),
      badOptions({ inputGradient: badBoolean }).map((opts) => (m: Sequential) => m.lossAndGradients(goodBatch(next), goodLabels(next), opts as never)),
      badNumberList(IN * HIDDEN).map((w) => (m: Sequential) => m.setParameters({ '0.weight': w as never })),
      badBatch.map((x) => (m: Sequential) => m.predict(x as never)),
    );
    const program = fc.array(fc.oneof(fc.constant('good' as const), badCall), { minLength: 4, maxLength: 12 });
    fc.assert(
      fc.property(program, fc.constantFrom('sgd', 'adam', 'adamw'), (steps, kind) => {
        const make = () => (kind === 'sgd' ? new SGD({ lr: 0.1, momentum: 0.9 }) : kind === 'adam' ? new Adam({ lr: 0.01 }) : new AdamW({ lr: 0.01 }));
        const tested = new Sequential(rt, layers(), { seed: 11 }), twin = new Sequential(rt, layers(), { seed: 11 });
        const testedOpt = make(), twinOpt = make();
        const batches = rng(kind.length);
        try {
          for (const step of steps) {
            if (step === 'good') {
              const x = goodBatch(batches), y = goodLabels(batches);
              const loss = tested.trainStep(x, y, testedOpt);
              expect(Number.isFinite(loss)).toBe(true);
              expect(twin.trainStep(x, y, twinOpt)).toBe(loss);
            } else {
              const { error, threw } = thrownBy(() => step(tested, testedOpt));
              expect(threw, 'a bad call must be refused').toBe(true);
              expectTypedOneLine(error);
            }
          }
          expect(modelState(tested)).toEqual({ ...(modelState(twin) as object), live: (modelState(tested) as { live: unknown }).live });
          expect(tested.steps).toBe(steps.filter((s) => s === 'good').length);
        } finally {
          for (const d of [tested, twin, testedOpt, twinOpt]) d.dispose();
        }
      }),
      { numRuns: 40, seed: 15 },
    );
  });
});

// What the suite above found, one case each.
describe('refusals the bad-input suite found', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await init({ fresh: true });
  });
  const expectThrows = (call: () => unknown, type: new (...a: never[]) => Error, message: RegExp) => {
    const { error, threw } = thrownBy(call);
    expect(threw, 'the call must be refused').toBe(true);
    expectTypedOneLine(error);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
  };

  it('a seed outside 0 to 2^32 - 1 is refused: the generator would read it as another seed', () => {
    expectThrows(() => new Sequential(rt, layers(), { seed: -1 }), ArgumentError, /^seed must be an integer >= 0, got -1$/);
    expectThrows(() => new Sequential(rt, layers(), { seed: 2 ** 32 }), ArgumentError, /^seed must be an integer <= 4294967295, got 4294967296$/);
  });

  it('null is a value to refuse, never the default', () => {
    expectThrows(() => new Sequential(rt, layers(), { loss: null as never }), ArgumentError, /^loss must be 'cross_entropy' or 'mse', got null$/);
    expectThrows(() => new Sequential(rt, layers(), { inplace: null as never }), ArgumentError, /^inplace must be a boolean/);
    expectThrows(() => new Sequential(rt, layers(), { seed: null as never }), ArgumentError, /^seed must be an integer >= 0, got null$/);
    const model = new Sequential(rt, layers());
    const x = new Float32Array(BATCH * IN), y = new Int32Array(BATCH);
    expectThrows(() => model.evaluate(x, y, { batchSize: null as never }), ArgumentError, /^batchSize must be an integer >= 1, got null$/);
    expectThrows(() => model.lossAndGradients(x, y, { inputGradient: null as never }), ArgumentError, /^inputGradient must be a boolean/);
    model.dispose();
    expectThrows(() => new SGD({ lr: 0.1, momentum: null as never }), ArgumentError, /^SGD momentum must be a finite number, got null$/);
    expectThrows(() => new SGD({ lr: 0.1, nesterov: null as never }), ArgumentError, /^SGD nesterov must be a boolean/);
    expectThrows(() => new Adam({ lr: null as never }), ArgumentError, /^Adam lr must be a finite number, got null$/);
    expectThrows(() => new AdamW({ betas: null as never }), ArgumentError, /^AdamW betas must be a pair \[beta1, beta2\], got null$/);
  });

  it('layer constructors refuse what they would otherwise silently ignore', () => {
    expectThrows(() => Linear(4, 5, { bais: false } as never), ArgumentError, /^Linear: unknown option "bais"; known options: bias$/);
    expectThrows(() => GELU({ approximate: 'tanhh' as never }), ArgumentError, /^GELU approximate must be 'none' or 'tanh', got "tanhh"$/);
    expectThrows(() => GELU({ approx: 'tanh' } as never), ArgumentError, /^GELU: unknown option "approx"/);
    expectThrows(() => mlp(null as never), ArgumentError, /^mlp: sizes must be an array of layer widths, input to output, got null$/);
    expectThrows(() => mlp([4, 3], 'relu', { bias: false, slop: 0.1 } as never), ArgumentError, /^mlp: unknown option "slop"/);
  });

  it('values no message can print with String() are described, not a bare TypeError', () => {
    const odd = Object.create(null) as never;
    expectThrows(() => new Sequential(rt, layers(), { loss: odd }), ArgumentError, /got an object$/);
    expectThrows(() => new Sequential(rt, layers(), { checkpoint: odd }), ArgumentError, /^checkpoint must be an array of activation-layer indices, got an object$/);
    expectThrows(() => new Sequential(rt, layers(), { checkpoint: [Symbol('one') as never] }), ArgumentError, /^checkpoint\[0\] must be a layer index in \[0, 2\], got Symbol\(one\);/);
    expectThrows(() => new Sequential(rt, [Linear(4, 5), { type: 'activation', kind: odd, slope: 0 }, Linear(5, 3)]), ArgumentError, /^layer 1: unknown activation an object; known: relu, /);
    expectThrows(() => new Sequential(rt, [Linear(4, 5), LeakyReLU(Symbol('s') as never), Linear(5, 3)]), ArgumentError, /^layer 1: slope must be finite, got Symbol\(s\)$/);
    const model = new Sequential(rt, layers());
    expectThrows(() => model.trainStep(new Float32Array(BATCH * IN), new Int32Array(BATCH), 'adam\nsgd' as never), ArgumentError, /^trainStep needs an optimizer .*got "adam\\nsgd"; use lossAndGradients/);
    model.dispose();
  });

  it('a batch or target element that is not a number is refused before the step, naming its row and column', () => {
    const model = new Sequential(rt, layers(), { seed: 1 });
    const mse = new Sequential(rt, layers(), { seed: 1, loss: 'mse' });
    const live = rt.arena.liveByCategory();
    const x = Array.from({ length: BATCH * IN }, () => 0.5) as unknown[];
    x[IN + 2] = 'a';
    expectThrows(() => model.trainStep(x as never, [0, 1], new SGD({ lr: 0.1 })), ArgumentError, /^x has a value that is not a number at row 1, column 2: "a"$/);
    expectThrows(() => model.predict(new BigInt64Array(IN) as never), ArgumentError, /^x has a value that is not a number at row 0, column 0: 0n$/);
    const targets = Array.from({ length: BATCH * OUT }, () => 0) as unknown[];
    targets[OUT] = Symbol('t');
    expectThrows(() => mse.lossAndGradients(new Float32Array(BATCH * IN), targets as never), ArgumentError, /^targets has a value that is not a number at row 1, column 0: Symbol\(t\)$/);
    expect(rt.arena.liveByCategory()).toEqual(live);
    model.dispose();
    mse.dispose();
  });

  it("a model's first step that fails gives its gradients block back", () => {
    const model = new Sequential(rt, layers(), { seed: 1 });
    const afterBuild = rt.arena.liveByCategory();
    const x = new Float32Array(BATCH * IN).fill(NaN);
    expectThrows(() => model.trainStep(x, [0, 1], new SGD({ lr: 0.1 })), NonFiniteError, /^step 1: loss is NaN because the input batch has NaN at row 0, column 0/);
    expect(rt.arena.liveByCategory()).toEqual(afterBuild);
    expectThrows(() => model.gradients(), ArgumentError, /^no gradients yet/);
    // And the model still trains.
    expect(Number.isFinite(model.trainStep(x.fill(0.5), [0, 1], new SGD({ lr: 0.1 })))).toBe(true);
    model.dispose();
  });

  it("an optimizer's refused first update gives its state back, so the next step is the first again", () => {
    const model = new Sequential(rt, mlp([4, 5, 3]), { seed: 1 });
    const x = new Float32Array(8).fill(1);
    model.lossAndGradients(x, [0, 1]);
    const before = modelState(model);
    const adam = new Adam({ lr: 3e38, eps: 1e-30 });
    expectThrows(() => model.trainStep(x, [0, 1], adam), NonFiniteError, /^step 1: the adam update would make 0\.weight .* non-finite; parameters and optimizer state were not updated$/);
    expect(modelState(model)).toEqual(before);
    expect(adam.hasState(model)).toBe(false);
    model.dispose();
    adam.dispose();
  });

  it('profileMlp checks every option before it builds a runtime', async () => {
    const rejection = (options: unknown) => profileMlp(options as never).then(() => undefined, (e: unknown) => e);
    for (const [options, message] of [
      [{ layers: layers(), bacth: 8 }, /^profileMlp: unknown option "bacth"; known options: layers, batches, batch,/],
      [{ layers: layers(), batches: [] }, /^profileMlp: batches must be a non-empty array of batch sizes, got \[\]$/],
      [{ layers: layers(), batches: [8, 0] }, /^batches\[1\] must be an integer >= 1, got 0$/],
      [{ layers: layers(), seed: 2 ** 32 }, /^seed must be an integer <= 4294967295/],
      [{ layers: layers(), optimizer: 'adma' }, /^optimizer must be one of sgd, sgd-momentum, adam, adamw, got adma$/],
      [{ layers: layers(), lr: -1 }, /lr must be >= 0, got -1$/],
      [null, /^profileMlp: options must be an object, got null$/],
    ] as const) {
      const e = await rejection(options);
      expectTypedOneLine(e);
      expect((e as Error).message).toMatch(message);
    }
  });
});
