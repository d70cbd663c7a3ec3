/**
 * Argument checks shared by the estimators. Each throws ArgumentError whose
 * message starts with the field's name (`hidden: expected ...`) and whose
 * `field` is that name, so callers such as the CLI can name it their own way.
 */
import { ArgumentError } from '../errors.js';

/** A bad value as an error message shows it: strings quoted, objects by kind. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** Throws `name: expected a positive integer, got ...` unless `value` is a safe integer >= 1. */
export function checkPositiveInteger(name: string, value: unknown): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new ArgumentError(`${name}: expected a positive integer, got ${shown(value)}`, { field: name });
  }
}

export function checkChoice<T>(name: string, value: unknown, choices: readonly T[]): asserts value is T {
  if (!choices.includes(value as T)) {
    throw new ArgumentError(`${name}: expected one of ${choices.join(', ')}, got ${shown(value)}`, { field: name });
  }
}

export function checkBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${name}: expected true or false, got ${shown(value)}`, { field: name });
}
