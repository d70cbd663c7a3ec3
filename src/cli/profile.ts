// `wasmgrad profile`: the training memory of an MLP or a GPT, or the inference memory of a GPT generation, measured in WASM and estimated, side by side.

import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/registry.js';
import type { ActivationKind } from '../nn/layers.js';
import type { LossKind } from '../nn/sequential.js';
import { ArgumentError } from '../errors.js';
import { profileGpt, profileGptGeneration } from '../profile/profile-gpt.js';
import { profileMlp } from '../profile/profile-mlp.js';
import {
  gptGenerationProfileDocument, gptGenerationProfileHtml, gptProfileDocument, gptProfileHtml, renderGptGenerationProfileTable, renderGptProfileTable,
} from '../report/gpt-profile-report.js';
import { profileDocument, profileHtml, renderProfileTable } from '../report/profile-report.js';
import type { BuildName } from '../runtime.js';
import {
  ACTIVATION_HELP, activationKind, BUILD_HELP, buildChoice, choice, intList, LOSS_HELP, lossKind, mlpLayers, outputFile, positiveFloat32, positiveInt, seedValue, threadsOption, useColour,
} from './options.js';

interface ProfileOptions {
  model: 'mlp' | 'gpt';
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
  threads?: number;
  seed: number;
  json: boolean;
  html?: string;
  vocab: number;
  seq: number;
  hidden: number;
  heads: number;
  ffn?: number;
  norm: 'layernorm' | 'rmsnorm';
  feedForward: 'gelu' | 'swiglu';
  untied: boolean;
  dropout: number;
  tokens?: number;
  steps: number;
  flash: boolean;
  recompute: 'none' | 'blocks';
  generate?: number;
}

/** Options only a GPT profile reads, and the MLP options a GPT profile has no use for. */
const GPT_ONLY = ['vocab', 'seq', 'hidden', 'heads', 'ffn', 'norm', 'feedForward', 'untied', 'dropout', 'tokens', 'steps', 'flash', 'recompute', 'generate'] as const;
/** Training options a generation profile has no use for. */
const TRAINING_ONLY = ['steps', 'optimizer', 'recompute'] as const;
const MLP_ONLY = ['activation', 'slope', 'batches', 'loss', 'inplace', 'checkpoint'] as const;

function dropoutProbability(value: string): number {
  const p = Number(value);
  if (value.trim() === '' || !(p >= 0 && p < 1)) throw new InvalidArgumentError(`expected a probability from 0 to below 1, got '${value}'`);
  return p;
}

