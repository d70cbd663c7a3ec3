/**
 * Byte quantities: parsing what users type (`80GB`, `24GiB`, `512 MiB`, `1e9`)
 * and formatting what reports print.
 *
 * Two unit systems, never mixed up: decimal (SI) units are powers of 1000
 * (kB = 1e3, MB = 1e6, GB = 1e9 bytes), binary (IEC) units are powers of 1024
 * (KiB = 1024, MiB = 1024^2, GiB = 1024^3 bytes). A formatted figure always
 * carries its unit. Note for GPU shoppers: a card sold as "80GB" usually holds
 * 80 GiB (85.9e9 bytes); write `80GiB` when that is what you mean.
 */

import { ArgumentError } from '../errors.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Unit name (lower case) -> bytes per unit, as a BigInt so parsing stays exact. */
const UNIT_BYTES = new Map<string, bigint>([
  ['', 1n],
  ['b', 1n],
  ['kb', 10n ** 3n],
  ['mb', 10n ** 6n],
  ['gb', 10n ** 9n],
  ['tb', 10n ** 12n],
  ['pb', 10n ** 15n],
  ['kib', 1n << 10n],
  ['mib', 1n << 20n],
  ['gib', 1n << 30n],
  ['tib', 1n << 40n],
  ['pib', 1n << 50n],
]);

const QUANTITY = /^\s*(\d+)(?:\.(\d+))?(?:e(\d+))?\s*([a-z]*)\s*$/i;

/**
 * Parses a byte quantity such as `80GB`, `24GiB`, `1.5 TB`, `512MiB`, `1e9`
 * or `4096` (no unit = bytes). Unit names are case-insensitive and always mean
 * bytes. The result must be a whole number of bytes no larger than
 * Number.MAX_SAFE_INTEGER; arithmetic is exact (BigInt), so `1.1GB` is
 * 1,100,000,000 and not 1,100,000,000.0000002.
 *
 * @param what names the quantity in error messages (e.g. `--device-memory`).
 */
export function parseBytes(text: string, what = 'byte quantity'): number {
  const m = QUANTITY.exec(text);
  if (!m) {
    throw new ArgumentError(`${what}: expected a number of bytes with an optional unit (e.g. 80GB, 24GiB, 4096), got '${text}'`, { field: what });
  }
  const [, whole, fraction = '', exponent = '0', unitText] = m;
  const unit = UNIT_BYTES.get(unitText.toLowerCase());
  if (unit === undefined) {
    throw new ArgumentError(
      `${what}: unknown unit '${unitText}' in '${text}'; expected one of ` +
        `${DECIMAL_UNITS.join(', ')} (powers of 1000) or ${BINARY_UNITS.slice(1).join(', ')} (powers of 1024)`,
      { field: what },
    );
  }
  // value = (whole.fraction) * 10^exponent * unit, computed as a fraction over 10^fraction.length.
  const numerator = BigInt(whole + fraction) * 10n ** BigInt(exponent) * unit;
  const denominator = 10n ** BigInt(fraction.length);
  if (numerator % denominator !== 0n) {
    throw new ArgumentError(`${what}: '${text}' is not a whole number of bytes`, { field: what });
  }
  const bytes = numerator / denominator;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ArgumentError(`${what}: '${text}' exceeds ${Number.MAX_SAFE_INTEGER} bytes`, { field: what });
  }
  return Number(bytes);
}

export type UnitSystem = 'decimal' | 'binary';

/**
 * Formats a byte count with four significant digits and its unit:
 * `formatBytes(124_439_808)` = `124.4 MB`, `formatBytes(1536, 'binary')` = `1.500 KiB`.
 * Counts below one kilo-unit print exactly (`512 B`).
 */
export function formatBytes(bytes: number, system: UnitSystem = 'decimal'): string {
  if (!Number.isFinite(bytes)) throw new ArgumentError(`bytes: expected a finite number of bytes, got ${bytes}`, { field: 'bytes' });
  const base = system === 'decimal' ? 1000 : 1024;
  const units = system === 'decimal' ? DECIMAL_UNITS : BINARY_UNITS;
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < base) return `${sign}${value} B`;
  let i = 0;
  while (value >= base && i < units.length - 1) {
    value /= base;
    i++;
  }
  // toPrecision can round up to the next unit (999.96 kB -> "1000"); step up instead.
  if (Number(value.toPrecision(4)) >= base && i < units.length - 1) {
    value /= base;
    i++;
  }
  return `${sign}${value.toPrecision(4)} ${units[i]}`;
}

/** The largest decimal unit (B, kB, MB, ...) in which `bytes` is at least 1, for chart axes. */
export function decimalUnitFor(bytes: number): { name: string; bytes: number } {
  let i = 0;
  while (i < DECIMAL_UNITS.length - 1 && Math.abs(bytes) >= 1000 ** (i + 1)) i++;
  return { name: DECIMAL_UNITS[i], bytes: 1000 ** i };
}

/** An integer with thousands separators, independent of locale: 124439808 -> `124,439,808`. */
export function formatInteger(n: number): string {
  if (!Number.isSafeInteger(n)) throw new ArgumentError(`n: expected a safe integer, got ${n}`, { field: 'n' });
  const digits = Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

/** Both unit systems, decimal first, so nobody has to convert: `248.9 MB / 237.4 MiB`; below 1000 bytes, `512 B`. */
export function formatBytesBoth(bytes: number): string {
  return Math.abs(bytes) < 1000 ? `${bytes} B` : `${formatBytes(bytes)} / ${formatBytes(bytes, 'binary')}`;
}

/** 2^53 - 1: the largest integer a double (and so JSON) holds exactly. */
export const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/**
 * A figure (a byte count, a parameter count) that its inputs push past
 * MAX_EXACT, where it could no longer be given exactly. `figure` names the
 * result field, `what` says it in words ("the activation bytes"), `inputs`
 * the fields the figure grows with and their values.
 */
export class InexactFigureError extends ArgumentError {
  constructor(
    readonly figure: string,
    readonly what: string,
    readonly inputs: Readonly<Record<string, number>>,
  ) {
    super(`${figure}: ${inexactSentence(Object.entries(inputs).map(([k, v]) => `${k} ${v}`), what)}`, { field: figure });
  }
}

/** `seqLength 100000000 makes the activation bytes exceed 2^53 - 1 = ...; exact figures are only given below that`. */
export function inexactSentence(causes: string[], what: string): string {
  return `${causes.join(', ')} ${causes.length === 1 ? 'makes' : 'make'} ${what} exceed 2^53 - 1 = ${formatInteger(MAX_EXACT)}; exact figures are only given below that`;
}

/** Returns `value` if it is an exact integer, else throws InexactFigureError. */
export function checkExact(figure: string, what: string, value: number, inputs: Readonly<Record<string, number>>): number {
  if (!Number.isSafeInteger(value)) throw new InexactFigureError(figure, what, inputs);
  return value;
}
