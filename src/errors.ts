/** What a typed error says besides its message. */
export interface ErrorDetails {
  /**
   * The argument or field the error is about, as the library spells it
   * (`seqLength`, `report.title`), so a caller can name it in its own terms:
   * the command line puts the flag that sets it in front of the message.
   */
  field?: string;
}

/** The common base of wasmgrad's typed errors: a one-line message, and the field it is about when there is one. */
export class WasmgradError extends Error {
  declare readonly field?: string;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message);
    // Not enumerable: the message stays the whole of what an error prints or compares as.
    if (details.field !== undefined) Object.defineProperty(this, 'field', { value: details.field });
  }
}

/** A tensor or matrix argument has the wrong size or shape. */
export class ShapeError extends WasmgradError {
  override name = 'ShapeError';
}

/** An argument has an invalid value (negative size, unknown option, non-integer, ...). */
export class ArgumentError extends WasmgradError {
  override name = 'ArgumentError';
}

/** WASM linear memory cannot hold what was asked for. */
export class OutOfMemoryError extends WasmgradError {
  override name = 'OutOfMemoryError';
}

/** A loss or gradient became NaN or infinite during training. */
export class NonFiniteError extends WasmgradError {
  override name = 'NonFiniteError';
}

/**
 * A value as an error message shows it, on one line and never throwing
 * (symbols and null-prototype objects cannot go through a template string).
 * Strings are quoted with `quote`: double by default, single on the command
 * line, where commander quotes that way.
 */
export function describeValue(value: unknown, quote: '"' | "'" = '"'): string {
  switch (typeof value) {
    case 'string': {
      const long = value.length > 60;
      const escaped = JSON.stringify(long ? `${value.slice(0, 60)}...` : value).slice(1, -1);
      const shown = `${quote}${quote === "'" ? escaped.replace(/\\"/g, '"').replace(/'/g, "\\'") : escaped}${quote}${long ? ` (${value.length.toLocaleString('en-US')} characters)` : ''}`;
      return shown.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    }
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return `Symbol(${describeValue(value.description ?? '').slice(1, -1)})`;
    case 'function':
      return 'a function';
    case 'object': {
      if (value === null) return 'null';
      // A short list of numbers is a shape or a size list: show it whole.
      if (Array.isArray(value)) return value.length <= 8 && value.every((v) => typeof v === 'number') ? `[${value.join(',')}]` : `an array of ${value.length}`;
      const tag = Object.prototype.toString.call(value).slice(8, -1);
      if (tag === 'Object') return 'an object';
      const named = `${/^[AEIOU]/.test(tag) ? 'an' : 'a'} ${tag}`;
      return ArrayBuffer.isView(value) && 'length' in value ? `${named} of ${String(value.length)}` : named;
    }
    default:
      return String(value);
  }
}

/** The first line of a caught error's message, for wrapping it in a one-line typed error. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : describeValue(error)).split('\n')[0]!;
}

/** The field a check's `name` is about: callers may put where the check runs in front ('Tensor.empty: shape[0]' is about shape[0]). */
function fieldOf(name: string): string {
  return name.slice(name.lastIndexOf(': ') + 1).trim();
}

/** Throws ArgumentError unless `value` is an integer from min to max (default: the largest safe integer). */
export function checkInt(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new ArgumentError(`${name} must be an integer >= ${min}, got ${describeValue(value)}`, { field: fieldOf(name) });
  }
  if ((value as number) > max) throw new ArgumentError(`${name} must be an integer <= ${max}, got ${describeValue(value)}`, { field: fieldOf(name) });
}

/** Throws ArgumentError unless `value` is true or false (a truthy string must not pass for true). */
export function checkBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${name} must be a boolean (true or false), got ${describeValue(value)}`, { field: fieldOf(name) });
}

/**
 * The options object of `where` (undefined reads as none), refusing anything
 * that is not an object and any key not in `known`, so a misspelt option is
 * an error instead of a silently ignored default.
 */
export function checkOptions(where: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`${where}: unknown option ${describeValue(key)}; known options: ${known.join(', ')}`);
    }
  }
  return options as Record<string, unknown>;
}

/** An option's value or its default. Only undefined takes the default: null is a value to check, not an absent option. */
export function orDefault(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value;
}

/** Throws ArgumentError unless `value` is a finite number. */
function checkFinite(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${name} must be a finite number, got ${describeValue(value)}`, { field: fieldOf(name) });
  }
}

/** Whether `value` is a number that stays finite when stored as float32 (|x| <= 3.4028235e38, after rounding). */
export function isFiniteFloat32(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(Math.fround(value));
}

/** Throws ArgumentError unless `value` is finite as a float32 (the core computes in float32). */
export function checkFloat32(name: string, value: unknown): asserts value is number {
  checkFinite(name, value);
  if (!isFiniteFloat32(value)) {
    throw new ArgumentError(`${name} must fit in float32 (|x| <= 3.4028235e38), got ${value}`, { field: fieldOf(name) });
  }
}

/** `text` (a name, a path) cut to `max` characters, so an error never echoes a huge user value whole. */
export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length.toLocaleString('en-US')} characters)` : text;
}

/** A worker thread of a threaded runtime failed to start or failed during a parallel call. */
export class ThreadError extends WasmgradError {
  override name = 'ThreadError';
}
