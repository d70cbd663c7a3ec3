// `wasmgrad` with no subcommand: the main job on the built-in default, the
// classic MNIST network 784-100-10 (ReLU, batch 64, Adam). It prints the
// memory profile (measured and estimated), the reference example's MACs and
// data movement, a short MAC-throughput measurement next to the peak probe,
// and a short training run, then writes a self-contained HTML report.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import { MLP_TRAINING_SHAPES, runGemmBench, squareShapes } from '../bench/gemm-bench.js';
import { CATEGORIES } from '../memory/categories.js';
import { formatBytes, formatInteger } from '../estimate/units.js';
import { Random } from '../nn/random.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../optim/adam.js';
import { profileMlp } from '../profile/profile-mlp.js';
import { profileHtml, profileTable } from '../report/profile-report.js';
import { init, type Runtime } from '../runtime.js';
import { intInRange, mlpLayers, outputFile, useColour } from './options.js';

const SIZES = [784, 100, 10];
const BATCH = 64;
/** At about 1,500 steps/s, the cap is about a minute of training: the main job is a demonstration. */
export const MAX_TRAIN_STEPS = 100_000;

interface MainOptions {
  report: string;
  trainSteps: number;
}

export function registerMainJob(program: Command): Command {
  return program
    .option('--report <file>', 'where the main job writes its HTML report', 'wasmgrad-report.html')
    // Step 1 allocates gradients and optimizer state; samples/s is timed over the steps after it.
    .option('--train-steps <n>', `training steps of the main job (2 to ${MAX_TRAIN_STEPS.toLocaleString('en-US')})`, intInRange(2, MAX_TRAIN_STEPS), 300)
    .action(async (o: MainOptions) => {
      await mainJob(o);
    });
}

async function mainJob(o: MainOptions): Promise<void> {
  const reportPath = outputFile('--report', o.report);
  const colour = useColour();
  const c = pc.createColors(colour);
  const log = (s = '') => process.stdout.write(`${s}\n`);
  const layers = mlpLayers(SIZES, 'relu');
  const rt = await init();
  log(c.bold(`wasmgrad main job: the classic MNIST network ${SIZES.join('-')} (ReLU), batch ${BATCH}, Adam`));
  log(`  ${rt.describe()}`);
  log();

  // 1. Training memory: two real steps in a fresh instance, next to the estimate.
  const profile = await profileMlp({ layers, batch: BATCH, optimizer: 'adam', seed: 1 });
  log(profileTable(profile, layers, colour));
  log();

  // 2. The reference example, spelled out.
  const [inF, hidden] = [SIZES[0]!, SIZES[1]!];
  const weights = inF * hidden;
  log(c.bold('Reference example: the first Linear layer, one sample'));
  log(`  ${inF} inputs x ${hidden} units = ${formatInteger(weights)} weights (+ ${hidden} biases)`);
  log(`  forward pass: ${formatInteger(weights)} multiply-accumulates (${formatInteger(weights + hidden)} with the bias adds, torchinfo's count)`);
  log(`  each MAC touches 3 values (input, weight, running sum): ${formatInteger(3 * weights)} operand accesses = ${formatInteger(12 * weights)} B at 4 B each`);
  const once = inF + weights + 2 * hidden;
  log(`  touching each value once instead: ${formatInteger(once)} values = ${formatInteger(4 * once)} B; at batch ${BATCH} the weights are reused ${BATCH} times`);
  log();

  // 3. MAC throughput of the kernels, next to the peak probe (short run; `wasmgrad bench` for the full one).
  process.stderr.write('measuring MAC throughput ...\n');
  const bench = await runGemmBench(rt, {
    shapes: [...MLP_TRAINING_SHAPES, ...squareShapes([256])],
    timeMs: 200,
    peakTimeMs: 150,
    jsMaxMacs: 0,
    tfjs: false,
  });
  log(c.bold(`MAC throughput (GFLOP/s = 2 x MACs per second; peak probe ${bench.peak.gflops.toFixed(1)} GFLOP/s with ${bench.peak.chains} chains)`));
  for (const s of bench.shapes) {
    const g = s.gflops.wasmgrad ?? 0;
    log(`  ${s.label.padEnd(30)} ${g.toFixed(1).padStart(7)} GFLOP/s  ${((s.ratio.peak ?? 0) * 100).toFixed(0).padStart(4)}% of peak  ${formatInteger(Math.round((g * 1e9) / 2 / 1e6))} M MAC/s`);
  }
  log();

  // 4. A short training run: real memory in use, and it stays flat.
  const train = trainRun(await init({ fresh: true }), o.trainSteps);
  log(c.bold(`Training run: ${o.trainSteps} steps on synthetic data (a fixed random teacher labels the inputs)`));
  log(`  loss ${train.firstLoss.toFixed(4)} -> ${train.lastLoss.toFixed(4)}, ${formatInteger(Math.round(train.samplesPerSecond))} samples/s`);
  log(`  live after step 1:     ${CATEGORIES.map((k) => `${k} ${formatInteger(train.liveAfterFirst[k])}`).join(', ')}`);
  log(`  live after step ${o.trainSteps}:   ${CATEGORIES.map((k) => `${k} ${formatInteger(train.liveAfterLast[k])}`).join(', ')}`);
  // Step 1 creates gradients and optimizer state on the way; from step 2 on the layout repeats.
  log(
    `  WASM memory: ${formatInteger(train.memoryAfterFirst)} B after step 1, ${formatInteger(train.memoryAfterSecond)} B after step 2, ` +
      `${formatInteger(train.memoryAfterLast)} B after step ${o.trainSteps} (${formatBytes(train.memoryAfterLast, 'binary')})`,
  );
  log();

  const throughput = bench.shapes.map((s) => ({ shape: s.label, gflops: { wasmgrad: s.gflops.wasmgrad, peak: s.gflops.peak } }));
  writeFileSync(reportPath, profileHtml(profile, layers, throughput, { 'training run': `${o.trainSteps} steps, ${Math.round(train.samplesPerSecond)} samples/s` }));
  log(`report: ${reportPath}`);
}

