// Distribution shift scores between a reference histogram and a window's:
// the population stability index and the two-sample Kolmogorov-Smirnov test.
// Both read binned counts, so a window's state is its bins, whatever its size.

import { sumOf } from './counts.js';

/**
 * Proportions below this count as this in PSI, so an empty bin on one side
 * gives a large finite term instead of an infinite one (and 0 ln 0 is never taken).
 */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index: sum over bins of (q - p) ln(q / p), p the
 * reference's share of the bin and q the window's, each at least PSI_EPSILON.
 * Null when either side is empty. Rule of thumb: < 0.1 stable, 0.1-0.2 moderate, > 0.2 shifted.
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number | null {
  const nRef = sumOf(reference), nCur = sumOf(current);
  if (nRef === 0 || nCur === 0) return null;
  let s = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max(reference[i]! / nRef, PSI_EPSILON);
    const q = Math.max(current[i]! / nCur, PSI_EPSILON);
    s += (q - p) * Math.log(q / p);
  }
  return s;
}

export interface KsResult {
  /** D: the largest distance between the two empirical distribution functions. */
  statistic: number;
  /** Two-sided p-value from the asymptotic Kolmogorov distribution. */
  pValue: number;
}

/**
 * Two-sample KS test on binned samples: D is the largest |F_ref - F_cur| at
 * the bin edges, which is the exact KS statistic of the samples when every
 * value lies on the bin grid (otherwise of the samples rounded to their bins).
 * Null when either side is empty.
 */
export function ksTest(reference: ArrayLike<number>, current: ArrayLike<number>): KsResult | null {
  const n = sumOf(reference), m = sumOf(current);
  if (n === 0 || m === 0) return null;
  let a = 0, b = 0, d = 0;
  for (let i = 0; i < reference.length; i++) {
    a += reference[i]!;
    b += current[i]!;
    d = Math.max(d, Math.abs(a / n - b / m));
  }
  return { statistic: d, pValue: ksPValue(d, n, m) };
}

/**
 * P(D >= d) for samples of n and m under the null, from Kolmogorov's limiting
 * distribution at lambda = sqrt(nm / (n + m)) d:
 * Q(lambda) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 lambda^2) (scipy's kstwobign.sf).
 */
export function ksPValue(d: number, n: number, m: number): number {
  return kolmogorovSurvival(Math.sqrt((n * m) / (n + m)) * d);
}

/** Q(lambda), the survival function of the Kolmogorov distribution. */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1) {
    // The alternating series converges slowly here; the Jacobi theta form converges fast:
    // 1 - Q = sqrt(2 pi) / lambda sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 lambda^2)).
    let s = 0;
    for (let k = 1; k <= 10; k++) s += Math.exp(-((2 * k - 1) ** 2) * Math.PI ** 2 / (8 * lambda * lambda));
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * s));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    s += k % 2 === 1 ? term : -term;
    if (term < 1e-300) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}
