/**
 * `wasmgrad estimate`: training memory per device for a transformer too large
 * to run here, from its shape and the training setup.
 *
 *   wasmgrad estimate --preset gpt2 --batch 8 --seq 1024 --precision mixed-bf16 \
 *     --optimizer adamw --zero 2 --devices 8 --device-memory 80GB [--json]
 *
 * Exit codes: 0 success; 2 a bad value or combination, contradictory flags
 * (`--tied --no-tied`, one option twice with different values), a figure
 * past 2^53 - 1 (which no JSON number holds exactly), an --svg file that
 * cannot be written, and commander's own parse errors (an unknown option):
 * one line on stderr, `error: ... (see 'wasmgrad estimate --help')`.
 *
 * JSON output (`--json`): one document alone on stdout, the EstimateDocument
 * of src/report/estimate-document.ts (format "wasmgrad.estimate/1"), where its
 * fields are listed; the table is drawn from the same document. With
 * --inference it is "wasmgrad.estimate.inference/1" (estimate-inference-document.ts),
 * with --fit "wasmgrad.estimate.fit/1" (estimate-fit-document.ts).
 *
 * `--svg <file>` writes the picture as well (src/report/estimate-svg.ts) and says
 * `wrote <file>`: after the table on stdout, or on stderr with --json so that
 * stdout stays one JSON document. The file's directory is checked first.
 */
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { CONVENTIONS, OPTIMIZERS, PRECISIONS, ZERO_STAGES, type ZeroStage } from '../estimate/model-states.js';
import { PRESET_NAMES, presetSpec } from '../estimate/presets.js';
import {
  ATTENTION_KINDS,
  FEED_FORWARD_KINDS,
  NORM_KINDS,
  POSITION_EMBEDDING_KINDS,
  RECOMPUTE_KINDS,
  defineTransformer,
  type TransformerModel,
  type TransformerSpec,
} from '../estimate/transformer.js';
import { OFFLOAD_KINDS, defaultTrainingSetup, estimateTransformerMemory, type TrainingSetup } from '../estimate/training-setup.js';
import { INFERENCE_PRECISIONS, KV_DTYPES, type InferenceSetup, defaultInferenceSetup, estimateInferenceMemory } from '../estimate/inference.js';
import { inferenceDocument, renderInferenceTable } from '../report/estimate-inference-document.js';
import { LORA_TARGETS, type LoraTarget } from '../estimate/lora.js';
import { type FitSearch, powersOfTwoUpTo, searchFits } from '../estimate/fit.js';
import { fitDocument, renderFitTable } from '../report/estimate-fit-document.js';
import { InexactFigureError, inexactSentence, parseBytes } from '../estimate/units.js';
import { estimateAsRunHere } from '../estimate/as-run-here.js';
import { asRunHereDocument, renderAsRunHereTable } from '../report/estimate-as-run-here.js';
import { ArgumentError } from '../errors.js';
import { estimateDocument, renderEstimateTable } from '../report/estimate-document.js';
import { estimateSvg } from '../report/estimate-svg.js';
import { watchContradictions } from './contradictory-options.js';
import { messageWithFlag, type FlagOf } from './field-flags.js';
import { threadsOption } from './options.js';

/** Options as commander hands them over: strings, parsed and checked in one place below. */
interface EstimateOptions {
  preset?: string;
  vocab?: string;
  context?: string;
  hidden?: string;
  nLayer?: string;
  /** Refused: elsewhere --layers means MLP sizes. */
  layers?: string;
  heads?: string;
  kvHeads?: string;
  experts?: string;
  topK?: string;
  ffn?: string;
  ffnKind?: string;
  norm?: string;
  tied?: boolean;
  positions?: string;
  bias?: boolean;
  dropout?: boolean;
  batch?: string;
  seq?: string;
  gradAccum?: string;
  precision?: string;
  optimizer?: string;
  recompute?: string;
  devices?: string;
  zero?: string;
  tp?: string;
  sp?: boolean;
  pp?: string;
  ep?: string;
  attention?: string;
  convention?: string;
  deviceMemory?: string;
  inference?: boolean;
  prompt?: string;
  generate?: string;
  kvDtype?: string;
  loraRank?: string;
  loraTargets?: string;
  qlora?: boolean;
  offload?: string;
  fit?: boolean;
  asRunHere?: boolean;
  threads?: number;
  json?: boolean;
  svg?: string;
}

