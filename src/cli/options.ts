// Option parsing shared by the subcommands: each parser throws
// InvalidArgumentError, which commander turns into a usage error (exit 2).

import { InvalidArgumentError } from 'commander';
import { ACTIVATION_KINDS, type ActivationKind, type LayerSpec, mlp } from '../nn/layers.js';
import type { BuildName } from '../wasm-source.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

/** A parser for a whole number of at least `min`. */
export function intAtLeast(min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got '${value}'`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return n;
}

export function intList(value: string): number[] {
  const parts = value.split(',');
  if (parts.some((p) => !/^\s*\d+\s*$/.test(p) || Number(p) < 1)) {
    throw new InvalidArgumentError(`expected comma-separated positive integers like 784,100,10, got '${value}'`);
  }
  return parts.map(Number);
}

export function choice<T extends string>(options: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!options.includes(value as T)) throw new InvalidArgumentError(`expected one of ${options.join(', ')}, got '${value}'`);
    return value as T;
  };
}

export const activationKind = choice<ActivationKind>(ACTIVATION_KINDS);
export const ACTIVATION_HELP = ACTIVATION_KINDS.join(', ');

/** `--build`: which core build to run; auto picks by what the engine supports. */
export const BUILD_CHOICES = ['auto', 'simd', 'relaxed', 'scalar'] as const;
export const buildChoice = choice<BuildName | 'auto'>(BUILD_CHOICES);
export const BUILD_HELP = BUILD_CHOICES.join(', ');

/** The MLP of --layers and --activation (at least input and output sizes). */
export function mlpLayers(sizes: number[], kind: ActivationKind, bias = true, slope = 0.01): LayerSpec[] {
  if (sizes.length < 2) throw new InvalidArgumentError(`--layers needs at least two sizes (input and output), got ${sizes.join(',')}`);
  return mlp(sizes, kind, { bias, slope });
}

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
}
