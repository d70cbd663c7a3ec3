// The training memory of a model the user already has: its layers, loss,
// in-place and checkpoint choices and build, measured by profileMlp in a fresh
// runtime, so the model itself (its weights, its runtime's memory) is untouched.

import { checkOptions } from '../errors.js';
import type { Sequential } from '../nn/sequential.js';
import { type MlpProfile, type MlpProfileOptions, profileMlp } from './profile-mlp.js';

export type ProfileOptions = Pick<MlpProfileOptions, 'batch' | 'batches' | 'optimizer' | 'seed' | 'lr'>;

/** Measures (and estimates) a training step of `model`'s configuration: `profile(model, { batch: 64, optimizer: 'adam' })`. */
export async function profile(model: Sequential, options: ProfileOptions = {}): Promise<MlpProfile> {
  const o = checkOptions('profile', options, ['batch', 'batches', 'optimizer', 'seed', 'lr']) as ProfileOptions;
  return profileMlp({ ...o, layers: model.layers, loss: model.loss, inplace: model.inplace, checkpoint: model.checkpoint, build: model.runtime.build });
}
