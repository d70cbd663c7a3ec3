// Sums of bin and class counts, shared by the drift and diversity scores.

export function sumOf(counts: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i]!;
  return n;
}
