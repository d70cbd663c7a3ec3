/**
 * The GEMM benchmark as a document (`wasmgrad bench gemm --json`) and as the
 * table people read, drawn from the same document.
 *
 * JSON fields (stable; new ones may be added):
 *   format             "wasmgrad.bench.gemm/1"
 *   build, features    the core build that ran ("simd" | "relaxed" | "scalar") and { simd, relaxedSimd }
 *   gemmTile           the register tile its packed products ran ("2x16" | "6x8"; null in the scalar build)
 *   threads            the threads gflops.wasmgrad ran on (--threads); threadsNote: why fewer than asked, or null
 *   node, v8, cpu, cores, loadavg, date    the engine and machine (loadavg at the start: 1, 5, 15 min)
 *   statistic          "median": GFLOP/s = 2*m*n*k / median time of one call
 *   timeMs             time budget per implementation per shape, ms
 *   warmupMs           least warm-up per implementation per shape before timing, ms
 *   overheadNs         median time of an empty 0x0x0 core gemm call (JS-to-WASM overhead), ns
 *   peak               { gflops, chains, lanes, byChains: [{ chains, gflops }], remeasured, anomaly }: the peak
 *                      probe, measured again (longer) when a GEMM read above it; anomaly (else null) when one
 *                      still does, and then no ratio.peak is given
 *   peers              "tfjs-wasm": { available, reason, version, backend, simd, threads };
 *                      "ort-web": { available, reason, version, backend, threads, proxy };
 *                      pytorch: { available: true, version, python, threads, blas { name, libraries, core, forced }, flushDenormal }
 *                      | { available: false, reason }; js: { maxMacs }
 *   shapes[]           label, m, n, k, transA, transB, flops (2*m*n*k),
 *                      gflops { wasmgrad (on `threads` threads), "wasmgrad-1thread", peak, "tfjs-wasm", "ort-web",
 *                      pytorch, js } (null: not run; with threads 1 both wasmgrad keys hold the one measurement),
 *                      ratio { peak, tfjs, ort, pytorch: "wasmgrad-1thread" over each (the probe and the peers run
 *                      on one thread); speedup: wasmgrad/"wasmgrad-1thread" } (null: a side missing),
 *                      ms { wasmgrad, "wasmgrad-1thread", "tfjs-wasm", "ort-web", pytorch, js } (median per call),
 *                      samples { same keys }
 */
import { colours } from './colours.js';
import type { GemmBenchResult } from '../bench/gemm-bench.js';
import { formatInteger } from '../estimate/units.js';
import { pytorchSetting } from '../bench/pytorch-result.js';

export type BenchGemmDocument = { format: 'wasmgrad.bench.gemm/1' } & GemmBenchResult;

/** The document of a GEMM benchmark run. */
export function benchGemmDocument(result: GemmBenchResult): BenchGemmDocument {
  return { format: 'wasmgrad.bench.gemm/1', ...result };
}

const fixed1 = (x: number | null) => (x === null ? '' : x.toFixed(1));
const percent = (x: number | null) => (x === null ? '' : `${(100 * x).toFixed(0)}%`);
const times = (x: number | null) => (x === null ? '' : `${x.toFixed(2)}x`);

