// readSafetensors / writeSafetensors: the format, and every rule of reading a hostile file.

import { describe, expect, it } from 'vitest';

import { ArgumentError, ShapeError } from '../src/errors.js';
import { MAX_HEADER_BYTES, firstDuplicateKey, readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { f32Bytes, safetensorsBytes } from './helpers/safetensors-bytes.js';

const tensor = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

/** The error readSafetensors throws for `bytes` (failing the test if it throws none). */
function readError(bytes: Uint8Array): Error {
  try {
    readSafetensors(bytes, 'm.safetensors');
  } catch (e) {
    expect((e as Error).message).not.toContain('\n');
    return e as Error;
  }
  throw new Error('expected readSafetensors to throw');
}

function expectRefused(bytes: Uint8Array, type: typeof ArgumentError | typeof ShapeError, message: string): void {
  const e = readError(bytes);
  expect(e).toBeInstanceOf(type);
  expect(e.message).toBe(`m.safetensors: ${message}`);
}

describe('writeSafetensors then readSafetensors', () => {
  it('round-trips names, shapes, float32 bits and metadata, in order', () => {
    const w = Float32Array.from([1.5, -0, 3.4028234663852886e38, 1e-45, NaN, -Infinity]);
    const b = Float32Array.from([0.1]);
    const bytes = writeSafetensors([{ name: '0.weight', shape: [2, 3], data: w }, { name: '0.bias', shape: [1], data: b }, { name: 'empty', shape: [0, 4], data: new Float32Array(0) }], { note: 'hi' });
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ note: 'hi' });
    expect(tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([['0.weight', 'F32', [2, 3]], ['0.bias', 'F32', [1]], ['empty', 'F32', [0, 4]]]);
    expect(new Uint32Array(tensors[0]!.data.slice().buffer)).toEqual(new Uint32Array(w.buffer));
    expect(tensors[1]!.data).toEqual(b);
  });

  it('writes the reference layout: an 8-byte length, a JSON header padded with spaces to 8 bytes, then the data', () => {
    const bytes = writeSafetensors([{ name: 'a', shape: [2], data: Float32Array.from([1, 2]) }]);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(length % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + length));
    expect(header.trimEnd()).toBe('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    expect(/^[^ ]* *$/.test(header)).toBe(true);
    expect(Array.from(bytes.subarray(8 + length))).toEqual(Array.from(f32Bytes([1, 2])));
  });

  it('aligned F32 data is read in place; unaligned data is copied', () => {
    const aligned = writeSafetensors([{ name: 'a', shape: [2], data: Float32Array.from([1, 2]) }]);
    expect(readSafetensors(aligned).tensors[0]!.data.buffer).toBe(aligned.buffer);
    // A 13-byte header puts the data at offset 21.
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const odd = safetensorsBytes(header + ' '.repeat(5 - ((8 + header.length) % 4)), f32Bytes([3, -4]));
    const dataStart = odd.length - 8;
    expect(dataStart % 4).not.toBe(0);
    const copied = readSafetensors(odd).tensors[0]!.data;
    expect(copied.buffer).not.toBe(odd.buffer);
    expect(Array.from(copied)).toEqual([3, -4]);
    // ... from a Node Buffer (whose slice() is a view of its whole pool) ...
    expect(Array.from(readSafetensors(Buffer.from(odd)).tensors[0]!.data)).toEqual([3, -4]);
    // ... and a view into the middle of a larger buffer, at an odd byte offset.
    const inner = new Uint8Array(odd.length + 1);
    inner.set(odd, 1);
    expect(Array.from(readSafetensors(inner.subarray(1)).tensors[0]!.data)).toEqual([3, -4]);
  });

  it('F16 and BF16 are widened to float32 exactly (signed zero, subnormals, infinity, NaN)', () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555];
    const expected = [1, -2, 65504, 2 ** -24, -0, Infinity, -Infinity, NaN, 0.333251953125];
    const bf = [0x3f80, 0xc0a0, 0x0001, 0x7f80, 0x7fc0];
    const bfExpected = [1, -5, 2 ** -133, Infinity, NaN];
    const data = new Uint8Array(new Uint16Array([...halves, ...bf]).buffer);
    const bytes = safetensorsBytes({ h: tensor('F16', [halves.length], [0, 18]), b: tensor('BF16', [bf.length], [18, 28]) }, data);
    const [h, b] = readSafetensors(bytes).tensors;
    expect(h!.dtype).toBe('F16');
    expect(Array.from(h!.data)).toEqual(expected);
    expect(Object.is(h!.data[4], -0)).toBe(true);
    expect(Array.from(b!.data)).toEqual(bfExpected);
  });
});

