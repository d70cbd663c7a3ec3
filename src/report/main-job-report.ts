// What `wasmgrad` with no subcommand prints, section by section as the main
// job computes them (the memory profile in between is renderProfileTable's):
// the header, the reference example spelled out, MAC throughput next to the
// peak probe, and the short training run.

import { colours } from './colours.js';
import type { GemmBenchResult } from '../bench/gemm-bench.js';
import { formatBytes, formatInteger } from '../estimate/units.js';
import { CATEGORIES, type CategoryBytes } from '../memory/categories.js';

/** The network the main job runs: layer sizes, input to output, and its batch. */
export interface MainJobNetwork {
  sizes: readonly number[];
  batch: number;
}

/** A short training run on synthetic data: its losses, speed, and memory after the first, second and last steps. */
export interface TrainingRunSummary {
  steps: number;
  firstLoss: number;
  lastLoss: number;
  /** Timed over the steps after the first, which allocates gradients and optimizer state. */
  samplesPerSecond: number;
  liveAfterFirst: CategoryBytes;
  liveAfterLast: CategoryBytes;
  memoryAfterFirst: number;
  memoryAfterSecond: number;
  memoryAfterLast: number;
}

type Lines = string[];

export function renderMainJobHeader(net: MainJobNetwork, engine: string, colour = false): Lines {
  const c = colours(colour);
  return [c.bold(`wasmgrad main job: the classic MNIST network ${net.sizes.join('-')} (ReLU), batch ${net.batch}, Adam`), `  ${engine}`, ''];
}

/** The first Linear layer's arithmetic and data movement for one sample. */
export function renderReferenceExample(net: MainJobNetwork, colour = false): Lines {
  const c = colours(colour);
  const [inF, hidden] = [net.sizes[0]!, net.sizes[1]!];
  const weights = inF * hidden;
  const once = inF + weights + 2 * hidden;
  return [
    c.bold('Reference example: the first Linear layer, one sample'),
    `  ${inF} inputs x ${hidden} units = ${formatInteger(weights)} weights (+ ${hidden} biases)`,
    `  forward pass: ${formatInteger(weights)} multiply-accumulates (${formatInteger(weights + hidden)} with the bias adds, torchinfo's count)`,
    `  each MAC touches 3 values (input, weight, running sum): ${formatInteger(3 * weights)} operand accesses = ${formatInteger(12 * weights)} B at 4 B each`,
    `  touching each value once instead: ${formatInteger(once)} values = ${formatInteger(4 * once)} B; at batch ${net.batch} the weights are reused ${net.batch} times`,
    '',
  ];
}

/** GFLOP/s per shape next to the peak probe (a one-thread probe: the share of peak is the one-thread figure's). */
export function renderMacThroughput(bench: GemmBenchResult, colour = false): Lines {
  const c = colours(colour);
  const threaded = bench.threads > 1;
  return [
    c.bold(`MAC throughput on ${bench.threads} thread${threaded ? 's' : ''} (GFLOP/s = 2 x MACs per second; peak probe ${bench.peak.gflops.toFixed(1)} GFLOP/s with ${bench.peak.chains} chains on one thread)`),
    ...bench.shapes.map((s) => {
      const g = s.gflops.wasmgrad ?? 0;
      const share = s.ratio.peak === null ? ' n/a' : `${(s.ratio.peak * 100).toFixed(0).padStart(3)}%`;
      const single = threaded ? `  1 thread ${(s.gflops['wasmgrad-1thread'] ?? 0).toFixed(1).padStart(7)} (${share} of peak), speedup ${(s.ratio.speedup ?? 0).toFixed(2)}x` : `  ${share} of peak`;
      return `  ${s.label.padEnd(30)} ${g.toFixed(1).padStart(7)} GFLOP/s${single}  ${formatInteger(Math.round((g * 1e9) / 2 / 1e6))} M MAC/s`;
    }),
    ...(bench.peak.anomaly ? [`  anomaly: ${bench.peak.anomaly}`] : []),
    '',
  ];
}

/** The training run: the loss falls, and memory in use stays flat from step 2 on. */
export function renderTrainingRun(run: TrainingRunSummary, colour = false): Lines {
  const c = colours(colour);
  const live = (bytes: CategoryBytes) => CATEGORIES.map((k) => `${k} ${formatInteger(bytes[k])}`).join(', ');
  return [
    c.bold(`Training run: ${run.steps} steps on synthetic data (a fixed random teacher labels the inputs)`),
    `  loss ${run.firstLoss.toFixed(4)} -> ${run.lastLoss.toFixed(4)}, ${formatInteger(Math.round(run.samplesPerSecond))} samples/s`,
    `  live after step 1:     ${live(run.liveAfterFirst)}`,
    `  live after step ${run.steps}:   ${live(run.liveAfterLast)}`,
    // Step 1 creates gradients and optimizer state on the way; from step 2 on the layout repeats.
    `  WASM memory: ${formatInteger(run.memoryAfterFirst)} B after step 1, ${formatInteger(run.memoryAfterSecond)} B after step 2, ` +
      `${formatInteger(run.memoryAfterLast)} B after step ${run.steps} (${formatBytes(run.memoryAfterLast, 'binary')})`,
    '',
  ];
}
