// The elementwise parts of a Linear layer; its products go through gemm.
//   forward:  y = x W^T + b        (gemm, then addBias)
//   backward: dW = dY^T X          (gemm, beta 0)
//             db = column sums of dY (biasGrad)
//             dX = dY W            (gemm; skipped for the first layer)

import { ELEMENT_ALIGN, TASK_ADD_BIAS, TASK_BIAS_GRAD, arg, runParallel, setArg, sliceStart, splitParts } from "../threads";

/** y[r][c] += b[c] for rows x cols. Threads split the rows. */
export function addBias(y: usize, b: usize, rows: i32, cols: i32): void {
  const n = splitParts(<i64>rows * <i64>cols, rows);
  if (n == 1) return addBiasRows(y, b, rows, cols);
  setArg<usize>(0, y); setArg<usize>(1, b); setArg<i32>(2, rows); setArg<i32>(3, cols);
  runParallel(TASK_ADD_BIAS, n);
}

/** Slice `part` of the addBias in the task slots: a band of rows. */
export function addBiasSlice(part: i32, n: i32): void {
  const rows = arg<i32>(2), cols = arg<i32>(3), r0 = sliceStart(rows, part, n, 1);
  addBiasRows(arg<usize>(0) + (<usize>r0 * <usize>cols << 2), arg<usize>(1), sliceStart(rows, part + 1, n, 1) - r0, cols);
}

function addBiasRows(y: usize, b: usize, rows: i32, cols: i32): void {
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

/** db[c] = sum_r dy[r][c] (overwrites db). Threads split the columns: each sum runs over the rows in order. */
export function biasGrad(dy: usize, db: usize, rows: i32, cols: i32): void {
  const n = splitParts(<i64>rows * <i64>cols, cols / ELEMENT_ALIGN);
  if (n == 1) return biasGradColumns(dy, db, rows, cols, cols);
  setArg<usize>(0, dy); setArg<usize>(1, db); setArg<i32>(2, rows); setArg<i32>(3, cols);
  runParallel(TASK_BIAS_GRAD, n);
}

/** Slice `part` of the biasGrad in the task slots: a band of columns. */
export function biasGradSlice(part: i32, n: i32): void {
  const cols = arg<i32>(3), c0 = sliceStart(cols, part, n, ELEMENT_ALIGN), off = <usize>c0 << 2;
  biasGradColumns(arg<usize>(0) + off, arg<usize>(1) + off, arg<i32>(2), sliceStart(cols, part + 1, n, ELEMENT_ALIGN) - c0, cols);
}

/** db[0:cols] = column sums of dy's first `cols` columns, its rows `stride` floats apart. */
function biasGradColumns(dy: usize, db: usize, rows: i32, cols: i32, stride: i32): void {
  memory.fill(db, 0, <usize>cols << 2);
  for (let r = 0; r < rows; r++) {
    const row = dy + (<usize>r * <usize>stride << 2);
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
