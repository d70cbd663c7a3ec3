// The training loop behind `wasmgrad train`: epochs of seeded-shuffled
// mini-batches over an image dataset, the last partial batch included, and a
// test evaluation after every epoch.
//
// The training images live in WASM memory as bytes (ResidentImages, category
// `inputs`): the core gathers each shuffled batch and scales it to float32
// straight into the step's batch buffer. The float copy of a 60000-image
// dataset (188 MB) never exists, and no JS loop touches a pixel per step.

import { type PixelNormalization, pixelsToFloat32 } from '../data/idx.js';
import { ResidentImages } from '../data/resident-images.js';
import { ArgumentError, ShapeError, checkInt } from '../errors.js';
import { Random } from '../nn/random.js';
import type { Sequential } from '../nn/sequential.js';
import type { Optimizer } from '../optim/optimizer.js';

/** Images as bytes with one class label each: what an MnistSplit holds. */
export interface LabelledImages {
  /** count * rows * cols pixels, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Seed of the shuffle order (default 0). */
  seed?: number;
  /** Pixels become x / 255, then (x - mean) / std when given. */
  normalization?: PixelNormalization;
  /** Test images evaluated per forward pass (default 1000). */
  evalBatchSize?: number;
  /** After every training step. */
  onBatch?: (progress: BatchProgress) => void;
  /** After every epoch's test evaluation. */
  onEpoch?: (result: EpochResult) => void;
  /** Milliseconds from an arbitrary origin (default performance.now). */
  clock?: () => number;
}

export interface BatchProgress {
  epoch: number;
  /** 1-based index of the step just taken within the epoch, of `batches`. */
  batch: number;
  batches: number;
  /** Training images seen this epoch. */
  samples: number;
  /** Mean loss over the images seen this epoch. */
  loss: number;
  samplesPerSecond: number;
}

export interface EpochResult {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's images (each batch weighted by its size). */
  trainLoss: number;
  testLoss: number;
  /** Fraction of test images classified correctly, in [0, 1]. */
  testAccuracy: number;
  /** Training images per second of the training pass (test evaluation excluded). */
  samplesPerSecond: number;
  /** Wall time of the training pass. */
  seconds: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

/**
 * The most epochs one fit runs. Its results hold one summary per epoch (steps
 * keep nothing), so the cap bounds the memory of a run as well as its time.
 */
export const MAX_EPOCHS = 10_000;

/** Trains `model` for `options.epochs` epochs; returns one result per epoch. */
export function fit(model: Sequential, optimizer: Optimizer, train: LabelledImages, test: LabelledImages, options: FitOptions): EpochResult[] {
  checkInt('epochs', options.epochs, 1);
  if (options.epochs > MAX_EPOCHS) throw new ArgumentError(`epochs must be at most ${MAX_EPOCHS.toLocaleString('en-US')}, got ${options.epochs}`);
  checkInt('batchSize', options.batchSize, 1);
  checkCompatible(model, train, 'train');
  checkCompatible(model, test, 'test');
  const clock = options.clock ?? (() => performance.now());
  const batchSize = Math.min(options.batchSize, train.count);
  const batches = Math.ceil(train.count / batchSize);

  // The shuffle has its own stream, so it does not replay the weight initialisation's numbers.
  const rng = new Random((options.seed ?? 0) ^ 0x5eed5eed);
  const order = new Uint32Array(train.count);
  for (let i = 0; i < order.length; i++) order[i] = i;

  const resident = new ResidentImages(model.runtime, train, batchSize, options.normalization);
  try {
    const results: EpochResult[] = [];
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      shuffle(order, rng);
      const start = clock();
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const first = b * batchSize;
        const rows = Math.min(batchSize, train.count - first);
        lossSum += model.trainStepOn(resident.batch(order, first, rows), optimizer) * rows;
        if (options.onBatch) {
          const samples = first + rows;
          options.onBatch({ epoch, batch: b + 1, batches, samples, loss: lossSum / samples, samplesPerSecond: perSecond(samples, clock() - start) });
        }
      }
      const ms = clock() - start;
      const evaluation = evaluateImages(model, test, { normalization: options.normalization, batchSize: options.evalBatchSize });
      const result: EpochResult = {
        epoch,
        trainLoss: lossSum / train.count,
        testLoss: evaluation.loss,
        testAccuracy: evaluation.accuracy,
        samplesPerSecond: perSecond(train.count, ms),
        seconds: ms / 1000,
      };
      results.push(result);
      options.onEpoch?.(result);
    }
    return results;
  } finally {
    resident.dispose();
  }
}

/** Mean cross-entropy and accuracy over a dataset, converted and evaluated `batchSize` images at a time. */
export function evaluateImages(
  model: Sequential,
  data: LabelledImages,
  options: { normalization?: PixelNormalization; batchSize?: number } = {},
): Evaluation {
  checkCompatible(model, data, 'evaluation');
  const batchSize = Math.min(options.batchSize ?? 1000, data.count);
  checkInt('evaluation batchSize', batchSize, 1);
  const features = data.rows * data.cols;
  const x = new Float32Array(batchSize * features);
  let lossSum = 0, correct = 0;
  for (let first = 0; first < data.count; first += batchSize) {
    const rows = Math.min(batchSize, data.count - first);
    const xs = x.subarray(0, rows * features);
    pixelsToFloat32(data.images.subarray(first * features, (first + rows) * features), xs, options.normalization);
    const { loss, accuracy } = model.evaluate(xs, data.labels.subarray(first, first + rows), { batchSize: rows });
    lossSum += loss * rows;
    // evaluate returns correct / rows; recover the integer count.
    correct += Math.round(accuracy! * rows);
  }
  return { loss: lossSum / data.count, accuracy: correct / data.count };
}

/** Fisher-Yates (Knuth, TAOCP vol. 2, Algorithm P) with an unbiased index draw. */
function shuffle(order: Uint32Array, rng: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = below(rng, i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/** Uniform integer in [0, n), rejecting the top 2^32 mod n draws that would favour small values. */
function below(rng: Random, n: number): number {
  const limit = 4294967296 - (4294967296 % n);
  let v: number;
  do v = rng.nextUint32();
  while (v >= limit);
  return v % n;
}

function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/** The model takes the images' pixel count and has an output for every label. */
function checkCompatible(model: Sequential, data: LabelledImages, split: string): void {
  if (model.loss !== 'cross_entropy') throw new ArgumentError(`training on labelled images needs a cross_entropy model, got loss '${model.loss}'`);
  const features = data.rows * data.cols;
  if (data.count < 1) throw new ArgumentError(`${split} set is empty`);
  if (data.images.length !== data.count * features) {
    throw new ShapeError(`${split} images hold ${data.images.length} bytes; ${data.count} images of ${data.rows}x${data.cols} need ${data.count * features}`);
  }
  if (data.labels.length !== data.count) throw new ShapeError(`${split} set has ${data.count} images but ${data.labels.length} labels`);
  if (model.inFeatures !== features) {
    throw new ShapeError(`the model takes ${model.inFeatures} input features but ${split} images are ${data.rows}x${data.cols} = ${features} pixels`);
  }
  let maxLabel = 0;
  for (let i = 0; i < data.labels.length; i++) if (data.labels[i]! > maxLabel) maxLabel = data.labels[i]!;
  if (maxLabel >= model.outFeatures) {
    throw new ShapeError(`${split} labels go up to ${maxLabel} (${maxLabel + 1} classes) but the model has ${model.outFeatures} outputs`);
  }
}
