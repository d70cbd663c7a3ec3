// SGD over one flat parameter block, with PyTorch's rule (torch.optim.SGD):
//   g = grad + weight_decay * p
//   momentum: buf = g on the first step, else momentum * buf + (1 - dampening) * g
//             g = nesterov ? g + momentum * buf : buf
//   p -= lr * g
// Plain SGD (momentum 0) is the special case with no state. Written values
// below float32's normal range are flushed to zero (flush.ts).
//
// With apply = false nothing is written: the pass only looks for an update
// that would leave a non-finite parameter, so a bad step can be refused
// before it touches the model. Returns the index of the first such value
// (to within a SIMD vector), or -1.

import { nonFinite } from "../kernels/check";
import { exponentMask, flushSubnormal, flushSubnormals } from "./flush";
import { TASK_SGD, arg, elementParts, runParallel, setArg, sliceStart, ELEMENT_ALIGN } from "../threads";

export function sgdStep(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, dampening: f32, weightDecay: f32, nesterov: bool, firstStep: bool, apply: bool,
): i32 {
  const parts = apply ? elementParts(n) : 1;
  if (parts == 1) return sgdRange(p, g, buf, n, lr, momentum, dampening, weightDecay, nesterov, firstStep, apply);
  setArg<usize>(0, p); setArg<usize>(1, g); setArg<usize>(2, buf); setArg<i32>(3, n); setArg<f32>(4, lr);
  setArg<f32>(5, momentum); setArg<f32>(6, dampening); setArg<f32>(7, weightDecay); setArg<bool>(8, nesterov); setArg<bool>(9, firstStep);
  runParallel(TASK_SGD, parts);
  return -1;
}

/** Slice `part` of an applying step whose arguments are in the task slots. */
export function sgdSlice(part: i32, parts: i32): void {
  const n = arg<i32>(3);
  const i0 = sliceStart(n, part, parts, ELEMENT_ALIGN), i1 = sliceStart(n, part + 1, parts, ELEMENT_ALIGN);
  const off = <usize>i0 << 2;
  sgdRange(arg<usize>(0) + off, arg<usize>(1) + off, arg<usize>(2) + off, i1 - i0, arg<f32>(4), arg<f32>(5), arg<f32>(6), arg<f32>(7), arg<bool>(8), arg<bool>(9), true);
}

function sgdRange(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, dampening: f32, weightDecay: f32, nesterov: bool, firstStep: bool, apply: bool,
): i32 {
  let i = 0;
  if (ASC_FEATURE_SIMD && apply && weightDecay == 0 && (momentum == 0 || (!firstStep && !nesterov))) {
    // The common cases, plain SGD and heavy-ball momentum, each get a loop with no test in it.
    if (momentum == 0) i = applyVectors(p, g, buf, n, lr, momentum, dampening, false);
    else i = applyVectors(p, g, buf, n, lr, momentum, dampening, true);
  } else if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vm = f32x4.splat(momentum), vd = f32x4.splat(1 - dampening), vwd = f32x4.splat(weightDecay), exponent = exponentMask();
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const pv = v128.load(p + off);
      let gv = v128.load(g + off);
      if (weightDecay != 0) gv = f32x4.add(gv, f32x4.mul(pv, vwd));
      if (momentum != 0) {
        let b = gv;
        if (!firstStep) b = f32x4.add(f32x4.mul(v128.load(buf + off), vm), f32x4.mul(gv, vd));
        if (apply) v128.store(buf + off, flushSubnormals(b, exponent));
        gv = nesterov ? f32x4.add(gv, f32x4.mul(b, vm)) : b;
      }
      const np = f32x4.sub(pv, f32x4.mul(gv, vlr));
      if (apply) v128.store(p + off, flushSubnormals(np, exponent));
      else if (nonFinite(np)) return i;
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const pv = load<f32>(p + off);
    let gv = load<f32>(g + off);
    if (weightDecay != 0) gv = gv + pv * weightDecay;
    if (momentum != 0) {
      let b = gv;
      if (!firstStep) b = load<f32>(buf + off) * momentum + gv * (1 - dampening);
      if (apply) store<f32>(buf + off, flushSubnormal(b));
      gv = nesterov ? gv + b * momentum : b;
    }
    const np = pv - gv * lr;
    if (apply) store<f32>(p + off, flushSubnormal(np));
    else if (np - np != 0) return i;
  }
  return -1;
}

/**
 * p -= lr * g (withMomentum: buf = momentum * buf + (1 - dampening) * g and
 * p -= lr * buf) over whole vectors; returns how many floats it covered.
 * The same operations in the same order as the general loop.
 */
@inline function applyVectors(p: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, dampening: f32, withMomentum: bool): i32 {
  const vlr = f32x4.splat(lr), vm = f32x4.splat(momentum), vd = f32x4.splat(1 - dampening), exponent = exponentMask();
  const end = <usize>(n & ~3) << 2;
  for (let off: usize = 0; off < end; off += 16) {
    let gv = v128.load(g + off);
    if (withMomentum) {
      // p moves by the buffer as computed; only what is stored is flushed.
      gv = f32x4.add(f32x4.mul(v128.load(buf + off), vm), f32x4.mul(gv, vd));
      v128.store(buf + off, flushSubnormals(gv, exponent));
    }
    v128.store(p + off, flushSubnormals(f32x4.sub(v128.load(p + off), f32x4.mul(gv, vlr)), exponent));
  }
  return n & ~3;
}
