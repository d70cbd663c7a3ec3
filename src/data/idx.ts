/**
 * IDX, the tensor file format of MNIST and Fashion-MNIST (LeCun et al. 1998;
 * Xiao, Rasul & Vollgraf 2017). A file is a 4-byte magic number, one
 * big-endian uint32 per dimension, then the elements in row-major order:
 *
 *   byte 0-1  zero
 *   byte 2    element type (0x08 = unsigned byte, the only one MNIST uses)
 *   byte 3    number of dimensions (3 for images, 1 for labels)
 *   4*ndim    dims, big-endian uint32
 *   ...       prod(dims) elements
 *
 * Everything here is a pure function of bytes, with no Node modules, so the
 * same parser serves the CLI and the browser. Every malformed input throws an
 * ArgumentError that names the file and says what was expected and what was
 * found. Files are hostile until checked: the header alone decides how many
 * bytes may follow, and a header that asks for more than MAX_IDX_BYTES is
 * refused before anything else is read or inflated.
 */

import { ArgumentError } from '../errors.js';
import { formatInteger } from '../estimate/units.js';

/** The largest IDX file (header and data) wasmgrad reads: 1 GiB, about twice EMNIST's largest (547 MB). */
export const MAX_IDX_BYTES = 2 ** 30;

/** Element type codes from the IDX specification; only 0x08 is accepted. */
const IDX_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};
const IDX_UBYTE = 0x08;

export interface IdxHeader {
  /** Dimensions as stored in the header, outermost first. */
  dims: number[];
  /** 4 + 4 per dimension. */
  headerBytes: number;
  /** What the whole file must hold: header and prod(dims) elements. */
  totalBytes: number;
}

export interface IdxTensor {
  /** Dimensions as stored in the header, outermost first. */
  dims: number[];
  /** The elements, a view into the input bytes (no copy). */
  data: Uint8Array;
}

