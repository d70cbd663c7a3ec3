/**
 * `wasmgrad bench [gemm|train|all]`: throughput benchmarks, each measured in
 * one run next to its peers.
 *
 *   wasmgrad bench gemm [--sizes 64,256] [--no-training] [--time ms] [--all-js] [--build simd] [--threads N] [--json]
 *   wasmgrad bench train [--time ms] [--build simd] [--threads N] [--json]
 *
 * gemm and train time wasmgrad on N threads and on one thread, side by side.
 *
 * Exit codes: 0 success; 2 a bad option value, contradictory flags (one option
 * twice with different values) or a --build the engine cannot run (one line on
 * stderr, `error: ... (see 'wasmgrad bench --help')`); 1 a failure while measuring.
 * Progress goes to stderr; stdout holds only the table, or with --json one
 * JSON document:
 *
 *   bench gemm --json    the BenchGemmDocument (src/report/bench-gemm-document.ts, format "wasmgrad.bench.gemm/1")
 *   bench train --json   the BenchTrainDocument (src/report/bench-train-document.ts, format "wasmgrad.bench.train/1")
 *   bench all --json     the BenchDocument { format: "wasmgrad.bench/1", <suite>: <that suite's document>, ... }
 */
import v8 from 'node:v8';
import { Argument, type Command } from 'commander';
import {
  DEFAULT_SQUARE_SIZES,
  DEFAULT_TIME_MS,
  JS_DEFAULT_MAX_MACS,
  MAX_SQUARE_SIZE,
  MLP_TRAINING_SHAPES,
  runGemmBench,
  squareShapes,
} from '../bench/gemm-bench.js';
import { loadTfjsWasm } from '../bench/peers.js';
import { formatInteger } from '../estimate/units.js';
import { ArgumentError } from '../errors.js';
import { runTrainBench, TRAIN_BENCH_SIZES } from '../bench/train-bench.js';
import { runPytorchPeer } from '../bench/pytorch-peer.js';
import { GPT_BENCH_LR, runGptBench } from '../bench/gpt-bench.js';
import { benchGptDocument, renderBenchGptTable } from '../report/bench-gpt-document.js';
import { benchDocument } from '../report/bench-document.js';
import { benchGemmDocument, renderBenchGemmTable } from '../report/bench-gemm-document.js';
import { benchTrainDocument, renderBenchTrainTable } from '../report/bench-train-document.js';
import { init, type Runtime } from '../runtime.js';
import type { BuildName } from '../wasm-source.js';
import { watchContradictions } from './contradictory-options.js';
import { BUILD_CHOICES, threadsOption } from './options.js';

interface BenchOptions {
  sizes?: string;
  training: boolean;
  time?: string;
  steadySteps?: string;
  allJs?: boolean;
  build?: string;
  threads?: number;
  json?: boolean;
}

/** Options parsed and checked: what every suite runs with. */
export interface BenchSettings {
  sizes: number[];
  training: boolean;
  timeMs: number;
  /** Steps of bench train's steady-state run (0: none). */
  steadySteps: number;
  jsMaxMacs: number;
  build: BuildName | 'auto';
  /** Threads of the runtime (undefined: init's default). */
  threads: number | undefined;
  json: boolean;
}

/** `64,256` -> [64, 256]; every item a positive integer up to MAX_SQUARE_SIZE. */
export function parseSizes(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  const sizes = items.map((item) => {
    if (!/^\d+$/.test(item) || Number(item) < 1) {
      throw new ArgumentError(`--sizes: expected positive integers separated by commas (e.g. 64,256), got '${item}' in '${text}'`);
    }
    const size = Number(item);
    if (size > MAX_SQUARE_SIZE) throw new ArgumentError(`--sizes: ${size} is above the largest size ${MAX_SQUARE_SIZE}`);
    return size;
  });
  return [...new Set(sizes)];
}

/** The longest --time accepted: an hour per implementation per shape is already more than any run needs. */
export const MAX_TIME_MS = 3_600_000;

export function parseTime(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new ArgumentError(`--time: expected a positive integer number of milliseconds, got '${text}'`);
  }
  const ms = Number(text);
  if (ms > MAX_TIME_MS) throw new ArgumentError(`--time: ${text} ms is above the longest budget, ${formatInteger(MAX_TIME_MS)} ms (one hour)`);
  return ms;
}