export function registerProfileCommand(program: Command): Command {
  return program
    .command('profile')
    .description('training memory of an MLP or a GPT (weights, gradients, optimizer state, activations, workspace, inputs), or with --generate the inference memory of a GPT generation (its KV cache too); measured and estimated')
    .option('--model <kind>', 'mlp or gpt', choice(['mlp', 'gpt'] as const), 'mlp')
    .option('--layers <sizes>', 'MLP: layer sizes, input to output; GPT: the number of blocks (default 2)', intList, [784, 100, 10])
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
    .addOption(threadsOption())
    .option('--seed <n>', 'initialisation and data seed (0 to 4294967295)', seedValue, 1)
    .option('--json', 'print one JSON document on stdout', false)
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--vocab <n>', 'GPT: vocabulary size', positiveInt, 65)
    .option('--seq <n>', 'GPT: longest sequence (the position embedding)', positiveInt, 64)
    .option('--hidden <n>', 'GPT: width of the residual stream', positiveInt, 64)
    .option('--heads <n>', 'GPT: attention heads (must divide --hidden)', positiveInt, 4)
    .option('--ffn <n>', 'GPT: feed-forward width (default 4 x hidden)', positiveInt)
    .option('--norm <kind>', 'GPT: layernorm or rmsnorm', choice(['layernorm', 'rmsnorm'] as const), 'layernorm')
    .option('--feed-forward <kind>', 'GPT: gelu or swiglu', choice(['gelu', 'swiglu'] as const), 'gelu')
    .option('--untied', 'GPT: an LM head of its own instead of the token embedding', false)
    .option('--dropout <p>', 'GPT: dropout probability, 0 to below 1 (masks of 1 byte an element)', dropoutProbability, 0)
    .option('--tokens <n>', 'GPT: tokens per sequence in the measured steps (default --seq)', positiveInt)
    .option('--steps <n>', 'GPT: measured training steps', positiveInt, 2)
    .option('--flash', 'GPT: memory-saving attention (keeps the logsumexp, recomputes the probabilities in backward)', false)
    .option('--recompute <what>', "GPT: 'blocks' keeps only each block's input and recomputes the block in backward", choice(['none', 'blocks'] as const), 'none')
    .option('--generate <n>', 'GPT: profile a greedy generation of n tokens per sequence with a KV cache instead of training; --tokens is then the prompt (default --seq less n), --batch the sequences (default 1)', positiveInt)
    .action(async (o: ProfileOptions, command: Command) => {
      const htmlPath = o.html === undefined ? undefined : outputFile('--html', o.html);
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      const flag = (name: string) => command.options.find((x) => x.attributeName() === name)?.long ?? name;
      if (o.model === 'gpt') {
        for (const name of MLP_ONLY) if (given(name)) throw new ArgumentError(`${flag(name)} is an MLP option; a GPT profile does not use it`);
        if (given('layers') && o.layers.length !== 1) throw new ArgumentError(`--layers takes one number (the blocks) with --model gpt, got ${o.layers.join(',')}`);
        const model = {
          vocab: o.vocab, seq: o.seq, hidden: o.hidden, heads: o.heads, layers: given('layers') ? o.layers[0]! : 2, ffn: o.ffn,
          norm: o.norm, feedForward: o.feedForward, bias: o.bias, tiedHead: !o.untied, dropout: o.dropout,
        };
        if (o.generate !== undefined) {
          for (const name of TRAINING_ONLY) if (given(name)) throw new ArgumentError(`${flag(name)} is a training option; a generation profile (--generate) does not use it`);
          const g = await profileGptGeneration({
            model, batch: given('batch') ? o.batch : 1, prompt: o.tokens, generate: o.generate, flashAttention: o.flash, build: o.build, threads: o.threads, seed: o.seed,
          });
          const doc = gptGenerationProfileDocument(g);
          process.stdout.write(o.json ? `${JSON.stringify(doc, null, 2)}\n` : `${renderGptGenerationProfileTable(doc, useColour())}\n`);
          if (htmlPath !== undefined) {
            writeFileSync(htmlPath, gptGenerationProfileHtml(g));
            process.stderr.write(`wrote ${htmlPath}\n`);
          }
          return;
        }
        const p = await profileGpt({
          model,
          batch: given('batch') ? o.batch : 4, tokens: o.tokens, steps: o.steps, optimizer: given('optimizer') ? o.optimizer : 'adamw',
          flashAttention: o.flash, recompute: o.recompute, build: o.build, threads: o.threads, seed: o.seed,
        });
        const doc = gptProfileDocument(p);
        process.stdout.write(o.json ? `${JSON.stringify(doc, null, 2)}\n` : `${renderGptProfileTable(doc, useColour())}\n`);
        if (htmlPath !== undefined) {
          writeFileSync(htmlPath, gptProfileHtml(p));
          process.stderr.write(`wrote ${htmlPath}\n`);
        }
        return;
      }
      for (const name of GPT_ONLY) if (given(name)) throw new ArgumentError(`${flag(name)} is a GPT option; give --model gpt`);
      const layers = mlpLayers(o.layers, o.activation, o.bias, o.slope);
      const p = await profileMlp({
        layers, batch: o.batch, batches: o.batches, optimizer: o.optimizer, loss: o.loss,
        inplace: o.inplace, checkpoint: o.checkpoint, build: o.build, threads: o.threads, seed: o.seed,
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