export interface IdxImages {
  /** count * rows * cols pixels, one byte each, row-major, 0 = background. */
  data: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface IdxLabels {
  /** One class index per example. */
  data: Uint8Array;
  count: number;
  /** Largest label present; callers compare it with their number of classes. */
  maxLabel: number;
}

function hex(value: number, digits: number): string {
  return '0x' + value.toString(16).padStart(digits, '0');
}

/**
 * Read and check the header at the start of `bytes`, which may be only the
 * file's first bytes: magic number, element type, dimension count (against
 * `expectedNdim` when given, so that a labels file passed as images fails at
 * the header) and the size the dims imply, at most MAX_IDX_BYTES. `name`
 * (usually the file path) starts every error message.
 */
export function parseIdxHeader(bytes: Uint8Array, name: string, expectedNdim?: number): IdxHeader {
  if (bytes.length < 4) {
    throw new ArgumentError(`${name}: ${bytes.length} bytes is too short for an IDX file (the magic number alone is 4 bytes)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    // gzip data starts 0x1f 0x8b; say so, since that is the usual mistake.
    const hint = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (this is gzip data: decompress it first)' : '';
    throw new ArgumentError(
      `${name}: not an IDX file: magic number must start with bytes 0x00 0x00, found ` +
        `${hex(bytes[0], 2)} ${hex(bytes[1], 2)}${hint}`,
    );
  }
  const typeCode = bytes[2];
  if (typeCode !== IDX_UBYTE) {
    const typeName = IDX_TYPE_NAMES[typeCode] ?? 'not a valid IDX type';
    throw new ArgumentError(
      `${name}: IDX element type code ${hex(typeCode, 2)} (${typeName}) is not supported; ` +
        `expected ${hex(IDX_UBYTE, 2)} (unsigned byte)`,
    );
  }
  const ndim = bytes[3];
  if (expectedNdim !== undefined && ndim !== expectedNdim) {
    throw new ArgumentError(`${name}: IDX header says ${ndim} dimensions, expected ${expectedNdim}`);
  }
  if (ndim === 0) {
    throw new ArgumentError(`${name}: IDX header says 0 dimensions; expected at least 1`);
  }

  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new ArgumentError(
      `${name}: truncated IDX header: ${ndim} dimensions need ${headerBytes} header bytes, found ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));

  // A double holds the product exactly up to 2^53; anything near that is refused here anyway.
  const totalBytes = headerBytes + dims.reduce((p, d) => p * d, 1);
  if (totalBytes > MAX_IDX_BYTES) {
    const need = Number.isSafeInteger(totalBytes) ? formatInteger(totalBytes) : 'more than 2^53';
    throw new ArgumentError(`${name}: dims [${dims.join(', ')}] need ${need} bytes; wasmgrad reads IDX files of up to ${formatInteger(MAX_IDX_BYTES)} bytes`);
  }
  return { dims, headerBytes, totalBytes };
}

/**
 * Parse an IDX file of unsigned bytes: its header (see parseIdxHeader), then
 * exactly the bytes the dims say.
 */
export function parseIdx(bytes: Uint8Array, name: string, expectedNdim?: number): IdxTensor {
  const { dims, headerBytes, totalBytes } = parseIdxHeader(bytes, name, expectedNdim);
  const elements = totalBytes - headerBytes;
  if (bytes.length !== totalBytes) {
    const what = bytes.length < totalBytes ? 'truncated' : 'trailing bytes after the data';
    throw new ArgumentError(
      `${name}: ${what}: dims [${dims.join(', ')}] need ${formatInteger(totalBytes)} bytes ` +
        `(${headerBytes} header + ${formatInteger(elements)} data), found ${formatInteger(bytes.length)}`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, elements) };
}

/** Parse an images file: dims [count, rows, cols], none of them zero. */
export function parseImages(bytes: Uint8Array, name: string): IdxImages {
  const { dims, data } = parseIdx(bytes, name, 3);
  const [count, rows, cols] = dims;
  if (count === 0 || rows === 0 || cols === 0) {
    throw new ArgumentError(`${name}: images file has dims [count=${count}, rows=${rows}, cols=${cols}]; all must be at least 1`);
  }
  return { data, count, rows, cols };
}

/** Parse a labels file: dims [count], count at least 1. */
export function parseLabels(bytes: Uint8Array, name: string): IdxLabels {
  const { dims, data } = parseIdx(bytes, name, 1);
  const count = dims[0];
  if (count === 0) throw new ArgumentError(`${name}: labels file holds 0 labels; expected at least 1`);
  let maxLabel = 0;
  for (let i = 0; i < count; i++) if (data[i] > maxLabel) maxLabel = data[i];
  return { data, count, maxLabel };
}

export interface PixelNormalization {
  /** Subtracted after scaling to [0, 1]. */
  mean: number;
  /** Divides after subtracting the mean; must be positive. */
  std: number;
}

/** Mean and standard deviation of all pixels after scaling to [0, 1]. */
export function pixelStatistics(images: IdxImages): PixelNormalization {
  const { data } = images;
  // Sums of bytes and of their squares are integers; accumulate them exactly
  // in a histogram instead of summing 47M floats.
  const histogram = new Float64Array(256);
  for (let i = 0; i < data.length; i++) histogram[data[i]]++;
  let sum = 0;
  let sumSquares = 0;
  for (let v = 0; v < 256; v++) {
    sum += histogram[v] * v;
    sumSquares += histogram[v] * v * v;
  }
  const n = data.length;
  const mean = sum / n;
  const variance = Math.max(0, sumSquares / n - mean * mean);
  return { mean: mean / 255, std: Math.sqrt(variance) / 255 };
}

/**
 * Pixels as float32: x / 255, then (x - mean) / std when `normalization` is
 * given (for instance the training set's own `pixelStatistics`). Allocates
 * 4 bytes per pixel (188 MB for Fashion-MNIST's training set); a trainer that
 * fills one batch at a time should call `pixelsToFloat32` on a subarray.
 */
export function imagesToFloat32(images: IdxImages, normalization?: PixelNormalization): Float32Array {
  const out = new Float32Array(images.data.length);
  pixelsToFloat32(images.data, out, normalization);
  return out;
}

/**
 * Write `pixels` into `out` (same length) as float32, scaled and optionally
 * normalized as in `imagesToFloat32`. `out` may be a view of WASM memory, so
 * a batch goes from the dataset to the input tensor in one pass.
 */
export function pixelsToFloat32(pixels: Uint8Array, out: Float32Array, normalization?: PixelNormalization): void {
  if (out.length !== pixels.length) {
    throw new ArgumentError(`pixelsToFloat32: out.length must equal pixels.length (${pixels.length}), got ${out.length}`);
  }
  const table = pixelTable(normalization);
  for (let i = 0; i < pixels.length; i++) out[i] = table[pixels[i]];
}

/**
 * The float32 each of the 256 pixel values becomes: v / 255, then
 * (x - mean) / std when normalized. Only 256 inputs exist, so conversions
 * compute each output once and then look it up (here and in the core's
 * batch gather).
 */
export function pixelTable(normalization?: PixelNormalization): Float32Array {
  let scale = 1 / 255;
  let shift = 0;
  if (normalization !== undefined) {
    const { mean, std } = normalization;
    if (!Number.isFinite(mean)) throw new ArgumentError(`pixelsToFloat32: normalization.mean must be finite, got ${mean}`);
    if (!(std > 0) || !Number.isFinite(std)) {
      throw new ArgumentError(`pixelsToFloat32: normalization.std must be positive and finite, got ${std}`);
    }
    // (x/255 - mean) / std == x * (1/(255 std)) - mean/std.
    scale = 1 / (255 * std);
    shift = -mean / std;
  }
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = v * scale + shift;
  return table;
}

/**
 * Labels as int32 class indices. With `classes`, every label must be below it;
 * the error names the first offending example.
 */
export function labelsToInt32(labels: IdxLabels, classes?: number): Int32Array {
  if (classes !== undefined) {
    if (!Number.isInteger(classes) || classes < 1) {
      throw new ArgumentError(`labelsToInt32: classes must be a positive integer, got ${classes}`);
    }
    if (labels.maxLabel >= classes) {
      const index = labels.data.findIndex((label) => label >= classes);
      throw new ArgumentError(
        `labelsToInt32: label ${labels.data[index]} at example ${index} is out of range for ${classes} classes ` +
          `(largest label is ${labels.maxLabel})`,
      );
    }
  }
  return Int32Array.from(labels.data);
}
