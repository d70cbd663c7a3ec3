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
