// Small SIMD helpers shared by the kernels.

/** a * b + c: fused in relaxed-SIMD builds, separate mul and add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
