/** A tensor or matrix argument has the wrong size or shape. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** An argument has an invalid value (negative size, unknown option, non-integer, ...). */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** WASM linear memory cannot hold what was asked for. */
export class OutOfMemoryError extends Error {
  override name = 'OutOfMemoryError';
}

/** A loss or gradient became NaN or infinite during training. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** Throws ArgumentError unless `value` is an integer >= min. */
export function checkInt(name: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ArgumentError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** Throws ArgumentError unless `value` is a finite number. */
function checkFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${name} must be a finite number, got ${value}`);
  }
}

/** Whether `value` is a number that stays finite when stored as float32 (|x| <= 3.4028235e38, after rounding). */
export function isFiniteFloat32(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(Math.fround(value));
}

/** Throws ArgumentError unless `value` is finite as a float32 (the core computes in float32). */
export function checkFloat32(name: string, value: number): void {
  checkFinite(name, value);
  if (!isFiniteFloat32(value)) {
    throw new ArgumentError(`${name} must fit in float32 (|x| <= 3.4028235e38), got ${value}`);
  }
}

/** Throws ArgumentError unless `value` is a boolean (a string such as 'false' is truthy and would mean the opposite). */
export function checkBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${name} must be true or false, got ${describeValue(value)}`);
}

/**
 * Throws ArgumentError unless `options` is undefined or a plain object whose
 * keys are all in `known`: a misspelt option (weight_decay for weightDecay)
 * must not be silently ignored.
 */
export function checkOptionKeys(where: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ArgumentError(`${where} options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ArgumentError(`${where}: unknown option '${key}'; known options are ${known.join(', ')}`);
  }
}

/** `text` cut to `max` characters, so an error never echoes a huge user value whole. */
export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

/** A short description of any value for an error message (never the whole of a long string or array). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return String(value);
}
