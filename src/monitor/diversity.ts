// Prediction diversity, the measure that catches a degenerate feedback loop
// (a model pushing the same few items or classes): from how often each class
// or catalogue item was predicted in a window.

import { sumOf } from './counts.js';

export interface Diversity {
  /** Shannon entropy of the predicted classes, in bits (0: always the same; log2(classes): uniform). */
  entropy: number;
  /** Share of the catalogue (all classes) predicted at least once, 0 to 1. */
  coverage: number;
  /** Gini coefficient of exposure over the whole catalogue, 0 (equal) to 1 - 1/classes (one item only). */
  gini: number;
}

/** Entropy in bits of the distribution `counts` describes (0 when empty). */
export function entropy(counts: ArrayLike<number>): number {
  const n = sumOf(counts);
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) h -= (c / n) * Math.log2(c / n);
  }
  return h === 0 ? 0 : h; // no -0
}

/** Share of entries that are non-zero. */
export function coverage(counts: ArrayLike<number>): number {
  let seen = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) seen++;
  return counts.length === 0 ? 0 : seen / counts.length;
}

/**
 * Gini coefficient of `counts` (items never shown count as zeros):
 * sum_i (2i - n - 1) x_(i) / (n sum x) over the values sorted ascending,
 * i from 1 (equal to the mean absolute difference over twice the mean). 0 when all are zero.
 */
export function gini(counts: ArrayLike<number>): number {
  const n = counts.length;
  const sorted = Float64Array.from(counts).sort();
  let weighted = 0, sum = 0;
  for (let i = 0; i < n; i++) {
    weighted += (2 * (i + 1) - n - 1) * sorted[i]!;
    sum += sorted[i]!;
  }
  return sum === 0 ? 0 : weighted / (n * sum);
}

export function diversityOf(counts: ArrayLike<number>): Diversity | null {
  if (sumOf(counts) === 0) return null;
  return { entropy: entropy(counts), coverage: coverage(counts), gini: gini(counts) };
}
