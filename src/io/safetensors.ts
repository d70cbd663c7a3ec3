// safetensors (huggingface/safetensors), bytes in and bytes out, so it works
// in browsers as in Node:
//
//   8 bytes     N, the header's length, unsigned little-endian
//   N bytes     a JSON object (UTF-8, starting with '{', maybe padded with spaces):
//                 { "0.weight": { "dtype": "F32", "shape": [13, 7], "data_offsets": [0, 364] }, ...,
//                   "__metadata__": { "key": "string value", ... } }
//   the rest    the data: each tensor row-major, little-endian, at its offsets
//
// Every file is treated as hostile (the bugs of other parsers are the
// checklist): the header length is capped before anything is allocated, keys
// must be unique in the raw text (JSON.parse would keep the last silently),
// offsets must tile the data exactly, and sizes are computed in BigInt so a
// shape cannot overflow its way past the offsets. Errors are one line naming
// the tensor and the field.

import { ArgumentError, ShapeError, clip, describeValue } from '../errors.js';

/** A tensor as wasmgrad holds it: float32, row-major. */
export interface SafetensorsTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface ReadTensor extends SafetensorsTensor {
  /** The dtype in the file (F16 and BF16 were converted to float32). */
  dtype: ReadableDtype;
}

export interface SafetensorsContents {
  /** In the order of their data in the file. */
  tensors: ReadTensor[];
  metadata: Record<string, string>;
}

/** The largest header read (the limit of the reference implementation): a longer one is refused before it is allocated. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA = '__metadata__';
const READABLE = { F32: 4, F16: 2, BF16: 2 } as const;
export type ReadableDtype = keyof typeof READABLE;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses and checks a safetensors file; `source` (a path) starts every error message. */
export function readSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`readSafetensors needs the file's bytes as a Uint8Array, got ${describeValue(bytes)}`);
  const fail = (message: string) => new ArgumentError(`${source}: ${message}`);
  if (bytes.length < 8) throw fail(`${bytes.length} bytes is too short for a safetensors file (8-byte header length first)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) throw fail(`header length ${declared} is over the ${MAX_HEADER_BYTES.toLocaleString('en-US')}-byte limit`);
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) throw fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  if (bytes[8] !== 0x7b) throw fail(`the header must be a JSON object starting with '{'`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw fail('the header is not valid UTF-8');
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`the header is not JSON (${clip((e as Error).message)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail('the header must be a JSON object');
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) throw fail(`the header has the key ${describeValue(duplicate, "'")} twice`);

  const metadata = readMetadata(header[METADATA], fail);
  const data = bytes.subarray(8 + headerLength);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA)
    .map(([name, info]) => readEntry(name, info, data.length, source));
  checkTiling(entries, data.length, source);
  return { tensors: entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, data: decode(e, data) })), metadata };
}

/** The file's bytes as one array (see safetensorsChunks for writing without a copy). */
export function writeSafetensors(tensors: readonly SafetensorsTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const chunks = safetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The file as chunks: the length and header, then each tensor's bytes (views
 * of its data on little-endian hosts), to stream to a file one by one.
 * Tensors are F32, in the order given; the header is padded with spaces to a
 * multiple of 8 bytes, as the reference writer does, so the data is aligned.
 */
export function safetensorsChunks(tensors: readonly SafetensorsTensor[], metadata: Record<string, string> = {}): Uint8Array[] {
  if (!Array.isArray(tensors)) throw new ArgumentError(`writeSafetensors needs a list of { name, shape, data }, got ${describeValue(tensors)}`);
  const header: Record<string, unknown> = {};
  if (typeof metadata !== 'object' || metadata === null) throw new ArgumentError(`safetensors metadata must be an object of strings, got ${describeValue(metadata)}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new ArgumentError(`safetensors metadata '${clip(key)}' must be a string, got ${describeValue(value)}`);
  }
  if (Object.keys(metadata).length) header[METADATA] = metadata;
  let offset = 0;
  tensors.forEach((t, i) => {
    const where = typeof t?.name === 'string' ? `tensor '${clip(t.name)}'` : `tensors[${i}]`;
    if (typeof t?.name !== 'string' || t.name === METADATA) throw new ArgumentError(`${where} needs a string name other than '${METADATA}'`);
    if (Object.hasOwn(header, t.name)) throw new ArgumentError(`${where} is given twice`);
    if (!(t.data instanceof Float32Array)) throw new ArgumentError(`${where} data must be a Float32Array, got ${describeValue(t.data)}`);
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
      throw new ShapeError(`${where} shape must be a list of integers >= 0, got ${describeValue(t.shape)}`);
    }
    const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new ShapeError(`${where} has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${count}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...tensors.map((t) => littleEndianBytes(t.data))];
}

