// Activation functions, forward and backward side by side.
import { expVector } from "./softmax";
import { madd } from "./simd";
import { ELEMENT_ALIGN, TASK_ACTIVATION_BACKWARD, TASK_ACTIVATION_FORWARD, arg, elementParts, runParallel, setArg, sliceStart } from "../threads";

// Kinds: 0 ReLU, 1 LeakyReLU(slope), 2 Sigmoid, 3 Tanh, 4 GELU (erf), 5 GELU (tanh approximation),
// 6 SiLU (x sigmoid(x)).
// ReLU and LeakyReLU are pure SIMD. The transcendental ones evaluate in f64 and
// round once, so they agree with PyTorch's float32 results to about one ulp;
// GELU (erf) in SIMD builds runs four lanes in float32 by the same erf
// formula (about 2e-7 from the exact value, as PyTorch's vectorised GELU).
//
// What backward reads (what the layer saves in forward):
//   ReLU, Sigmoid, Tanh: the output y.  LeakyReLU, GELU, SiLU: the input x.
// dx may alias dy (backward runs in place on the incoming gradient).

export const RELU = 0;
export const LEAKY_RELU = 1;
export const SIGMOID = 2;
export const TANH = 3;
export const GELU = 4;
export const GELU_TANH = 5;
export const SILU = 6;

const SQRT_HALF: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;
const SQRT_2_OVER_PI: f64 = 0.7978845608028654;
const GELU_TANH_C: f64 = 0.044715;

/** y = f(x) over n floats; y may alias x (in-place forward). */
export function activationForward(kind: i32, x: usize, y: usize, n: i32, slope: f32): void {
  const parts = elementParts(n);
  if (parts == 1) return forwardRange(kind, x, y, n, slope);
  setArg<i32>(0, kind); setArg<usize>(1, x); setArg<usize>(2, y); setArg<i32>(3, n); setArg<f32>(4, slope);
  runParallel(TASK_ACTIVATION_FORWARD, parts);
}

/**
 * dx = dy * f'(saved) over n floats. `saved` is the output for ReLU, Sigmoid
 * and Tanh, the input for LeakyReLU, GELU and SiLU.
 */
export function activationBackward(kind: i32, saved: usize, dy: usize, dx: usize, n: i32, slope: f32): void {
  const parts = elementParts(n);
  if (parts == 1) return backwardRange(kind, saved, dy, dx, n, slope);
  setArg<i32>(0, kind); setArg<usize>(1, saved); setArg<usize>(2, dy); setArg<usize>(3, dx); setArg<i32>(4, n); setArg<f32>(5, slope);
  runParallel(TASK_ACTIVATION_BACKWARD, parts);
}

/** Slice `part` of the forward in the task slots. */
export function activationForwardSlice(part: i32, parts: i32): void {
  const n = arg<i32>(3), i0 = sliceStart(n, part, parts, ELEMENT_ALIGN), off = <usize>i0 << 2;
  forwardRange(arg<i32>(0), arg<usize>(1) + off, arg<usize>(2) + off, sliceStart(n, part + 1, parts, ELEMENT_ALIGN) - i0, arg<f32>(4));
}

/** Slice `part` of the backward in the task slots. */
export function activationBackwardSlice(part: i32, parts: i32): void {
  const n = arg<i32>(4), i0 = sliceStart(n, part, parts, ELEMENT_ALIGN), off = <usize>i0 << 2;
  backwardRange(arg<i32>(0), arg<usize>(1) + off, arg<usize>(2) + off, arg<usize>(3) + off, sliceStart(n, part + 1, parts, ELEMENT_ALIGN) - i0, arg<f32>(5));
}

function forwardRange(kind: i32, x: usize, y: usize, n: i32, slope: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD && kind == GELU) {
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const v = v128.load(x + off);
      const erf = erfVector(v, expVector(f32x4.mul(f32x4.mul(v, v), f32x4.splat(-0.5))));
      v128.store(y + off, f32x4.mul(f32x4.mul(f32x4.splat(0.5), v), f32x4.add(f32x4.splat(1), erf)));
    }
  }
  if (ASC_FEATURE_SIMD && (kind == RELU || kind == LEAKY_RELU)) {
    const zero = f32x4.splat(0), s = f32x4.splat(kind == RELU ? 0 : slope);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const v = v128.load(x + off);
      // Lanes with v > 0 keep v, others take slope * v (0 for ReLU, which also maps NaN to NaN via v*0).
      v128.store(y + off, v128.bitselect(v, f32x4.mul(v, s), f32x4.gt(v, zero)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, scalarForward(kind, load<f32>(x + off), slope));
  }
}

