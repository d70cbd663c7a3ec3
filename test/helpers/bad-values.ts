// fast-check generators of values an argument must refuse, for bad-input suites.
// Each generates only values that are wrong for what it names, so any call
// given one must throw.

import fc from 'fast-check';

/** A Float32Array whose buffer was detached, as a Tensor.data view is after WASM memory grows. */
export function detachedView(length = 4): Float32Array {
  const buffer = new ArrayBuffer(length * 4);
  const view = new Float32Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

/** Values of the wrong type for any number, boolean or array argument. */
export const badType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, undefined, {}, [], Symbol('bad'), Object.create(null), () => 1, new Map(), Promise.resolve(1)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 4 }).map((s) => `${s}\nsecond line`),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
);

/** Not a finite number: wrong types, NaN and the infinities. */
export const badNumber: fc.Arbitrary<unknown> = fc.oneof(
  badType,
  fc.constantFrom<unknown>(NaN, Infinity, -Infinity, true, false, '1', '0', new Number(1)),
);

/** Not finite as a float32: everything badNumber gives, and finite doubles float32 rounds to infinity. */
export const badFloat32: fc.Arbitrary<unknown> = fc.oneof(
  badNumber,
  fc.double({ min: 3.4028236e38, max: Number.MAX_VALUE, noNaN: true }).chain((x) => fc.constantFrom(x, -x)),
);

/** Not a safe integer >= 0: wrong types, negative, fractional and beyond 2^53. */
export const badInteger: fc.Arbitrary<unknown> = fc.oneof(
  badNumber,
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)),
  fc.constantFrom<unknown>(-0.5, 0.5, 2 ** 53, 2 ** 64, 1e300, Number.MAX_VALUE),
);

/** Not true or false. */
export const badBoolean: fc.Arbitrary<unknown> = fc.oneof(
  badType.filter((v) => v !== undefined),
  fc.constantFrom<unknown>(0, 1, NaN, 'true', 'false', new Boolean(false)),
);

/**
 * Not a Float32Array of at least `minLength` elements: shorter ones, detached
 * views, plain arrays, other typed arrays, and wrong types.
 */
export function badArray(minLength: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.nat({ max: Math.max(0, minLength - 1) }).map((n) => new Float32Array(n)),
    fc.constant(null).map(() => detachedView(Math.max(1, minLength))),
    fc.array(fc.double(), { minLength, maxLength: minLength + 2 }),
    fc.constantFrom<unknown>(new Float64Array(minLength), new Int32Array(minLength), new BigInt64Array(minLength), new DataView(new ArrayBuffer(4))),
    badType,
  );
}

/**
 * Array-likes of `length` elements that are not all numbers: an element of the
 * wrong type, BigInts, a detached view, or no elements behind the length.
 */
export function badNumbers(length: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(fc.nat({ max: length - 1 }), badType.filter((v) => typeof v !== 'number')).map(([at, v]) => {
      const values: unknown[] = new Array(length).fill(1);
      values[at] = v;
      return values;
    }),
    fc.constantFrom<unknown>(new BigInt64Array(length), new BigUint64Array(length), { length }),
    fc.constant(null).map(() => detachedView(length)),
  );
}

/** Any of the above. */
export const anyBadValue: fc.Arbitrary<unknown> = fc.oneof(badNumber, badFloat32, badInteger, badBoolean, badArray(4));

const notAnObject = (v: unknown) => v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v));

/** Options objects with one unknown key or one known key set to a bad value of its kind (never undefined: that is the default). */
export function badOptions(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const known = Object.keys(fields);
  return fc.oneof(
    anyBadValue.filter(notAnObject),
    fc.string({ maxLength: 8 }).filter((k) => !known.includes(k)).map((k) => ({ [k]: 1 })),
    ...known.map((key) => fields[key]!.filter((v) => v !== undefined).map((v) => ({ [key]: v }))),
  );
}

/** Not a Runtime from init(): bad values and objects that only look like one. */
export const badRuntime: fc.Arbitrary<unknown> = fc.oneof(anyBadValue, fc.constantFrom<unknown>({ arena: {} }, { core: {}, memory: {} }));

/** The index of one argument and a bad value for it, from one generator per argument. */
export function oneBadArgument(generators: readonly fc.Arbitrary<unknown>[]): fc.Arbitrary<readonly [number, unknown]> {
  return fc.nat({ max: generators.length - 1 }).chain((at) => generators[at]!.map((v) => [at, v] as const));
}

/** Not one of `names`: wrong types and other strings. */
export function badName(names: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    badType.filter((v) => v !== undefined),
    fc.string({ maxLength: 10 }).filter((s) => !names.includes(s)),
    fc.constantFrom<unknown>(...names.map((n) => n.toUpperCase()), ...names.map((n) => ` ${n}`)),
  );
}

/**
 * Not an array-like of exactly `length` numbers (a Float32Array, another
 * numeric typed array or a plain array of numbers all are one): other
 * lengths, elements of the wrong type, BigInt arrays, views without a
 * length, wrong types.
 */
export function badNumberList(length: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.nat({ max: 2 * length }).filter((n) => n !== length).map((n) => new Float32Array(n)),
    badNumbers(length),
    fc.constantFrom<unknown>(new DataView(new ArrayBuffer(4 * length)), { length: -length }),
    badType,
  );
}
