// Elementwise sums for the residual stream.
//   forward   out = a + b                  (a residual add: x + sublayer(x))
//   backward  identity fan-out: d a = d b = d out, so no kernel runs; where two
//             gradients meet (a residual stream, a tied embedding) the same
//             kernel accumulates: dst = dst + src
//   saves     nothing

import { ELEMENT_ALIGN, TASK_ADD, arg, elementParts, runParallel, setArg, sliceStart } from "../threads";

/** out = a + b over n floats; out may alias a or b (out = a: accumulate b into a). */
export function elementwiseAdd(a: usize, b: usize, out: usize, n: i32): void {
  const parts = elementParts(n);
  if (parts == 1) return addRange(a, b, out, n);
  setArg<usize>(0, a); setArg<usize>(1, b); setArg<usize>(2, out); setArg<i32>(3, n);
  runParallel(TASK_ADD, parts);
}

/** Slice `part` of the sum in the task slots. */
export function elementwiseAddSlice(part: i32, parts: i32): void {
  const n = arg<i32>(3), i0 = sliceStart(n, part, parts, ELEMENT_ALIGN), off = <usize>i0 << 2;
  addRange(arg<usize>(0) + off, arg<usize>(1) + off, arg<usize>(2) + off, sliceStart(n, part + 1, parts, ELEMENT_ALIGN) - i0);
}

function addRange(a: usize, b: usize, out: usize, n: i32): void {
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
