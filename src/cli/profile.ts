// `wasmgrad profile`: the training memory of an MLP, measured in WASM and estimated, side by side.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/registry.js';
import type { ActivationKind } from '../nn/layers.js';
import type { LossKind } from '../nn/sequential.js';
import { profileMlp } from '../profile/profile-mlp.js';
import { profileDocument, profileHtml, renderProfileTable } from '../report/profile-report.js';
import type { BuildName } from '../runtime.js';
import {
  ACTIVATION_HELP, activationKind, BUILD_HELP, buildChoice, choice, intList, LOSS_HELP, lossKind, mlpLayers, outputFile, positiveFloat32, positiveInt, seedValue, useColour,
} from './options.js';

interface ProfileOptions {
  layers: number[];
  activation: ActivationKind;
  slope: number;
  bias: boolean;
  batch: number;
  batches?: number[];
  optimizer: OptimizerName;
  loss: LossKind;
  inplace: boolean;
  checkpoint?: number[];
  build: BuildName | 'auto';
  seed: number;
  json: boolean;
  html?: string;
}

export function registerProfileCommand(program: Command): Command {
  return program
    .command('profile')
    .description('training memory of an MLP: weights, gradients, optimizer state, activations, workspace, inputs; measured and estimated')
    .option('--layers <sizes>', 'layer sizes, input to output', intList, [784, 100, 10])
    .option('--activation <kind>', ACTIVATION_HELP, activationKind, 'relu')
    .option('--slope <x>', 'negative slope of leaky-relu', positiveFloat32, 0.01)
    .option('--no-bias', 'Linear layers without bias')
    .option('--batch <n>', 'batch size', positiveInt, 64)
    .option('--batches <sizes>', 'batch size of each measured step (e.g. 64,17 for a partial last batch); default: two steps of --batch', intList)
    .option('--optimizer <name>', OPTIMIZER_NAMES.join(', '), choice(OPTIMIZER_NAMES), 'adam')
    .option('--loss <name>', LOSS_HELP, lossKind, 'cross_entropy')
    .option('--inplace', 'ReLU, Sigmoid and Tanh overwrite their input (saves a temporary)', false)
    .option(
      '--checkpoint <indices>',
      'activation layers (indices in the layer list: 1, 3, ... are the activations) to recompute in backward instead of saving, e.g. 1,3',
      intList,
    )
    .option('--build <name>', BUILD_HELP, buildChoice, 'auto')
    .option('--seed <n>', 'initialisation and data seed (0 to 4294967295)', seedValue, 1)
    .option('--json', 'print one JSON document on stdout', false)
    .option('--html <file>', 'also write a self-contained HTML report')
    .action(async (o: ProfileOptions) => {
      const htmlPath = o.html === undefined ? undefined : outputFile('--html', o.html);
      const layers = mlpLayers(o.layers, o.activation, o.bias, o.slope);
      const p = await profileMlp({
        layers, batch: o.batch, batches: o.batches, optimizer: o.optimizer, loss: o.loss,
        inplace: o.inplace, checkpoint: o.checkpoint, build: o.build, seed: o.seed,
      });
      const doc = profileDocument(p, layers);
      if (o.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      else process.stdout.write(`${renderProfileTable(doc, useColour())}\n`);
      if (htmlPath !== undefined) {
        writeFileSync(htmlPath, profileHtml(p, layers));
        process.stderr.write(`wrote ${htmlPath}\n`);
      }
    });
}
