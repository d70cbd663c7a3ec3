// The GEMM suite as a standalone tinybench entry, for quick runs while tuning
// the kernel without the CLI: prints one row per shape as console.table.
//
//   npm run build && node dist/bench/gemm.bench.js [timeMs] [size,size,...]
//
// The full report (peers' details, JSON) is `wasmgrad bench gemm`; both use
// runGemmBench from src/bench/gemm-bench.ts.

import { DEFAULT_SQUARE_SIZES, MLP_TRAINING_SHAPES, runGemmBench, squareShapes } from '../src/bench/gemm-bench.js';
import { init } from '../src/runtime.js';

const [timeArg, sizesArg] = process.argv.slice(2);
const timeMs = timeArg === undefined ? 500 : Number(timeArg);
const sizes = sizesArg === undefined ? DEFAULT_SQUARE_SIZES : sizesArg.split(',').map(Number);

const rt = await init();
const report = await runGemmBench(rt, {
  shapes: [...squareShapes(sizes), ...MLP_TRAINING_SHAPES],
  timeMs,
  onProgress: (m) => process.stderr.write(`${m}\n`),
});
const gf = (x: number | null) => (x === null ? null : Number(x.toFixed(1)));
console.log(`${rt.describe()}; GFLOP/s from the median call; peak ${report.peak.gflops.toFixed(1)} (${report.peak.chains} chains); overhead ${report.overheadNs.toFixed(0)} ns`);
console.table(
  report.shapes.map((s) => ({
    shape: s.label,
    wasmgrad: gf(s.gflops.wasmgrad),
    'tfjs-wasm': gf(s.gflops['tfjs-wasm']),
    js: gf(s.gflops.js),
    'of peak': s.ratio.peak === null ? null : `${(100 * s.ratio.peak).toFixed(0)}%`,
    'vs tfjs': s.ratio.tfjs === null ? null : `${s.ratio.tfjs.toFixed(2)}x`,
  })),
);
