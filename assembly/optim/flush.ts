// Flush-to-zero for optimizer state and parameters. WASM has no FTZ mode, and
// subnormal floats cost about 70x on Intel cores: Adam's first moment decays
// by beta1 per step wherever a gradient is exactly zero (dead ReLU units) and
// reaches the subnormal range after about 800 steps. Every value an update
// writes below float32's smallest normal (1.17549435e-38) is written as +0,
// as torch.set_flush_denormal(True) does; values in the normal range are
// untouched, so results are bit-identical to PyTorch's until then.

const SMALLEST_NORMAL: f32 = 1.17549435e-38;

/** Lanes with |x| below the smallest normal float become +0. */
@inline export function flushSubnormals(v: v128): v128 {
  return v128.andnot(v, f32x4.lt(f32x4.abs(v), f32x4.splat(SMALLEST_NORMAL)));
}

/** x, or +0 when |x| is below the smallest normal float. */
@inline export function flushSubnormal(x: f32): f32 {
  return Mathf.abs(x) < SMALLEST_NORMAL ? 0 : x;
}
