/**
 * `wasmgrad serve-check`: inference latency of an MLP against a p99 target.
 * Runs --requests forward passes (`predict` on a batch of seeded uniform [0, 1)
 * inputs, a fresh batch per request, prepared outside the timed span), one
 * after another, after --warmup untimed ones.
 *
 *   wasmgrad serve-check [--layers 784,100,10] [--activation relu] [--batch 1] [--requests 1000]
 *                        [--warmup 100] [--slo-p99-ms X] [--weights FILE] [--seed 1] [--build auto] [--threads N] [--json]
 *
 * With --weights (a `wasmgrad train --save` file, or safetensors from PyTorch)
 * the model is the file's; --layers and --activation, if also given, must
 * agree with it (and give the layers of a file that does not say them). Otherwise the
 * model is --layers with the default initialisation from --seed (latency
 * does not depend on the values).
 *
 * Percentiles are nearest-rank (Hyndman & Fan 1996, definition 1): p is the
 * sample at rank ceil(p/100 * n), always an observed latency. Throughput is
 * serial: requests / sum of latencies.
 *
 * Exit codes: 0 the SLO holds or none was given; 1 p99 is above --slo-p99-ms;
 * 2 a bad option or weights file, or a model or batch that WASM memory cannot
 * hold (one line on stderr as `error: ...`).
 *
 * With --json, one JSON document on stdout: the ServeCheckDocument of
 * src/report/serve-check-document.ts (format "wasmgrad.serve-check/1").
 */

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { WASM32_MAX_BYTES } from '../arena.js';
import { ArgumentError, OutOfMemoryError } from '../errors.js';
import { formatInteger } from '../estimate/units.js';
import type { ActivationKind, LayerSpec } from '../nn/layers.js';
import { Random } from '../nn/random.js';
import { Sequential } from '../nn/sequential.js';
import { describeLayers } from '../nn/layers.js';
import { init, type BuildName } from '../runtime.js';
import { MAX_REQUESTS, p99Holds, summarizeLatencies, throughputOf, timeRequests } from '../serve/latency.js';
import { Monitor } from '../monitor/monitor.js';
import { parseSlo } from '../monitor/slo.js';
import { describeSizes, modelFromWeights, readWeights } from '../train/weights-file.js';
import { renderServeCheckTable, serveCheckDocument } from '../report/serve-check-document.js';
import {
  ACTIVATION_HELP, activationKind, BUILD_HELP, buildChoice, intInRange, intList, mlpLayers, positiveInt, positiveNumber, seedValue, threadsOption, useColour,
} from './options.js';

interface ServeCheckOptions {
  layers: number[];
  activation: ActivationKind;
  batch: number;
  requests: number;
  warmup: number;
  sloP99Ms?: number;
  slo: string[];
  window: number;
  weights?: string;
  seed: number;
  build: BuildName | 'auto';
  threads?: number;
  json: boolean;
}

