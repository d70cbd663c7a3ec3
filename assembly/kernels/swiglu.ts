// SwiGLU's gating product (LLaMA's feed-forward: w2(silu(w1 x) * w3 x)),
// forward and backward side by side, over n elements of its two inputs:
//   forward   out = silu(a) * b                       (a: the gate, b: the up projection)
//   backward  da = dout * b * silu'(a), db = dout * silu(a)
//   saves     both inputs a and b (silu(a) is recomputed in backward)
// SiLU and its derivative are activations.ts's, evaluated in f64 and rounded
// once, as the SiLU layer does: the exponential has no SIMD form in WASM.

import { silu, siluDerivative } from "./activations";

/** out = silu(a) * b over n floats; out may alias a or b. */
export function swigluForward(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, <f32>(silu(<f64>load<f32>(a + off)) * <f64>load<f32>(b + off)));
  }
}

/** da = dout * b * silu'(a), db = dout * silu(a); da and db may alias dout, a or b element for element. */
export function swigluBackward(a: usize, b: usize, dout: usize, da: usize, db: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const x = <f64>load<f32>(a + off), y = <f64>load<f32>(b + off), g = <f64>load<f32>(dout + off);
    store<f32>(da + off, <f32>(g * y * siluDerivative(x)));
    store<f32>(db + off, <f32>(g * silu(x)));
  }
}
