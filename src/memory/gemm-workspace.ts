// Bytes of GEMM packing workspace, mirrored from assembly/kernels/gemm.ts
// (gemmScratchBytes) so the step plan and the estimator need no WASM. A test
// holds the two equal. On the memory floor: the plan (low) allocates it.

import type { BuildName } from '../wasm-source.js';

// Rows round up to whole panels of either tile: 6 (the 6x8 tile's) covers 2 (2x16's).
const PANEL_ROWS = 6, NR = 16, MC = 72, KC = 256, NC = 512;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** Packed A block plus packed B block for one product, for each of `threads` threads; scalar builds do not pack. */
export function gemmWorkspaceBytes(m: number, n: number, k: number, build: BuildName, threads = 1): number {
  if (build === 'scalar' || m <= 0 || n <= 0 || k <= 0) return 0;
  return (roundUp(Math.min(m, MC), PANEL_ROWS) + roundUp(Math.min(n, NC), NR)) * Math.min(k, KC) * 4 * threads;
}
