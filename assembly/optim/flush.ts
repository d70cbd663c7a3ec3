// Flush-to-zero for optimizer state and parameters. WASM has no FTZ mode, and
// subnormal floats cost about 70x on Intel cores: Adam's first moment decays
// by beta1 per step wherever a gradient is exactly zero (dead ReLU units) and
// reaches the subnormal range after about 800 steps. Every value an update
// writes below float32's smallest normal (1.17549435e-38) is written as +0,
// as torch.set_flush_denormal(True) does; values in the normal range are
// untouched, so results are bit-identical to PyTorch's until then.

const SMALLEST_NORMAL: f32 = 1.17549435e-38;

// float32's exponent bits in every lane, kept in memory: V8 13 (Node 24)
// rematerialises a constant vector at every use inside a loop, three
// instructions each, while a loaded one stays in a register.
const EXPONENT_BITS = memory.data<i32>([0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000], 16);

/** The mask flushSubnormals takes; load it once, before the loop. */
@inline export function exponentMask(): v128 {
  return v128.load(EXPONENT_BITS);
}

/**
 * Lanes with |x| below the smallest normal float become +0: exactly the
 * lanes whose exponent bits (`exponent`, from exponentMask) are all zero
 * (subnormals and -0), tested on the bits, which takes V8 fewer
 * instructions than |x| < SMALLEST_NORMAL.
 */
@inline export function flushSubnormals(v: v128, exponent: v128): v128 {
  return v128.andnot(v, i32x4.eq(v128.and(v, exponent), i32x4.splat(0)));
}

/** x, or +0 when |x| is below the smallest normal float. */
@inline export function flushSubnormal(x: f32): f32 {
  return Mathf.abs(x) < SMALLEST_NORMAL ? 0 : x;
}
