// `wasmgrad` with no subcommand: the main job on the built-in default, the
// classic MNIST network 784-100-10 (ReLU, batch 64, Adam). It prints the
// memory profile (measured and estimated), the reference example's MACs and
// data movement, a short MAC-throughput measurement next to the peak probe,
// and a short training run, then writes a self-contained HTML report.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MLP_TRAINING_SHAPES, runGemmBench, squareShapes } from '../bench/gemm-bench.js';
import { Random } from '../nn/random.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../optim/adam.js';
import { profileMlp } from '../profile/profile-mlp.js';
import { renderMacThroughput, renderMainJobHeader, renderReferenceExample, renderTrainingRun, type MainJobNetwork, type TrainingRunSummary } from '../report/main-job-report.js';
import { profileDocument, profileHtml, renderProfileTable } from '../report/profile-report.js';
import { init, type Runtime } from '../runtime.js';
import { intInRange, mlpLayers, outputFile, threadsOption, useColour } from './options.js';

const SIZES = [784, 100, 10];
const BATCH = 64;
const NETWORK: MainJobNetwork = { sizes: SIZES, batch: BATCH };
/** At about 1,500 steps/s, the cap is about a minute of training: the main job is a demonstration. */
export const MAX_TRAIN_STEPS = 100_000;

interface MainOptions {
  report: string;
  trainSteps: number;
  threads?: number;
}

export function registerMainJob(program: Command): Command {
  return program
    .option('--report <file>', 'where the main job writes its HTML report', 'wasmgrad-report.html')
    // Step 1 allocates gradients and optimizer state; samples/s is timed over the steps after it.
    .option('--train-steps <n>', `training steps of the main job (2 to ${MAX_TRAIN_STEPS.toLocaleString('en-US')})`, intInRange(2, MAX_TRAIN_STEPS), 300)
    .addOption(threadsOption())
    .action(async (o: MainOptions) => {
      await mainJob(o);
    });
}

async function mainJob(o: MainOptions): Promise<void> {
  const reportPath = outputFile('--report', o.report);
  const colour = useColour();
  const log = (s = '') => process.stdout.write(`${s}\n`);
  const layers = mlpLayers(SIZES, 'relu');
  const rt = await init({ threads: o.threads });
  for (const line of renderMainJobHeader(NETWORK, rt.describe(), colour)) log(line);

  // 1. Training memory: two real steps in a fresh instance, next to the estimate.
  const profile = await profileMlp({ layers, batch: BATCH, optimizer: 'adam', seed: 1, threads: rt.threads });
  log(renderProfileTable(profileDocument(profile, layers), colour));
  log();

  // 2. The reference example, spelled out.
  for (const line of renderReferenceExample(NETWORK, colour)) log(line);

  // 3. MAC throughput of the kernels, next to the peak probe (short run; `wasmgrad bench` for the full one).
  process.stderr.write('measuring MAC throughput ...\n');
  const bench = await runGemmBench(rt, {
    shapes: [...MLP_TRAINING_SHAPES, ...squareShapes([256])],
    timeMs: 200,
    peakTimeMs: 150,
    jsMaxMacs: 0,
    tfjs: false,
    ort: false,
    pytorch: false,
  });
  for (const line of renderMacThroughput(bench, colour)) log(line);

  // 4. A short training run: real memory in use, and it stays flat.
  const train = trainRun(await init({ fresh: true, threads: rt.threads }), o.trainSteps);
  for (const line of renderTrainingRun(train, colour)) log(line);

  const throughput = bench.shapes.map((s) => ({ shape: s.label, gflops: { wasmgrad: s.gflops.wasmgrad, peak: s.gflops.peak } }));
  writeFileSync(reportPath, profileHtml(profile, layers, throughput, { 'training run': `${o.trainSteps} steps, ${Math.round(train.samplesPerSecond)} samples/s` }));
  log(`report: ${reportPath}`);
}

function trainRun(rt: Runtime, steps: number): TrainingRunSummary {
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
    steps, firstLoss, lastLoss,
    samplesPerSecond: ((steps - 1) * BATCH) / (trainMs / 1e3),
    liveAfterFirst, liveAfterLast: rt.arena.liveByCategory(),
    memoryAfterFirst, memoryAfterSecond, memoryAfterLast: rt.arena.memoryBytes(),
  };
}
