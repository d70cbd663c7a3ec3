import { describe, it, expect } from 'vitest';

import {
  imagesToFloat32,
  labelsToInt32,
  parseIdx,
  parseIdxHeader,
  parseImages,
  parseLabels,
  pixelStatistics,
  pixelsToFloat32,
} from '../src/data/idx.js';
import { ArgumentError } from '../src/errors.js';

/** An IDX file: magic 00 00 <type> <ndim>, big-endian dims, then the payload. */
function idx(dims: number[], payload: ArrayLike<number>, typeCode = 0x08): Uint8Array {
  const header = 4 + 4 * dims.length;
  const bytes = new Uint8Array(header + payload.length);
  bytes[2] = typeCode;
  bytes[3] = dims.length;
  const view = new DataView(bytes.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(Array.from(payload), header);
  return bytes;
}

function range(n: number, f: (i: number) => number = (i) => i): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

describe('parseIdx', () => {
  it('reads big-endian dims and returns the payload as a view', () => {
    const payload = range(2 * 3 * 4, (i) => (i * 7) & 0xff);
    const bytes = idx([2, 3, 4], payload);
    const t = parseIdx(bytes, 'x.idx');
    expect(t.dims).toEqual([2, 3, 4]);
    expect(Array.from(t.data)).toEqual(payload);
    expect(t.data.buffer).toBe(bytes.buffer);
  });

  it('reads dims above 2^24 as unsigned big-endian (only the header is checked)', () => {
    // 0x01020304 = 16909060: a byte-order bug would read 0x04030201.
    const bytes = idx([0x01020304], []);
    expect(() => parseIdx(bytes, 'big.idx')).toThrow('dims [16909060] need 16,909,068 bytes');
  });

  it('refuses a header that asks for more than MAX_IDX_BYTES, naming the size with separators', () => {
    expect(() => parseIdx(idx([0xffffffff, 0xffffffff, 0xffffffff], []), 'huge.idx')).toThrow(
      new ArgumentError('huge.idx: dims [4294967295, 4294967295, 4294967295] need more than 2^53 bytes; wasmgrad reads IDX files of up to 1,073,741,824 bytes'),
    );
    expect(() => parseIdxHeader(idx([60000, 300, 300], []), 'big.idx')).toThrow('big.idx: dims [60000, 300, 300] need 5,400,000,016 bytes');
    expect(parseIdxHeader(idx([10, 28, 28], []), 'ok.idx')).toEqual({ dims: [10, 28, 28], headerBytes: 16, totalBytes: 7856 });
  });

  it('respects a non-zero byteOffset in the input', () => {
    const inner = idx([3], [5, 6, 7]);
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 5);
    const t = parseIdx(outer.subarray(5), 'offset.idx');
    expect(t.dims).toEqual([3]);
    expect(Array.from(t.data)).toEqual([5, 6, 7]);
  });

  it('rejects input shorter than the magic number', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8]), 'tiny')).toThrow(
      'tiny: 3 bytes is too short for an IDX file',
    );
  });

  it('rejects a wrong magic number, showing the bytes found', () => {
    const bytes = idx([1], [0]);
    bytes[0] = 0x12;
    bytes[1] = 0x34;
    expect(() => parseIdx(bytes, 'bad.idx')).toThrow('bad.idx: not an IDX file: magic number must start with bytes 0x00 0x00, found 0x12 0x34');
  });

  it('recognises gzip data passed undecompressed', () => {
    const bytes = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0]);
    expect(() => parseIdx(bytes, 'z')).toThrow('this is gzip data: decompress it first');
  });

  it('rejects element types other than unsigned byte, naming the code', () => {
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d), 'f.idx')).toThrow(
      'f.idx: IDX element type code 0x0d (float32) is not supported; expected 0x08 (unsigned byte)',
    );
    expect(() => parseIdx(idx([1], [0], 0x09), 's.idx')).toThrow('type code 0x09 (signed byte)');
    expect(() => parseIdx(idx([1], [0], 0x42), 'q.idx')).toThrow('type code 0x42 (not a valid IDX type)');
  });

  it('rejects a dimension count other than the expected one', () => {
    expect(() => parseIdx(idx([4], [1, 2, 3, 4]), 'labels-as-images', 3)).toThrow(
      'labels-as-images: IDX header says 1 dimensions, expected 3',
    );
  });

  it('rejects zero dimensions', () => {
    expect(() => parseIdx(idx([], []), 'scalar')).toThrow('scalar: IDX header says 0 dimensions');
  });

  it('rejects a header cut short inside the dims', () => {
    const bytes = idx([2, 2, 2], range(8)).subarray(0, 10);
    expect(() => parseIdx(bytes, 'cut')).toThrow('cut: truncated IDX header: 3 dimensions need 16 header bytes, found 10');
  });

  it('rejects truncated data, giving expected and found lengths', () => {
    const bytes = idx([2, 3, 4], range(24)).subarray(0, 16 + 20);
    expect(() => parseIdx(bytes, 'short.idx')).toThrow(
      'short.idx: truncated: dims [2, 3, 4] need 40 bytes (16 header + 24 data), found 36',
    );
  });

  it('rejects trailing bytes after the data', () => {
    const bytes = idx([3], [1, 2, 3, 99]);
    expect(() => parseIdx(bytes, 'long.idx')).toThrow(
      'long.idx: trailing bytes after the data: dims [3] need 11 bytes (8 header + 3 data), found 12',
    );
  });
});

