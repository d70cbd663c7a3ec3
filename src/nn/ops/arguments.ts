// What every op wrapper checks before the core runs, so a bad call is a typed
// one-line error and never a trap, a write outside a buffer or a changed
// byte: the argument object has only known fields, sizes are integers the
// core's i32 takes, each pointer is an aligned byte offset whose buffer lies
// inside the runtime's memory, and token ids lie inside the vocabulary.

import { ArgumentError, checkInt, checkOptions, describeValue } from '../../errors.js';
import { checkRuntime, type Runtime } from '../../runtime.js';

const MAX_I32 = 2 ** 31 - 1;

/** The fields of an op's argument object, refusing a misspelt or unknown one. */
export function opArguments<T>(rt: Runtime, where: string, args: T, known: readonly (keyof T & string)[]): T {
  checkRuntime(rt, where);
  return checkOptions(where, args, known) as T;
}

/** A size or count: an integer from `min` that the core's i32 holds. */
export function checkDim(where: string, name: string, value: unknown, min = 0): asserts value is number {
  checkInt(`${where}: ${name}`, value, min, MAX_I32);
}

export interface BufferRule {
  /** 0 stands for "none" (no bias, no position embedding). */
  optional?: boolean;
  /** Byte alignment: 4 for float32 and int32 (the default), 1 for bytes. */
  align?: 1 | 4;
}

/** Checks that `bytes` at byte offset `ptr` lie inside the runtime's memory (0 passes when optional). */
export function checkBuffer(rt: Runtime, where: string, name: string, ptr: unknown, bytes: number, rule: BufferRule = {}): asserts ptr is number {
  const align = rule.align ?? 4;
  if (rule.optional && ptr === 0) return;
  if (!Number.isInteger(ptr) || (ptr as number) <= 0 || (ptr as number) % align !== 0) {
    const what = align === 4 ? 'a positive byte offset that is a multiple of 4' : 'a positive byte offset';
    throw new ArgumentError(`${where}: ${name} must be ${what}${rule.optional ? ' (or 0 for none)' : ''}, got ${describeValue(ptr)}`, { field: name });
  }
  const end = (ptr as number) + bytes, size = rt.memory.buffer.byteLength;
  if (end > size) {
    throw new ArgumentError(`${where}: ${name} needs ${bytes} bytes from offset ${ptr as number}, past the end of WASM memory (${size} bytes)`, { field: name });
  }
}

/** Checks that the `n` int32 ids at `ids` lie in [0, vocab), naming the first one that does not. */
export function checkTokenIds(rt: Runtime, where: string, name: string, ids: number, n: number, vocab: number): void {
  const bad = rt.core.firstBadTokenId(ids, n, vocab);
  if (bad < 0) return;
  const value = new Int32Array(rt.memory.buffer, ids + bad * 4, 1)[0]!;
  throw new ArgumentError(`${where}: ${name}[${bad}] is ${value}, outside [0, ${vocab}) (the vocabulary)`, { field: name });
}

/** One buffer of an op: its argument name, pointer, bytes and rule. */
export type BufferArgument = readonly [name: string, ptr: unknown, bytes: number, rule?: BufferRule];

/** checkBuffer over each of an op's buffers. */
export function checkBuffers(rt: Runtime, where: string, buffers: readonly BufferArgument[]): void {
  for (const [name, ptr, bytes, rule] of buffers) checkBuffer(rt, where, name, ptr, bytes, rule);
}