describe('readSafetensors refuses a hostile file with a one-line typed error', () => {
  const one = (info: object, data = f32Bytes([1, 2])) => safetensorsBytes({ '0.weight': info }, data);

  it('too short for the length field', () => {
    expectRefused(new Uint8Array(7), ArgumentError, '7 bytes is too short for a safetensors file (8-byte header length first)');
  });

  it('a header length over the cap is refused before anything is allocated, up to 2^64 - 1', () => {
    for (const length of [BigInt(MAX_HEADER_BYTES) + 1n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
      expectRefused(safetensorsBytes('{}', undefined, length), ArgumentError, `header length ${length} is over the 100,000,000-byte limit`);
    }
  });

  it('a header length past the end of the file', () => {
    expectRefused(safetensorsBytes('{}', undefined, 3n), ArgumentError, 'header length 3 runs past the end of the file (10 bytes)');
  });

  it("a header that does not start with '{', is not UTF-8, or not JSON", () => {
    expectRefused(safetensorsBytes(' {}'), ArgumentError, "the header must be a JSON object starting with '{'");
    expectRefused(safetensorsBytes('[]'), ArgumentError, "the header must be a JSON object starting with '{'");
    const bad = safetensorsBytes('{"\u00e9":1}');
    bad[10] = 0xff;
    expectRefused(bad, ArgumentError, 'the header is not valid UTF-8');
    expect(readError(safetensorsBytes('{"a":'))).toBeInstanceOf(ArgumentError);
    expect(readError(safetensorsBytes('{"a":')).message).toMatch(/^m\.safetensors: the header is not JSON \(/);
  });

  it('a key twice in the raw text (JSON.parse would keep the last), however it is escaped', () => {
    const info = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    expectRefused(safetensorsBytes(`{"w":${info},"w":${info}}`, f32Bytes([1])), ArgumentError, "the header has the key 'w' twice");
    expectRefused(safetensorsBytes(`{"w":${info},"\\u0077":${info}}`, f32Bytes([1])), ArgumentError, "the header has the key 'w' twice");
    expectRefused(safetensorsBytes(`{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}`, f32Bytes([1])), ArgumentError, "the header has the key 'dtype' twice");
    expectRefused(safetensorsBytes(`{"__metadata__":{"a":"1","a":"2"}}`), ArgumentError, "the header has the key 'a' twice");
  });

  it('firstDuplicateKey tells keys from string values and escaped quotes', () => {
    expect(firstDuplicateKey('{"a":"a","b":["a","a"],"c":{"a":1},"d\\"":"\\"d"}')).toBeNull();
    expect(firstDuplicateKey('{"x":[{"k":1,"k":2}]}')).toBe('k');
    expect(firstDuplicateKey('{"a":{},"b":[],"a":0}')).toBe('a');
  });

  it('__metadata__ that is not an object of strings', () => {
    expectRefused(safetensorsBytes({ __metadata__: { layers: [1] } }), ArgumentError, "'__metadata__' value 'layers' must be a string, got [1]");
    expectRefused(safetensorsBytes({ __metadata__: 'x' }), ArgumentError, "'__metadata__' must be an object of strings, got 'x'");
  });

  it('a dtype wasmgrad does not read is refused by name', () => {
    expectRefused(one(tensor('I64', [1], [0, 8])), ArgumentError, "dtype I64 of '0.weight' is not supported; wasmgrad reads F32, F16, BF16");
    expectRefused(one(tensor('F64', [1], [0, 8])), ArgumentError, "dtype F64 of '0.weight' is not supported; wasmgrad reads F32, F16, BF16");
    expectRefused(one({ shape: [2], data_offsets: [0, 8] }), ArgumentError, "dtype undefined of '0.weight' is not supported; wasmgrad reads F32, F16, BF16");
  });

  it('a tensor entry that is not an object', () => {
    expectRefused(one([1, 2] as never), ArgumentError, "tensor '0.weight' must be an object with dtype, shape and data_offsets");
  });

  it('shapes that are not lists of counts', () => {
    for (const shape of [[-1], [1.5], '2', [2 ** 53]]) {
      expect(readError(one(tensor('F32', shape, [0, 8])))).toBeInstanceOf(ShapeError);
    }
    expectRefused(one(tensor('F32', [-2], [0, 8])), ShapeError, "tensor '0.weight': shape must be a list of integers from 0 to 2^53 - 1, got [-2]");
  });

  it('offsets that are not two integers in [0, 2^53), or reversed, or past the data', () => {
    const bad = (offsets: unknown) => `tensor '0.weight': data_offsets must be [begin, end], integers from 0 to 2^53 - 1, got ${Array.isArray(offsets) ? `[${offsets.join(',')}]` : offsets}`;
    expectRefused(one(tensor('F32', [2], [0, 8.5])), ArgumentError, bad([0, 8.5]));
    expectRefused(one(tensor('F32', [2], [-8, 0])), ArgumentError, bad([-8, 0]));
    expectRefused(one(tensor('F32', [2], [0])), ArgumentError, bad([0]));
    // 2^64 in the text parses to a double that is not a safe integer.
    expectRefused(safetensorsBytes('{"0.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}}', f32Bytes([1, 2])), ArgumentError, bad([0, 18446744073709552000]));
    expectRefused(one(tensor('F32', [2], [8, 0])), ArgumentError, "tensor '0.weight': data_offsets [8, 0] are not within the 8 bytes of data");
    expectRefused(one(tensor('F32', [4], [0, 16])), ArgumentError, "tensor '0.weight': data_offsets [0, 16] are not within the 8 bytes of data");
  });

  it('a shape whose size is not the offsets\' span, computed without overflow', () => {
    expectRefused(one(tensor('F32', [3], [0, 8])), ShapeError, "tensor '0.weight': shape [3] of F32 is 12 bytes but data_offsets [0, 8] hold 8");
    // 2^32 x 2^32 x 4 bytes wraps to 0 in 64-bit arithmetic; it must not pass for an empty tensor.
    expectRefused(safetensorsBytes({ a: tensor('F32', [2 ** 32, 2 ** 32], [0, 0]) }), ShapeError, "tensor 'a': shape [4294967296, 4294967296] of F32 is 73786976294838206464 bytes but data_offsets [0, 0] hold 0");
    expectRefused(safetensorsBytes({ a: tensor('F16', [2 ** 31, 2 ** 31, 2 ** 31], [0, 0]) }), ShapeError, "tensor 'a': shape [2147483648, 2147483648, 2147483648] of F16 is 19807040628566084398385987584 bytes but data_offsets [0, 0] hold 0");
  });

  it('offsets that overlap, leave a gap, or leave data after the last tensor', () => {
    const data = f32Bytes([1, 2, 3]);
    expectRefused(safetensorsBytes({ a: tensor('F32', [2], [0, 8]), b: tensor('F32', [2], [4, 12]) }, data), ArgumentError, "tensor 'b': data_offsets [4, 12] overlap the tensor before it (which ends at 8)");
    expectRefused(safetensorsBytes({ a: tensor('F32', [1], [0, 4]), b: tensor('F32', [1], [8, 12]) }, data), ArgumentError, "tensor 'b': data_offsets [8, 12] leave bytes 4 to 8 unused");
    expectRefused(safetensorsBytes({ a: tensor('F32', [2], [0, 8]) }, data), ArgumentError, 'the tensors cover 8 bytes of data but the file has 12');
    expectRefused(safetensorsBytes({ a: tensor('F32', [3], [0, 12]), b: tensor('F32', [3], [0, 12]) }, data), ArgumentError, "tensor 'b': data_offsets [0, 12] overlap the tensor before it (which ends at 12)");
  });

  it('long names are cut in messages', () => {
    const name = 'n'.repeat(1000);
    const e = readError(safetensorsBytes({ [name]: tensor('I8', [1], [0, 1]) }, new Uint8Array(1)));
    expect(e.message).toBe(`m.safetensors: dtype I8 of '${'n'.repeat(60)}... (1,000 characters)' is not supported; wasmgrad reads F32, F16, BF16`);
  });

  it('not bytes at all', () => {
    expect(() => readSafetensors('abc' as never)).toThrow(new ArgumentError('readSafetensors needs the file\'s bytes as a Uint8Array, got "abc"'));
  });
});

describe('writeSafetensors refuses what it cannot write', () => {
  const f = (n: number) => new Float32Array(n);
  it.each([
    ['a name twice', [{ name: 'a', shape: [1], data: f(1) }, { name: 'a', shape: [1], data: f(1) }], {}, ArgumentError, "tensor 'a' is given twice"],
    ['the metadata key as a name', [{ name: '__metadata__', shape: [1], data: f(1) }], {}, ArgumentError, "tensor '__metadata__' needs a string name other than '__metadata__'"],
    ['values that are not float32', [{ name: 'a', shape: [1], data: [1] }], {}, ArgumentError, 'tensor \'a\' data must be a Float32Array, got [1]'],
    ['a shape that does not match', [{ name: 'a', shape: [2, 2], data: f(3) }], {}, ShapeError, "tensor 'a' has 3 values but shape [2, 2] needs 4"],
    ['a bad shape', [{ name: 'a', shape: [-1], data: f(1) }], {}, ShapeError, "tensor 'a' shape must be a list of integers >= 0, got [-1]"],
    ['metadata that is not a string', [], { n: 1 }, ArgumentError, "safetensors metadata 'n' must be a string, got 1"],
  ])('%s', (_what, tensors, metadata, type, message) => {
    expect(() => writeSafetensors(tensors as never, metadata as never)).toThrow(new type(message));
  });
});
