/**
 * Element-wise closeness check for numeric arrays, in the style of numpy.allclose and
 * torch.testing.assert_close: element i passes when |actual[i] - expected[i]| <= atol + rtol * |expected[i]|.
 * NaN never passes. On failure the Error names the largest absolute and relative differences and
 * the first mismatching elements, so a failing test says where and by how much.
 */

export interface CloseTolerance {
  /** Absolute tolerance; default 1e-5 (torch.testing's float32 default). */
  atol?: number;
  /** Relative tolerance, scaled by |expected|; default 1.3e-6 (torch.testing's float32 default). */
  rtol?: number;
  /** What is being compared, e.g. "grads[0.weight]"; starts the error message. */
  label?: string;
}

/** How many mismatching elements the error message lists. */
const SHOWN_MISMATCHES = 5;

export function expectClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  tolerance: CloseTolerance = {},
): void {
  const { atol = 1e-5, rtol = 1.3e-6, label = 'values' } = tolerance;
  checkTolerance('atol', atol);
  checkTolerance('rtol', rtol);
  const a = asArray(actual, 'actual');
  const e = asArray(expected, 'expected');
  if (a.length !== e.length) {
    throw new Error(`${label}: length mismatch: actual has ${a.length} elements, expected ${e.length}`);
  }

  let worstAbs = 0; // index of the largest absolute difference
  let worstRel = 0; // index of the largest relative difference
  const mismatches: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (rank(absDiff(a, e, i)) > rank(absDiff(a, e, worstAbs))) worstAbs = i;
    if (rank(relDiff(a, e, i)) > rank(relDiff(a, e, worstRel))) worstRel = i;
    if (!isClose(a[i]!, e[i]!, atol, rtol)) mismatches.push(i);
  }
  if (mismatches.length === 0) return;

  const at = (i: number) => `[${i}] actual ${a[i]} vs expected ${e[i]}`;
  const lines = [
    `${label}: ${mismatches.length} of ${a.length} elements differ (atol ${atol}, rtol ${rtol})`,
    `  largest absolute difference ${absDiff(a, e, worstAbs)} at ${at(worstAbs)}`,
    `  largest relative difference ${relDiff(a, e, worstRel)} at ${at(worstRel)}`,
    `  first mismatches:`,
    ...mismatches.slice(0, SHOWN_MISMATCHES).map((i) => `    ${at(i)}`),
  ];
  if (mismatches.length > SHOWN_MISMATCHES) lines.push(`    ... and ${mismatches.length - SHOWN_MISMATCHES} more`);
  throw new Error(lines.join('\n'));
}

/** Infinities must match exactly (a tolerance scaled by |Infinity| would accept anything); NaN never matches. */
function isClose(actual: number, expected: number, atol: number, rtol: number): boolean {
  if (actual === expected) return true;
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return false;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

/** |a - e|, with equal values (including equal infinities) at distance 0. */
function absDiff(a: ArrayLike<number>, e: ArrayLike<number>, i: number): number {
  return a[i] === e[i] ? 0 : Math.abs(a[i]! - e[i]!);
}

/** |a - e| / |e|; 0 where the two are equal (including both 0), Infinity where only e is 0. */
function relDiff(a: ArrayLike<number>, e: ArrayLike<number>, i: number): number {
  const diff = absDiff(a, e, i);
  return diff === 0 ? 0 : diff / Math.abs(e[i]!);
}

/** Orders differences with NaN above everything, so a NaN is reported as the worst element. */
function rank(diff: number): number {
  return Number.isNaN(diff) ? Infinity : diff;
}

function asArray(value: number | ArrayLike<number>, name: string): ArrayLike<number> {
  if (typeof value === 'number') return [value];
  if (value == null || typeof value.length !== 'number') {
    throw new Error(`expectClose: ${name} must be a number or an array of numbers, got ${String(value)}`);
  }
  return value;
}

function checkTolerance(name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new Error(`expectClose: ${name} must be a finite number >= 0, got ${value}`);
  }
}
