// Finite checks: x - x is NaN exactly when x is NaN or infinite.

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
