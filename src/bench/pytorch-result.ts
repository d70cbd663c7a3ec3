// What the PyTorch peer's child process answers (bench/pytorch-peer.py), as
// types and one pure function: the bench documents import this, and they run
// in browsers too, so nothing here may import Node modules.

import type { EpochResult } from '../train/fit.js';

/** The BLAS library PyTorch's process mapped. */
export interface PytorchBlas {
  name: string;
  libraries: string[];
  /** OpenBLAS's kernel set (openblas_get_corename, e.g. 'Cooperlake'); null for another BLAS. */
  core?: string | null;
  /** Why the peer set OPENBLAS_CORETYPE (OpenBLAS picked an older kernel set than the CPU has), or null. */
  forced?: string | null;
}

/** What PyTorch ran on, without its measurements: the `pytorch` entry of the bench documents. */
export type PytorchInfo =
  | {
      available: true; version: string; python: string; threads: number; blas: PytorchBlas;
      /** torch.set_flush_denormal(True) took effect: subnormals become zero, as wasmgrad's optimizer state does. */
      flushDenormal: boolean;
    }
  | { available: false; reason: string };

/** One GEMM shape timed by torch.mm: median and fastest ms per call, samples of `batch` calls; gflops from the median. */
export interface PytorchGemm {
  label: string;
  ms: number;
  minMs: number;
  samples: number;
  batch: number;
  gflops: number;
}

/** One epoch of PyTorch training an MLP: the fields of wasmgrad's own epochs. */
export type PytorchEpoch = EpochResult;

/** PyTorch's epochs of `wasmgrad train --pytorch`, or why it could not train. */
export type PytorchFit = (Extract<PytorchInfo, { available: true }> & { epochs: PytorchEpoch[] }) | Extract<PytorchInfo, { available: false }>;

export type PytorchPeer =
  | (Extract<PytorchInfo, { available: true }> & {
      gemm: PytorchGemm[];
      train: { optimizer: string; samplesPerSecond: number; msPerStep: number; steps: number }[];
      /** The reference GPT trained with AdamW, when asked for (null otherwise). */
      gpt: { tokensPerSecond: number; msPerStep: number; steps: number } | null;
      /** An MLP trained on images as `wasmgrad train` trains it, one result per epoch, when asked for (null otherwise). */
      fit: { epochs: PytorchEpoch[] } | null;
    })
  | Extract<PytorchInfo, { available: false }>;

export function pytorchInfo(peer: Extract<PytorchPeer, { available: true }>): Extract<PytorchInfo, { available: true }>;
export function pytorchInfo(peer: PytorchPeer): PytorchInfo;
export function pytorchInfo(peer: PytorchPeer): PytorchInfo {
  return peer.available
    ? { available: true, version: peer.version, python: peer.python, threads: peer.threads, blas: peer.blas, flushDenormal: peer.flushDenormal }
    : peer;
}

/** How PyTorch ran, for a report line: `1 thread, BLAS: OpenBLAS (pthread), Cooperlake kernels, subnormals flushed`. */
export function pytorchSetting(p: Extract<PytorchInfo, { available: true }>): string {
  const { name, core, forced } = p.blas;
  const blas = `${name}${core ? `, ${core} kernels` : ''}${forced ? ` (${forced})` : ''}`;
  return `${p.threads} thread${p.threads === 1 ? '' : 's'}, BLAS: ${blas}, subnormals ${p.flushDenormal ? 'flushed' : 'not flushed'}`;
}
