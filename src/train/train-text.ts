// Trains a character-level GPT on a UTF-8 text in the core (as nanoGPT's
// shakespeare_char): AdamW on random windows of the first 90%, the mean
// validation loss over fixed windows of the rest after every epoch.

import { type GPTConfigInput } from '../gpt/config.js';
import { GPT } from '../gpt/model.js';
import { checkInt } from '../errors.js';
import { Random } from '../nn/random.js';
import { AdamW } from '../optim/adam.js';
import type { Runtime } from '../runtime.js';
import { type CharText, charText, sampleWindows, unigramEntropy } from '../text/char-text.js';

export interface TextTrainingOptions {
  text: string;
  /** The GPT apart from its vocabulary, which the text gives. */
  model: Omit<GPTConfigInput, 'vocab'>;
  batch: number;
  stepsPerEpoch: number;
  epochs: number;
  lr: number;
  seed: number;
  /** Validation windows per evaluation, in batches of `batch`. */
  validationBatches: number;
  flashAttention?: boolean;
  onStep?(epoch: number, step: number, loss: number): void;
}

export interface TextEpoch {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  trainLoss: number;
  validationLoss: number;
  /** Training tokens per second over the epoch (steps only; evaluation not included). */
  tokensPerSecond: number;
}

export interface TextTraining {
  model: GPT;
  data: CharText;
  /** Entropy of the validation characters' frequencies, in nats: the loss of a model without context. */
  unigramEntropy: number;
  epochs: TextEpoch[];
}

export function trainText(rt: Runtime, o: TextTrainingOptions): TextTraining {
  for (const [name, v] of [['batch', o.batch], ['stepsPerEpoch', o.stepsPerEpoch], ['epochs', o.epochs], ['validationBatches', o.validationBatches]] as const) checkInt(name, v, 1);
  const seq = o.model.seq;
  const data = charText(o.text, seq);
  const model = new GPT(rt, { ...o.model, vocab: data.vocab.length }, { seed: o.seed, flashAttention: o.flashAttention ?? false });
  const optimizer = new AdamW({ lr: o.lr });
  const rng = new Random(o.seed + 1);
  // The same validation windows every epoch, so the losses compare.
  const validation = Array.from({ length: o.validationBatches }, (_, i) => sampleWindows(data.validation, o.batch, seq, new Random(o.seed + 2 + i)));
  const epochs: TextEpoch[] = [];
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      let sum = 0;
      const start = performance.now();
      for (let step = 1; step <= o.stepsPerEpoch; step++) {
        const { tokens, targets } = sampleWindows(data.train, o.batch, seq, rng);
        const loss = model.trainStep(tokens, targets, optimizer);
        sum += loss;
        o.onStep?.(epoch, step, loss);
      }
      const seconds = (performance.now() - start) / 1000;
      const validationLoss = validation.reduce((s, v) => s + model.evaluate(v.tokens, v.targets).loss, 0) / validation.length;
      epochs.push({ epoch, trainLoss: sum / o.stepsPerEpoch, validationLoss, tokensPerSecond: (o.stepsPerEpoch * o.batch * seq) / seconds });
    }
  } finally {
    optimizer.dispose();
  }
  return { model, data, unigramEntropy: unigramEntropy(data.validation, data.vocab.length), epochs };
}
