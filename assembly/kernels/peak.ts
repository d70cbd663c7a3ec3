// The peak probe: independent SIMD multiply-add chains with no memory traffic.
// It measures the arithmetic ceiling of this engine and CPU for the same
// instruction mix the GEMM uses (mul+add, or fused madd in relaxed builds),
// so "fraction of peak" compares like with like.

import { madd } from "./simd";

// The probe's multiplier and addend, read from memory rather than written as
// constants: V8 13 (Node 24) rematerialises a constant splat at every use
// inside the loop (three instructions per multiply and per add), which held
// the probe to a quarter of the ceiling there; loaded values stay in registers.
const FACTORS = memory.data<f32>([0.999999, 0.000001]);

/** Runs `iters` iterations of 8 chains; returns a value so the work is not dead. 32 MACs/iter. */
function peakProbe8(iters: i32): f32 {
  const x = v128.load32_splat(FACTORS), y = v128.load32_splat(FACTORS + 4);
  let a0 = f32x4.splat(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y);
    a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y);
  }
  return sum(f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))));
}

/** 10 chains: 40 MACs/iter. */
function peakProbe10(iters: i32): f32 {
  const x = v128.load32_splat(FACTORS), y = v128.load32_splat(FACTORS + 4);
  let a0 = f32x4.splat(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y); a4 = madd(a4, x, y);
    a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y); a8 = madd(a8, x, y); a9 = madd(a9, x, y);
  }
  return sum(f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(f32x4.add(a6, a7), f32x4.add(a8, a9)))));
}

/** 12 chains: 48 MACs/iter. */
function peakProbe12(iters: i32): f32 {
  const x = v128.load32_splat(FACTORS), y = v128.load32_splat(FACTORS + 4);
  let a0 = f32x4.splat(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y);
    a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y);
    a8 = madd(a8, x, y); a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y);
  }
  return sum(f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)), f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)))));
}

@inline function sum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Scalar builds: 8 independent f32 chains, 8 MACs/iter. */
function peakProbeScalar(iters: i32): f32 {
  const x = load<f32>(FACTORS), y = load<f32>(FACTORS + 4);
  let a0: f32 = 1, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let i = 0; i < iters; i++) {
    a0 = a0 * x + y; a1 = a1 * x + y; a2 = a2 * x + y; a3 = a3 * x + y;
    a4 = a4 * x + y; a5 = a5 * x + y; a6 = a6 * x + y; a7 = a7 * x + y;
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

/**
 * Runs the probe with `chains` independent accumulators (8, 10 or 12 in SIMD
 * builds; scalar builds always run 8 scalar chains). MACs = iters * chains * lanes.
 */
export function peakProbe(chains: i32, iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    if (chains == 10) return peakProbe10(iters);
    if (chains == 12) return peakProbe12(iters);
    return peakProbe8(iters);
  }
  return peakProbeScalar(iters);
}
