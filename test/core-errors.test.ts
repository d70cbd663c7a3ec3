// What the loader and the core throw when something below the TypeScript
// checks fails: an abort inside the core, a server refusing the .wasm, a
// module with none of the core's exports. Always a typed error on one line
// saying what failed, never a bare Error.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, init } from '../src/index.js';
import { expectTypedOneLine } from './helpers/refusal.js';
import { CORE_EXPORT_NAMES } from '../src/core.js';

const bytes = (text: string) => Array.from(text, (ch) => ch.charCodeAt(0));
/** Unsigned LEB128, as the binary format spells lengths. */
const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >>> 7)]);
/** Signed LEB128 of a non-negative number, as i32.const spells its operand. */
const sleb = (n: number): number[] => (n < 0x40 ? [n] : [(n & 0x7f) | 0x80, ...sleb(n >>> 7)]);
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const names = (list: string[]) => list.flatMap((n) => [n.length, ...bytes(n)]);

/**
 * A module with every export the core has, each one a function that calls
 * env.abort(message, 0, 7, 9): the first call into it (buildKind, during init) aborts.
 */
function abortingCore(message = 0): Uint8Array {
  const exports = CORE_EXPORT_NAMES.filter((n) => n !== 'memory');
  const exportEntries = [...exports.flatMap((n) => [...names([n]), 0x00, 0x01]), ...names(['memory']), 0x02, 0x00];
  const body = [0x00, 0x41, ...sleb(message), 0x41, 0x00, 0x41, 0x07, 0x41, 0x09, 0x10, 0x00, 0x41, 0x00, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(0x01, [0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f]), // (i32 x4) -> (), () -> i32
    ...section(0x02, [0x01, ...names(['env', 'abort']), 0x00, 0x00]), // import env.abort
    ...section(0x03, [0x01, 0x01]), // one function () -> i32
    ...section(0x05, [0x01, 0x00, 0x01]), // one page of memory
    ...section(0x07, [exports.length + 1, ...exportEntries]),
    ...section(0x0a, [0x01, body.length, ...body]),
  ]);
}

describe('failures below the TypeScript checks are typed errors', () => {
  it('an abort inside the core is an ArgumentError naming the core and the place, not a bare Error', async () => {
    const e = await init({ fresh: true, wasm: abortingCore() }).then(() => undefined, (error: unknown) => error);
    expectTypedOneLine(e);
    expect((e as Error).message).toBe('wasmgrad core aborted at the core:7:9: no message');
  });

  // A pointer off the end of memory, or not where a string starts, must not turn into a RangeError.
  it.each([2, 131072])('an abort whose message pointer (%i) is no string in memory is still the typed error', async (message) => {
    const e = await init({ fresh: true, wasm: abortingCore(message) }).then(() => undefined, (error: unknown) => error);
    expectTypedOneLine(e);
    expect((e as Error).message).toBe('wasmgrad core aborted at the core:7:9: no message');
  });

  it('an abort compiled by AssemblyScript (runtime "stub", as the core is) names its message and source file', async () => {
    const { default: asc } = await import('assemblyscript/asc');
    const stubs = CORE_EXPORT_NAMES.filter((n) => n !== 'memory' && n !== 'buildKind').map((n) => `export function ${n}(): i32 { return 0; }`);
    const source = ['export function buildKind(): i32 { assert(false, "gemm: lda is smaller than k"); return 0; }', ...stubs].join('\n');
    const { binary, error } = await asc.compileString({ 'aborting.ts': source }, { runtime: 'stub' });
    expect(error).toBeNull();
    const e = await init({ fresh: true, wasm: binary! }).then(() => undefined, (error: unknown) => error);
    expectTypedOneLine(e);
    expect((e as Error).message).toMatch(/^wasmgrad core aborted at aborting\.ts:1:\d+: gemm: lda is smaller than k$/);
  });

  it('a module with none of the core exports names a few and counts the rest, on one short line', async () => {
    const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const e = await init({ fresh: true, wasm: empty }).then(() => undefined, (error: unknown) => error);
    expectTypedOneLine(e);
    expect((e as Error).message).toBe(`wasm: this module is not a wasmgrad core (missing exports: memory, buildKind, arenaAlloc, arenaFree, arenaLive and ${CORE_EXPORT_NAMES.length - 5} more)`);
  });

  describe('a server that refuses the .wasm', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer((_req, res) => res.writeHead(404, 'Not Found').end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wasmgrad-simd.wasm`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('is an ArgumentError naming the URL and the HTTP status', async () => {
      const e = await init({ fresh: true, wasm: url }).then(() => undefined, (error: unknown) => error);
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as Error).message).toBe(`wasmgrad: could not load ${url}: the server answered HTTP 404 Not Found`);
    });
  });
});