function trainRun(rt: Runtime, steps: number) {
  const model = new Sequential(rt, mlpLayers(SIZES, 'relu'), { seed: 1 });
  const opt = new Adam({ lr: 1e-3 });
  const rng = new Random(7);
  const [inF, , classes] = SIZES as [number, number, number];
  // A random linear teacher makes the labels learnable, so the loss visibly falls.
  const teacher = Float32Array.from({ length: inF * classes }, () => rng.uniform(-1, 1));
  const x = new Float32Array(BATCH * inF);
  const labels = new Int32Array(BATCH);
  const nextBatch = () => {
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform(0, 1);
    for (let r = 0; r < BATCH; r++) {
      let best = 0, arg = 0;
      for (let k = 0; k < classes; k++) {
        let s = 0;
        for (let i = 0; i < inF; i++) s += x[r * inF + i]! * teacher[k * inF + i]!;
        if (k === 0 || s > best) [best, arg] = [s, k];
      }
      labels[r] = arg;
    }
  };
  nextBatch();
  const firstLoss = model.trainStep(x, labels, opt);
  const liveAfterFirst = rt.arena.liveByCategory();
  const memoryAfterFirst = rt.arena.memoryBytes();
  let lastLoss = firstLoss, trainMs = 0, memoryAfterSecond = 0;
  for (let s = 1; s < steps; s++) {
    nextBatch();
    const t0 = performance.now();
    lastLoss = model.trainStep(x, labels, opt);
    trainMs += performance.now() - t0;
    if (s === 1) memoryAfterSecond = rt.arena.memoryBytes();
  }
  return {
    firstLoss, lastLoss,
    samplesPerSecond: ((steps - 1) * BATCH) / (trainMs / 1e3),
    liveAfterFirst, liveAfterLast: rt.arena.liveByCategory(),
    memoryAfterFirst, memoryAfterSecond, memoryAfterLast: rt.arena.memoryBytes(),
  };
}
