// A GPT's weights as a safetensors file (Node): every parameter by nanoGPT's
// name, float32, with the configuration and, for a character-level model,
// its vocabulary in __metadata__, so the file alone rebuilds the model.

import { ArgumentError, firstLine } from '../errors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../io/safetensors-file.js';
import type { Runtime } from '../runtime.js';
import { type GPTConfigInput, gptConfig } from './config.js';
import { GPT } from './model.js';

const CONFIG_KEY = 'wasmgrad.gpt.config';
const VOCAB_KEY = 'wasmgrad.gpt.vocab';

export function saveGpt(path: string, model: GPT, vocab?: readonly string[]): void {
  const metadata: Record<string, string> = { [CONFIG_KEY]: JSON.stringify(model.config) };
  if (vocab) metadata[VOCAB_KEY] = JSON.stringify(vocab);
  writeSafetensorsFile(path, model.parameters(), metadata);
}

/** Rebuilds the GPT a file describes and loads its weights (strictly: every parameter, shapes checked). */
export function loadGpt(rt: Runtime, path: string): { model: GPT; vocab: string[] | null } {
  const file = readSafetensorsFile(path);
  const configText = file.metadata[CONFIG_KEY];
  if (configText === undefined) throw new ArgumentError(`${path}: no ${CONFIG_KEY} in the file's __metadata__; it was not written by wasmgrad train-text`);
  let config: GPTConfigInput, vocab: string[] | null = null;
  try {
    config = gptConfig(JSON.parse(configText) as GPTConfigInput);
    if (file.metadata[VOCAB_KEY] !== undefined) vocab = JSON.parse(file.metadata[VOCAB_KEY]) as string[];
  } catch (e) {
    throw new ArgumentError(`${path}: __metadata__ does not describe a GPT: ${firstLine(e)}`);
  }
  if (vocab !== null && (!Array.isArray(vocab) || vocab.length !== config.vocab || vocab.some((c) => typeof c !== 'string'))) {
    throw new ArgumentError(`${path}: its vocabulary does not list ${config.vocab} characters`);
  }
  const model = new GPT(rt, config);
  try {
    model.setParameters(file.tensors);
  } catch (e) {
    model.dispose();
    throw new ArgumentError(`${path}: ${firstLine(e)}`);
  }
  return { model, vocab };
}
