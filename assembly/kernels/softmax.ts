// Causal softmax over attention scores, forward and backward side by side, and
// the row pieces the memory-saving attention (attention.ts) builds its blocks from.
//
// Scores arrive already scaled by 1/sqrt(headDim) (the GEMM's alpha). Row i of
// a T x T score matrix keeps columns j <= i; the masked ones are written as 0,
// so the probabilities are a plain T x T matrix the next GEMM can read.
//   forward   p_ij = exp(s_ij - max_j s_ij) / sum_j exp(s_ij - max_j s_ij), stable
//   backward  ds_ij = p_ij (dp_ij - sum_k dp_ik p_ik)
//   saves     the probabilities (what backward reads)
// exp is Cephes' expf polynomial (about 1 ulp), four lanes at a time in SIMD
// builds: evaluating it in f64 one value at a time would cost more than the
// rest of the softmax.

import { madd } from "./simd";
import { TASK_SOFTMAX_BACKWARD, TASK_SOFTMAX_FORWARD, arg, runParallel, setArg, sliceStart, splitParts } from "../threads";

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// exp underflows to 0 below about -87.3; the upper clamp keeps 2^n finite.
const EXP_LO: f32 = -87.33654;
const EXP_HI: f32 = 88.0;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

/** exp(x) in float32: x = n ln2 + r, |r| <= ln2/2, exp(r) by a degree-7 polynomial, times 2^n. */
export function expScalar(x: f32): f32 {
  // NaN fails both comparisons and stays NaN.
  if (x < EXP_LO) x = EXP_LO;
  if (x > EXP_HI) x = EXP_HI;
  const fx = Mathf.floor(x * LOG2E + 0.5);
  const r = x - fx * LN2_HI - fx * LN2_LO;
  let p = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
  p = p * (r * r) + r + 1;
  return p * reinterpret<f32>((<i32>fx + 127) << 23);
}

/** expScalar on four lanes. */
@inline export function expVector(x: v128): v128 {
  // pmax/pmin with x first keep a NaN lane NaN.
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const fx = f32x4.floor(madd(x, f32x4.splat(LOG2E), f32x4.splat(0.5)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_HI))), f32x4.mul(fx, f32x4.splat(LN2_LO)));
  let p = madd(f32x4.splat(P0), r, f32x4.splat(P1));
  p = madd(p, r, f32x4.splat(P2));
  p = madd(p, r, f32x4.splat(P3));
  p = madd(p, r, f32x4.splat(P4));
  p = madd(p, r, f32x4.splat(P5));
  p = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

@inline function laneSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Largest of n >= 1 floats (NaN if one is NaN). */
export function rowMax(x: usize, n: i32): f32 {
  let m = load<f32>(x);
  let j = 0;
  if (ASC_FEATURE_SIMD && n >= 4) {
    let mv = v128.load(x);
    for (j = 4; j + 4 <= n; j += 4) mv = f32x4.max(mv, v128.load(x + (<usize>j << 2)));
    m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; j < n; j++) m = max(m, load<f32>(x + (<usize>j << 2)));
  return m;
}

/** x[j] = exp(x[j] - shift) over n floats, in place; returns their sum. */
export function expShiftRow(x: usize, n: i32, shift: f32): f32 {
  let sum: f32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const s = f32x4.splat(shift);
    let acc = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const p = x + (<usize>j << 2);
      const e = expVector(f32x4.sub(v128.load(p), s));
      v128.store(p, e);
      acc = f32x4.add(acc, e);
    }
    sum = laneSum(acc);
  }
  for (; j < n; j++) {
    const p = x + (<usize>j << 2);
    const e = expScalar(load<f32>(p) - shift);
    store<f32>(p, e);
    sum += e;
  }
  return sum;
}

/** x[j] *= f over n floats. */
export function scaleRow(x: usize, n: i32, f: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const v = f32x4.splat(f);
    for (; j + 4 <= n; j += 4) {
      const p = x + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), v));
    }
  }
  for (; j < n; j++) {
    const p = x + (<usize>j << 2);
    store<f32>(p, load<f32>(p) * f);
  }
}

/** sum_j a[j] b[j] over n floats. */
export function rowDot(a: usize, b: usize, n: i32): f32 {
  let sum: f32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const off = <usize>j << 2;
      acc = madd(v128.load(a + off), v128.load(b + off), acc);
    }
    sum = laneSum(acc);
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    sum += load<f32>(a + off) * load<f32>(b + off);
  }
  return sum;
}

