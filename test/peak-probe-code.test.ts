// The peak probe's loop holds no constant vectors. V8 13 (Node 24) turns a
// v128.const inside a loop into three instructions at every use, which held
// the probe to a quarter of the ceiling there (12.6 GFLOP/s against 47.7 on
// Node 20, same CPU), so every share of peak read above 100% and was withheld.
// The built module's text (build/wasmgrad-simd.wat, written by npm run build)
// is what V8 compiles.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Lines of the function `name` in a binaryen text module. */
function functionLines(wat: string, name: string): string[] {
  const lines = wat.split('\n');
  const start = lines.findIndex((l) => l.startsWith(` (func $${name} `));
  if (start < 0) throw new Error(`no function ${name} in the module text`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith(' (func '));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The v128.const instructions that sit inside a loop of `lines`. */
function constantsInLoops(lines: string[]): string[] {
  const found: string[] = [];
  let loopIndent = -1;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    const text = line.trim();
    if (loopIndent >= 0 && indent <= loopIndent && text === 'end') loopIndent = -1;
    else if (loopIndent < 0 && text.startsWith('loop')) loopIndent = indent;
    else if (loopIndent >= 0 && text.startsWith('v128.const')) found.push(text);
  }
  return found;
}

describe('peak probe code', () => {
  const wat = readFileSync(new URL('../build/wasmgrad-simd.wat', import.meta.url), 'utf8');
  const probe = functionLines(wat, 'assembly/kernels/peak/peakProbe');

  it('has its multiply-add loops', () => {
    expect(probe.filter((l) => l.trim().startsWith('loop')).length).toBeGreaterThanOrEqual(3);
  });

  it('keeps no constant vector inside a loop (its factors are loaded from memory once)', () => {
    expect(constantsInLoops(probe)).toEqual([]);
  });

  it('the check sees a constant in a loop where there is one', () => {
    expect(constantsInLoops(['  loop $l', '   v128.const i32x4 0x1 0x1 0x1 0x1', '   br_if $l', '  end'])).toHaveLength(1);
  });
});
