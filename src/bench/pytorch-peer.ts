// PyTorch CPU as a speed peer, measured in the same run: a child process
// (bench/pytorch-peer.py, run by Debian's /usr/bin/python3 or $WASMGRAD_PYTHON)
// times the same GEMM shapes and the same training step on one thread and
// says which BLAS it loaded (Debian's torch uses whichever libblas.so.3 is
// installed; the reference BLAS is about 10x slower than OpenBLAS). When
// PyTorch or the script is missing, the peer is unavailable with the reason.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GemmShape } from './gemm-shape.js';
import type { PytorchPeer } from './pytorch-result.js';

export { pytorchInfo, type PytorchEpoch, type PytorchFit, type PytorchGemm, type PytorchInfo, type PytorchPeer } from './pytorch-result.js';

export interface PytorchRequest {
  timeMs: number;
  gemm?: readonly GemmShape[];
  /** An MLP of ReLU layers with softmax cross-entropy, and each optimizer's learning rate. */
  train?: { layers: readonly number[]; batch: number; optimizers: Record<string, number> };
  /** The reference GPT (test/fixtures/gpt/reference_gpt.py) at wasmgrad's GPTConfig, trained with AdamW. */
  gpt?: { config: object; batch: number; tokens: number; lr: number };
  /** An MLP trained for `epochs` on images in raw uint8 files, as `wasmgrad train` trains it (src/train/pytorch-fit.ts). */
  fit?: PytorchFitRequest;
}

export interface PytorchFitRequest {
  layers: readonly number[];
  activation: string;
  optimizer: string;
  lr: number;
  batch: number;
  epochs: number;
  seed: number;
  train: { count: number; images: string; labels: string };
  test: { count: number; images: string; labels: string };
}

/** The longest one epoch of a fit may take before the child is stopped: 60,000 images at 1,000 samples/s. */
const FIT_EPOCH_TIMEOUT_MS = 60_000;

/**
 * The script in the repository's bench/ folder, found from src/bench (tests) or
 * dist/src/bench (the built CLI); the npm package does not ship it.
 */
export const PYTORCH_PEER_SCRIPT = ['../../bench/pytorch-peer.py', '../../../bench/pytorch-peer.py']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((path) => existsSync(path)) ?? fileURLToPath(new URL('../../../bench/pytorch-peer.py', import.meta.url));

export interface PytorchPeerOptions {
  python?: string;
  script?: string;
  /** The child is killed after this long (default: a minute plus the time budget of every measurement). */
  timeoutMs?: number;
}

export async function runPytorchPeer(request: PytorchRequest, options: PytorchPeerOptions = {}): Promise<PytorchPeer> {
  const python = options.python ?? process.env.WASMGRAD_PYTHON ?? '/usr/bin/python3';
  const script = options.script ?? PYTORCH_PEER_SCRIPT;
  if (!existsSync(script)) return { available: false, reason: `the PyTorch peer script ${script} is not here (it ships with the repository, not the npm package)` };
  if (!existsSync(python)) return { available: false, reason: `no Python at ${python} (install python3-torch, or set WASMGRAD_PYTHON)` };
  const measurements = (request.gemm?.length ?? 0) + Object.keys(request.train?.optimizers ?? {}).length + (request.gpt ? 1 : 0);
  const timeoutMs = options.timeoutMs ?? 60_000 + measurements * request.timeMs * 2 + (request.fit?.epochs ?? 0) * FIT_EPOCH_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn(python, [script], { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ available: false, reason: `could not start ${python}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) return resolve({ available: false, reason: `the PyTorch peer was stopped (${signal}) after ${timeoutMs} ms` });
      const doc = parseResult(stdout);
      if (doc) return resolve(doc);
      const last = stderr.trim().split('\n').pop() ?? '';
      resolve({ available: false, reason: `the PyTorch peer exited with code ${code} and no result${last ? `: ${last.slice(0, 200)}` : ''}` });
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** The peer's JSON document, or null when stdout holds none. */
function parseResult(stdout: string): PytorchPeer | null {
  try {
    const doc = JSON.parse(stdout) as PytorchPeer;
    return typeof doc?.available === 'boolean' ? doc : null;
  } catch {
    return null;
  }
}
