// The data pipeline of a training step, in the core: gather the rows of a
// shuffled batch from a byte dataset that lives in WASM memory and scale them
// to float32, straight into the step's batch buffer (no JS loop, no copy).
// A pixel has 256 values, so scaling is a lookup in the 256 floats of
// pixelTable (src/data/idx.ts): the very values pixelsToFloat32 writes.

import { TASK_GATHER_PIXELS, arg, runParallel, setArg, sliceStart, splitParts } from "../threads";

/** out[r][j] = table[images[index[r]][j]] for `rows` rows of `rowBytes` bytes (table: 256 f32). Threads split the rows. */
export function gatherPixels(images: usize, rowBytes: i32, index: usize, rows: i32, out: usize, table: usize): void {
  const parts = splitParts(<i64>rows * <i64>rowBytes, rows);
  if (parts == 1) return gatherRows(images, rowBytes, index, rows, out, table);
  setArg<usize>(0, images); setArg<i32>(1, rowBytes); setArg<usize>(2, index); setArg<i32>(3, rows); setArg<usize>(4, out); setArg<usize>(5, table);
  runParallel(TASK_GATHER_PIXELS, parts);
}

/** Slice `part` of the gather in the task slots: a band of rows. */
export function gatherPixelsSlice(part: i32, parts: i32): void {
  const rowBytes = arg<i32>(1), rows = arg<i32>(3), r0 = sliceStart(rows, part, parts, 1);
  gatherRows(arg<usize>(0), rowBytes, arg<usize>(2) + (<usize>r0 << 2), sliceStart(rows, part + 1, parts, 1) - r0,
    arg<usize>(4) + (<usize>r0 * <usize>rowBytes << 2), arg<usize>(5));
}

// Keeps touchRows' loads from being dead code.
let touched: u32 = 0;

function gatherRows(images: usize, rowBytes: i32, index: usize, rows: i32, out: usize, table: usize): void {
  touchRows(images, rowBytes, index, rows);
  for (let r = 0; r < rows; r++) {
    const src = images + <usize>load<u32>(index + (<usize>r << 2)) * <usize>rowBytes;
    let dst = out + (<usize>r * <usize>rowBytes << 2);
    // Eight pixels a turn from one 64-bit load: a shift and a table load per
    // pixel. Computing f32(f64(v) * scale + shift) with SIMD conversions took
    // 1.24x as long (64 rows of 784 in cache, Node 24).
    const end = src + <usize>(rowBytes & ~7);
    let p = src;
    for (; p < end; p += 8, dst += 32) {
      const w = load<u64>(p);
      const lo = <u32>w, hi = <u32>(w >> 32);
      store<f32>(dst, load<f32>(table + ((lo & 0xff) << 2)));
      store<f32>(dst, load<f32>(table + ((lo >> 6) & 0x3fc)), 4);
      store<f32>(dst, load<f32>(table + ((lo >> 14) & 0x3fc)), 8);
      store<f32>(dst, load<f32>(table + ((lo >> 22) & 0x3fc)), 12);
      store<f32>(dst, load<f32>(table + ((hi & 0xff) << 2)), 16);
      store<f32>(dst, load<f32>(table + ((hi >> 6) & 0x3fc)), 20);
      store<f32>(dst, load<f32>(table + ((hi >> 14) & 0x3fc)), 24);
      store<f32>(dst, load<f32>(table + ((hi >> 22) & 0x3fc)), 28);
    }
    for (; p < src + <usize>rowBytes; p++, dst += 4) store<f32>(dst, load<f32>(table + (<usize>load<u8>(p) << 2)));
  }
}

/**
 * One byte of every cache line of the batch's rows, read before any is
 * converted: the rows lie at random in a large dataset, and reading them
 * all first puts their cache misses in flight together instead of one row's
 * at a time (a 64-row Fashion-MNIST batch: about 20 us of misses to a few).
 */
function touchRows(images: usize, rowBytes: i32, index: usize, rows: i32): void {
  let sum: u32 = 0;
  for (let r = 0; r < rows; r++) {
    const src = images + <usize>load<u32>(index + (<usize>r << 2)) * <usize>rowBytes;
    for (let j = 0; j < rowBytes; j += 64) sum += load<u8>(src + <usize>j);
    sum += load<u8>(src + <usize>(rowBytes - 1));
  }
  touched = sum;
}

/** out[r] = labels[index[r]] as int32 class indices. */
export function gatherLabels(labels: usize, index: usize, rows: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    store<i32>(out + (<usize>r << 2), <i32>load<u8>(labels + <usize>load<u32>(index + (<usize>r << 2))));
  }
}
