/**
 * `wasmgrad train-text`: trains a character-level GPT in the core on a UTF-8
 * text (default: wasmgrad's own README.md, which every install of the package
 * has), printing the training and validation loss per epoch next to the
 * text's unigram entropy (the loss of a model that ignores context), then a
 * sample. `--save` writes the weights as safetensors with the configuration
 * and vocabulary in the metadata, for `wasmgrad generate`.
 *
 * Exit codes: 0 trained; 2 a bad option or an unreadable or too short text; 1
 * a failure while training or saving.
 */

import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { formatInteger } from '../estimate/units.js';
import { describeGpt } from '../report/gpt-profile-report.js';
import { saveGpt } from '../gpt/weights-file.js';
import { readBytes } from '../io/safetensors-file.js';
import { init, type BuildName } from '../runtime.js';
import { decode } from '../text/char-text.js';
import { trainText } from '../train/train-text.js';
import { ArgumentError } from '../errors.js';
import { BUILD_HELP, buildChoice, intInRange, outputFile, positiveFloat32, positiveInt, seedValue, threadsOption } from './options.js';

/** The default text: the package's README, present wherever wasmgrad is installed. */
export const DEFAULT_TEXT = fileURLToPath(new URL('../../../README.md', import.meta.url));

interface TrainTextOptions {
  text: string;
  epochs: number;
  steps: number;
  batch: number;
  seq: number;
  hidden: number;
  heads: number;
  layers: number;
  lr: number;
  seed: number;
  build: BuildName | 'auto';
  threads?: number;
  flash: boolean;
  save?: string;
  json: boolean;
}

export function registerTrainTextCommand(program: Command): Command {
  return program
    .command('train-text')
    .description("train a character-level GPT on a UTF-8 text (default: wasmgrad's README.md) and report the validation loss per epoch")
    .option('--text <file>', 'the UTF-8 text: the first 90% trains, the rest validates', DEFAULT_TEXT)
    .option('--epochs <n>', 'epochs (each --steps training steps, then a validation pass)', intInRange(1, 10_000), 3)
    .option('--steps <n>', 'training steps per epoch', positiveInt, 150)
    .option('--batch <n>', 'sequences per step', positiveInt, 16)
    .option('--seq <n>', 'characters per sequence (the context)', positiveInt, 64)
    .option('--hidden <n>', 'width of the residual stream', positiveInt, 64)
    .option('--heads <n>', 'attention heads (must divide --hidden)', positiveInt, 4)
    .option('--layers <n>', 'transformer blocks', positiveInt, 2)
    .option('--lr <x>', "AdamW's learning rate", positiveFloat32, 3e-3)
    .option('--seed <n>', 'initialisation and sampling seed', seedValue, 1)
    .option('--build <name>', BUILD_HELP, buildChoice, 'auto')
    .addOption(threadsOption())
    .option('--flash', 'memory-saving attention', false)
    .option('--save <file>', 'write the trained weights (safetensors, configuration and vocabulary in the metadata)')
    .option('--json', 'print one JSON document on stdout and nothing else', false)
    .action(async (o: TrainTextOptions) => {
      const savePath = o.save === undefined ? undefined : outputFile('--save', o.save);
      const bytes = readBytes(o.text, 'text', { bytes: 256 * 2 ** 20, why: 'more than a character-level model here needs' });
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new ArgumentError(`${o.text}: not UTF-8 text`);
      }
      const rt = await init({ build: o.build, threads: o.threads });
      const out = (line: string) => { if (!o.json) process.stdout.write(`${line}\n`); };
      const bar = !o.json && process.stderr.isTTY
        ? new SingleBar({ stream: process.stderr, format: 'epoch {epoch} [{bar}] {percentage}% | loss {loss} | ETA {eta_formatted}', barCompleteChar: '=', barIncompleteChar: ' ', clearOnComplete: true, hideCursor: true })
        : null;
      let result: ReturnType<typeof trainText>;
      try {
        result = trainText(rt, {
          text, model: { seq: o.seq, hidden: o.hidden, heads: o.heads, layers: o.layers }, batch: o.batch, stepsPerEpoch: o.steps, epochs: o.epochs,
          lr: o.lr, seed: o.seed, validationBatches: 8, flashAttention: o.flash,
          onStep: bar
            ? (epoch, step, loss) => {
                if (step === 1) bar.start(o.steps, 0, { epoch: `${epoch}/${o.epochs}`, loss: '-' });
                bar.update(step, { loss: loss.toFixed(4) });
                if (step === o.steps) bar.stop();
              }
            : undefined,
        });
      } catch (e) {
        bar?.stop();
        if (e instanceof ArgumentError) throw e;
        process.stderr.write(`error: training failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
        return;
      }
      const { model, data, unigramEntropy, epochs } = result;
      out(`wasmgrad train-text: ${describeGpt(model.config)}, ${formatInteger(model.parameterCount)} parameters`);
      out(`  ${o.text}: ${formatInteger(data.train.length + data.validation.length)} characters, ${data.vocab.length} distinct; unigram entropy of the validation part ${unigramEntropy.toFixed(3)} nats`);
      out(`  ${rt.describe()}; AdamW lr ${o.lr}, batch ${o.batch} x ${o.seq} characters, ${o.steps} steps per epoch`);
      for (const e of epochs) {
        out(`epoch ${e.epoch}/${o.epochs}: train loss ${e.trainLoss.toFixed(4)}, validation loss ${e.validationLoss.toFixed(4)} (perplexity ${Math.exp(e.validationLoss).toFixed(2)}), ${formatInteger(Math.round(e.tokensPerSecond))} tokens/s`);
      }
      const last = epochs[epochs.length - 1]!.validationLoss;
      out(`validation loss ${last.toFixed(4)} nats against the unigram entropy ${unigramEntropy.toFixed(4)}: ${last < unigramEntropy ? `${(unigramEntropy - last).toFixed(4)} below it` : 'not below it'}`);
      const sample = decode(data.vocab, model.generate([data.validation[0]!], 160, { temperature: 0.8, seed: o.seed }));
      out(`sample: ${JSON.stringify(decode(data.vocab, [data.validation[0]!]) + sample)}`);
      if (savePath !== undefined) {
        try {
          saveGpt(savePath, model, data.vocab);
        } catch (e) {
          process.stderr.write(`error: could not save the weights to ${savePath}: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exitCode = 1;
          return;
        }
        out(`saved weights to ${savePath} (safetensors)`);
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify({
          format: 'wasmgrad.train-text/1', text: o.text, characters: data.train.length + data.validation.length, vocab: data.vocab.length, unigramEntropy,
          model: model.config, parameters: model.parameterCount, build: rt.build, threads: rt.threads, lr: o.lr, batch: o.batch, stepsPerEpoch: o.steps, epochs, sample, saved: savePath ?? null,
        }, null, 2)}\n`);
      }
      model.dispose();
    });
}
