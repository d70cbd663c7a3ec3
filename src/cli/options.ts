// Option parsing shared by the subcommands: each parser throws
// InvalidArgumentError, which commander turns into a usage error (exit 2).
// Numbers are decimal only: Number() would also read '0x10', '0b1', '' and ' '.
// Values are spelled in kebab case (leaky-relu); the library's snake-case
// names (leaky_relu) are mapped here and still accepted.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { ArgumentError, describeValue, clip } from '../errors.js';
import { formatInteger } from '../estimate/units.js';
import { ACTIVATION_KINDS, type ActivationKind, type LayerSpec, mlp } from '../nn/layers.js';
import type { LossKind } from '../nn/sequential.js';
import { MAX_THREADS } from '../threads/support.js';
import type { BuildName } from '../wasm-source.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DIGITS = /^\d+$/;

/** A parser for a whole number from `min` to `max` (digits only). */
export function intInRange(min: number, max: number, expected = `an integer from ${formatInteger(min)} to ${formatInteger(max)}`): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!DIGITS.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${expected}, got ${describeValue(value, "'")}`);
    return n;
  };
}

/** A parser for a whole number of at least `min`. */
export function intAtLeast(min: number): (value: string) => number {
  return intInRange(min, Number.MAX_SAFE_INTEGER, `an integer >= ${min}`);
}

export const positiveInt = intInRange(1, Number.MAX_SAFE_INTEGER, 'a positive integer');

/** Seeds are integers >= 0; the generator takes 32 bits, so larger ones would repeat smaller ones. */
export const seedValue = intInRange(0, 2 ** 32 - 1);

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got ${describeValue(value, "'")}`);
  return n;
}

const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * A positive number the core computes with in float32 (a learning rate, a
 * slope): refused when float32 would make it 0, subnormal (slow, and barely
 * a number) or infinite, instead of silently training with that.
 */
export function positiveFloat32(value: string): number {
  const n = positiveNumber(value);
  const f = Math.fround(n);
  const lost = f === 0 ? '0' : f < FLOAT32_MIN_NORMAL ? 'subnormal' : f === Infinity ? 'infinite' : undefined;
  if (lost !== undefined) {
    throw new InvalidArgumentError(
      `expected a positive number in float32's normal range (1.1754944e-38 to 3.4028235e38), got ${describeValue(value, "'")}: it would be ${lost} in float32`,
    );
  }
  return n;
}

export function intList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => !DIGITS.test(p) || !Number.isSafeInteger(Number(p)) || Number(p) < 1)) {
    throw new InvalidArgumentError(`expected comma-separated positive integers like 784,100,10, got ${describeValue(value, "'")}`);
  }
  return parts.map(Number);
}

export function choice<T extends string>(options: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!options.includes(value as T)) throw new InvalidArgumentError(`expected one of ${options.join(', ')}, got ${describeValue(value, "'")}`);
    return value as T;
  };
}

/** How the CLI spells a library name: kebab case (leaky_relu -> leaky-relu). */
export function cliSpelling(name: string): string {
  return name.replace(/_/g, '-');
}

/** A choice among library names, typed in kebab case or, as older scripts do, in the library's snake case. */
function kebabChoice<T extends string>(names: readonly T[]): (value: string) => T {
  return (value: string) => {
    const name = names.find((n) => n === value || cliSpelling(n) === value);
    if (name === undefined) throw new InvalidArgumentError(`expected one of ${names.map(cliSpelling).join(', ')}, got ${describeValue(value, "'")}`);
    return name;
  };
}

export const activationKind = kebabChoice<ActivationKind>(ACTIVATION_KINDS);
export const ACTIVATION_HELP = ACTIVATION_KINDS.map(cliSpelling).join(', ');

export const LOSS_KINDS: readonly LossKind[] = ['cross_entropy', 'mse'];
export const lossKind = kebabChoice(LOSS_KINDS);
export const LOSS_HELP = LOSS_KINDS.map(cliSpelling).join(' or ');

/** `--build`: which core build to run; auto picks by what the engine supports. */
export const BUILD_CHOICES = ['auto', 'simd', 'relaxed', 'scalar'] as const;
export const buildChoice = choice<BuildName | 'auto'>(BUILD_CHOICES);
export const BUILD_HELP = BUILD_CHOICES.join(', ');

/** `--threads`: how many threads the runtime runs on (init's `threads`). */
export const threadCount = intInRange(1, MAX_THREADS);

/**
 * The one definition of `--threads` for every command that runs the core.
 * Without it, init's default applies (the cores reported, at most 8);
 * `estimate --as-run-here` says what it means there and its own default.
 */
export function threadsOption(what = 'threads to run on', byDefault = 'the cores reported, at most 8'): Option {
  return new Option('--threads <n>', `${what}, 1 to ${MAX_THREADS} (default: ${byDefault})`).argParser(threadCount);
}

/** The MLP of --layers and --activation (at least input and output sizes). */
export function mlpLayers(sizes: number[], kind: ActivationKind, bias = true, slope = 0.01): LayerSpec[] {
  if (sizes.length < 2) throw new ArgumentError(`--layers needs at least two sizes (input and output), got ${sizes.join(',')}`);
  return mlp(sizes, kind, { bias, slope });
}

/**
 * The absolute path an output option (`--save`, `--report`, `--html`) will
 * write, checked before any work starts so that a long run does not fail at
 * the end: its directory exists and is writable, and it is not a directory.
 */
export function outputFile(option: string, file: string): string {
  if (file === '') throw new ArgumentError(`${option}: empty file name`);
  // resolve() drops a trailing slash, which would turn a directory's name into a file's.
  if (/[\\/]$/.test(file)) throw new ArgumentError(`${option}: ${clip(file)} ends in a slash, so it names a directory; give a file name`);
  const path = resolve(file);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ArgumentError(`${option}: directory ${clip(dir)} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new ArgumentError(`${option}: ${clip(path)} is a directory; give a file name`);
  try {
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
  } catch {
    throw new ArgumentError(`${option}: cannot write ${clip(path)} (permission denied)`);
  }
  return path;
}

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
}