function backwardRange(kind: i32, saved: usize, dy: usize, dx: usize, n: i32, slope: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD && kind == GELU) {
    // d/dx x Phi(x) = Phi(x) + x phi(x); phi's exp(-x^2/2) is erf's own exp.
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const v = v128.load(saved + off);
      const e = expVector(f32x4.mul(f32x4.mul(v, v), f32x4.splat(-0.5)));
      const phi = f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1), erfVector(v, e)));
      const d = madd(f32x4.mul(v, f32x4.splat(<f32>INV_SQRT_2PI)), e, phi);
      v128.store(dx + off, f32x4.mul(v128.load(dy + off), d));
    }
  }
  if (ASC_FEATURE_SIMD && (kind == RELU || kind == LEAKY_RELU)) {
    const zero = f32x4.splat(0), s = f32x4.splat(kind == RELU ? 0 : slope);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const g = v128.load(dy + off);
      v128.store(dx + off, v128.bitselect(g, f32x4.mul(g, s), f32x4.gt(v128.load(saved + off), zero)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dx + off, <f32>(<f64>load<f32>(dy + off) * scalarDerivative(kind, load<f32>(saved + off), slope)));
  }
}

function scalarForward(kind: i32, v: f32, slope: f32): f32 {
  const x = <f64>v;
  switch (kind) {
    case RELU: return v > 0 ? v : v * 0;
    case LEAKY_RELU: return v > 0 ? v : v * slope;
    case SIGMOID: return <f32>(1 / (1 + Math.exp(-x)));
    case TANH: return <f32>Math.tanh(x);
    case GELU: return <f32>(0.5 * x * (1 + erf(x * SQRT_HALF)));
    case SILU: return <f32>silu(x);
    default: return <f32>(0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x))));
  }
}

function scalarDerivative(kind: i32, s: f32, slope: f32): f64 {
  const v = <f64>s;
  switch (kind) {
    case RELU: return s > 0 ? 1 : 0;
    case LEAKY_RELU: return s > 0 ? 1 : <f64>slope;
    case SIGMOID: return v * (1 - v); // s is the output
    case TANH: return 1 - v * v; // s is the output
    case GELU: return 0.5 * (1 + erf(v * SQRT_HALF)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
    case SILU: return siluDerivative(v);
    default: {
      const inner = SQRT_2_OVER_PI * (v + GELU_TANH_C * v * v * v);
      const t = Math.tanh(inner);
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * v * v);
    }
  }
}

/** SiLU in f64: x sigmoid(x). Shared with SwiGLU's gate (kernels/swiglu.ts). */
@inline export function silu(x: f64): f64 {
  return x / (1 + Math.exp(-x));
}

/** d/dx x s(x) = s (1 + x (1 - s)), s = sigmoid(x), in f64. */
@inline export function siluDerivative(x: f64): f64 {
  const sg = 1 / (1 + Math.exp(-x));
  return sg * (1 + x * (1 - sg));
}

/**
 * erf, fixed cost: Abramowitz and Stegun 7.1.26, |error| <= 1.5e-7, below
 * float32's resolution of GELU's output (PyTorch's vectorised CPU erf uses the
 * same formula). erf(a) = 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-a^2), t = 1 / (1 + p a).
 */
/** erf(x / sqrt 2) on four lanes by the same formula, given e = exp(-x^2 / 2); float32 throughout. */
@inline function erfVector(v: v128, e: v128): v128 {
  const a = f32x4.mul(f32x4.abs(v), f32x4.splat(<f32>SQRT_HALF));
  const t = f32x4.div(f32x4.splat(1), madd(a, f32x4.splat(0.3275911), f32x4.splat(1)));
  let poly = madd(t, f32x4.splat(1.061405429), f32x4.splat(-1.453152027));
  poly = madd(poly, t, f32x4.splat(1.421413741));
  poly = madd(poly, t, f32x4.splat(-0.284496736));
  poly = madd(poly, t, f32x4.splat(0.254829592));
  const r = f32x4.sub(f32x4.splat(1), f32x4.mul(f32x4.mul(poly, t), e));
  // The sign of x on |erf|; a NaN lane stays NaN.
  return v128.bitselect(f32x4.neg(r), r, f32x4.lt(v, f32x4.splat(0)));
}

function erf(x: f64): f64 {
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const r = 1 - poly * Math.exp(-a * a);
  return x < 0 ? -r : r;
}