// Parsers local to estimate: they throw ArgumentError naming the flag, mapped to one line by the action.
function positiveInteger(option: string, text: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new ArgumentError(`${option}: expected a positive integer, got '${text}'`);
  }
  return Number(text);
}

function choice<T extends string>(option: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new ArgumentError(`${option}: expected one of ${choices.join(', ')}, got '${text}'`);
  }
  return text as T;
}

function zeroStage(text: string): ZeroStage {
  const stage = Number(text);
  if (!/^\d$/.test(text.trim()) || !(ZERO_STAGES as readonly number[]).includes(stage)) {
    throw new ArgumentError(`--zero: expected a ZeRO stage 0, 1, 2 or 3, got '${text}'`);
  }
  return stage as ZeroStage;
}

/** The model: a preset with any shape options applied on top, or a shape given in full. */
export function modelFromOptions(o: EstimateOptions): TransformerModel {
  const overrides: Partial<TransformerSpec> = {};
  if (o.vocab !== undefined) overrides.vocabSize = positiveInteger('--vocab', o.vocab);
  if (o.context !== undefined) overrides.contextLength = positiveInteger('--context', o.context);
  if (o.hidden !== undefined) overrides.hidden = positiveInteger('--hidden', o.hidden);
  if (o.nLayer !== undefined) overrides.layers = positiveInteger('--n-layer', o.nLayer);
  if (o.heads !== undefined) overrides.heads = positiveInteger('--heads', o.heads);
  if (o.kvHeads !== undefined) overrides.kvHeads = positiveInteger('--kv-heads', o.kvHeads);
  if (o.experts !== undefined) overrides.experts = positiveInteger('--experts', o.experts);
  if (o.topK !== undefined) overrides.topK = positiveInteger('--top-k', o.topK);
  if (o.ffn !== undefined) overrides.ffnHidden = positiveInteger('--ffn', o.ffn);
  if (o.ffnKind !== undefined) overrides.ffn = choice('--ffn-kind', o.ffnKind, FEED_FORWARD_KINDS);
  if (o.norm !== undefined) overrides.norm = choice('--norm', o.norm, NORM_KINDS);
  if (o.positions !== undefined) overrides.positionEmbeddings = choice('--positions', o.positions, POSITION_EMBEDDING_KINDS);
  if (o.tied !== undefined) overrides.tiedEmbeddings = o.tied;
  if (o.bias !== undefined) overrides.bias = o.bias;
  if (o.dropout !== undefined) overrides.dropout = o.dropout;

  if (o.preset !== undefined) {
    const base = presetSpec(o.preset);
    const modified = Object.keys(overrides).length > 0;
    return defineTransformer({ ...base, ...overrides, name: modified ? `${base.name} (modified)` : base.name });
  }
  // No preset: the context defaults to the training sequence length.
  if (overrides.contextLength === undefined && o.seq !== undefined) overrides.contextLength = positiveInteger('--seq', o.seq);
  const required: [keyof TransformerSpec, string][] = [
    ['vocabSize', '--vocab'],
    ['hidden', '--hidden'],
    ['layers', '--n-layer'],
    ['heads', '--heads'],
    ['contextLength', '--context (or --seq)'],
  ];
  const missing = required.filter(([key]) => overrides[key] === undefined).map(([, flag]) => flag);
  if (missing.length > 0) {
    throw new ArgumentError(`give --preset (${PRESET_NAMES.join(', ')}) or describe the model in full; missing ${missing.join(', ')}`);
  }
  return defineTransformer({ ...(overrides as TransformerSpec), name: 'custom' });
}

