/**
 * A training run as a document (`wasmgrad train --json`) and as the lines
 * people read while it runs: a header, then one line per epoch.
 *
 * JSON fields (stable; new ones may be added):
 *   format            "wasmgrad.train/1" (the key the weights file uses too)
 *   data              { dir, rows, cols, classes, train: { count, images, labels }, test: { count, images, labels } }
 *                     (images, labels: the files read)
 *   layers            layer sizes, input to output, e.g. [784, 100, 10]
 *   activation        between the Linear layers, as the command line spells it, e.g. "relu", "leaky-relu"
 *   model             the layers spelled out, e.g. "Linear(784, 100) -> ReLU -> Linear(100, 10)"
 *   parameters        number of trained parameters
 *   optimizer         "sgd" | "sgd-momentum" | "adam" | "adamw"
 *   lr                learning rate used
 *   batch             batch size (the last batch of an epoch holds the remainder)
 *   seed              initialisation and shuffle seed
 *   epochs[]          { epoch (1-based), trainLoss (mean cross-entropy over the epoch's images),
 *                       testLoss, testAccuracy (fraction in [0, 1]),
 *                       samplesPerSecond (training images / seconds), seconds (training pass, test evaluation excluded) }
 *   build             the core build that ran: "relaxed" | "simd" | "scalar"
 *   threads           the threads it ran on (--threads)
 *   parametersSaved   absolute path of the weights file (present only when they were saved)
 *   pytorch           with --pytorch only: PyTorch CPU training the same network on the same images after
 *                     wasmgrad's run ({ available, version, python, threads, blas, epochs[] } with the
 *                     fields of epochs[] above, its own initialisation and shuffle), or { available: false, reason }
 */
import { colours } from './colours.js';
import { buildAndThreads } from './runs-on.js';
import type { MnistDataset } from '../data/mnist-files.js';
import { describeLayers, type LayerSpec } from '../nn/layers.js';
import type { EpochResult } from '../train/fit.js';
import { pytorchSetting, type PytorchFit } from '../bench/pytorch-result.js';
import type { BuildName } from '../wasm-source.js';

interface SplitFiles {
  count: number;
  images: string;
  labels: string;
}

export interface TrainDocument {
  format: 'wasmgrad.train/1';
  data: { dir: string; rows: number; cols: number; classes: number; train: SplitFiles; test: SplitFiles };
  layers: number[];
  activation: string;
  model: string;
  parameters: number;
  optimizer: string;
  lr: number;
  batch: number;
  seed: number;
  /** Filled in as the epochs finish. */
  epochs: EpochResult[];
  build: BuildName;
  threads: number;
  parametersSaved?: string;
  pytorch?: PytorchFit;
}

/** What a run is: the data, the model and how it is trained (the document's fields before any epoch). */
export interface TrainRun {
  data: MnistDataset;
  sizes: number[];
  activation: string;
  model: { layers: readonly LayerSpec[]; parameterCount: number };
  optimizer: string;
  lr: number;
  batch: number;
  seed: number;
  build: BuildName;
  threads: number;
}

/** The document of a run, with no epochs yet. */
export function trainDocument(run: TrainRun): TrainDocument {
  const { data } = run;
  return {
    format: 'wasmgrad.train/1',
    data: {
      dir: data.dir,
      rows: data.train.rows,
      cols: data.train.cols,
      classes: run.sizes[run.sizes.length - 1]!,
      train: { count: data.train.count, ...data.train.files },
      test: { count: data.test.count, ...data.test.files },
    },
    layers: run.sizes,
    activation: run.activation,
    model: describeLayers(run.model.layers),
    parameters: run.model.parameterCount,
    optimizer: run.optimizer,
    lr: run.lr,
    batch: run.batch,
    seed: run.seed,
    epochs: [],
    build: run.build,
    threads: run.threads,
  };
}

/** The three lines before training: the model, the data, the training setup over `epochs` epochs. */
export function renderTrainHeader(doc: TrainDocument, epochs: number, colour = false): string[] {
  const c = colours(colour);
  const { data } = doc;
  return [
    c.bold(`wasmgrad train: ${doc.model} (${doc.parameters.toLocaleString('en-US')} parameters), ${buildAndThreads(doc.build, doc.threads)}`),
    `data ${data.dir}: ${data.train.count} train / ${data.test.count} test images of ${data.rows}x${data.cols}, ${data.classes} classes`,
    `${doc.optimizer} lr ${doc.lr}, batch ${doc.batch}, ${epochs} epoch${epochs === 1 ? '' : 's'}, seed ${doc.seed}`,
  ];
}

/** One finished epoch of `epochs`. */
export function renderTrainEpochLine(r: EpochResult, epochs: number, colour = false): string {
  const c = colours(colour);
  const width = String(epochs).length;
  return [
    `epoch ${String(r.epoch).padStart(width)}/${epochs}`,
    `train loss ${r.trainLoss.toFixed(4)}`,
    `test loss ${r.testLoss.toFixed(4)}`,
    `test accuracy ${c.bold(`${(r.testAccuracy * 100).toFixed(2)}%`)}`,
    `${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s`,
    `${r.seconds.toFixed(1)} s`,
  ].join('  ');
}

/** The median of the epochs' samples/s: the statistic a busy machine's interruptions move least. */
export function medianSamplesPerSecond(epochs: readonly { samplesPerSecond: number }[]): number {
  const sorted = epochs.map((e) => e.samplesPerSecond).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** PyTorch's epochs after wasmgrad's, and the two median epochs' samples/s side by side. */
export function renderPytorchLines(doc: TrainDocument, colour = false): string[] {
  const c = colours(colour);
  const p = doc.pytorch;
  if (!p) return [];
  if (!p.available) return [`pytorch: not measured (${p.reason})`];
  const epochs = p.epochs.length;
  const ours = medianSamplesPerSecond(doc.epochs), theirs = medianSamplesPerSecond(p.epochs);
  const rate = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    c.bold(`pytorch ${p.version}, ${pytorchSetting(p)}: the same network, optimizer, lr and batch on the same images (its own initialisation and shuffle), after wasmgrad's run`),
    ...p.epochs.map((e) => renderTrainEpochLine(e, epochs, colour)),
    `samples/s, median epoch: wasmgrad ${rate(ours)} (${buildAndThreads(doc.build, doc.threads)}), pytorch ${rate(theirs)}: ${c.bold(`${(ours / theirs).toFixed(2)}x`)}`,
  ];
}
