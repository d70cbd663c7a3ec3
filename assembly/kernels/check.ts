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
 * for their bounds. It compares bits: |x|'s bits as unsigned integers order
 * as |x| does, and every NaN's lie above infinity's, so one integer max per
 * vector (a single instruction) finds both the largest |x| and any NaN.
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

// float32's bits less the sign, in every lane, kept in memory (see EXPONENT_BITS in optim/flush.ts).
const MAGNITUDE_BITS = memory.data<i32>([0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff], 16);
const INFINITY_BITS: u32 = 0x7f800000;

function maxAbsRange(x: usize, n: i32): f32 {
  let i = 0;
  let m: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    // Four independent maxima: one chain waits on the max's latency every 4 floats.
    const magnitude = v128.load(MAGNITUDE_BITS);
    let m0 = i32x4.splat(0), m1 = m0, m2 = m0, m3 = m0;
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 2);
      m0 = i32x4.max_u(m0, v128.and(v128.load(p), magnitude));
      m1 = i32x4.max_u(m1, v128.and(v128.load(p, 16), magnitude));
      m2 = i32x4.max_u(m2, v128.and(v128.load(p, 32), magnitude));
      m3 = i32x4.max_u(m3, v128.and(v128.load(p, 48), magnitude));
    }
    for (; i + 4 <= n; i += 4) m0 = i32x4.max_u(m0, v128.and(v128.load(x + (<usize>i << 2)), magnitude));
    const mv = i32x4.max_u(i32x4.max_u(m0, m1), i32x4.max_u(m2, m3));
    const bits = max(max(<u32>i32x4.extract_lane(mv, 0), <u32>i32x4.extract_lane(mv, 1)), max(<u32>i32x4.extract_lane(mv, 2), <u32>i32x4.extract_lane(mv, 3)));
    if (bits > INFINITY_BITS) return NaN;
    m = reinterpret<f32>(bits);
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return NaN;
    m = max(m, abs(v));
  }
  return m;
}
