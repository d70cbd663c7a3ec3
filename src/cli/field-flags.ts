// Library errors name the field they are about (error.field, e.g. seqLength);
// the command line names the flag that sets it (--seq). Each command keeps its
// own field -> flag table; the messages themselves are never pattern-matched.

import { WasmgradError } from '../errors.js';

/** Library field names and the flags that set them. */
export type FlagOf = Readonly<Record<string, string>>;

/**
 * The message of `error` as the command line says it. When the error's field
 * is set by a flag, the flag goes in front (`--tp (tensorParallel): ...`, or
 * `--heads: ...` when the flag spells the field), in place of the field name
 * that library messages start with.
 */
export function messageWithFlag(error: unknown, flagOf: FlagOf): string {
  const message = error instanceof Error ? error.message : String(error);
  const field = error instanceof WasmgradError ? error.field : undefined;
  if (field === undefined || !Object.hasOwn(flagOf, field)) return message;
  const flag = flagOf[field]!;
  const label = flag === `--${field}` ? flag : `${flag} (${field})`;
  const named = `${field}: `;
  return `${label}: ${message.startsWith(named) ? message.slice(named.length) : message}`;
}
