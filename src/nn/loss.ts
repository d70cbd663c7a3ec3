// The losses a Sequential trains with, forward and backward side by side, each
// saying what it keeps for backward:
//   cross_entropy  fused log-softmax + NLL over class indices (mean over the
//                  batch); saves the softmax probabilities, not the logits
//   mse            mean squared error over batch x outFeatures targets; saves
//                  nothing of its own: backward reads the prediction itself

import type { Runtime } from '../runtime.js';

export type LossKind = 'cross_entropy' | 'mse';
export const LOSS_KINDS: readonly LossKind[] = ['cross_entropy', 'mse'];

export interface LossModule {
  readonly kind: LossKind;
  /** Whether backward reads the prediction (else what forward saved instead). */
  readonly readsPrediction: boolean;
  /** Bytes of what forward saves for backward (0: nothing of its own). */
  savedBytes(batch: number, classes: number): number;
  /** Bytes of the staged targets: class indices (int32) or values (float32). */
  targetBytes(batch: number, classes: number): number;
  forward(rt: Runtime, prediction: number, target: number, saved: number, batch: number, classes: number): number;
  backward(rt: Runtime, prediction: number, target: number, saved: number, gradient: number, batch: number, classes: number): void;
}

const crossEntropy: LossModule = {
  kind: 'cross_entropy',
  readsPrediction: false,
  savedBytes: (batch, classes) => batch * classes * 4,
  targetBytes: (batch) => batch * 4,
  forward: (rt, logits, labels, probs, batch, classes) => rt.core.crossEntropyForward(logits, labels, probs, batch, classes),
  backward: (rt, _logits, labels, probs, dlogits, batch, classes) => rt.core.crossEntropyBackward(probs, labels, dlogits, batch, classes),
};

const mse: LossModule = {
  kind: 'mse',
  readsPrediction: true,
  savedBytes: () => 0,
  targetBytes: (batch, classes) => batch * classes * 4,
  forward: (rt, pred, target, _saved, batch, classes) => rt.core.mseForward(pred, target, batch * classes),
  backward: (rt, pred, target, _saved, dpred, batch, classes) => rt.core.mseBackward(pred, target, dpred, batch * classes),
};

export function lossModule(kind: LossKind): LossModule {
  return kind === 'mse' ? mse : crossEntropy;
}
