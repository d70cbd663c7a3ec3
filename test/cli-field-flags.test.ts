// The command line names the flag that sets the field a library error is
// about, from the error's `field` and a field -> flag table; the library's
// messages name fields, never flags.
import { describe, expect, it } from 'vitest';
import { messageWithFlag } from '../src/cli/field-flags.js';
import { preset } from '../src/estimate/presets.js';
import { defaultTrainingSetup, estimateTransformerMemory } from '../src/estimate/training-setup.js';
import { ArgumentError } from '../src/errors.js';

const FLAGS = { tensorParallel: '--tp', heads: '--heads' };

describe('messageWithFlag', () => {
  it('puts the flag in front of the field the message starts with', () => {
    expect(messageWithFlag(new ArgumentError('tensorParallel: 5 does not divide 12', { field: 'tensorParallel' }), FLAGS)).toBe('--tp (tensorParallel): 5 does not divide 12');
    expect(messageWithFlag(new ArgumentError('heads: 5 heads do not divide 768', { field: 'heads' }), FLAGS)).toBe('--heads: 5 heads do not divide 768');
  });

  it('prefixes the flag to a message that does not start with the field', () => {
    expect(messageWithFlag(new ArgumentError('must be even', { field: 'heads' }), FLAGS)).toBe('--heads: must be even');
  });

  it('leaves a message alone when its error names no field, whatever the text looks like', () => {
    expect(messageWithFlag(new ArgumentError('heads: mentioned, not the field'), FLAGS)).toBe('heads: mentioned, not the field');
    expect(messageWithFlag(new ArgumentError('x: y', { field: 'seqLength' }), FLAGS)).toBe('x: y');
  });
});

describe('the estimator names the field of each error', () => {
  const model = preset('gpt2');
  it.each([
    ['tensorParallel', { tensorParallel: 5, devices: 5 }],
    ['pipelineParallel', { pipelineParallel: 5, devices: 5 }],
    ['seqLength', { seqLength: 4096 }],
    ['devices', { tensorParallel: 2, devices: 3 }],
    ['zeroStage', { zeroStage: 2 as const }],
    ['microBatch', { microBatch: 0 }],
  ])('%s', (field, change) => {
    const setup = { ...defaultTrainingSetup(model), ...change };
    expect(() => estimateTransformerMemory(model, setup)).toThrow(expect.objectContaining({ name: 'ArgumentError', field }));
  });
});
