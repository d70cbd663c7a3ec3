// Dropout with a 1-byte mask, forward and backward side by side (train mode;
// p = 0 never reaches the core: the wrapper makes it the identity).
//   forward   mask[i] = keep ? 1 : 0, out[i] = x[i] * mask[i] * scale, scale = 1/(1-p)
//   backward  dx[i] = dout[i] * mask[i] * scale
//   saves     the mask: 1 byte per element
//
// The generator is counter-based, so a draw depends only on (seed, element):
// element i of a call with `offset` draws u = the high 32 bits of
// SplitMix64's output for the state (seed << 32) + offset + i, and is kept
// when u >= floor(p * 2^32). Recomputing a forward (activation recomputation)
// with the same seed and offset reproduces its mask, and one call over n
// elements equals calls over its pieces at their offsets. The memory-saving
// attention (attention.ts) draws its decisions on the fly through `kept`, with
// the key of the element it would have in a saved mask.

const GOLDEN: u64 = 0x9e3779b97f4a7c15;

/** SplitMix64's output for state `key` (Steele, Lea and Flood 2014), high half. */
@inline function draw(key: u64): u32 {
  let z = key + GOLDEN;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return <u32>((z ^ (z >> 31)) >> 32);
}

/** scale = 1/(1-p) rounded to f32, as the kept values are multiplied by. */
@inline export function keepScale(p: f64): f32 {
  return <f32>(1 / (1 - p));
}

/** Draws below floor(p * 2^32) are dropped. */
@inline export function dropThreshold(p: f64): u32 {
  return <u32>(p * 4294967296.0);
}

/** The key of element 0 of a stream: element i draws from key + i. */
@inline export function streamKey(seed: u32, offset: u64): u64 {
  return (<u64>seed << 32) + offset;
}

/** 1 if the element whose key is `key` is kept, else 0 (its mask byte). */
@inline export function kept(key: u64, threshold: u32): u32 {
  return draw(key) >= threshold ? 1 : 0;
}

/** Draws n mask bytes (p in (0, 1); offset + n <= 2^32), then out = x * mask * scale. out may alias x. */
export function dropoutForward(x: usize, out: usize, mask: usize, n: i32, p: f64, seed: u32, offset: u32): void {
  const threshold = dropThreshold(p), base = streamKey(seed, <u64>offset);
  for (let i = 0; i < n; i++) store<u8>(mask + <usize>i, <u8>kept(base + <u64>i, threshold));
  applyMask(x, mask, out, n, keepScale(p));
}

/** dx = dout * mask * scale; dx may alias dout. */
export function dropoutBackward(dout: usize, mask: usize, dx: usize, n: i32, p: f64): void {
  applyMask(dout, mask, dx, n, keepScale(p));
}

/** y = x * (mask * scale): a dropped element is x * 0, as PyTorch multiplies by its mask. */
function applyMask(x: usize, mask: usize, y: usize, n: i32, scale: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const s = f32x4.splat(scale);
    for (; i + 4 <= n; i += 4) {
      // 4 mask bytes widened to 4 floats (0 or 1).
      const m = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(mask + <usize>i))));
      const off = <usize>i << 2;
      v128.store(y + off, f32x4.mul(v128.load(x + off), f32x4.mul(m, s)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, load<f32>(x + off) * (<f32>load<u8>(mask + <usize>i) * scale));
  }
}
