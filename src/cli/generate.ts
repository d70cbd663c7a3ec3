/**
 * `wasmgrad generate`: continues a prompt with a character-level GPT that
 * `wasmgrad train-text --save` wrote. Prints the prompt and its continuation.
 */

import type { Command } from 'commander';
import { ArgumentError } from '../errors.js';
import { loadGpt } from '../gpt/weights-file.js';
import { init, type BuildName } from '../runtime.js';
import { decode, encode } from '../text/char-text.js';
import { BUILD_HELP, buildChoice, intInRange, positiveFloat32, positiveInt, seedValue } from './options.js';

interface GenerateOptions {
  weights?: string;
  prompt: string;
  tokens: number;
  temperature: number;
  topK?: number;
  seed: number;
  build: BuildName | 'auto';
}

export function registerGenerateCommand(program: Command): Command {
  return program
    .command('generate')
    .description('continue a prompt with a character-level GPT saved by wasmgrad train-text --save')
    .option('--weights <file>', 'the safetensors file train-text wrote')
    .option('--prompt <text>', 'the text to continue', '\n')
    .option('--tokens <n>', 'characters to generate', intInRange(0, 100_000), 200)
    .option('--temperature <t>', 'sampling temperature (> 0; below 1 is more conservative)', positiveFloat32, 1)
    .option('--top-k <k>', 'sample only among the k likeliest characters', positiveInt)
    .option('--seed <n>', 'sampling seed', seedValue, 0)
    .option('--build <name>', BUILD_HELP, buildChoice, 'auto')
    .action(async (o: GenerateOptions) => {
      if (o.weights === undefined) throw new ArgumentError('generate needs --weights FILE (written by wasmgrad train-text --save)');
      const rt = await init({ build: o.build });
      const { model, vocab } = loadGpt(rt, o.weights);
      if (vocab === null) throw new ArgumentError(`${o.weights}: no vocabulary in its metadata; generate reads character-level models from wasmgrad train-text`);
      if (o.prompt.length === 0) throw new ArgumentError('--prompt must hold at least one character');
      const prompt = encode({ vocab, train: new Int32Array(), validation: new Int32Array() }, o.prompt);
      if (o.topK !== undefined && o.topK > vocab.length) throw new ArgumentError(`--top-k ${o.topK} is more than the ${vocab.length} characters of the vocabulary`);
      const ids = model.generate(prompt, o.tokens, { temperature: o.temperature, topK: o.topK, seed: o.seed });
      process.stdout.write(`${o.prompt}${decode(vocab, ids)}\n`);
      model.dispose();
    });
}
