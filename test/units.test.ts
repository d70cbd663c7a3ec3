import { describe, it, expect } from 'vitest';
import { formatBytes, formatInteger, parseBytes } from '../src/estimate/units.js';

describe('parseBytes', () => {
  it('reads decimal units as powers of 1000', () => {
    expect(parseBytes('80GB')).toBe(80e9);
    expect(parseBytes('1kB')).toBe(1000);
    expect(parseBytes('3 MB')).toBe(3_000_000);
    expect(parseBytes('2TB')).toBe(2e12);
    expect(parseBytes('1PB')).toBe(1e15);
  });

  it('reads binary units as powers of 1024', () => {
    expect(parseBytes('24GiB')).toBe(24 * 2 ** 30);
    expect(parseBytes('1KiB')).toBe(1024);
    expect(parseBytes('512 MiB')).toBe(512 * 2 ** 20);
    expect(parseBytes('1TiB')).toBe(2 ** 40);
  });

  it('takes plain numbers as bytes, with or without B', () => {
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes('4096B')).toBe(4096);
    expect(parseBytes('1e9')).toBe(1e9);
  });

  it('is case-insensitive about unit names', () => {
    expect(parseBytes('80gb')).toBe(80e9);
    expect(parseBytes('24gib')).toBe(24 * 2 ** 30);
  });

  it('keeps fractions exact', () => {
    // 1.1 * 1e9 in floating point is 1100000000.0000002; BigInt arithmetic is not fooled.
    expect(parseBytes('1.1GB')).toBe(1_100_000_000);
    expect(parseBytes('1.5GiB')).toBe(1_610_612_736);
    expect(parseBytes('0.5KiB')).toBe(512);
  });

  it('rejects what is not a byte quantity, naming the quantity', () => {
    expect(() => parseBytes('', '--device-memory')).toThrow(/--device-memory: expected a number of bytes/);
    expect(() => parseBytes('GB')).toThrow(/expected a number of bytes/);
    expect(() => parseBytes('-1GB')).toThrow(/expected a number of bytes/);
    expect(() => parseBytes('80 XB', '--device-memory')).toThrow(/--device-memory: unknown unit 'XB'/);
    expect(() => parseBytes('0.1KiB')).toThrow(/not a whole number of bytes/);
    expect(() => parseBytes('1.5B')).toThrow(/not a whole number of bytes/);
    expect(() => parseBytes('10PiB')).toThrow(/exceeds/);
  });
});

describe('formatBytes', () => {
  it('prints four significant digits and the decimal unit', () => {
    expect(formatBytes(124_439_808)).toBe('124.4 MB');
    expect(formatBytes(31_406_250_000)).toBe('31.41 GB');
    expect(formatBytes(1_875_000_000)).toBe('1.875 GB');
    expect(formatBytes(120e9)).toBe('120.0 GB');
  });

  it('prints binary units on request', () => {
    expect(formatBytes(1536, 'binary')).toBe('1.500 KiB');
    expect(formatBytes(80 * 2 ** 30, 'binary')).toBe('80.00 GiB');
  });

  it('prints small counts exactly in bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1023, 'binary')).toBe('1023 B');
  });

  it('moves to the next unit rather than printing 1000 of the last', () => {
    expect(formatBytes(999_960)).toBe('1.000 MB');
    expect(formatBytes(1024 * 1024 - 1, 'binary')).toBe('1.000 MiB');
  });

  it('keeps the sign of a shortfall', () => {
    expect(formatBytes(-2_500_000_000)).toBe('-2.500 GB');
  });

  it('rejects non-finite input', () => {
    expect(() => formatBytes(Number.NaN)).toThrow(/finite/);
  });
});

describe('formatInteger', () => {
  it('groups thousands with commas', () => {
    expect(formatInteger(124_439_808)).toBe('124,439,808');
    expect(formatInteger(999)).toBe('999');
    expect(formatInteger(-1000)).toBe('-1,000');
  });

  it('rejects non-integers', () => {
    expect(() => formatInteger(1.5)).toThrow(/safe integer/);
  });
});
