// The GEMM shapes the benchmarks time, and their work: the vocabulary that the
// GEMM bench and its peers (src/bench/peers.ts) both speak, so neither imports the other.

import { ArgumentError, checkInt } from '../errors.js';

/** C (m x n) = op(A) (m x k) * op(B) (k x n), row-major, as wasmgrad's gemm takes it. */
export interface GemmShape {
  label: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** Largest square size accepted: three 4096^2 float32 matrices are 192 MiB, well inside wasm32 memory. */
export const MAX_SQUARE_SIZE = 4096;

/** "fc1 fwd 64x784·784x100ᵀ": the operands as op(A)·op(B), ᵀ marking a transposed operand. */
function shapeLabel(name: string, m: number, n: number, k: number, transA: boolean, transB: boolean): string {
  return `${name} ${m}x${k}${transA ? 'ᵀ' : ''}·${k}x${n}${transB ? 'ᵀ' : ''}`;
}

export function gemmShape(name: string, m: number, n: number, k: number, transA = false, transB = false): GemmShape {
  checkInt('m', m, 1);
  checkInt('n', n, 1);
  checkInt('k', k, 1);
  return { label: shapeLabel(name, m, n, k, transA, transB), m, n, k, transA, transB };
}

export function squareShapes(sizes: readonly number[]): GemmShape[] {
  return sizes.map((s, i) => {
    checkInt(`sizes[${i}]`, s, 1);
    if (s > MAX_SQUARE_SIZE) throw new ArgumentError(`sizes[${i}] must be at most ${MAX_SQUARE_SIZE}, got ${s}`, { field: `sizes[${i}]` });
    return gemmShape('square', s, s, s);
  });
}

/**
 * The five GEMMs of one training step of a 784-100-10 MLP at batch 64, as a
 * Linear layer with PyTorch's W[out][in] computes them (y = x W^T):
 * forward y = x W^T (B transposed), weight gradient dW = dY^T X (A transposed),
 * input gradient dX = dY W (fc2 only: fc1's input is the data, which needs no gradient).
 */
export const MLP_TRAINING_SHAPES: readonly GemmShape[] = [
  gemmShape('fc1 fwd', 64, 100, 784, false, true),
  gemmShape('fc2 fwd', 64, 10, 100, false, true),
  gemmShape('fc2 dW', 10, 100, 64, true, false),
  gemmShape('fc2 dX', 64, 100, 10, false, false),
  gemmShape('fc1 dW', 100, 784, 64, true, false),
];

export function gemmFlops(shape: GemmShape): number {
  return 2 * shape.m * shape.n * shape.k;
}

