// Bad input to `wasmgrad estimate` and `wasmgrad bench` (the built CLI), and to
// the estimator's library functions: a typed, one-line refusal, never a crash.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesPerParameter, modelStateBytes } from '../src/estimate/model-states.js';
import { preset } from '../src/estimate/presets.js';
import { defaultTrainingSetup, estimateTransformerMemory, type TrainingSetup } from '../src/estimate/training-setup.js';
import {
  countParameters,
  defineTransformer,
  edgeActivationBytes,
  layerActivationBytes,
  layerParameters,
  recomputeTransientBytes,
  stageParameters,
  type ActivationSetup,
  type TransformerModel,
} from '../src/estimate/transformer.js';
import { defaultInferenceSetup, estimateInferenceMemory } from '../src/estimate/inference.js';
import { ArgumentError, NonFiniteError, OutOfMemoryError, ShapeError } from '../src/errors.js';
import { runCli, type CliRun } from './helpers/cli.js';

// ---------------------------------------------------------------- the CLI

const NUMBERS = ['', '-1', '0', '1.5', '0x10', '1e30', 'NaN', 'many', '99999999999999999999'];
const WORDS = ['', 'NaN', 'many', '0x10'];

/** A handful of the bad values for the option at `index`, rotating so that every value is tried across the options (each run spawns a CLI: kept short). */
const some = (values: string[], index: number, count = 3) => Array.from({ length: count }, (_, i) => values[(index * count + i) % values.length]!);