export function setupFromOptions(model: TransformerModel, o: EstimateOptions): TrainingSetup {
  const setup = defaultTrainingSetup(model);
  if (o.batch !== undefined) setup.microBatch = positiveInteger('--batch', o.batch);
  if (o.seq !== undefined) setup.seqLength = positiveInteger('--seq', o.seq);
  if (o.gradAccum !== undefined) setup.gradAccumulation = positiveInteger('--grad-accum', o.gradAccum);
  if (o.precision !== undefined) setup.precision = choice('--precision', o.precision, PRECISIONS);
  if (o.optimizer !== undefined) setup.optimizer = choice('--optimizer', o.optimizer, OPTIMIZERS);
  if (o.recompute !== undefined) setup.recompute = choice('--recompute', o.recompute, RECOMPUTE_KINDS);
  if (o.devices !== undefined) setup.devices = positiveInteger('--devices', o.devices);
  if (o.zero !== undefined) setup.zeroStage = zeroStage(o.zero);
  if (o.tp !== undefined) setup.tensorParallel = positiveInteger('--tp', o.tp);
  if (o.pp !== undefined) setup.pipelineParallel = positiveInteger('--pp', o.pp);
  if (o.sp !== undefined) setup.sequenceParallel = o.sp;
  if (o.ep !== undefined) setup.expertParallel = positiveInteger('--ep', o.ep);
  if (o.attention !== undefined) setup.attention = choice('--attention', o.attention, ATTENTION_KINDS);
  if (o.convention !== undefined) setup.convention = choice('--convention', o.convention, CONVENTIONS);
  if (o.offload !== undefined) setup.offload = choice('--offload', o.offload, OFFLOAD_KINDS);
  if (o.loraRank !== undefined) {
    // Default targets q and v: LoRA's own choice (Hu et al. 2021, Sec. 7.1) and PEFT's for LLaMA.
    const targets = (o.loraTargets ?? 'q,v').split(',').map((x) => x.trim()) as LoraTarget[];
    setup.lora = { rank: positiveInteger('--lora-rank', o.loraRank), targets, quantizedBase: o.qlora === true };
  } else if (o.loraTargets !== undefined || o.qlora !== undefined) {
    throw new ArgumentError(`${o.loraTargets !== undefined ? '--lora-targets' : '--qlora'}: give --lora-rank as well (the adapters' rank r)`);
  }
  return setup;
}

/** Options that describe training, refused with --inference (which has no optimizer, gradients or data parallelism). */
const TRAINING_ONLY = ['seq', 'gradAccum', 'optimizer', 'recompute', 'devices', 'zero', 'sp', 'ep', 'convention', 'loraRank', 'loraTargets', 'qlora', 'offload', 'fit', 'asRunHere', 'threads'] as const;
/** Options that describe generation, refused without --inference. */
const INFERENCE_ONLY = ['prompt', 'generate', 'kvDtype'] as const;

/** Refuses the first of `keys` the user gave, naming its flag and why. */
function refuseGiven(command: Command, o: EstimateOptions, keys: readonly (keyof EstimateOptions)[], why: string): void {
  const key = keys.find((k) => o[k] !== undefined);
  if (key === undefined) return;
  const flag = command.options.find((x) => x.attributeName() === key && !x.negate)?.long ?? String(key);
  throw new ArgumentError(`${flag}: ${why}`);
}

export function inferenceSetupFromOptions(model: TransformerModel, o: EstimateOptions): InferenceSetup {
  const setup = defaultInferenceSetup(model);
  if (o.generate !== undefined) {
    if (!/^\d+$/.test(o.generate.trim()) || !Number.isSafeInteger(Number(o.generate))) {
      throw new ArgumentError(`--generate: expected a non-negative integer, got '${o.generate}'`);
    }
    setup.generateLength = Number(o.generate);
  }
  setup.promptLength = o.prompt !== undefined ? positiveInteger('--prompt', o.prompt) : Math.max(1, model.contextLength - setup.generateLength);
  if (o.batch !== undefined) setup.batch = positiveInteger('--batch', o.batch);
  if (o.precision !== undefined) setup.precision = choice('--precision', o.precision, INFERENCE_PRECISIONS);
  if (o.kvDtype !== undefined) setup.kvDtype = choice('--kv-dtype', o.kvDtype, KV_DTYPES);
  if (o.tp !== undefined) setup.tensorParallel = positiveInteger('--tp', o.tp);
  if (o.pp !== undefined) setup.pipelineParallel = positiveInteger('--pp', o.pp);
  if (o.attention !== undefined) setup.attention = choice('--attention', o.attention, ATTENTION_KINDS);
  return setup;
}

/** Default largest micro-batch --fit tries when --batch is not given. */
const FIT_MICRO_BATCH = 16;

