// Row normalisations over rows of width h, forward and backward side by side.
// LayerNorm (centred, torch.nn.LayerNorm):  y = (x - mean) * rstd * w (+ b), rstd = 1/sqrt(var + eps)
// RMSNorm (not centred, LLaMA's RMSNorm):   y = x * rstd * w,              rstd = 1/sqrt(mean(x²) + eps)
// RMSNorm is LayerNorm with the mean held at 0 and no bias, so one kernel pair
// serves both, selected by `centred`.
//
// Statistics in f32 as llm.c computes them: the mean first, then the variance
// as the mean of (x - mean)² (two passes, no E[x²] - E[x]² cancellation); SIMD
// builds sum in 4 lanes and add the lanes at the end.
//
// What backward reads: the input x and the row statistics forward saved
// (LayerNorm: mean and rstd, RMSNorm: rstd; one f32 each per row), plus the
// weight. Backward writes (or adds to) dx and adds to dweight and dbias.

import { madd } from "./simd";
import { TASK_NORM_FORWARD, arg, runParallel, setArg, sliceStart, splitParts } from "../threads";

@inline function lanesSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** sum of (x[i] - shift)² over n floats. */
function squaredDeviations(x: usize, n: i32, shift: f32): f32 {
  let i = 0, s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(shift);
    let acc = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const d = f32x4.sub(v128.load(x + (<usize>i << 2)), m);
      acc = madd(d, d, acc);
    }
    s = lanesSum(acc);
  }
  for (; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - shift;
    s += d * d;
  }
  return s;
}

function rowSum(x: usize, n: i32): f32 {
  let i = 0, s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(x + (<usize>i << 2)));
    s = lanesSum(acc);
  }
  for (; i < n; i++) s += load<f32>(x + (<usize>i << 2));
  return s;
}

/**
 * out = normalised rows of x (rows x h) times weight (plus bias when not 0).
 * Saves rstd per row, and the mean per row when centred (mean is not written
 * when 0). out may alias x.
 */
export function normForward(centred: i32, x: usize, weight: usize, bias: usize, out: usize, mean: usize, rstd: usize, rows: i32, h: i32, eps: f32): void {
  const parts = splitParts(<i64>rows * <i64>h, rows);
  if (parts == 1) return normRows(centred, x, weight, bias, out, mean, rstd, rows, h, eps);
  setArg<i32>(0, centred); setArg<usize>(1, x); setArg<usize>(2, weight); setArg<usize>(3, bias); setArg<usize>(4, out);
  setArg<usize>(5, mean); setArg<usize>(6, rstd); setArg<i32>(7, rows); setArg<i32>(8, h); setArg<f32>(9, eps);
  runParallel(TASK_NORM_FORWARD, parts);
}

/** Slice `part` of the forward in the task slots: a band of rows. */
export function normForwardSlice(part: i32, parts: i32): void {
  const rows = arg<i32>(7), h = arg<i32>(8), r0 = sliceStart(rows, part, parts, 1);
  const off = <usize>r0 * <usize>h << 2, stat = <usize>r0 << 2, mean = arg<usize>(5);
  normRows(arg<i32>(0), arg<usize>(1) + off, arg<usize>(2), arg<usize>(3), arg<usize>(4) + off, mean ? mean + stat : 0, arg<usize>(6) + stat,
    sliceStart(rows, part + 1, parts, 1) - r0, h, arg<f32>(9));
}

function normRows(centred: i32, x: usize, weight: usize, bias: usize, out: usize, mean: usize, rstd: usize, rows: i32, h: i32, eps: f32): void {
  const rowBytes = <usize>h << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, yr = out + <usize>r * rowBytes;
    const mu: f32 = centred ? rowSum(xr, h) / <f32>h : 0;
    const rs: f32 = 1 / Mathf.sqrt(squaredDeviations(xr, h, mu) / <f32>h + eps);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f32x4.splat(mu), s = f32x4.splat(rs);
      for (; i + 4 <= h; i += 4) {
        const off = <usize>i << 2;
        let y = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(xr + off), m), s), v128.load(weight + off));
        if (bias) y = f32x4.add(y, v128.load(bias + off));
        v128.store(yr + off, y);
      }
    }
    for (; i < h; i++) {
      const off = <usize>i << 2;
      let y = (load<f32>(xr + off) - mu) * rs * load<f32>(weight + off);
      if (bias) y += load<f32>(bias + off);
      store<f32>(yr + off, y);
    }
    if (centred && mean) store<f32>(mean + (<usize>r << 2), mu);
    store<f32>(rstd + (<usize>r << 2), rs);
  }
}