const DEFAULT_STEADY_STEPS = 5000;
const MAX_STEADY_STEPS = 1_000_000;

/** `--steady-steps`: 0 (no steady-state run), or at least the 1,000 steps of its two measured blocks. */
export function parseSteadySteps(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || (n !== 0 && n < 1000) || n > MAX_STEADY_STEPS) {
    throw new ArgumentError(`--steady-steps: expected 0 or an integer from 1,000 to ${formatInteger(MAX_STEADY_STEPS)}, got '${text}'`);
  }
  return n;
}

export function settingsFromOptions(o: BenchOptions): BenchSettings {
  const build = o.build ?? 'auto';
  if (!(BUILD_CHOICES as readonly string[]).includes(build)) {
    throw new ArgumentError(`--build: expected one of ${BUILD_CHOICES.join(', ')}, got '${build}'`);
  }
  return {
    sizes: o.sizes === undefined ? [...DEFAULT_SQUARE_SIZES] : parseSizes(o.sizes),
    training: o.training,
    timeMs: o.time === undefined ? DEFAULT_TIME_MS : parseTime(o.time),
    steadySteps: o.steadySteps === undefined ? DEFAULT_STEADY_STEPS : parseSteadySteps(o.steadySteps),
    jsMaxMacs: o.allJs ? Infinity : JS_DEFAULT_MAX_MACS,
    build: build as BuildName | 'auto',
    threads: o.threads,
    json: o.json ?? false,
  };
}

// ---------------------------------------------------------------- suites

interface SuiteContext {
  settings: BenchSettings;
  runtime(): Promise<Runtime>;
  progress(message: string): void;
  colour: boolean;
}

interface SuiteOutput {
  json: unknown;
  table: string;
}

interface BenchSuite {
  description: string;
  run(ctx: SuiteContext): Promise<SuiteOutput>;
}

/** The suites `bench` knows, in the order `bench all` runs them. Add a suite here. */
export const SUITES: Record<string, BenchSuite> = {
  gemm: {
    description: 'GEMM GFLOP/s: square sizes and 784-100-10 training shapes, next to the peak probe, tfjs-wasm, ort-web, PyTorch (when installed) and plain JS',
    async run(ctx) {
      const { settings } = ctx;
      const shapes = [...squareShapes(settings.sizes), ...(settings.training ? MLP_TRAINING_SHAPES : [])];
      const report = await runGemmBench(await ctx.runtime(), {
        shapes,
        timeMs: settings.timeMs,
        jsMaxMacs: settings.jsMaxMacs,
        onProgress: (m) => ctx.progress(`gemm: ${m}`),
      });
      const doc = benchGemmDocument(report);
      return { json: doc, table: renderBenchGemmTable(doc, ctx.colour) };
    },
  },
  train: {
    description: 'training steps/s of 784-100-10 at batch 64 with SGD and Adam, next to tfjs-wasm and PyTorch (when installed) training the same network',
    async run(ctx) {
      const rt = await ctx.runtime();
      const report = await runTrainBench(rt, {
        timeMs: ctx.settings.timeMs,
        steadySteps: ctx.settings.steadySteps,
        tfjs: await loadTfjsWasm(),
        onProgress: (m) => ctx.progress(m),
      });
      ctx.progress('train: pytorch');
      const pytorch = await runPytorchPeer({ timeMs: ctx.settings.timeMs, train: { layers: TRAIN_BENCH_SIZES, batch: report.batch, optimizers: report.lr } });
      const doc = benchTrainDocument(report, pytorch);
      return { json: doc, table: renderBenchTrainTable(doc) };
    },
  },
  gpt: {
    description: "GPT training tokens/s at train-text's configuration, the GEMMs' share of a step, next to PyTorch (when installed) training the identical model",
    async run(ctx) {
      const report = await runGptBench(await ctx.runtime(), { timeMs: ctx.settings.timeMs, onProgress: (m) => ctx.progress(m) });
      ctx.progress('gpt: pytorch');
      const pytorch = await runPytorchPeer({ timeMs: ctx.settings.timeMs, gpt: { config: report.config, batch: report.batch, tokens: report.tokens, lr: GPT_BENCH_LR } });
      const doc = benchGptDocument(report, pytorch);
      return { json: doc, table: renderBenchGptTable(doc) };
    },
  },
};

