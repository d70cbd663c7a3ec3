// Property-based tests (fast-check, fixed seeds and run counts, so CI runs the
// same cases every time) of wasmgrad's two file parsers, safetensors and IDX:
// random valid files round-trip; random mutations (bit flips, truncations,
// huge and negative sizes, duplicate keys, overlapping offsets) end in a typed
// one-line error, never a crash, and never in more memory than the file could need.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseIdx, parseImages, parseLabels } from '../src/data/idx.js';
import { ArgumentError, ShapeError } from '../src/errors.js';
import { type SafetensorsTensor, readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { safetensorsBytes } from './helpers/safetensors-bytes.js';

const RUNS = 400;

/** Runs `parse`; it must either return or throw one of `types` with a one-line message. */
function parsesOrRefuses<T>(parse: () => T, types: (typeof ArgumentError)[]): T | null {
  try {
    return parse();
  } catch (e) {
    if (!types.some((t) => e instanceof t)) throw e;
    expect((e as Error).message).not.toContain('\n');
    return null;
  }
}

// ---- safetensors ----

const name = fc.oneof(fc.constantFrom('0.weight', '0.bias', '__metadata', 'é', ''), fc.string({ maxLength: 12 }));
const shape = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 });
const tensors = fc.uniqueArray(fc.tuple(name, shape, fc.integer()), { selector: ([n]) => n, maxLength: 5 }).map((list) =>
  list
    .filter(([n]) => n !== '__metadata__')
    .map(([n, s, seed]): SafetensorsTensor => {
      const count = s.reduce((a, b) => a * b, 1);
      // Any float32 bit pattern, NaN payloads and subnormals included.
      const bits = Uint32Array.from({ length: count }, (_, i) => Math.imul(seed ^ (i + 1), 0x9e3779b1) >>> 0);
      return { name: n, shape: s, data: new Float32Array(bits.buffer) };
    }),
);
const metadata = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 3 }).map((m) => {
  delete (m as Record<string, string>)['__proto__'];
  return m;
});

/** A valid file in any dtype mix, header keys in random order, the data in another. */
const validFile = fc
  .array(fc.tuple(fc.constantFrom('F32', 'F16', 'BF16'), shape), { maxLength: 5 })
  .chain((entries) => fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries.map((_, i) => i), { minLength: entries.length }), fc.boolean()))
  .map(([entries, dataOrder, metaFirst]) => {
    const size = { F32: 4, F16: 2, BF16: 2 } as const;
    const ranges: [number, number][] = [];
    let at = 0;
    for (const i of dataOrder) {
      const [dtype, s] = entries[i]!;
      const bytes = s.reduce((a, b) => a * b, 1) * size[dtype as keyof typeof size];
      ranges[i] = [at, (at += bytes)];
    }
    const header: Record<string, unknown> = metaFirst ? { __metadata__: { k: 'v' } } : {};
    entries.forEach(([dtype, s], i) => (header[`t${i}`] = { dtype, shape: s, data_offsets: ranges[i] }));
    const data = Uint8Array.from({ length: at }, (_, i) => (i * 37) & 0xff);
    return { bytes: safetensorsBytes(header, data), entries };
  });

type Mutation = (bytes: Uint8Array) => Uint8Array;
const headerLength = (b: Uint8Array) => Number(new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(0, true));
const headerOf = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + headerLength(b))));
/** The file with its header edited; a file an earlier mutation left unreadable stays as it is. */
function withHeader(b: Uint8Array, edit: (h: Record<string, Record<string, unknown>>) => string | object): Uint8Array {
  let header;
  try {
    header = headerOf(b);
  } catch {
    return b;
  }
  return safetensorsBytes(edit(header), b.subarray(8 + headerLength(b)));
}
const someTensor = (h: Record<string, unknown>, k: number) => Object.keys(h).filter((n) => n !== '__metadata__')[k % Math.max(1, Object.keys(h).length)];
const hugeOrNegative = fc.constantFrom(-1, -(2 ** 53), 2 ** 53, 2 ** 64, 1e300, 2 ** 32, 2 ** 31 - 1, 1.5, 0);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]): Mutation => (b) => {
    const out = b.slice();
    if (out.length) out[at % out.length]! ^= 1 << bit;
    return out;
  }),
  fc.nat().map((cut): Mutation => (b) => b.slice(0, cut % (b.length + 1))),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((length): Mutation => (b) => {
    const out = b.slice();
    if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, length, true);
    return out;
  }),
  fc.tuple(fc.nat(), fc.constantFrom('shape', 'data_offsets'), fc.nat(1), hugeOrNegative).map(([k, field, index, value]): Mutation => (b) =>
    withHeader(b, (h) => {
      const t = someTensor(h, k);
      if (t && Array.isArray(h[t]![field])) (h[t]![field] as number[])[index] = value;
      return h;
    }),
  ),
  // Overlapping offsets: one tensor's range moved back onto the one before, its length kept.
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([k, back]): Mutation => (b) =>
    withHeader(b, (h) => {
      const t = someTensor(h, k);
      const range = t && (h[t]!.data_offsets as number[]);
      if (range && range[0]! >= back) h[t]!.data_offsets = [range[0]! - back, range[1]! - back];
      return h;
    }),
  ),
  // A key written twice in the raw text.
  fc.nat().map((k): Mutation => (b) =>
    withHeader(b, (h) => {
      const t = someTensor(h, k);
      const text = JSON.stringify(h);
      return t ? `${text.slice(0, -1)},${JSON.stringify(t)}:${JSON.stringify(h[t])}}` : text;
    }),
  ),
  fc.constantFrom<Mutation>(
    (b) => withHeader(b, (h) => ({ ...h, __metadata__: { n: 1 } })),
    (b) => withHeader(b, (h) => ({ ...h, extra: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } })),
    (b) => withHeader(b, (h) => ` ${JSON.stringify(h)}`),
  ),
);