/** What --fit searches: each option the user gave is fixed (or, for --batch and --devices, the largest tried); the rest is searched in full. */
export function fitSearchFromOptions(setup: TrainingSetup, o: EstimateOptions, deviceMemory: number): FitSearch {
  return {
    deviceMemory,
    microBatches: powersOfTwoUpTo(o.batch !== undefined ? setup.microBatch : FIT_MICRO_BATCH),
    recompute: o.recompute !== undefined ? [setup.recompute] : RECOMPUTE_KINDS,
    zeroStages: o.zero !== undefined ? [setup.zeroStage] : ZERO_STAGES,
    offload: o.offload !== undefined ? [setup.offload] : OFFLOAD_KINDS,
    devices: powersOfTwoUpTo(setup.devices),
  };
}

/** Library argument names and the flags that set them, so errors speak the user's language. */
const FLAG_OF: FlagOf = {
  preset: '--preset',
  vocabSize: '--vocab',
  contextLength: '--context',
  hidden: '--hidden',
  heads: '--heads',
  kvHeads: '--kv-heads',
  experts: '--experts',
  topK: '--top-k',
  layers: '--n-layer',
  ffnHidden: '--ffn',
  microBatch: '--batch',
  seqLength: '--seq',
  gradAccumulation: '--grad-accum',
  devices: '--devices',
  zeroStage: '--zero',
  tensorParallel: '--tp',
  sequenceParallel: '--sp',
  pipelineParallel: '--pp',
  expertParallel: '--ep',
  attention: '--attention',
  promptLength: '--prompt',
  generateLength: '--generate',
  batch: '--batch',
  kvDtype: '--kv-dtype',
  loraRank: '--lora-rank',
  loraTargets: '--lora-targets',
  lora: '--lora-rank',
  quantizedBase: '--qlora',
  offload: '--offload',
  deviceMemory: '--device-memory',
};

const HELP_AFTER = `
Sizes: GB/MB/kB are powers of 1000, GiB/MiB/KiB powers of 1024 (a card sold as "80GB" usually holds 80GiB).
Defaults: mixed-bf16, adamw, micro-batch 1, sequence = the model's context, 1 device, ZeRO 0, no recomputation,
  convention 'zero' (16 bytes per parameter for mixed-precision Adam, Rajbhandari et al. 2019);
  'megatron' keeps fp32 gradients (18 bytes, Megatron-LM); 'deepspeed' reproduces DeepSpeed's ZeRO-2/3 estimators.
Activations follow Korthikanti et al. 2022 (fused kernels); pipelines use the 1F1B schedule (the heaviest stage is reported).

Examples:
  wasmgrad estimate --preset gpt2 --batch 8 --seq 1024 --precision mixed-bf16 --optimizer adamw --zero 2 --devices 8
  wasmgrad estimate --preset llama-7b --batch 4 --recompute selective --devices 8 --zero 3 --device-memory 80GiB
  wasmgrad estimate --vocab 32000 --context 4096 --hidden 2048 --n-layer 24 --heads 16 --json
  wasmgrad estimate --inference --preset llama-2-70b --prompt 2048 --generate 256 --batch 8 --tp 8 --kv-dtype int8
  wasmgrad estimate --preset llama-7b --lora-rank 64 --lora-targets q,k,v,o,mlp --qlora --device-memory 24GiB
  wasmgrad estimate --preset llama-7b --device-memory 24GiB --fit
`;

/** Checks, before anything is computed, that `file` can be created: a name, in an existing directory. */
function checkWritable(file: string): void {
  const fail = (why: string) => {
    throw new ArgumentError(`--svg: cannot write '${file}': ${why}`);
  };
  if (file.trim() === '') throw new ArgumentError(`--svg: expected a file name, got '${file}'`);
  const dir = dirname(resolve(file));
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) fail(`no directory '${dir}'`);
  else if (!stat.isDirectory()) fail(`'${dir}' is not a directory`);
}

/** `--seq 100000000 makes the activation bytes exceed ...`: the figure's inputs the user gave, as flags (all of them if none was given). */
function inexactForCli(e: InexactFigureError, command: Command): string {
  const flagged = Object.entries(e.inputs).flatMap(([field, value]) => (Object.hasOwn(FLAG_OF, field) ? [{ flag: FLAG_OF[field], value }] : []));
  const attribute = (flag: string) => command.options.find((o) => o.long === flag)?.attributeName() ?? '';
  const given = flagged.filter(({ flag }) => command.getOptionValueSource(attribute(flag)) === 'cli');
  return inexactSentence((given.length > 0 ? given : flagged).map(({ flag, value }) => `${flag} ${value}`), e.what);
}

