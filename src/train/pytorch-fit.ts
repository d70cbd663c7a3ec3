// PyTorch CPU training the same MLP on the same images, for `wasmgrad train
// --pytorch`: the images wasmgrad loaded (and checked) go to the child process
// (bench/pytorch-peer.py) as raw uint8 files in a temporary directory, and it
// trains on one thread from one float tensor in memory, PyTorch's fastest
// input path at this size, timing each epoch's training pass as fit() does.
// Run after wasmgrad's own epochs, so the two never compete for a core.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MnistDataset } from '../data/mnist-files.js';
import { runPytorchPeer, type PytorchFit, type PytorchFitRequest, type PytorchPeerOptions, pytorchInfo } from '../bench/pytorch-peer.js';

/** What the run trains: the fields of a PytorchFitRequest other than the data. */
export type PytorchFitSetup = Omit<PytorchFitRequest, 'train' | 'test'>;

/** PyTorch's epochs on `data`, or why it could not train (no Python, no torch, a failed run). */
export async function pytorchFit(data: MnistDataset, setup: PytorchFitSetup, options: PytorchPeerOptions = {}): Promise<PytorchFit> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-pytorch-fit-'));
  try {
    const split = (name: string, s: MnistDataset['train']) => {
      const images = join(dir, `${name}-images.u8`), labels = join(dir, `${name}-labels.u8`);
      writeFileSync(images, s.images);
      writeFileSync(labels, s.labels);
      return { count: s.count, images, labels };
    };
    const peer = await runPytorchPeer({ timeMs: 0, fit: { ...setup, train: split('train', data.train), test: split('test', data.test) } }, options);
    if (!peer.available) return peer;
    if (!peer.fit || peer.fit.epochs.length !== setup.epochs) return { available: false, reason: `the PyTorch peer returned ${peer.fit?.epochs.length ?? 'no'} epochs, not ${setup.epochs}` };
    return { ...pytorchInfo(peer), epochs: peer.fit.epochs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