/** ds[j] = p[j] (dp[j] - d) over n floats; ds may alias dp. */
export function softmaxGradRow(p: usize, dp: usize, ds: usize, n: i32, d: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const dv = f32x4.splat(d);
    for (; j + 4 <= n; j += 4) {
      const off = <usize>j << 2;
      v128.store(ds + off, f32x4.mul(v128.load(p + off), f32x4.sub(v128.load(dp + off), dv)));
    }
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    store<f32>(ds + off, load<f32>(p + off) * (load<f32>(dp + off) - d));
  }
}

/**
 * Causal softmax of `count` T x T score matrices stored one after another
 * (count * T rows of T floats). probs may alias scores (in place).
 */
export function causalSoftmaxForward(scores: usize, probs: usize, seq: i32, count: i32): void {
  const parts = matrixParts(seq, count);
  if (parts == 1) return forwardMatrices(scores, probs, seq, count);
  setArg<usize>(0, scores); setArg<usize>(1, probs); setArg<i32>(2, seq); setArg<i32>(3, count);
  runParallel(TASK_SOFTMAX_FORWARD, parts);
}

/** Slice `part` of the forward in the task slots: whole matrices. */
export function causalSoftmaxForwardSlice(part: i32, parts: i32): void {
  const seq = arg<i32>(2), count = arg<i32>(3), c0 = sliceStart(count, part, parts, 1);
  const off = <usize>c0 * <usize>seq * <usize>seq << 2;
  forwardMatrices(arg<usize>(0) + off, arg<usize>(1) + off, seq, sliceStart(count, part + 1, parts, 1) - c0);
}

/** Threads for `count` T x T matrices: each matrix is one thread's. */
function matrixParts(seq: i32, count: i32): i32 {
  return splitParts(<i64>count * <i64>seq * <i64>seq, count);
}

function forwardMatrices(scores: usize, probs: usize, seq: i32, count: i32): void {
  const rows = <usize>count * <usize>seq;
  for (let r: usize = 0; r < rows; r++) {
    const i = <i32>(r % <usize>seq), valid = i + 1;
    const off = r * <usize>seq << 2;
    const s = scores + off, p = probs + off;
    if (p != s) memory.copy(p, s, <usize>valid << 2);
    const sum = expShiftRow(p, valid, rowMax(p, valid));
    scaleRow(p, valid, 1 / sum);
    memory.fill(p + (<usize>valid << 2), 0, <usize>(seq - valid) << 2);
  }
}

/**
 * ds = p (dp - rowsum(dp p)) over the same layout as causalSoftmaxForward;
 * masked entries of ds are 0. ds may alias dp.
 */
export function causalSoftmaxBackward(probs: usize, dprobs: usize, dscores: usize, seq: i32, count: i32): void {
  const parts = matrixParts(seq, count);
  if (parts == 1) return backwardMatrices(probs, dprobs, dscores, seq, count);
  setArg<usize>(0, probs); setArg<usize>(1, dprobs); setArg<usize>(2, dscores); setArg<i32>(3, seq); setArg<i32>(4, count);
  runParallel(TASK_SOFTMAX_BACKWARD, parts);
}

/** Slice `part` of the backward in the task slots: whole matrices. */
export function causalSoftmaxBackwardSlice(part: i32, parts: i32): void {
  const seq = arg<i32>(3), count = arg<i32>(4), c0 = sliceStart(count, part, parts, 1);
  const off = <usize>c0 * <usize>seq * <usize>seq << 2;
  backwardMatrices(arg<usize>(0) + off, arg<usize>(1) + off, arg<usize>(2) + off, seq, sliceStart(count, part + 1, parts, 1) - c0);
}

function backwardMatrices(probs: usize, dprobs: usize, dscores: usize, seq: i32, count: i32): void {
  const rows = <usize>count * <usize>seq;
  for (let r: usize = 0; r < rows; r++) {
    const i = <i32>(r % <usize>seq), valid = i + 1;
    const off = r * <usize>seq << 2;
    const p = probs + off, dp = dprobs + off, ds = dscores + off;
    softmaxGradRow(p, dp, ds, valid, rowDot(dp, p, valid));
    memory.fill(ds + (<usize>valid << 2), 0, <usize>(seq - valid) << 2);
  }
}