interface Entry {
  name: string;
  dtype: ReadableDtype;
  shape: number[];
  begin: number;
  end: number;
}

function readMetadata(value: unknown, fail: (m: string) => Error): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw fail(`'${METADATA}' must be an object of strings, got ${describeValue(value, "'")}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw fail(`'${METADATA}' value '${clip(key)}' must be a string, got ${describeValue(v, "'")}`);
  }
  return { ...(value as Record<string, string>) };
}

function readEntry(name: string, info: unknown, dataLength: number, source: string): Entry {
  const where = `${source}: tensor '${clip(name)}'`;
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new ArgumentError(`${where} must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(READABLE, dtype)) {
    throw new ArgumentError(`${source}: dtype ${typeof dtype === 'string' ? clip(dtype) : describeValue(dtype, "'")} of '${clip(name)}' is not supported; wasmgrad reads ${Object.keys(READABLE).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new ShapeError(`${where}: shape must be a list of integers from 0 to 2^53 - 1, got ${describeValue(shape, "'")}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new ArgumentError(`${where}: data_offsets must be [begin, end], integers from 0 to 2^53 - 1, got ${describeValue(offsets, "'")}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) throw new ArgumentError(`${where}: data_offsets [${begin}, ${end}] are not within the ${dataLength} bytes of data`);
  // The product in BigInt: a shape like [2^32, 2^32] must not wrap to a small byte count.
  const bytes = (shape as number[]).reduce((n, d) => n * BigInt(d), BigInt(READABLE[dtype as ReadableDtype]));
  if (bytes !== BigInt(end - begin)) {
    throw new ShapeError(`${where}: shape [${shape.join(', ')}] of ${dtype} is ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: dtype as ReadableDtype, shape: [...(shape as number[])], begin, end };
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** The tensors' byte ranges, in order, must cover the data exactly: no gap, no overlap, nothing after. */
function checkTiling(entries: Entry[], dataLength: number, source: string): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) throw new ArgumentError(`${source}: tensor '${clip(e.name)}': data_offsets [${e.begin}, ${e.end}] overlap the tensor before it (which ends at ${cursor})`);
    if (e.begin > cursor) throw new ArgumentError(`${source}: tensor '${clip(e.name)}': data_offsets [${e.begin}, ${e.end}] leave bytes ${cursor} to ${e.begin} unused`);
    cursor = e.end;
  }
  if (cursor !== dataLength) throw new ArgumentError(`${source}: the tensors cover ${cursor} bytes of data but the file has ${dataLength}`);
}

/** A tensor's values as float32: F32 as a view where aligned (else a copy), F16 and BF16 widened. */
function decode(e: Entry, data: Uint8Array): Float32Array {
  const raw = data.subarray(e.begin, e.end);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (e.dtype === 'F32') {
    if (!LITTLE_ENDIAN_HOST) return Float32Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
    // new Uint8Array(raw) copies (a Node Buffer's slice() would not).
    return raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : new Float32Array(new Uint8Array(raw).buffer);
  }
  const out = new Float32Array(raw.length / 2);
  const widen = e.dtype === 'F16' ? halfToFloat : bfloat16ToFloat;
  for (let i = 0; i < out.length; i++) out[i] = widen(view.getUint16(2 * i, true));
  return out;
}

const widenScratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the top half of a float32. */
function bfloat16ToFloat(bits: number): number {
  widenScratch.setUint32(0, bits << 16);
  return widenScratch.getFloat32(0);
}

/** IEEE binary16 to a number (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

/**
 * The first key that appears twice in one object of a (syntactically valid)
 * JSON text, compared after unescaping ("a" and "\u0061" are one key), or null.
 */
export function firstDuplicateKey(text: string): string | null {
  const objects: (Set<string> | null)[] = []; // one per open container; null for arrays
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const keys = objects[objects.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      objects.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      objects.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      objects.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = objects[objects.length - 1] != null;
    }
  }
  return null;
}
