// The option parsers and the quoting of user values in messages, in-process.

import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { activationKind, cliSpelling, intAtLeast, intInRange, intList, lossKind, positiveFloat32, positiveInt, positiveNumber, seedValue } from '../src/cli/options.js';
import { describeValue } from '../src/errors.js';

const refused = (parse: (v: string) => unknown, value: string) => {
  try {
    parse(value);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
};

describe('user values in messages (describeValue)', () => {
  it('quotes a short string whole and cuts a long one to a prefix with its length', () => {
    expect(describeValue('0x10')).toBe('"0x10"');
    const long = describeValue('x'.repeat(40_000_000));
    expect(long).toBe(`"${'x'.repeat(60)}..." (40,000,000 characters)`);
  });

  it('keeps a message on one line: control characters are escaped', () => {
    expect(describeValue('a\nb\tc\u0000')).toBe('"a\\nb\\tc\\u0000"');
  });

  it('describes non-strings without serialising them (no deep recursion, no huge output)', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(describeValue(deep)).toBe('an array of 1');
    expect(describeValue([5, 4])).toBe('[5,4]');
    expect(describeValue({ a: 1 })).toBe('an object');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(12.5)).toBe('12.5');
    expect(describeValue(undefined)).toBe('undefined');
  });
});

describe('number parsers accept decimal notation only', () => {
  it.each(['0x10', '0b1', '0o7', '', ' ', ' 5', '5 ', '1e3', '+', '.', 'Infinity', 'NaN', '1_000'])('positiveInt refuses %j', (v) => {
    expect(refused(positiveInt, v)).toContain('expected a positive integer');
  });

  it.each(['0x10', '0b1', '', ' ', 'Infinity', '-Infinity', 'NaN', '1e400', '1,5', '1.2.3', 'e5'])('positiveNumber refuses %j', (v) => {
    expect(refused(positiveNumber, v)).toContain('expected a positive number');
  });

  it('positiveNumber takes decimals and exponents', () => {
    expect(['1', '0.5', '.5', '5.', '+2', '1e-3', '2.5E+2'].map(positiveNumber)).toEqual([1, 0.5, 0.5, 5, 2, 0.001, 250]);
  });

  it('positiveFloat32 refuses what float32 turns into 0, a subnormal or infinity', () => {
    expect(refused(positiveFloat32, '1e-50')).toBe("expected a positive number in float32's normal range (1.1754944e-38 to 3.4028235e38), got '1e-50': it would be 0 in float32");
    expect(refused(positiveFloat32, '1e-40')).toContain("got '1e-40': it would be subnormal in float32");
    expect(refused(positiveFloat32, '1e39')).toContain("got '1e39': it would be infinite in float32");
    expect(positiveFloat32('1e-3')).toBe(0.001);
    expect(positiveFloat32('1.2e-38')).toBe(1.2e-38);
  });

  it('intInRange names both bounds with thousands separators', () => {
    expect(refused(intInRange(1, 10_000), '10001')).toBe("expected an integer from 1 to 10,000, got '10001'");
    expect(intInRange(1, 10_000)('10000')).toBe(10_000);
    expect(refused(intAtLeast(2), '1')).toBe("expected an integer >= 2, got '1'");
  });

  it('seeds are integers from 0 to 2^32 - 1 (the generator takes 32 bits)', () => {
    expect(seedValue('0')).toBe(0);
    expect(seedValue('4294967295')).toBe(4294967295);
    expect(refused(seedValue, '4294967296')).toBe("expected an integer from 0 to 4,294,967,295, got '4294967296'");
  });

  it('intList takes safe positive integers only', () => {
    expect(intList('784, 100,10')).toEqual([784, 100, 10]);
    for (const v of ['784,99999999999999999999', '0x10,1', '1,,2', '1.5', '']) expect(refused(intList, v)).toContain('expected comma-separated positive integers');
  });

  it('echoes at most a short prefix of the value', () => {
    expect(refused(positiveInt, '9'.repeat(100_000)).length).toBeLessThan(150);
  });
});

describe('values are spelled in kebab case; the old snake-case spellings still parse', () => {
  it('activations', () => {
    expect(activationKind('leaky-relu')).toBe('leaky_relu');
    expect(activationKind('leaky_relu')).toBe('leaky_relu');
    expect(activationKind('gelu-tanh')).toBe('gelu_tanh');
    expect(refused(activationKind, 'leaky')).toBe("expected one of relu, leaky-relu, sigmoid, tanh, gelu, gelu-tanh, silu, got 'leaky'");
    expect(cliSpelling('gelu_tanh')).toBe('gelu-tanh');
  });

  it('losses', () => {
    expect(lossKind('cross-entropy')).toBe('cross_entropy');
    expect(lossKind('cross_entropy')).toBe('cross_entropy');
    expect(refused(lossKind, 'l1')).toBe("expected one of cross-entropy, mse, got 'l1'");
  });
});
