/**
 * The training-step benchmark as a document (`wasmgrad bench train --json`)
 * and as the table people read, drawn from the same document.
 *
 * JSON fields (stable; new ones may be added):
 *   format             "wasmgrad.bench.train/1"
 *   network, batch, lr { sgd, adam }, gemmMacsPerStep
 *   threads            the threads the wasmgrad rates ran on (--threads); threadsNote: why fewer than asked, or null
 *   rows[]             optimizer ("sgd" | "adam"), wasmgrad { samplesPerSecond, msPerStep } (on `threads` threads),
 *                      "wasmgrad-1thread" { samplesPerSecond, msPerStep } (one thread; with threads 1 the same
 *                      measurement), speedup (wasmgrad/"wasmgrad-1thread" samples/s),
 *                      "tfjs-wasm" { samplesPerSecond, msPerStep } | null, ratio ("wasmgrad-1thread"/tfjs samples/s:
 *                      the peers run on one thread), gemmMsPerStep (the step's five GEMMs alone, on `threads`
 *                      threads, timed in turns with the row's steps), stepOverGemm, outsideGemm (fraction), gflops (2 x GEMM MACs / step time),
 *                      firstLoss { wasmgrad, "tfjs-wasm" }, pytorch { samplesPerSecond, msPerStep } | null,
 *                      ratioPytorch ("wasmgrad-1thread"/pytorch samples/s),
 *                      steady { steps, firstSamplesPerSecond, lastSamplesPerSecond, ratio } | null (a fresh
 *                      model trained for `steps` steps, a quarter of the pixels dark after the first: rates
 *                      of the first and the last 500 steps, timed in turns)
 *   pytorch            { available: true, version, python, threads, blas { name, libraries, core, forced }, flushDenormal }
 *                      | { available: false, reason }
 *   "ort-web"          { available: false, reason }: onnxruntime-web's package has no training API
 */
import { pytorchInfo, pytorchSetting, type PytorchInfo, type PytorchPeer } from '../bench/pytorch-result.js';
import type { StepRate, TrainBenchResult, TrainBenchRow } from '../bench/train-bench.js';
import { formatInteger } from '../estimate/units.js';

export type BenchTrainDocument = { format: 'wasmgrad.bench.train/1' } & Omit<TrainBenchResult, 'rows'> & {
  rows: (TrainBenchRow & { pytorch: StepRate | null; ratioPytorch: number | null })[];
  pytorch: PytorchInfo;
};

/** The document of a training-step benchmark run, with PyTorch's run of the same steps when it was measured. */
export function benchTrainDocument(result: TrainBenchResult, pytorch: PytorchPeer = { available: false, reason: 'not measured' }): BenchTrainDocument {
  const rows = result.rows.map((row) => {
    const t = pytorch.available ? pytorch.train.find((p) => p.optimizer === row.optimizer) : undefined;
    const rate = t ? { samplesPerSecond: t.samplesPerSecond, msPerStep: t.msPerStep } : null;
    return { ...row, pytorch: rate, ratioPytorch: rate ? row['wasmgrad-1thread'].samplesPerSecond / rate.samplesPerSecond : null };
  });
  return { format: 'wasmgrad.bench.train/1', ...result, rows, pytorch: pytorchInfo(pytorch) };
}

/** The train table: samples/s as whole numbers with thousands separators; ends with a newline like every table. */
export function renderBenchTrainTable(r: BenchTrainDocument): string {
  const f = (v: number | null | undefined, d = 0) => (v === null || v === undefined ? 'n/a' : d === 0 ? formatInteger(Math.round(v)) : v.toFixed(d));
  // With one thread, one measurement: printed once.
  const threaded = r.threads > 1;
  const lines = [
    `wasmgrad bench train: ${r.network}, batch ${r.batch}; samples/s (median step time), ${threaded ? `wasmgrad on ${r.threads} threads and on 1` : 'one thread'}`,
    `${'optimizer'.padEnd(10)}${threaded ? `${`${r.threads} threads`.padStart(12)}${'1 thread'.padStart(12)}${'speedup'.padStart(9)}` : 'wasmgrad'.padStart(12)}${'tfjs-wasm'.padStart(12)}${'ratio'.padStart(8)}${'pytorch'.padStart(10)}${'ratio'.padStart(8)}` +
      `${'step/GEMM'.padStart(11)}${'outside GEMM'.padStart(14)}${'GFLOP/s'.padStart(9)}`,
  ];
  const x = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(2)}x`);
  for (const row of r.rows) {
    lines.push(
      `${row.optimizer.padEnd(10)}${f(row.wasmgrad.samplesPerSecond).padStart(12)}` +
        `${threaded ? `${f(row['wasmgrad-1thread'].samplesPerSecond).padStart(12)}${x(row.speedup).padStart(9)}` : ''}${f(row['tfjs-wasm']?.samplesPerSecond).padStart(12)}` +
        `${x(row.ratio).padStart(8)}${f(row.pytorch?.samplesPerSecond).padStart(10)}${x(row.ratioPytorch).padStart(8)}${row.stepOverGemm.toFixed(2).padStart(11)}` +
        `${`${(100 * row.outsideGemm).toFixed(1)}%`.padStart(14)}${row.gflops.toFixed(1).padStart(9)}`,
    );
  }
  for (const row of r.rows) {
    if (!row.steady) continue;
    const s = row.steady;
    lines.push(`  steady state, ${row.optimizer}: ${f(s.firstSamplesPerSecond)} samples/s over the first 500 steps, ${f(s.lastSamplesPerSecond)} over the last 500 of ${formatInteger(s.steps)} (${(100 * s.ratio).toFixed(0)}%)`);
  }
  lines.push(
    threaded
      ? `  threads: wasmgrad on ${r.threads} threads next to 1 (speedup = ${r.threads} threads / 1); tfjs-wasm and PyTorch run on one thread, so the ratios use wasmgrad's 1-thread rate`
      : `  threads: 1, one measurement of wasmgrad${r.threadsNote ? ` (${r.threadsNote})` : ''}; --threads N also measures it on N threads, next to 1`,
  );
  lines.push(
    r.pytorch.available
      ? `  pytorch ${r.pytorch.version}, ${pytorchSetting(r.pytorch)} (a child process timed by itself)`
      : `  pytorch: unavailable (${r.pytorch.reason})`,
  );
  lines.push(`  ort-web: unavailable (${r['ort-web'].reason})`);
  const gemmAlone = r.rows.map((row) => `${row.gemmMsPerStep.toFixed(3)} ms (${row.optimizer}'s turns)`).join(', ');
  lines.push(`  GEMM alone, timed in turns with the steps: ${gemmAlone} per step (${formatInteger(r.gemmMacsPerStep)} multiply-adds); lr sgd ${r.lr.sgd}, adam ${r.lr.adam}`);
  lines.push(`  first-step loss: ${r.rows.map((x) => `${x.optimizer} wasmgrad ${x.firstLoss.wasmgrad.toFixed(5)} / tfjs ${f(x.firstLoss['tfjs-wasm'], 5)}`).join('; ')}`);
  return `${lines.join('\n')}\n`;
}
