// Per-feature histograms over a batch of feature vectors, for the production
// monitor's drift scores: every feature (column) gets `bins` equal-width bins
// over [lo, lo + bins / scale); values below or above land in the end bins.

/**
 * Adds a batch to per-feature bin counts: for each of `rows` row-major vectors
 * of `cols` floats at x, counts[col * bins + bin] += 1 (u32 counters), where
 * bin = floor((x - lo) * scale) clamped to [0, bins - 1]. Inputs must be finite
 * (the caller checks). SIMD computes four bin indices at once; the increments
 * are scalar (WebAssembly has no scatter).
 */
export function histogram(x: usize, rows: i32, cols: i32, lo: f32, scale: f32, bins: i32, counts: usize): void {
  const last = <f32>(bins - 1);
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>cols) << 2);
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const vlo = f32x4.splat(lo), vscale = f32x4.splat(scale), zero = f32x4.splat(0), vlast = f32x4.splat(last);
      const step = i32x4.splat(bins << 4); // four columns of counters, in bytes
      // Byte offsets of columns c..c+3's first counter.
      let offsets = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(bins << 2));
      for (; c + 4 <= cols; c += 4) {
        const t = f32x4.floor(f32x4.mul(f32x4.sub(v128.load(row + (<usize>c << 2)), vlo), vscale));
        const bin = i32x4.trunc_sat_f32x4_s(f32x4.pmin(vlast, f32x4.pmax(zero, t)));
        const at = i32x4.add(offsets, i32x4.shl(bin, 2));
        bump(counts + <usize>i32x4.extract_lane(at, 0));
        bump(counts + <usize>i32x4.extract_lane(at, 1));
        bump(counts + <usize>i32x4.extract_lane(at, 2));
        bump(counts + <usize>i32x4.extract_lane(at, 3));
        offsets = i32x4.add(offsets, step);
      }
    }
    for (; c < cols; c++) {
      const t = Mathf.floor((load<f32>(row + (<usize>c << 2)) - lo) * scale);
      const bin = <i32>min(last, max(<f32>0, t));
      bump(counts + ((<usize>c * <usize>bins + <usize>bin) << 2));
    }
  }
}

@inline function bump(at: usize): void {
  store<u32>(at, load<u32>(at) + 1);
}