const SUITE_NAMES = [...Object.keys(SUITES), 'all'];

/** Progress on stderr: a line rewritten in place on a terminal, one line per step otherwise. */
function stderrProgress(): { progress(message: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  let shown = false;
  return {
    progress(message) {
      if (tty) {
        process.stderr.write(`\r\x1b[2K${message}`);
        shown = true;
      } else {
        process.stderr.write(`${message}\n`);
      }
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

const HELP_AFTER = `
Suites: ${Object.entries(SUITES).map(([name, s]) => `${name} (${s.description})`).join('; ')}; all runs every suite.
GFLOP/s = 2*M*N*K / median time per call, every implementation in the same process and run; gemm and train time wasmgrad on --threads N threads and on one thread side by side (speedup = N / 1), the peers on one thread.
Default square sizes ${DEFAULT_SQUARE_SIZES.join(',')} plus the 784-100-10 MLP training shapes at batch 64; --time ${formatInteger(DEFAULT_TIME_MS)}.

Examples:
  wasmgrad bench gemm --sizes 64,256
  wasmgrad bench gemm --json > gemm.json
  wasmgrad bench gemm --build relaxed --time 500
  wasmgrad bench train --threads 2
`;

/** Adds `bench` to a commander program (commander v14). */
export function registerBenchCommand(program: Command): Command {
  const command: Command = program
    .command('bench')
    .description('throughput benchmarks, measured next to their peers in one run')
    .addArgument(new Argument('[suite]', `which benchmark: ${SUITE_NAMES.join(', ')}`).choices(SUITE_NAMES).default('all'))
    .option('--sizes <list>', `square GEMM sizes, comma-separated (default ${DEFAULT_SQUARE_SIZES.join(',')})`)
    .option('--no-training', 'leave out the 784-100-10 training shapes')
    .option('--time <ms>', `time budget per implementation per shape, ms (default ${formatInteger(DEFAULT_TIME_MS)}, at most ${formatInteger(MAX_TIME_MS)})`)
    .option('--steady-steps <n>', `steps of bench train's steady-state run (default ${formatInteger(DEFAULT_STEADY_STEPS)}; 0: none)`)
    .option('--all-js', `run the plain-JS loop on every shape (default: up to ${formatInteger(JS_DEFAULT_MAX_MACS)} multiply-adds)`)
    .option('--build <name>', `core build: ${BUILD_CHOICES.join(', ')} (default auto)`)
    .addOption(threadsOption())
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP_AFTER);
  const checkContradictions = watchContradictions(command);
  return command.action(async (suite: string, options: BenchOptions) => {
    const fail = (message: string) => command.error(`error: ${message}`, { exitCode: 2, code: 'wasmgrad.invalidArgument' });
    let settings: BenchSettings;
    try {
      checkContradictions();
      settings = settingsFromOptions(options);
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    const chosen = suite === 'all' ? Object.keys(SUITES) : [suite];

    // Relaxed SIMD sits behind a V8 flag in Node 20; it must be set before any wasm is compiled.
    if (settings.build === 'relaxed') v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    let runtime: Promise<Runtime> | undefined;
    const status = stderrProgress();
    const ctx: SuiteContext = {
      settings,
      runtime: () => (runtime ??= init({ build: settings.build, threads: settings.threads })),
      progress: status.progress,
      colour: command.configureOutput().getOutHasColors?.() ?? false,
    };
    try {
      await ctx.runtime();
    } catch (e) {
      return fail(`--build ${settings.build}: ${e instanceof Error ? e.message : String(e)}`);
    }

    const outputs: [string, SuiteOutput][] = [];
    for (const name of chosen) {
      try {
        outputs.push([name, await SUITES[name].run(ctx)]);
      } catch (e) {
        status.done();
        process.stderr.write(`error: bench ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
        return;
      } finally {
        status.done();
      }
    }
    const text = !settings.json
      ? outputs.map(([, o]) => o.table).join('\n')
      : `${JSON.stringify(suite === 'all' ? benchDocument(Object.fromEntries(outputs.map(([n, o]) => [n, o.json]))) : outputs[0][1].json, null, 2)}\n`;
    process.stdout.write(text);
  });
}