/** [what, argv]: every option of `estimate` with each bad value, contradictory pairs, and refused names. */
const ESTIMATE_CASES: [string, string[]][] = [
  ...['--vocab', '--context', '--hidden', '--n-layer', '--heads', '--ffn', '--batch', '--seq', '--grad-accum', '--devices', '--tp', '--pp', '--kv-heads', '--experts', '--top-k', '--ep'].flatMap(
    (flag, i) => some(NUMBERS, i).map((v): [string, string[]] => [`${flag} '${v}'`, ['--preset', 'gpt2', flag, v]]),
  ),
  ...['-1', '1.5', '4', '0x1'].map((v): [string, string[]] => [`--zero '${v}'`, ['--preset', 'gpt2', '--zero', v]]),
  ...['0', '1.5B', '80XB', '1e30'].map((v): [string, string[]] => [`--device-memory '${v}'`, ['--preset', 'gpt2', '--device-memory', v]]),
  ...['--preset', '--ffn-kind', '--norm', '--positions', '--precision', '--optimizer', '--recompute', '--convention', '--attention'].flatMap((flag, i) =>
    some(WORDS, i, 1).map((v): [string, string[]] => [`${flag} '${v}'`, flag === '--preset' ? [flag, v] : ['--preset', 'gpt2', flag, v]]),
  ),
  ["--svg ''", ['--preset', 'gpt2', '--svg', '']],
  ['--svg in a missing directory', ['--preset', 'gpt2', '--svg', '/nonexistent-wasmgrad-dir/x.svg']],
  ['--layers', ['--preset', 'gpt2', '--layers', '12']],
  ['--tied --no-tied', ['--preset', 'gpt2', '--tied', '--no-tied']],
  ['--no-bias --bias', ['--preset', 'gpt2', '--no-bias', '--bias']],
  ['--dropout --no-dropout', ['--preset', 'gpt2', '--dropout', '--no-dropout']],
  ['--seq twice', ['--preset', 'gpt2', '--seq', '512', '--seq', '256']],
  ['--precision twice', ['--preset', 'gpt2', '--precision', 'fp32', '--precision', 'bf16']],
  ['--sp without --tp', ['--preset', 'gpt2', '--sp']],
  ['--json with a value', ['--preset', 'gpt2', '--json=yes']],
  ['--pp 2 --zero 3', ['--preset', 'gpt2', '--devices', '4', '--pp', '2', '--zero', '3']],
  ['no model', ['--batch', '2']],
  ['--kv-heads not dividing --heads', ['--preset', 'llama-7b', '--kv-heads', '5']],
  ['--kv-heads not divisible by --tp', ['--preset', 'llama-2-70b', '--devices', '16', '--tp', '16']],
  ['--top-k above --experts', ['--preset', 'llama-7b', '--experts', '2', '--top-k', '3']],
  ['--ep not dividing the experts', ['--preset', 'mixtral-8x7b', '--devices', '3', '--ep', '3']],
  ['--ep beyond the data-parallel replicas', ['--preset', 'mixtral-8x7b', '--ep', '2']],
  ['--ep on a dense model', ['--preset', 'gpt2', '--devices', '2', '--ep', '2']],
  ...['--prompt', '--generate'].flatMap((flag, i) => some(NUMBERS.filter((v) => v !== '0' || flag === '--prompt'), i).map((v): [string, string[]] => [`--inference ${flag} '${v}'`, ['--inference', '--preset', 'gpt2', flag, v]])),
  ...['int4', '', 'fp8'].map((v): [string, string[]] => [`--kv-dtype '${v}'`, ['--inference', '--preset', 'gpt2', '--kv-dtype', v]]),
  ["--inference --precision 'mixed-bf16'", ['--inference', '--preset', 'gpt2', '--precision', 'mixed-bf16']],
  ['--inference past the learned positions', ['--inference', '--preset', 'gpt2', '--prompt', '1000', '--generate', '100']],
  ['--inference with --zero', ['--inference', '--preset', 'gpt2', '--zero', '1']],
  ['--inference with --svg', ['--inference', '--preset', 'gpt2', '--svg', 'x.svg']],
  ['--kv-dtype without --inference', ['--preset', 'gpt2', '--kv-dtype', 'int8']],
  ...some(NUMBERS, 3).map((v): [string, string[]] => [`--lora-rank '${v}'`, ['--preset', 'llama-7b', '--lora-rank', v]]),
  ['--lora-rank above the adapted matrix', ['--preset', 'llama-7b', '--lora-rank', '5000']],
  ...['q,x', '', 'q,,v', 'q,q', 'attn'].map((v): [string, string[]] => [`--lora-targets '${v}'`, ['--preset', 'llama-7b', '--lora-rank', '8', '--lora-targets', v]]),
  ['--lora-targets without --lora-rank', ['--preset', 'llama-7b', '--lora-targets', 'q,v']],
  ['--qlora without --lora-rank', ['--preset', 'llama-7b', '--qlora']],
  ['--lora-rank with --tp', ['--preset', 'llama-7b', '--lora-rank', '8', '--devices', '2', '--tp', '2']],
  ['--inference with --lora-rank', ['--inference', '--preset', 'llama-7b', '--lora-rank', '8']],
  ...['disk', '', 'params'].map((v): [string, string[]] => [`--offload '${v}'`, ['--preset', 'llama-7b', '--offload', v]]),
  ['--offload optimizer+params with --tp', ['--preset', 'llama-7b', '--devices', '2', '--tp', '2', '--offload', 'optimizer+params']],
  ['--inference with --offload', ['--inference', '--preset', 'llama-7b', '--offload', 'optimizer']],
  ['--fit without --device-memory', ['--preset', 'llama-7b', '--fit']],
  ['--convention deepspeed with ZeRO 1', ['--preset', 'llama-7b', '--convention', 'deepspeed', '--devices', '8', '--zero', '1']],
  ['--convention deepspeed with fp32', ['--preset', 'llama-7b', '--convention', 'deepspeed', '--devices', '8', '--zero', '2', '--precision', 'fp32']],
  ['--convention deepspeed with LoRA', ['--preset', 'llama-7b', '--convention', 'deepspeed', '--devices', '8', '--zero', '2', '--lora-rank', '8']],
  ['--fit with --svg', ['--preset', 'llama-7b', '--fit', '--device-memory', '24GiB', '--svg', 'x.svg']],
  ['--fit with --inference', ['--inference', '--preset', 'llama-7b', '--fit', '--device-memory', '24GiB']],
  ['--fit with a bad fixed option', ['--preset', 'llama-7b', '--fit', '--device-memory', '24GiB', '--tp', '3']],
  ['unknown option', ['--preset', 'gpt2', '--batches', '2']],
  ['an argument', ['gpt2']],
];