/** The table: GFLOP/s per implementation (1 decimal) and wasmgrad's ratios, then what it ran on. */
export function renderBenchGemmTable(r: BenchGemmDocument, colour = false): string {
  const c = colours(colour);
  const { 'tfjs-wasm': tfjs, 'ort-web': ort, pytorch } = r.peers;
  // With one thread, one measurement: printed once.
  const threaded = r.threads > 1;
  const wasmgradHeader = threaded ? [`${r.threads} threads`, '1 thread', 'speedup'] : ['wasmgrad'];
  const header = ['shape', ...wasmgradHeader, 'peak', 'tfjs-wasm', 'ort-web', 'pytorch', 'js', 'wasmgrad/peak', '/tfjs', '/ort', '/pytorch'];
  const peerCell = (available: boolean, x: number | null) => (available ? fixed1(x) : 'n/a');
  const rows = r.shapes.map((s) => [
    s.label,
    fixed1(s.gflops.wasmgrad),
    ...(threaded ? [fixed1(s.gflops['wasmgrad-1thread']), times(s.ratio.speedup)] : []),
    fixed1(s.gflops.peak),
    peerCell(tfjs.available, s.gflops['tfjs-wasm']),
    peerCell(ort.available, s.gflops['ort-web']),
    peerCell(pytorch.available, s.gflops.pytorch),
    s.gflops.js === null ? 'skipped' : fixed1(s.gflops.js),
    percent(s.ratio.peak),
    times(s.ratio.tfjs),
    times(s.ratio.ort),
    times(s.ratio.pytorch),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const lines = [
    c.bold(`wasmgrad bench gemm: GFLOP/s (2*M*N*K / median time per call), ${r.build} build${r.gemmTile ? ` (tile ${r.gemmTile})` : ''}, ${threaded ? `wasmgrad on ${r.threads} threads and on 1` : 'one thread'}`),
    c.bold(line(header)),
    ...rows.map((row, i) => {
      const text = line(row);
      const ratio = r.shapes[i].ratio.tfjs;
      return ratio === null ? text : ratio >= 1 ? c.green(text) : c.yellow(text);
    }),
    '',
    `  peak      ${r.peak.gflops.toFixed(1)} GFLOP/s with ${r.peak.chains} independent ${r.peak.lanes === 1 ? 'scalar' : 'v128'} multiply-add chains ` +
      `(${r.peak.byChains.map((p) => `${p.chains}: ${p.gflops.toFixed(1)}`).join(', ')}); no memory traffic` +
      (r.peak.remeasured ? `; measured ${r.peak.remeasured + 1} times because a GEMM read above it` : ''),
    ...(r.peak.anomaly ? [`  anomaly   ${r.peak.anomaly}`] : []),
    threaded
      ? `  threads   wasmgrad on ${r.threads} threads next to 1 thread (speedup = ${r.threads} threads / 1); the peak probe and the peers run on one thread, so the ratios use wasmgrad's 1-thread figure`
      : `  threads   1: one measurement of wasmgrad${r.threadsNote ? ` (${r.threadsNote})` : ''}; --threads N also measures it on N threads, next to 1`,
    `  overhead  ${r.overheadNs.toFixed(1)} ns per empty (0x0x0) gemm call from JS`,
    '  resident  each call leaves C where its library keeps it (wasmgrad: a Tensor in WASM memory), as a chain of products would; only ort-web copies C out',
    tfjs.available
      ? `  tfjs-wasm ${tfjs.version}, backend ${tfjs.backend}, ${tfjs.simd ? 'SIMD' : 'no SIMD'}, ${tfjs.threads} thread(s) ` +
        '(the WASM backend cannot start threads under Node), tf.matMul with the same transposes, C left in its heap'
      : `  tfjs-wasm not measured: ${tfjs.reason}`,
    ...(tfjs.available && r.shapes.some((s) => s.transA || s.transB)
      ? ['            on rows marked ᵀ, tfjs-wasm\'s tf.matMul(a, b, transposeA, transposeB) runs a much slower path than untransposed; ' +
          'the ratio compares the call as written']
      : []),
    ort.available
      ? `  ort-web   ${ort.version}, ${ort.backend} backend, ${ort.threads} thread, ${ort.proxy ? 'proxy worker' : 'no proxy'}: ` +
        'an ONNX Gemm node with the same transposes; each session.run copies A and B into its heap and C out (awaited)'
      : `  ort-web   not measured: ${ort.reason}`,
    pytorch.available
      ? `  pytorch   ${pytorch.version}, ${pytorchSetting(pytorch)}; torch.mm into a preallocated C, ` +
        'a child process timed by itself right after (same warm-up and batching)'
      : `  pytorch   not measured: ${pytorch.reason}`,
    `  js        plain triple loop on Float32Array${r.peers.js.maxMacs === null ? '' : `, skipped above ${formatInteger(r.peers.js.maxMacs)} multiply-adds (--all-js runs it everywhere)`}`,
    `  engine    Node ${r.node}, V8 ${r.v8}, ${r.cpu}, ${r.cores} cores, load ${r.loadavg.join(' ')}, ${r.date}`,
    `  timing    tinybench, in turns: ${formatInteger(Math.round(r.timeMs))} ms per implementation per shape after at least ${formatInteger(Math.round(r.warmupMs))} ms of warm-up; numbers move with machine load`,
  ];
  return `${lines.join('\n')}\n`;
}
