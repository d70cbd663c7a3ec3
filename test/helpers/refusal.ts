// How a bad-input suite checks a refusal: the call throws one of wasmgrad's
// typed errors, on one short line, quickly, and nothing the caller can see
// (its arrays, the state it names) changed.

import { expect } from 'vitest';
import { ArgumentError, NonFiniteError, OutOfMemoryError, ShapeError } from '../../src/index.js';

export const TYPED_ERRORS = [ArgumentError, ShapeError, OutOfMemoryError, NonFiniteError];
/** Generous for 2 shared cores; a refusal is checks only, well under a millisecond. */
export const TIME_LIMIT_MS = 1000;
/** A message longer than this is not one line a person reads. */
export const MAX_MESSAGE_CHARS = 300;

export function expectTypedOneLine(error: unknown): void {
  const shown = `${String((error as Error)?.name)}: ${String((error as Error)?.message)}`;
  expect(TYPED_ERRORS.some((E) => error instanceof E), shown).toBe(true);
  expect((error as Error).message, shown).not.toMatch(/[\n\r\u2028\u2029]/);
  expect((error as Error).message.length, shown).toBeLessThan(MAX_MESSAGE_CHARS);
}

/** What a caller could see change: the elements of its arrays (bytes, so NaN payloads count too). */
export function snapshot(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) return x.buffer.byteLength > 0 ? Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)) : 'empty or detached';
  return Array.isArray(x) ? [...x] : x;
}

/** The error `call` throws (undefined when it returns), with how long it took. */
export function thrownBy(call: () => unknown): { error: unknown; threw: boolean; ms: number } {
  const start = performance.now();
  try {
    call();
    return { error: undefined, threw: false, ms: performance.now() - start };
  } catch (error) {
    return { error, threw: true, ms: performance.now() - start };
  }
}

/**
 * Calls `call`, which must be refused, and checks how: a typed one-line error
 * within the time limit, `inputs` and `state()` as they were before.
 */
export function expectRefused(call: () => unknown, inputs: readonly unknown[], state: () => unknown): void {
  const before = inputs.map(snapshot);
  const stateBefore = state();
  const { error, threw, ms } = thrownBy(call);
  expect(ms).toBeLessThan(TIME_LIMIT_MS);
  expect(threw, 'the call must be refused').toBe(true);
  expectTypedOneLine(error);
  inputs.forEach((x, i) => expect(snapshot(x)).toEqual(before[i]));
  expect(state()).toEqual(stateBefore);
}

/** Replaces argument `at` of `args` with `value`. */
export function withArgument(args: readonly unknown[], at: number, value: unknown): unknown[] {
  const out = [...args];
  out[at] = value;
  return out;
}
