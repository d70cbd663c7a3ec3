// Adam and AdamW over one flat parameter block, with PyTorch's rules
// (torch.optim.Adam / AdamW, 1.13 single-tensor path):
//   Adam:  g = grad + weight_decay * p          (L2, coupled)
//   AdamW: p *= 1 - lr * weight_decay            (decoupled)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// m and v live side by side in one optimizer block: m = state, v = state + n floats.
// Written values below float32's normal range are flushed to zero (flush.ts).
// apply = false: a check-only pass that writes nothing (see sgd.ts); returns the
// index of the first non-finite updated parameter (to within a vector), or -1.

import { nonFinite } from "../kernels/check";
import { exponentMask, flushSubnormal, flushSubnormals } from "./flush";
import { TASK_ADAM, arg, elementParts, runParallel, setArg, sliceStart, ELEMENT_ALIGN } from "../threads";

export function adamStep(
  p: usize, g: usize, state: usize, n: i32, step: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, decoupled: bool, apply: bool,
): i32 {
  const m = state, v = state + (<usize>n << 2);
  const parts = apply ? elementParts(n) : 1;
  if (parts == 1) return adamRange(p, g, m, v, n, step, lr, beta1, beta2, eps, weightDecay, decoupled, apply);
  setArg<usize>(0, p); setArg<usize>(1, g); setArg<usize>(2, m); setArg<usize>(3, v); setArg<i32>(4, n); setArg<i32>(5, step);
  setArg<f32>(6, lr); setArg<f32>(7, beta1); setArg<f32>(8, beta2); setArg<f32>(9, eps); setArg<f32>(10, weightDecay); setArg<bool>(11, decoupled);
  runParallel(TASK_ADAM, parts);
  return -1;
}

/** Slice `part` of an applying step whose arguments are in the task slots. */
export function adamSlice(part: i32, parts: i32): void {
  const n = arg<i32>(4);
  const i0 = sliceStart(n, part, parts, ELEMENT_ALIGN), i1 = sliceStart(n, part + 1, parts, ELEMENT_ALIGN);
  const off = <usize>i0 << 2;
  adamRange(
    arg<usize>(0) + off, arg<usize>(1) + off, arg<usize>(2) + off, arg<usize>(3) + off, i1 - i0, arg<i32>(5),
    arg<f32>(6), arg<f32>(7), arg<f32>(8), arg<f32>(9), arg<f32>(10), arg<bool>(11), true,
  );
}

