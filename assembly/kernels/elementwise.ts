// Elementwise sums for the residual stream.
//   forward   out = a + b                  (a residual add: x + sublayer(x))
//   backward  identity fan-out: d a = d b = d out, so no kernel runs; where two
//             gradients meet (a residual stream, a tied embedding) the same
//             kernel accumulates: dst = dst + src
//   saves     nothing

/** out = a + b over n floats; out may alias a or b (out = a: accumulate b into a). */
export function elementwiseAdd(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(out + off, f32x4.add(v128.load(a + off), v128.load(b + off)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(a + off) + load<f32>(b + off));
  }
}