/**
 * From dout (rows x h): dx = rstd (dn - mean(dn) - n mean(dn n)) with n the
 * normalised input and dn = dout * weight (the mean(dn) term only when
 * centred), written over dx or, with accumulate, added to it; dweight +=
 * column sums of dout * n, dbias (when not 0) += column sums of dout.
 * Without accumulate dx may alias dout or x.
 */
export function normBackward(
  centred: i32, x: usize, weight: usize, mean: usize, rstd: usize, dout: usize,
  dx: usize, dweight: usize, dbias: usize, rows: i32, h: i32, accumulate: i32,
): void {
  const rowBytes = <usize>h << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, gr = dout + <usize>r * rowBytes, dr = dx + <usize>r * rowBytes;
    const mu: f32 = centred ? load<f32>(mean + (<usize>r << 2)) : 0;
    const rs = load<f32>(rstd + (<usize>r << 2));
    // Pass 1: the two row means, and the parameter gradients.
    let sumDn: f32 = 0, sumDnN: f32 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f32x4.splat(mu), s = f32x4.splat(rs);
      let a = f32x4.splat(0), b = f32x4.splat(0);
      for (; i + 4 <= h; i += 4) {
        const off = <usize>i << 2;
        const g = v128.load(gr + off);
        const n = f32x4.mul(f32x4.sub(v128.load(xr + off), m), s);
        const dn = f32x4.mul(g, v128.load(weight + off));
        a = f32x4.add(a, dn);
        b = madd(dn, n, b);
        v128.store(dweight + off, madd(g, n, v128.load(dweight + off)));
        if (dbias) v128.store(dbias + off, f32x4.add(v128.load(dbias + off), g));
      }
      sumDn = lanesSum(a);
      sumDnN = lanesSum(b);
    }
    for (; i < h; i++) {
      const off = <usize>i << 2;
      const g = load<f32>(gr + off);
      const n = (load<f32>(xr + off) - mu) * rs;
      const dn = g * load<f32>(weight + off);
      sumDn += dn;
      sumDnN += dn * n;
      store<f32>(dweight + off, load<f32>(dweight + off) + g * n);
      if (dbias) store<f32>(dbias + off, load<f32>(dbias + off) + g);
    }
    const meanDn: f32 = centred ? sumDn / <f32>h : 0;
    const meanDnN: f32 = sumDnN / <f32>h;
    // Pass 2: dx.
    i = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f32x4.splat(mu), s = f32x4.splat(rs), m1 = f32x4.splat(meanDn), m2 = f32x4.splat(meanDnN);
      for (; i + 4 <= h; i += 4) {
        const off = <usize>i << 2;
        const n = f32x4.mul(f32x4.sub(v128.load(xr + off), m), s);
        const dn = f32x4.mul(v128.load(gr + off), v128.load(weight + off));
        let d = f32x4.mul(f32x4.sub(f32x4.sub(dn, m1), f32x4.mul(n, m2)), s);
        if (accumulate) d = f32x4.add(d, v128.load(dr + off));
        v128.store(dr + off, d);
      }
    }
    for (; i < h; i++) {
      const off = <usize>i << 2;
      const n = (load<f32>(xr + off) - mu) * rs;
      const dn = load<f32>(gr + off) * load<f32>(weight + off);
      let d = (dn - meanDn - n * meanDnN) * rs;
      if (accumulate) d += load<f32>(dr + off);
      store<f32>(dr + off, d);
    }
  }
}