/** Adds `estimate` to a commander program (commander v14). */
export function registerEstimateCommand(program: Command): Command {
  const command: Command = program
    .command('estimate')
    .description('estimate training memory per device for a transformer (weights, gradients, optimizer state, activations)')
    .option('--preset <name>', `model preset: ${PRESET_NAMES.join(', ')}`)
    .option('--vocab <n>', 'vocabulary size')
    .option('--context <n>', 'context length (rows of the learned position table)')
    .option('--hidden <n>', 'hidden size h')
    .option('--n-layer <n>', 'number of transformer blocks L (nanoGPT\'s n_layer)')
    .addOption(new Option('--layers <n>').hideHelp())
    .option('--heads <n>', 'attention heads a (must divide h)')
    .option('--kv-heads <n>', 'key/value heads g (grouped-query attention; 1 = multi-query; must divide a; default a)')
    .option('--experts <n>', 'feed-forward experts per layer E (mixture of experts; default 1 = dense)')
    .option('--top-k <n>', 'experts each token is routed to, at most E (default 1)')
    .option('--ffn <n>', 'feed-forward size f (default 4h)')
    .option('--ffn-kind <kind>', `feed-forward: ${FEED_FORWARD_KINDS.join(', ')}`)
    .option('--norm <kind>', `norm: ${NORM_KINDS.join(', ')}`)
    .option('--tied', 'output head tied to the token embedding')
    .option('--no-tied', 'output head with its own matrix')
    .option('--positions <kind>', `position embeddings: ${POSITION_EMBEDDING_KINDS.join(', ')}`)
    .option('--bias', 'biases in linear layers and LayerNorm')
    .option('--no-bias', 'no biases')
    .option('--dropout', 'dropout (saves 1-byte masks)')
    .option('--no-dropout', 'no dropout')
    .option('--batch <n>', 'micro-batch size b per data-parallel replica (default 1)')
    .option('--seq <n>', 'sequence length s (default: the context length)')
    .option('--grad-accum <n>', 'micro-batches per optimizer step (default 1)')
    .option('--precision <p>', `${PRECISIONS.join(', ')} (default mixed-bf16)`)
    .option('--optimizer <o>', `${OPTIMIZERS.join(', ')} (default adamw)`)
    .option('--recompute <r>', `activation recomputation: ${RECOMPUTE_KINDS.join(', ')} (default none)`)
    .option('--devices <n>', 'all devices: data x tensor x pipeline parallel (default 1)')
    .option('--zero <stage>', 'ZeRO stage 0-3 over the data-parallel devices (default 0; at most 1 with --pp > 1)')
    .option('--tp <n>', 'tensor-parallel size t (default 1)')
    .option('--sp', 'sequence parallelism (needs --tp > 1)')
    .option('--pp <n>', 'pipeline-parallel size p (default 1)')
    .option('--ep <n>', 'expert-parallel size e: divides the experts and the data-parallel replicas (default 1)')
    .option('--attention <kind>', `attention kernel: ${ATTENTION_KINDS.join(', ')} (flash stores no s x s scores; default standard)`)
    .option('--convention <c>', `model-state bytes: ${CONVENTIONS.join(', ')} (default zero)`)
    .option('--device-memory <size>', 'memory of one device, e.g. 80GB or 80GiB; says whether the estimate fits')
    .option('--inference', 'inference memory instead: weights, KV cache and the live activations of one forward pass')
    .option('--prompt <n>', 'with --inference: prompt tokens P per sequence (default: the context less --generate)')
    .option('--generate <n>', 'with --inference: tokens G generated per sequence (default 0)')
    .option('--kv-dtype <d>', `with --inference: KV-cache element type, ${KV_DTYPES.join(', ')} (default fp16)`)
    .option('--lora-rank <r>', 'LoRA fine-tuning: frozen base, trainable adapters of rank r')
    .option('--lora-targets <list>', `with --lora-rank: projections to adapt, of ${LORA_TARGETS.join(',')} (default q,v)`)
    .option('--qlora', 'with --lora-rank: the frozen base in 4-bit NF4 with double quantisation (QLoRA)')
    .option('--offload <what>', `move states to host memory: ${OFFLOAD_KINDS.join(', ')} (ZeRO-Offload / ZeRO-Infinity; default none)`)
    .option('--fit', 'with --device-memory: search micro-batch (powers of 2 up to --batch, default 16), recomputation, ZeRO stage, offload and devices (powers of 2 up to --devices); options given are kept; lists what fits, best first')
    .option('--as-run-here', "as wasmgrad's core trains it: fp32, one device, its step plan folded (what `wasmgrad profile --model gpt` measures); needs --precision fp32")
    .addOption(threadsOption('with --as-run-here: the threads the core would train on, each packing its own GEMM panels', '1'))
    .option('--json', 'print one JSON document on stdout')
    .option('--svg <file>', 'also write the picture (one stacked bar per pipeline stage) to this SVG file')
    .addHelpText('after', HELP_AFTER);
  const checkContradictions = watchContradictions(command);
  return command.action((options: EstimateOptions) => {
    const out = command.configureOutput();
    const write = out.writeOut ?? ((s: string) => process.stdout.write(s));
    let text: string;
    try {
      checkContradictions();
      if (options.layers !== undefined) {
        throw new ArgumentError('--layers: estimate counts transformer blocks with --n-layer (number of transformer blocks); --layers means MLP sizes in profile and train');
      }
      if (options.svg !== undefined) checkWritable(options.svg);
      if (options.inference) refuseGiven(command, options, [...TRAINING_ONLY, 'svg'], 'describes training; --inference has no gradients, optimizer state or data parallelism (devices are --tp x --pp)');
      else refuseGiven(command, options, INFERENCE_ONLY, 'only with --inference');
      if (!options.asRunHere) refuseGiven(command, options, ['threads'], 'only with --as-run-here (the thread count its estimate assumes)');
      const model = modelFromOptions(options);
      const deviceMemory = options.deviceMemory === undefined ? undefined : parseBytes(options.deviceMemory, '--device-memory');
      if (deviceMemory === 0) throw new ArgumentError('--device-memory: expected a positive size, got 0');
      if (options.inference) {
        const doc = inferenceDocument(estimateInferenceMemory(model, inferenceSetupFromOptions(model, options)), deviceMemory);
        write(options.json ? `${JSON.stringify(doc, null, 2)}\n` : renderInferenceTable(doc, out.getOutHasColors?.() ?? false));
        return;
      }
      const setup = setupFromOptions(model, options);
      if (options.fit) {
        if (deviceMemory === undefined) throw new ArgumentError('--fit: give --device-memory, the memory of one device');
        if (options.svg !== undefined) throw new ArgumentError('--svg: draws one estimate; not with --fit');
        const doc = fitDocument(model, setup, searchFits(model, setup, fitSearchFromOptions(setup, options, deviceMemory)));
        write(options.json ? `${JSON.stringify(doc, null, 2)}\n` : renderFitTable(doc, out.getOutHasColors?.() ?? false));
        return;
      }
      if (options.asRunHere) {
        if (options.svg !== undefined || options.fit || deviceMemory !== undefined) throw new ArgumentError('--as-run-here: prints its own table; not with --svg, --fit or --device-memory');
        const doc = asRunHereDocument(estimateAsRunHere(model, setup, options.threads ?? 1));
        write(options.json ? `${JSON.stringify(doc, null, 2)}\n` : renderAsRunHereTable(doc));
        return;
      }
      const est = estimateTransformerMemory(model, setup);
      if (options.svg !== undefined) {
        try {
          writeFileSync(options.svg, estimateSvg(est, { deviceMemory }));
        } catch (e) {
          throw new ArgumentError(`--svg: cannot write '${options.svg}': ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      const doc = estimateDocument(est, deviceMemory);
      text = options.json ? `${JSON.stringify(doc, null, 2)}\n` : renderEstimateTable(doc, out.getOutHasColors?.() ?? false);
    } catch (e) {
      const message = e instanceof InexactFigureError ? inexactForCli(e, command) : messageWithFlag(e, FLAG_OF);
      command.error(`error: ${message}`, { exitCode: 2, code: 'wasmgrad.invalidArgument' });
    }
    write(text);
    if (options.svg !== undefined) {
      if (options.json) (out.writeErr ?? ((s: string) => process.stderr.write(s)))(`wrote ${options.svg}\n`);
      else write(`wrote ${options.svg}\n`);
    }
  });
}
