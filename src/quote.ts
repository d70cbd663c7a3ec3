// User values inside error messages: a message stays one short line whatever
// the value is (a 40 MB string, a deeply nested array, a newline).

import { formatInteger } from './estimate/units.js';

/**
 * `value` as an error message shows it: a string in single quotes, cut to its
 * first `max` characters (saying how long it was) with control characters
 * escaped; a short array of numbers (a shape) as [5,4]; any other array or
 * object by its kind, never serialised; anything else as String() gives it,
 * cut the same way.
 */
export function quote(value: unknown, max = 60): string {
  if (typeof value === 'string') return `'${clip(value, max)}'${value.length > max ? ` (${formatInteger(value.length)} characters)` : ''}`;
  if (Array.isArray(value)) {
    const shape = value.length <= 8 && value.every((v) => typeof v === 'number');
    return shape ? `[${value.join(',')}]` : `an array of ${formatInteger(value.length)}`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'object') return 'an object';
  return clip(String(value), max);
}

/** `text` (a path, a name) shown unquoted, cut to its first `max` characters. */
export function shorten(text: string, max = 200): string {
  return clip(text, max);
}

function clip(text: string, max: number): string {
  const shown = text.length > max ? `${text.slice(0, max)}...` : text;
  return shown.replace(/[\u0000-\u001f\u007f]/g, (c) => CONTROL_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const CONTROL_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