export function registerServeCheckCommand(program: Command): Command {
  return program
    .command('serve-check')
    .description('inference latency percentiles (p50, p90, p99, max) and throughput of an MLP, checked against a p99 SLO')
    .option('--layers <sizes>', 'layer sizes, input to output', intList, [784, 100, 10])
    .option('--activation <kind>', ACTIVATION_HELP, activationKind, 'relu')
    .option('--batch <n>', 'samples per request', positiveInt, 1)
    .option('--requests <n>', `timed requests (1 to ${formatInteger(MAX_REQUESTS)})`, intInRange(1, MAX_REQUESTS), 1000)
    .option('--warmup <n>', `untimed requests first (0 to ${formatInteger(MAX_REQUESTS)})`, intInRange(0, MAX_REQUESTS), 100)
    .option('--slo-p99-ms <ms>', 'latency target: exit 1 when p99 is above it', positiveNumber)
    .option('--slo <objective>', 'an objective in the syntax of `wasmgrad monitor`, e.g. "latency.p99 < 5ms @ 99%", over windows of --window ms (repeatable; exit 1 when one fails)', (v: string, all: string[]) => [...all, parseSlo(v).text], [] as string[])
    .option('--window <ms>', 'window of the --slo objectives, ms', positiveNumber, 100)
    .option('--weights <file>', 'weights saved by `wasmgrad train --save` or PyTorch: safetensors, or JSON for a .json name (default: initialisation from --seed)')
    .option('--seed <n>', 'initialisation and input seed (0 to 4294967295)', seedValue, 1)
    .option('--build <name>', BUILD_HELP, buildChoice, 'auto')
    .addOption(threadsOption())
    .option('--json', 'print one JSON document on stdout', false)
    .action(async (o: ServeCheckOptions, command: Command) => {
      // A bad value throws a typed error: one line, exit 2.
      const rt = await init({ build: o.build, threads: o.threads });
      const build: BuildName = rt.build;
      let model: Sequential, weightsPath: string | null = null;
      if (o.weights !== undefined) {
        weightsPath = resolve(o.weights);
        const explicit = ['layers', 'activation'].some((k) => command.getOptionValueSource(k) === 'cli');
        const given = explicit ? mlpLayers(o.layers, o.activation) : undefined;
        // A bare state dict (saved by PyTorch alone) takes its layers from the options.
        const file = readWeights(weightsPath, { layers: given });
        if (given) checkLayersAgree(given, file.layers, weightsPath);
        model = modelFromWeights(rt, file);
      } else {
        model = new Sequential(rt, mlpLayers(o.layers, o.activation), { seed: o.seed });
      }
      checkRequestFits(o.batch, model.inFeatures);

      const rng = new Random(o.seed);
      const x = new Float32Array(o.batch * model.inFeatures);
      // The same Monitor as `wasmgrad monitor`: every timed request is a prediction (its first row's class).
      const monitor = o.slo.length ? new Monitor({ windowMs: o.window, classes: model.outFeatures, slos: o.slo }) : null;
      let output: Float32Array = new Float32Array(0);
      const latencies = timeRequests(() => (output = model.predict(x)), {
        requests: o.requests,
        warmup: o.warmup,
        prepare: () => { for (let i = 0; i < x.length; i++) x[i] = rng.uniform(0, 1); },
        after: monitor ? (i, start, latencyMs) => monitor.recordPrediction({ id: i, time: start, output: argmax(output, model.outFeatures), latencyMs }) : undefined,
      });
      const slos = monitor ? monitor.flush().slos : [];
      const latencyMs = summarizeLatencies(latencies);
      const throughput = throughputOf(latencyMs, o.batch);
      const slo = o.sloP99Ms === undefined ? null : { p99Ms: o.sloP99Ms, holds: p99Holds(latencyMs, o.sloP99Ms) };
      const sizes = layerSizes(model.layers);

      const doc = serveCheckDocument({
        layers: sizes, model: describeLayers(model.layers), weights: weightsPath, batch: o.batch, requests: o.requests, warmup: o.warmup,
        latencyMs, throughput, slo, slos, build, threads: rt.threads,
      });
      process.stdout.write(o.json ? `${JSON.stringify(doc, null, 2)}\n` : renderServeCheckTable(doc, { seed: o.seed, colour: useColour() }));
      if ((slo && !slo.holds) || slos.some((s) => !s.holds)) process.exitCode = 1;
    });
}

/** The class of the first row of `output` (rows of `classes`). */
function argmax(output: Float32Array, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (output[c]! > output[best]!) best = c;
  return best;
}

/** Sizes of the Linear chain: in of the first, then every out. */
function layerSizes(layers: readonly LayerSpec[]): number[] {
  const linears = layers.filter((l) => l.type === 'linear');
  return [linears[0]!.inFeatures, ...linears.map((l) => l.outFeatures)];
}

/** One request's input is copied into WASM memory: refuse a batch whose input alone cannot fit, before allocating it. */
function checkRequestFits(batch: number, inFeatures: number): void {
  const bytes = batch * inFeatures * 4;
  if (bytes >= WASM32_MAX_BYTES) {
    throw new OutOfMemoryError(
      `--batch ${batch}: one request's input is ${batch} x ${inFeatures} float32 = ${formatInteger(bytes)} bytes; ` +
        `WASM memory (wasm32) holds at most ${formatInteger(WASM32_MAX_BYTES)} bytes`,
    );
  }
}

function checkLayersAgree(asked: LayerSpec[], inFile: LayerSpec[], path: string): void {
  if (JSON.stringify(asked.map(widthsAndActivation)) !== JSON.stringify(inFile.map(widthsAndActivation))) {
    throw new ArgumentError(`--layers/--activation describe ${describeSizes(asked)} but ${path} holds ${describeSizes(inFile)}; drop them to use the file's layers`);
  }
}

/** Bias is not a serve-check option: compare widths and activations only. */
function widthsAndActivation(l: LayerSpec): unknown {
  return l.type === 'linear' ? [l.inFeatures, l.outFeatures] : [l.kind, l.slope];
}