function adamRange(
  p: usize, g: usize, m: usize, v: usize, n: i32, step: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, decoupled: bool, apply: bool,
): i32 {
  const bc1 = 1 - Math.pow(<f64>beta1, <f64>step);
  const bc2Sqrt = Math.sqrt(1 - Math.pow(<f64>beta2, <f64>step));
  const stepSize = <f32>(<f64>lr / bc1);
  const invBc2Sqrt = <f32>(1 / bc2Sqrt);
  const decay: f32 = decoupled ? <f32>(1 - <f64>lr * <f64>weightDecay) : 1;
  const l2: f32 = decoupled ? 0 : weightDecay;
  const omb1: f32 = 1 - beta1, omb2: f32 = 1 - beta2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (apply) {
      // One loop per case, so no test of weight decay runs per vector (Adam
      // has only L2 decay, AdamW only decoupled decay).
      if (l2 != 0) i = applyVectors(p, g, m, v, n, beta1, beta2, l2, decay, stepSize, invBc2Sqrt, eps, true, false);
      else if (decay != 1) i = applyVectors(p, g, m, v, n, beta1, beta2, l2, decay, stepSize, invBc2Sqrt, eps, false, true);
      else i = applyVectors(p, g, m, v, n, beta1, beta2, l2, decay, stepSize, invBc2Sqrt, eps, false, false);
    } else {
      const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), v1 = f32x4.splat(omb1), v2 = f32x4.splat(omb2);
      const vl2 = f32x4.splat(l2), vdecay = f32x4.splat(decay), vstep = f32x4.splat(stepSize);
      const vinv = f32x4.splat(invBc2Sqrt), veps = f32x4.splat(eps), vbound = f32x4.splat(stepSize / eps);
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2;
        let pv = v128.load(p + off);
        let gv = v128.load(g + off);
        if (l2 != 0) gv = f32x4.add(gv, f32x4.mul(pv, vl2));
        if (decay != 1) pv = f32x4.mul(pv, vdecay);
        const mv = f32x4.add(f32x4.mul(v128.load(m + off), vb1), f32x4.mul(gv, v1));
        const vv = f32x4.add(f32x4.mul(v128.load(v + off), vb2), f32x4.mul(f32x4.mul(gv, gv), v2));
        // |new p| <= |p| + (stepSize / eps) |m| since the denominator is at least eps:
        // a bound with no sqrt or division. Only where it is not finite (or eps = 0)
        // is the exact update worked out.
        const bound = f32x4.add(f32x4.abs(pv), f32x4.mul(f32x4.abs(mv), vbound));
        if (nonFinite(bound) || nonFinite(vv)) {
          const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vv), vinv), veps);
          const np = f32x4.sub(pv, f32x4.mul(vstep, f32x4.div(mv, denom)));
          if (nonFinite(np) || nonFinite(mv) || nonFinite(vv)) return i;
        }
      }
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    let pv = load<f32>(p + off);
    let gv = load<f32>(g + off);
    if (l2 != 0) gv = gv + pv * l2;
    if (decay != 1) pv = pv * decay;
    const mv = load<f32>(m + off) * beta1 + gv * omb1;
    const vv = load<f32>(v + off) * beta2 + gv * gv * omb2;
    const np = pv - stepSize * (mv / (Mathf.sqrt(vv) * invBc2Sqrt + eps));
    if (apply) {
      store<f32>(m + off, flushSubnormal(mv));
      store<f32>(v + off, flushSubnormal(vv));
      store<f32>(p + off, flushSubnormal(np));
    } else if (np - np != 0 || mv - mv != 0 || vv - vv != 0) {
      return i;
    }
  }
  return -1;
}

/**
 * The update over whole vectors; returns how many floats it covered. withL2
 * and withDecay are constants at each call, so each instance has one loop
 * with no branch in it. The same operations in the same order as the scalar
 * tail, so every lane is bit-identical to it.
 */
@inline function applyVectors(
  p: usize, g: usize, m: usize, v: usize, n: i32, beta1: f32, beta2: f32,
  l2: f32, decay: f32, stepSize: f32, invBc2Sqrt: f32, eps: f32, withL2: bool, withDecay: bool,
): i32 {
  const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), v1 = f32x4.splat(1 - beta1), v2 = f32x4.splat(1 - beta2);
  const vl2 = f32x4.splat(l2), vdecay = f32x4.splat(decay), vstep = f32x4.splat(stepSize);
  const vinv = f32x4.splat(invBc2Sqrt), veps = f32x4.splat(eps), exponent = exponentMask();
  const end = <usize>(n & ~3) << 2;
  for (let off: usize = 0; off < end; off += 16) {
    let pv = v128.load(p + off);
    let gv = v128.load(g + off);
    if (withL2) gv = f32x4.add(gv, f32x4.mul(pv, vl2));
    if (withDecay) pv = f32x4.mul(pv, vdecay);
    const mv = f32x4.add(f32x4.mul(v128.load(m + off), vb1), f32x4.mul(gv, v1));
    const vv = f32x4.add(f32x4.mul(v128.load(v + off), vb2), f32x4.mul(f32x4.mul(gv, gv), v2));
    const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vv), vinv), veps);
    v128.store(m + off, flushSubnormals(mv, exponent));
    v128.store(v + off, flushSubnormals(vv, exponent));
    v128.store(p + off, flushSubnormals(f32x4.sub(pv, f32x4.mul(vstep, f32x4.div(mv, denom))), exponent));
  }
  return n & ~3;
}