describe('readSafetensors under fast-check', () => {
  it(`random tensors and metadata round-trip bit for bit (seed 1, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(tensors, metadata, (list, meta) => {
        const read = readSafetensors(writeSafetensors(list, meta));
        expect(read.metadata).toEqual(meta);
        expect(read.tensors.map((t) => [t.name, t.shape])).toEqual(list.map((t) => [t.name, t.shape]));
        read.tensors.forEach((t, i) => expect(new Uint32Array(t.data.slice().buffer)).toEqual(new Uint32Array(list[i]!.data.buffer)));
      }),
      { seed: 1, numRuns: RUNS },
    );
  });

  it(`random valid files in F32, F16 and BF16, in any order, read whole (seed 2, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(validFile, ({ bytes, entries }) => {
        const read = readSafetensors(bytes);
        expect(read.tensors.map((t) => t.name).sort()).toEqual(entries.map((_, i) => `t${i}`).sort());
        for (const t of read.tensors) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      }),
      { seed: 2, numRuns: RUNS },
    );
  });

  it(`mutated files give a named error or a consistent result, within the file's size (seed 3, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(validFile, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ bytes }, mutations) => {
        const mutated = mutations.reduce((b, m) => m(b), bytes);
        const read = parsesOrRefuses(() => readSafetensors(mutated, 'fuzz.safetensors'), [ArgumentError, ShapeError]);
        if (!read) return;
        // Accepted: every tensor holds what its shape says, and float32 out is at most twice the bytes in (F16 widened).
        let floats = 0;
        for (const t of read.tensors) {
          expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
          floats += t.data.length;
        }
        expect(4 * floats).toBeLessThanOrEqual(2 * mutated.length);
      }),
      { seed: 3, numRuns: RUNS },
    );
  });

  it('mutations of each kind are refused at least once (the fuzzing reaches every check)', () => {
    const messages = new Set<string>();
    fc.assert(
      fc.property(validFile.filter((f) => f.entries.length >= 2), mutation, ({ bytes }, m) => {
        try {
          readSafetensors(m(bytes), 'f');
        } catch (e) {
          messages.add((e as Error).message.replace(/^f: /, '').replace(/[0-9]+/g, 'N').replace(/'[^']*'/g, "'x'"));
        }
      }),
      { seed: 4, numRuns: RUNS },
    );
    const seen = [...messages].join('\n');
    for (const check of ['header length N is over', 'header length N runs past', 'the header has the key', 'overlap', "the header must be a JSON object starting", 'dtype I', 'shape must be a list', 'data_offsets must be']) {
      expect(seen).toContain(check);
    }
  });
});

// ---- IDX ----

const idxFile = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 3, maxLength: 3 }))
  .map(([ndim, dims]) => {
    const d = dims.slice(0, ndim);
    const header = new Uint8Array(4 + 4 * ndim);
    header[2] = 0x08;
    header[3] = ndim;
    d.forEach((v, i) => new DataView(header.buffer).setUint32(4 + 4 * i, v, false));
    const data = Uint8Array.from({ length: d.reduce((a, b) => a * b, 1) }, (_, i) => (i * 53) & 0xff);
    const bytes = new Uint8Array(header.length + data.length);
    bytes.set(header);
    bytes.set(data, header.length);
    return { bytes, dims: d, data };
  });

const idxMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]): Mutation => (b) => {
    const out = b.slice();
    if (out.length) out[at % out.length]! ^= 1 << bit;
    return out;
  }),
  fc.nat().map((cut): Mutation => (b) => b.slice(0, cut % (b.length + 1))),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(0, 0xffffffff, 0x80000000, 65536, 2 ** 30)).map(([i, v]): Mutation => (b) => {
    const out = b.slice();
    if (out.length >= 8 + 4 * i) new DataView(out.buffer).setUint32(4 + 4 * i, v, false);
    return out;
  }),
  fc.nat(255).map((extra): Mutation => (b) => Uint8Array.from([...b, extra])),
);

describe('parseIdx under fast-check', () => {
  it(`random valid files round-trip (seed 5, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(idxFile, ({ bytes, dims, data }) => {
        const t = parseIdx(bytes, 'f');
        expect(t.dims).toEqual(dims);
        expect(t.data).toEqual(data);
      }),
      { seed: 5, numRuns: RUNS },
    );
  });

  it(`mutated files give a named error or exactly the bytes their header says (seed 6, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(idxFile, fc.array(idxMutation, { minLength: 1, maxLength: 3 }), ({ bytes }, mutations) => {
        const mutated = mutations.reduce((b, m) => m(b), bytes);
        for (const parse of [parseIdx, parseImages, parseLabels]) {
          const t = parsesOrRefuses(() => parse(mutated, 'fuzz-idx'), [ArgumentError]);
          if (!t) continue;
          expect(t.data.length).toBeLessThanOrEqual(mutated.length);
          expect(t.data.buffer).toBe(mutated.buffer); // a view: nothing allocated
        }
      }),
      { seed: 6, numRuns: RUNS },
    );
  });
});
