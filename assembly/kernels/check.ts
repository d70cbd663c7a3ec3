// Finite checks: x - x is NaN exactly when x is NaN or infinite.

import { TASK_MAX_ABS, arg, elementParts, runParallel, setArg, sliceStart, ELEMENT_ALIGN } from "../threads";

/** Each slice's maximum of a split maxAbs; the caller takes theirs (max is exact, so any split gives the same result). */
const sliceMaxima = memory.data(64 * 4, 16); // MAX_THREADS slices (a constant here: threads.ts imports this file)

/** True when any lane is NaN or infinite. */
@inline export function nonFinite(v: v128): bool {
  const d = f32x4.sub(v, v);
  return v128.any_true(f32x4.ne(d, d));
}

/** Index of the first NaN or infinity among n floats, or -1. */
export function firstNonFinite(x: usize, n: i32): i32 {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 16 <= n; i += 16) {
      const off = <usize>i << 2;
      const a = v128.load(x + off), b = v128.load(x + off, 16), c = v128.load(x + off, 32), d = v128.load(x + off, 48);
      const s = f32x4.add(f32x4.add(f32x4.sub(a, a), f32x4.sub(b, b)), f32x4.add(f32x4.sub(c, c), f32x4.sub(d, d)));
      if (v128.any_true(f32x4.ne(s, s))) break; // the scalar loop below finds the exact index
    }
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}

/**
 * Largest |x| among n floats; NaN if any is NaN, infinity if any is infinite.
 * One pass tells "all finite" and gives the optimizers the largest gradient
 * for their bounds. pmax is one instruction (the NaN-propagating max is a long
 * sequence in V8), so NaN is tracked separately.
 */
export function maxAbs(x: usize, n: i32): f32 {
  const parts = elementParts(n);
  if (parts == 1) return maxAbsRange(x, n);
  setArg<usize>(0, x); setArg<i32>(1, n);
  runParallel(TASK_MAX_ABS, parts);
  let m: f32 = 0;
  for (let part = 0; part < parts; part++) {
    const v = load<f32>(sliceMaxima + (<usize>part << 2));
    if (v != v) return NaN;
    m = max(m, v);
  }
  return m;
}

/** Slice `part` of a maxAbs whose arguments are in the task slots. */
export function maxAbsSlice(part: i32, parts: i32): void {
  const n = arg<i32>(1), i0 = sliceStart(n, part, parts, ELEMENT_ALIGN), i1 = sliceStart(n, part + 1, parts, ELEMENT_ALIGN);
  store<f32>(sliceMaxima + (<usize>part << 2), maxAbsRange(arg<usize>(0) + (<usize>i0 << 2), i1 - i0));
}

function maxAbsRange(x: usize, n: i32): f32 {
  let i = 0;
  let m: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    // Four independent maxima: one chain waits on pmax's latency every 4 floats (about 4x slower).
    let m0 = f32x4.splat(0), m1 = m0, m2 = m0, m3 = m0, nan = m0;
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 2);
      const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), d = v128.load(p, 48);
      m0 = f32x4.pmax(m0, f32x4.abs(a)); m1 = f32x4.pmax(m1, f32x4.abs(b));
      m2 = f32x4.pmax(m2, f32x4.abs(c)); m3 = f32x4.pmax(m3, f32x4.abs(d));
      nan = v128.or(nan, v128.or(v128.or(f32x4.ne(a, a), f32x4.ne(b, b)), v128.or(f32x4.ne(c, c), f32x4.ne(d, d))));
    }
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      m0 = f32x4.pmax(m0, f32x4.abs(v));
      nan = v128.or(nan, f32x4.ne(v, v));
    }
    if (v128.any_true(nan)) return NaN;
    const mv = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
    m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return NaN;
    m = max(m, abs(v));
  }
  return m;
}
