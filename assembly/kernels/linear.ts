// The elementwise parts of a Linear layer; its products go through gemm.
//   forward:  y = x W^T + b        (gemm, then addBias)
//   backward: dW = dY^T X          (gemm, beta 0)
//             db = column sums of dY (biasGrad)
//             dX = dY W            (gemm; skipped for the first layer)

/** y[r][c] += b[c] for rows x cols. */
export function addBias(y: usize, b: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = y + (<usize>r * <usize>cols << 2);
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const off = <usize>c << 2;
        v128.store(row + off, f32x4.add(v128.load(row + off), v128.load(b + off)));
      }
    }
    for (; c < cols; c++) {
      const off = <usize>c << 2;
      store<f32>(row + off, load<f32>(row + off) + load<f32>(b + off));
    }
  }
}

/** db[c] = sum_r dy[r][c] (overwrites db). */
export function biasGrad(dy: usize, db: usize, rows: i32, cols: i32): void {
  memory.fill(db, 0, <usize>cols << 2);
  for (let r = 0; r < rows; r++) {
    const row = dy + (<usize>r * <usize>cols << 2);
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const off = <usize>c << 2;
        v128.store(db + off, f32x4.add(v128.load(db + off), v128.load(row + off)));
      }
    }
    for (; c < cols; c++) {
      const off = <usize>c << 2;
      store<f32>(db + off, load<f32>(db + off) + load<f32>(row + off));
    }
  }
}