describe('parseImages / parseLabels', () => {
  it('parses images into count, rows, cols', () => {
    const img = parseImages(idx([2, 2, 3], range(12)), 'img');
    expect(img).toMatchObject({ count: 2, rows: 2, cols: 3 });
    expect(Array.from(img.data)).toEqual(range(12));
  });

  it('rejects an images file with one dimension', () => {
    expect(() => parseImages(idx([3], [0, 1, 2]), 'labels.idx')).toThrow(
      'labels.idx: IDX header says 1 dimensions, expected 3',
    );
  });

  it('rejects images with a zero dimension', () => {
    expect(() => parseImages(idx([2, 0, 28], []), 'empty')).toThrow(
      'empty: images file has dims [count=2, rows=0, cols=28]; all must be at least 1',
    );
  });

  it('parses labels and reports the largest label', () => {
    const lab = parseLabels(idx([5], [3, 9, 0, 12, 1]), 'lab');
    expect(lab.count).toBe(5);
    expect(lab.maxLabel).toBe(12);
    expect(Array.from(lab.data)).toEqual([3, 9, 0, 12, 1]);
  });

  it('rejects a labels file with three dimensions', () => {
    expect(() => parseLabels(idx([1, 1, 1], [0]), 'images.idx')).toThrow(
      'images.idx: IDX header says 3 dimensions, expected 1',
    );
  });

  it('rejects an empty labels file', () => {
    expect(() => parseLabels(idx([0], []), 'none')).toThrow('none: labels file holds 0 labels');
  });
});

describe('imagesToFloat32', () => {
  const images = parseImages(idx([1, 2, 2], [0, 51, 204, 255]), 'img');

  it('scales bytes to [0, 1]', () => {
    const x = imagesToFloat32(images);
    expect(x).toBeInstanceOf(Float32Array);
    expect(Array.from(x)).toEqual([0, 0.2, 0.8, 1].map(Math.fround));
  });

  it('applies (x/255 - mean) / std', () => {
    const x = imagesToFloat32(images, { mean: 0.5, std: 0.25 });
    const expected = [0, 51, 204, 255].map((v) => (v / 255 - 0.5) / 0.25);
    x.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('rejects a non-positive or non-finite std and a non-finite mean', () => {
    expect(() => imagesToFloat32(images, { mean: 0, std: 0 })).toThrow(
      'normalization.std must be positive and finite, got 0',
    );
    expect(() => imagesToFloat32(images, { mean: 0, std: -1 })).toThrow('got -1');
    expect(() => imagesToFloat32(images, { mean: 0, std: NaN })).toThrow('got NaN');
    expect(() => imagesToFloat32(images, { mean: Infinity, std: 1 })).toThrow(
      'normalization.mean must be finite, got Infinity',
    );
  });
});

describe('pixelsToFloat32', () => {
  it('writes into a given view, e.g. one batch of a larger buffer', () => {
    const pixels = new Uint8Array([0, 255, 51, 102, 153, 204]);
    const memory = new Float32Array(10).fill(-7);
    pixelsToFloat32(pixels.subarray(2, 5), memory.subarray(4, 7));
    expect(Array.from(memory)).toEqual([-7, -7, -7, -7, 0.2, 0.4, 0.6, -7, -7, -7].map(Math.fround));
  });

  it('rejects an output of the wrong length', () => {
    expect(() => pixelsToFloat32(new Uint8Array(4), new Float32Array(3))).toThrow(
      'pixelsToFloat32: out.length must equal pixels.length (4), got 3',
    );
  });
});

describe('pixelStatistics', () => {
  it('matches a direct two-pass computation', () => {
    const pixels = range(3 * 5 * 7, (i) => (i * 37 + 11) % 256);
    const stats = pixelStatistics(parseImages(idx([3, 5, 7], pixels), 'img'));
    const scaled = pixels.map((v) => v / 255);
    const mean = scaled.reduce((a, b) => a + b, 0) / scaled.length;
    const std = Math.sqrt(scaled.reduce((a, b) => a + (b - mean) ** 2, 0) / scaled.length);
    expect(stats.mean).toBeCloseTo(mean, 12);
    expect(stats.std).toBeCloseTo(std, 12);
  });

  it('normalizes the data it was computed from to mean 0, std 1', () => {
    const images = parseImages(idx([4, 3, 3], range(36, (i) => (i * i) % 256)), 'img');
    const x = imagesToFloat32(images, pixelStatistics(images));
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    expect(mean).toBeCloseTo(0, 5);
    expect(variance).toBeCloseTo(1, 5);
  });
});

describe('labelsToInt32', () => {
  const labels = parseLabels(idx([4], [2, 0, 9, 1]), 'lab');

  it('widens labels to Int32Array', () => {
    const y = labelsToInt32(labels, 10);
    expect(y).toBeInstanceOf(Int32Array);
    expect(Array.from(y)).toEqual([2, 0, 9, 1]);
  });

  it('rejects a label at or above the class count, naming the example', () => {
    expect(() => labelsToInt32(labels, 9)).toThrow(
      'labelsToInt32: label 9 at example 2 is out of range for 9 classes (largest label is 9)',
    );
  });

  it('rejects a class count that is not a positive integer', () => {
    expect(() => labelsToInt32(labels, 0)).toThrow('classes must be a positive integer, got 0');
    expect(() => labelsToInt32(labels, 2.5)).toThrow('got 2.5');
  });

  it('converts without a range check when no class count is given', () => {
    expect(Array.from(labelsToInt32(parseLabels(idx([2], [200, 7]), 'lab')))).toEqual([200, 7]);
  });
});
