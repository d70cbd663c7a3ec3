// init() options and the runtime check: every failure is a rejected promise
// with a typed error naming what was given.

import { describe, expect, it } from 'vitest';
import { ArgumentError, init } from '../src/index.js';
import { checkRuntime } from '../src/runtime.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// A valid module exporting `buildKind() -> 1` and nothing else.
const ONLY_BUILD_KIND = new Uint8Array([
  ...HEADER,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x07, 0x0d, 0x01, 0x09, ...Array.from('buildKind', (ch) => ch.charCodeAt(0)), 0x00, 0x00, // export it
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x01, 0x0b, // body: i32.const 1
]);
// A valid module importing env.other, which the core's imports do not provide.
const FOREIGN_IMPORT = new Uint8Array([
  ...HEADER,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
  0x02, 0x0d, 0x01, 0x03, ...Array.from('env', (ch) => ch.charCodeAt(0)), 0x05, ...Array.from('other', (ch) => ch.charCodeAt(0)), 0x00, 0x00,
]);

/** Calls init without letting a synchronous throw escape, and returns its rejection. */
async function rejection(options: unknown): Promise<unknown> {
  let pending: Promise<unknown> | undefined;
  expect(() => (pending = init(options as never))).not.toThrow();
  return pending!.then(
    () => expect.unreachable('init resolved'),
    (e: unknown) => e,
  );
}

describe('init options', () => {
  it.each([
    ['null', null, 'init: options must be an object, got null'],
    ['a string', 'simd', 'init: options must be an object, got "simd"'],
    ['a misspelt key', { bulid: 'simd' }, 'init: unknown option "bulid"; known options: build, wasm, fresh'],
    ['fresh as a string', { fresh: 'yes' }, 'init: fresh must be a boolean (true or false), got "yes"'],
    ['build as null', { build: null }, 'init: build must be one of auto, relaxed, simd, scalar; got null'],
    ['build as a symbol', { build: Symbol('simd') }, 'init: build must be one of auto, relaxed, simd, scalar; got Symbol(simd)'],
    ['wasm as a number', { wasm: 42 }, 'init: wasm must be the bytes, a WebAssembly.Module, a URL or a URL string of a wasmgrad core, got 42'],
    ['wasm as an empty string', { wasm: '' }, "wasm: cannot resolve '' to a URL"],
  ])('%s is a rejected promise with an ArgumentError', async (_name, options, message) => {
    const e = await rejection(options);
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as Error).message).toContain(message);
  });

  it('bytes that are not a WebAssembly module are named as such, not a CompileError', async () => {
    const e = await rejection({ wasm: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as Error).message).toMatch(/^wasm: the 8 bytes given are not a WebAssembly module \(.*magic.*\)$/);
  });

  it('a module that does not link against the core imports is not a wasmgrad core', async () => {
    const e = await rejection({ wasm: FOREIGN_IMPORT });
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as Error).message).toMatch(/^wasm: this module is not a wasmgrad core \(.*other.*\)$/);
  });

  it('a module missing the core exports is not a wasmgrad core, and says which are missing', async () => {
    const e = await rejection({ wasm: ONLY_BUILD_KIND });
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as Error).message).toMatch(/^wasm: this module is not a wasmgrad core \(missing exports: memory, arenaAlloc, .*\)$/);
  });

  it('a URL that cannot be fetched or read is an ArgumentError', async () => {
    const unknownScheme = await rejection({ wasm: 'nosuchscheme:core.wasm' });
    expect(unknownScheme).toBeInstanceOf(ArgumentError);
    expect((unknownScheme as Error).message).toMatch(/^wasmgrad: could not load nosuchscheme:core\.wasm: /);
    const missing = await rejection({ wasm: new URL('file:///nonexistent/wasmgrad.wasm') });
    expect(missing).toBeInstanceOf(ArgumentError);
  });
});

describe('checkRuntime', () => {
  it('passes a runtime and names anything else', async () => {
    const rt = await init();
    expect(() => checkRuntime(rt, 'Sequential')).not.toThrow();
    expect(() => checkRuntime(undefined, 'Sequential')).toThrow(new ArgumentError('Sequential needs a Runtime from init(), got undefined'));
    expect(() => checkRuntime({ arena: rt.arena }, 'SGD step')).toThrow(new ArgumentError('SGD step needs a Runtime from init(), got an object'));
    expect(() => checkRuntime(init(), 'Sequential')).toThrow(/got a Promise \(await init\(\) first\)/);
  });
});
