/**
 * `wasmgrad train`: trains an MLP on an MNIST-format dataset (MNIST,
 * Fashion-MNIST, KMNIST: four IDX files, plain or .gz) and reports test
 * accuracy after every epoch.
 *
 *   wasmgrad train [--data DIR] [--epochs 5] [--batch 64] [--optimizer adam] [--lr X]
 *                  [--layers 784,100,10] [--activation relu] [--seed 1] [--build auto] [--threads N] [--save FILE] [--pytorch] [--json]
 *
 * --pytorch then trains the same network in PyTorch CPU (src/train/pytorch-fit.ts)
 * and prints its epochs and both median samples/s; without PyTorch it says why.
 *
 * The data directory is --data, else $WASMGRAD_DATA, else Debian's
 * dataset-fashion-mnist path (/usr/share/datasets/fashion-mnist). Inputs are
 * pixel / 255; the training set is reshuffled every epoch from --seed, which
 * also seeds the weight initialisation (PyTorch's nn.Linear default).
 *
 * Exit codes: 0 trained; 2 a bad option, no dataset or a malformed one, layer
 * sizes that do not fit the data (message on stderr as `error: ...`); 1 a
 * failure while training (non-finite loss) or while saving.
 *
 * Output: by default a header, then one line per epoch on stdout; while an
 * epoch runs, a progress bar (loss, samples/s) on stderr when stderr is a
 * terminal. With --json, nothing but one JSON document on stdout: the
 * TrainDocument of src/report/train-document.ts (format "wasmgrad.train/1").
 */