/** Only refusals that come before any measurement: none of these runs a benchmark. */
const BENCH_CASES: [string, string[]][] = [
  ...['--sizes', '--time'].flatMap((flag, i) => [...some(NUMBERS, i + 1), '99999999999999999999'].map((v): [string, string[]] => [`${flag} '${v}'`, ['gemm', flag, v]])),
  ["--sizes '64,,128'", ['gemm', '--sizes', '64,,128']],
  ...some(WORDS, 0, 2).map((v): [string, string[]] => [`--build '${v}'`, ['gemm', '--build', v]]),
  ['--time twice', ['gemm', '--time', '5', '--time', '6']],
  ['--build twice', ['train', '--build', 'simd', '--build', 'scalar']],
  ['unknown suite', ['cpu']],
  ['two suites', ['gemm', 'train']],
  ['--json with a value', ['gemm', '--json=1']],
  ['unknown option', ['gemm', '--size', '64']],
];

function expectOneLineRefusal(r: CliRun, help: string) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toContain(`(see '${help}')`);
  expect(r.stderr).not.toMatch(/ {4}at /);
}

/** Runs the cases three at a time (the machine is shared) and checks each refusal. */
async function expectAllRefused(command: string, cases: [string, string[]][]) {
  const queue = [...cases];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [what, args] = next;
      const r = await runCli([command, ...args]);
      expect.soft(() => expectOneLineRefusal(r, `wasmgrad ${command} --help`), `${command} ${what}: ${r.stderr}${r.stdout.slice(0, 200)}`).not.toThrow();
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

describe('the CLI refuses bad values in one line with exit code 2', () => {
  it(`estimate: ${ESTIMATE_CASES.length} bad values and combinations`, () => expectAllRefused('estimate', ESTIMATE_CASES), 60_000);
  it(`bench: ${BENCH_CASES.length} bad values and combinations`, () => expectAllRefused('bench', BENCH_CASES), 60_000);
});

// ---------------------------------------------------------------- the library

/** Values no integer, size or count field accepts. */
const badNumber = fc.oneof(
  fc.constantFrom(0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e30, -0.5),
  fc.integer({ max: 0 }),
  fc.double({ noInteger: true }),
  fc.constantFrom('8', '', null, true, {}, [], 8n),
);
const badChoice = fc.oneof(fc.string().filter((s) => !['gelu', 'swiglu', 'layernorm', 'rmsnorm', 'learned', 'none', 'standard', 'flash', 'optimizer', 'optimizer+params', 'fp32', 'fp16', 'bf16', 'int8'].includes(s)), fc.constantFrom(7, null, true, {}));
const badBoolean = fc.constantFrom(0, 1, 'yes', 'false', null, {});

/** Whatever the library throws must be one of wasmgrad's typed errors, whose message starts with the field. */
function expectTypedRefusal(run: () => unknown, field: string) {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${field}: nothing thrown`).toBeDefined();
  const typed = [ArgumentError, ShapeError, OutOfMemoryError, NonFiniteError].some((T) => caught instanceof T);
  expect(typed, `${field}: ${String(caught)}`).toBe(true);
  expect((caught as Error).message.split('\n')).toHaveLength(1);
  expect((caught as Error).message.startsWith(`${field}:`), (caught as Error).message).toBe(true);
}

/** Objects passed in are frozen, so a function that writes to them throws a TypeError and fails the test. */
const frozen = <T extends object>(o: T): T => Object.freeze({ ...o });

const gpt2 = preset('gpt2');
const gpt2Spec = { vocabSize: 50257, contextLength: 1024, hidden: 768, heads: 12, layers: 12 };
const setup: TrainingSetup = { ...defaultTrainingSetup(gpt2), devices: 8 };
const activation: ActivationSetup = { seqLength: 1024, microBatch: 1, tensorParallel: 1, sequenceParallel: false, recompute: 'none', elementBytes: 2 };
const MODEL_NUMBERS = ['vocabSize', 'contextLength', 'hidden', 'heads', 'kvHeads', 'layers', 'ffnHidden', 'experts', 'topK'] as const;
const MODEL_CHOICES = ['ffn', 'norm', 'positionEmbeddings'] as const;
const MODEL_BOOLEANS = ['tiedEmbeddings', 'bias', 'dropout'] as const;

describe('the estimator library refuses bad fields with a typed error naming the field', () => {
  const runs = { numRuns: 40 };

  it('defineTransformer', () => {
    fc.assert(fc.property(fc.constantFrom(...MODEL_NUMBERS), badNumber, (field, value) => expectTypedRefusal(() => defineTransformer(frozen({ ...gpt2Spec, [field]: value })), field)), runs);
    fc.assert(fc.property(fc.constantFrom(...MODEL_CHOICES), badChoice, (field, value) => expectTypedRefusal(() => defineTransformer(frozen({ ...gpt2Spec, [field]: value })), field)), runs);
    fc.assert(fc.property(fc.constantFrom(...MODEL_BOOLEANS), badBoolean, (field, value) => expectTypedRefusal(() => defineTransformer(frozen({ ...gpt2Spec, [field]: value })), field)), runs);
    expectTypedRefusal(() => defineTransformer(frozen({ ...gpt2Spec, name: 5 as unknown as string })), 'name');
  });

  it('every function that takes a model checks it (a hand-made model, not from defineTransformer)', () => {
    const uses: [string, (m: TransformerModel) => unknown][] = [
      ['countParameters', (m) => countParameters(m)],
      ['layerParameters', (m) => layerParameters(m)],
      ['stageParameters', (m) => stageParameters(m, 1, 1)],
      ['layerActivationBytes', (m) => layerActivationBytes(m, activation)],
      ['recomputeTransientBytes', (m) => recomputeTransientBytes(m, { ...activation, recompute: 'full' })],
      ['edgeActivationBytes', (m) => edgeActivationBytes(m, activation)],
      ['estimateTransformerMemory', (m) => estimateTransformerMemory(m, setup)],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...uses), fc.constantFrom(...MODEL_NUMBERS), badNumber, ([, use], field, value) =>
        expectTypedRefusal(() => use(frozen({ ...gpt2, [field]: value } as TransformerModel)), field),
      ),
      runs,
    );
    fc.assert(
      fc.property(fc.constantFrom(...uses), fc.constantFrom(...MODEL_BOOLEANS), badBoolean, ([, use], field, value) =>
        expectTypedRefusal(() => use(frozen({ ...gpt2, [field]: value } as TransformerModel)), field),
      ),
      runs,
    );
  });

  it('estimateTransformerMemory: bad setup fields', () => {
    const numbers = ['microBatch', 'seqLength', 'gradAccumulation', 'devices', 'tensorParallel', 'pipelineParallel', 'expertParallel'] as const;
    fc.assert(fc.property(fc.constantFrom(...numbers), badNumber, (field, value) => expectTypedRefusal(() => estimateTransformerMemory(gpt2, frozen({ ...setup, [field]: value })), field)), runs);
    const choices = ['precision', 'optimizer', 'recompute', 'convention', 'zeroStage', 'attention', 'offload'] as const;
    fc.assert(fc.property(fc.constantFrom(...choices), fc.oneof(badChoice, fc.constantFrom(4, -1, 1.5)), (field, value) => expectTypedRefusal(() => estimateTransformerMemory(gpt2, frozen({ ...setup, [field]: value })), field)), runs);
    fc.assert(fc.property(badBoolean, (value) => expectTypedRefusal(() => estimateTransformerMemory(gpt2, frozen({ ...setup, sequenceParallel: value as boolean })), 'sequenceParallel')), runs);
    const lora = { rank: 8, targets: ['q', 'v'], quantizedBase: false } as const;
    fc.assert(fc.property(badNumber, (value) => expectTypedRefusal(() => estimateTransformerMemory(gpt2, frozen({ ...setup, lora: { ...lora, rank: value as number } })), 'loraRank')), runs);
    fc.assert(fc.property(fc.constantFrom([], ['x'], ['q', 'q'], 'q', null, [7]), (value) => expectTypedRefusal(() => estimateTransformerMemory(gpt2, frozen({ ...setup, lora: { ...lora, targets: value as ['q'] } })), 'loraTargets')), runs);
    fc.assert(fc.property(badBoolean, (value) => expectTypedRefusal(() => estimateTransformerMemory(gpt2, frozen({ ...setup, lora: { ...lora, quantizedBase: value as boolean } })), 'quantizedBase')), runs);
    fc.assert(fc.property(fc.constantFrom(5, 'lora', true), (value) => expectTypedRefusal(() => estimateTransformerMemory(gpt2, frozen({ ...setup, lora: value as never })), 'lora')), runs);
  });

  it('estimateTransformerMemory: huge values give safe-integer figures or a typed refusal', () => {
    const llama = preset('llama-7b'); // no learned positions: any sequence length is accepted
    const huge = fc.oneof(fc.integer({ min: 1, max: 2 ** 53 - 1 }), fc.constantFrom(2 ** 53 - 1, 2 ** 40, 1e8));
    fc.assert(
      fc.property(fc.constantFrom('microBatch', 'seqLength', 'gradAccumulation'), huge, (field, value) => {
        let est;
        try {
          est = estimateTransformerMemory(llama, frozen({ ...defaultTrainingSetup(llama), [field]: value }));
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(ArgumentError);
          return;
        }
        for (const s of est.stages) for (const n of [...Object.values(s.bytes), s.total]) expect(Number.isSafeInteger(n)).toBe(true);
        expect(Number.isSafeInteger(est.globalBatch)).toBe(true);
      }),
      runs,
    );
  });

  it('estimateInferenceMemory: bad setup fields', () => {
    const inference = defaultInferenceSetup(gpt2);
    const numbers = ['promptLength', 'batch', 'tensorParallel', 'pipelineParallel'] as const;
    fc.assert(fc.property(fc.constantFrom(...numbers), badNumber, (field, value) => expectTypedRefusal(() => estimateInferenceMemory(gpt2, frozen({ ...inference, [field]: value })), field)), runs);
    fc.assert(fc.property(badNumber.filter((v) => v !== 0), (value) => expectTypedRefusal(() => estimateInferenceMemory(gpt2, frozen({ ...inference, promptLength: 8, generateLength: value as number })), 'generateLength')), runs);
    const choices = ['precision', 'kvDtype', 'attention'] as const;
    fc.assert(fc.property(fc.constantFrom(...choices), badChoice, (field, value) => expectTypedRefusal(() => estimateInferenceMemory(gpt2, frozen({ ...inference, [field]: value })), field)), runs);
    fc.assert(fc.property(fc.constantFrom(...MODEL_NUMBERS), badNumber, (field, value) => expectTypedRefusal(() => estimateInferenceMemory(frozen({ ...gpt2, [field]: value } as TransformerModel), inference), field)), runs);
  });

  it('layerActivationBytes, stageParameters: bad setup fields', () => {
    const numbers = ['seqLength', 'microBatch', 'tensorParallel', 'elementBytes'] as const;
    fc.assert(fc.property(fc.constantFrom(...numbers), badNumber, (field, value) => expectTypedRefusal(() => layerActivationBytes(gpt2, frozen({ ...activation, [field]: value })), field)), runs);
    fc.assert(fc.property(badChoice, (value) => expectTypedRefusal(() => layerActivationBytes(gpt2, frozen({ ...activation, recompute: value as 'none' })), 'recompute')), runs);
    fc.assert(fc.property(badBoolean, (value) => expectTypedRefusal(() => layerActivationBytes(gpt2, frozen({ ...activation, sequenceParallel: value as boolean })), 'sequenceParallel')), runs);
    fc.assert(fc.property(badNumber, (value) => expectTypedRefusal(() => stageParameters(gpt2, value as number, 1), 'tensorParallel')), runs);
    fc.assert(fc.property(badNumber, (value) => expectTypedRefusal(() => stageParameters(gpt2, 1, value as number), 'pipelineParallel')), runs);
  });

  it('modelStateBytes and bytesPerParameter', () => {
    const states = { precision: 'mixed-bf16', optimizer: 'adamw', zeroStage: 0, dataParallel: 1, convention: 'zero' } as const;
    fc.assert(fc.property(fc.oneof(badNumber.filter((v) => v !== 0), fc.constant(2 ** 53)), (value) => expectTypedRefusal(() => modelStateBytes(value as number, frozen(states)), 'params')), runs);
    fc.assert(fc.property(badNumber, (value) => expectTypedRefusal(() => modelStateBytes(100, frozen({ ...states, dataParallel: value as number })), 'dataParallel')), runs);
    fc.assert(
      fc.property(fc.constantFrom('precision', 'optimizer', 'convention', 'zeroStage'), fc.oneof(badChoice, fc.constantFrom(4, 1.5)), (field, value) => {
        expectTypedRefusal(() => bytesPerParameter(frozen({ ...states, [field]: value })), field);
        expectTypedRefusal(() => modelStateBytes(100, frozen({ ...states, [field]: value })), field);
      }),
      runs,
    );
    // Past 2^53 bytes the figure could not be exact: refused, naming what grew too large.
    expectTypedRefusal(() => modelStateBytes(2 ** 52, states), 'weights');
  });
});