import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type MnistDataset, loadMnist } from '../data/mnist-files.js';
import { makeOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../optim/registry.js';
import type { ActivationKind } from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import { init, type BuildName } from '../runtime.js';
import { ArgumentError } from '../errors.js';
import { MAX_EPOCHS, fit } from '../train/fit.js';
import { renderPytorchLines, renderTrainEpochLine, renderTrainHeader, trainDocument } from '../report/train-document.js';
import { pytorchFit } from '../train/pytorch-fit.js';
import { saveWeights, weightsFormatOf } from '../train/weights-file.js';
import {
  ACTIVATION_HELP, activationKind, BUILD_HELP, buildChoice, choice, cliSpelling, intInRange, intList, mlpLayers, outputFile, positiveFloat32, positiveInt, seedValue, threadsOption, useColour,
} from './options.js';

interface TrainOptions {
  data?: string;
  epochs: number;
  batch: number;
  optimizer: OptimizerName;
  lr?: number;
  layers: number[];
  activation: ActivationKind;
  seed: number;
  build: BuildName | 'auto';
  threads?: number;
  save?: string;
  pytorch: boolean;
  json: boolean;
}

export function registerTrainCommand(program: Command): Command {
  return program
    .command('train')
    .description('train an MLP on an MNIST-format dataset (default: Fashion-MNIST) and report test accuracy per epoch')
    .option('--data <dir>', 'directory with the four MNIST-format IDX files (plain or .gz); default $WASMGRAD_DATA, then /usr/share/datasets/fashion-mnist')
    .option('--epochs <n>', `passes over the training set (1 to ${MAX_EPOCHS.toLocaleString('en-US')})`, intInRange(1, MAX_EPOCHS), 5)
    .option('--batch <n>', 'batch size', positiveInt, 64)
    .option('--optimizer <name>', OPTIMIZER_NAMES.join(', '), choice(OPTIMIZER_NAMES), 'adam')
    .option('--lr <x>', 'learning rate, a normal float32 (default: 0.01 for sgd, 0.001 for adam and adamw)', positiveFloat32)
    .option('--layers <sizes>', 'layer sizes, input to output: first = pixels per image, last = classes', intList, [784, 100, 10])
    .option('--activation <kind>', ACTIVATION_HELP, activationKind, 'relu')
    .option('--seed <n>', 'initialisation and shuffle seed (0 to 4294967295)', seedValue, 1)
    .option('--build <name>', BUILD_HELP, buildChoice, 'auto')
    .addOption(threadsOption())
    .option('--save <file>', 'write the trained weights: safetensors (PyTorch names, layers in the metadata), or JSON for a .json name')
    .option('--pytorch', 'then train the same network in PyTorch CPU on one thread (a child process: python3-torch) and print both samples/s', false)
    .option('--json', 'print one JSON document on stdout and nothing else', false)
    .action(async (o: TrainOptions) => {
      // Everything that can be wrong with the request is checked before training starts
      // (a bad value throws a typed error: one line, exit 2).
      const optimizer = makeOptimizer(o.optimizer, o.lr);
      const savePath = o.save === undefined ? undefined : outputFile('--save', o.save);
      const layers = mlpLayers(o.layers, o.activation);
      const data = loadMnist(o.data, process.env, undefined, '--data');
      checkLayersFitData(o.layers, data);
      const rt = await init({ build: o.build, threads: o.threads });
      const model = new Sequential(rt, layers, { seed: o.seed });
      const doc = trainDocument({
        data, sizes: o.layers, activation: cliSpelling(o.activation), model, optimizer: o.optimizer, lr: optimizer.lr, batch: o.batch, seed: o.seed, build: rt.build, threads: rt.threads,
      });

      const out = (line: string) => { if (!o.json) process.stdout.write(`${line}\n`); };
      const colour = useColour();
      for (const line of renderTrainHeader(doc, o.epochs, colour)) out(line);

      const bar = !o.json && process.stderr.isTTY ? progressBar() : null;
      try {
        fit(model, optimizer, data.train, data.test, {
          epochs: o.epochs,
          batchSize: o.batch,
          seed: o.seed,
          onBatch: bar
            ? (p) => {
                if (p.batch === 1) bar.start(p.batches, 0, { epoch: `${p.epoch}/${o.epochs}`, loss: '-', speed: '-' });
                bar.update(p.batch, { loss: p.loss.toFixed(4), speed: Math.round(p.samplesPerSecond).toLocaleString('en-US') });
              }
            : undefined,
          onEpoch: (r) => {
            bar?.stop();
            doc.epochs.push(r);
            out(renderTrainEpochLine(r, o.epochs, colour));
          },
        });
      } catch (e) {
        bar?.stop();
        process.stderr.write(`error: training failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
        return;
      }

      if (savePath !== undefined) {
        try {
          saveWeights(savePath, model);
        } catch (e) {
          process.stderr.write(`error: could not save the weights to ${savePath}: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exitCode = 1;
          return;
        }
        doc.parametersSaved = savePath;
        out(`saved weights to ${savePath} (${weightsFormatOf(savePath)})`);
      }

      if (o.pytorch) {
        doc.pytorch = await pytorchFit(data, {
          layers: o.layers, activation: doc.activation, optimizer: o.optimizer, lr: optimizer.lr, batch: o.batch, epochs: o.epochs, seed: o.seed,
        });
        for (const line of renderPytorchLines(doc, colour)) out(line);
      }

      if (o.json) {
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      }
    });
}

/** The first size must be the pixels per image and the last the number of classes. */
function checkLayersFitData(sizes: number[], data: MnistDataset): void {
  const pixels = data.train.rows * data.train.cols;
  const classes = Math.max(data.train.maxLabel, data.test.maxLabel) + 1;
  const first = sizes[0]!, last = sizes[sizes.length - 1]!;
  if (first !== pixels) {
    throw new ArgumentError(`--layers starts with ${first} but the images in ${data.dir} are ${data.train.rows}x${data.train.cols} = ${pixels} pixels; use --layers ${[pixels, ...sizes.slice(1)].join(',')}`);
  }
  if (last !== classes) {
    throw new ArgumentError(`--layers ends with ${last} but the labels in ${data.dir} are 0..${classes - 1} (${classes} classes); use --layers ${[...sizes.slice(0, -1), classes].join(',')}`);
  }
}

function progressBar(): SingleBar {
  return new SingleBar({
    stream: process.stderr,
    format: 'epoch {epoch} [{bar}] {percentage}% | loss {loss} | {speed} samples/s | ETA {eta_formatted}',
    barCompleteChar: '=',
    barIncompleteChar: ' ',
    clearOnComplete: true,
    hideCursor: true,
  });
}
