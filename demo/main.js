// The wasmgrad demo page: GEMM MAC throughput against the peak probe, drawn with
// the same chart the command-line report uses, and (once the training API is
// exported) the training-memory profile of a network the visitor chooses.
// Plain JavaScript modules, no bundler: the page loads in one round of requests.

import { init, gemm, Tensor } from 'wasmgrad';
// The chart renderer is a pure string builder shared with the Node reports; it
// is not a public export of the package, so the demo loads it by path.
import { renderThroughputSvg } from '../dist/src/report/throughput-svg.js';

const BUILD_CHOICES = ['auto', 'relaxed', 'simd', 'scalar'];

/** GEMM shapes measured: square sizes, and one dense layer (batch 64, 784 -> 128). */
const SHAPES = [
  { m: 128, n: 128, k: 128 },
  { m: 256, n: 256, k: 256 },
  { m: 512, n: 512, k: 512 },
  { m: 64, n: 128, k: 784, note: 'dense layer, batch 64' },
];

/** Wall time spent measuring each GEMM shape and each peak-probe variant. */
const GEMM_BUDGET_MS = 300;
const PEAK_BUDGET_MS = 100;
/**
 * Calls are timed in batches at least this long: without cross-origin isolation
 * a page's clock ticks in 0.1 ms steps, longer than one small GEMM.
 */
const MIN_BATCH_MS = 10;
/** Probe iterations per call: 2^16 iterations of 8-12 chains, a few tens of microseconds. */
const PEAK_ITERS = 1 << 16;

const $ = (id) => document.getElementById(id);

function requestedBuild() {
  const build = new URLSearchParams(location.search).get('build') ?? 'auto';
  if (!BUILD_CHOICES.includes(build)) {
    throw new Error(`?build= must be one of ${BUILD_CHOICES.join(', ')}; got ${JSON.stringify(build)}`);
  }
  return build;
}

/** Lets the browser paint (status text) between measurements. */
const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

function timeBatch(fn, calls) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return performance.now() - t0;
}

/** The fastest time per call of fn, in ms, over batches timed for about budgetMs (at least 3 batches). */
function fastestCall(fn, budgetMs) {
  fn(); // warm-up: compilation tiers, first-touch of memory
  let calls = 1;
  while (timeBatch(fn, calls) < MIN_BATCH_MS) calls *= 2;
  let fastest = Infinity;
  const start = performance.now();
  for (let batch = 0; batch < 3 || performance.now() - start < budgetMs; batch++) {
    fastest = Math.min(fastest, timeBatch(fn, calls) / calls);
  }
  return fastest;
}

/**
 * The arithmetic ceiling: the best multiply-add rate of the register-only probe
 * over 8, 10 and 12 independent chains of 4-lane vectors (scalar builds always
 * run 8 scalar chains). MACs per call = iters * chains * lanes.
 */
function measurePeak(rt) {
  const scalar = rt.build === 'scalar';
  const lanes = scalar ? 1 : 4;
  let best = { gmacs: 0, chains: 0 };
  for (const chains of scalar ? [8] : [8, 10, 12]) {
    const ms = fastestCall(() => rt.core.peakProbe(chains, PEAK_ITERS), PEAK_BUDGET_MS);
    const gmacs = (PEAK_ITERS * chains * lanes) / (ms * 1e6);
    if (gmacs > best.gmacs) best = { gmacs, chains };
  }
  return best;
}

function randomValues(count) {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = Math.random() * 2 - 1;
  return values;
}

/** One GEMM shape on operands that stay in WASM memory; MACs as counted by the core. */
function measureGemm(rt, { m, n, k }) {
  const a = Tensor.from(rt, randomValues(m * k), [m, k]);
  const b = Tensor.from(rt, randomValues(k * n), [k, n]);
  const c = Tensor.empty(rt, [m, n]);
  try {
    rt.resetMacs();
    gemm(rt, m, n, k, a, b, c);
    const macsPerCall = Number(rt.macs());
    const ms = fastestCall(() => gemm(rt, m, n, k, a, b, c), GEMM_BUDGET_MS);
    return { macsPerCall, ms, gmacs: macsPerCall / (ms * 1e6) };
  } finally {
    for (const t of [a, b, c]) t.free();
  }
}

const shapeLabel = ({ m, n, k, note }) => `${m}×${n}×${k}${note ? ` (${note})` : ''}`;
const fixed = (x, digits) => x.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function runThroughput(rt) {
  const status = $('throughput-status');
  document.body.dataset.benchmark = 'running';
  $('run-benchmark').disabled = true;
  try {
    status.textContent = 'Measuring the peak probe…';
    await nextFrame();
    const peak = measurePeak(rt);
    const results = [];
    for (const shape of SHAPES) {
      status.textContent = `Measuring GEMM ${shapeLabel(shape)}…`;
      await nextFrame();
      results.push({ shape, ...measureGemm(rt, shape) });
    }

    // GFLOP/s = 2 x GMAC/s. The peak is one measurement, drawn in every group as its ceiling.
    const rows = results.map((r) => ({
      shape: shapeLabel(r.shape),
      gflops: { wasmgrad: 2 * r.gmacs, peak: 2 * peak.gmacs },
    }));
    const chart = $('throughput-chart');
    const width = Math.max(480, Math.min(960, chart.clientWidth || 960));
    chart.innerHTML = renderThroughputSvg(rows, { width, title: `GEMM throughput, single thread, ${rt.build} build` });

    $('throughput-table').tBodies[0].replaceChildren(
      ...results.map((r) => {
        const tr = document.createElement('tr');
        for (const cell of [
          shapeLabel(r.shape),
          r.macsPerCall.toLocaleString('en'),
          `${fixed(r.ms * 1000, 0)} µs`,
          fixed(r.gmacs, 2),
          `${fixed((100 * r.gmacs) / peak.gmacs, 0)}%`,
        ]) {
          tr.append(Object.assign(document.createElement('td'), { textContent: cell }));
        }
        return tr;
      }),
    );
    $('throughput-table').hidden = false;
    status.textContent =
      `Peak probe: ${fixed(peak.gmacs, 2)} GMAC/s (${fixed(2 * peak.gmacs, 1)} GFLOP/s) ` +
      `with ${peak.chains} accumulator chains. GEMM: fastest call over ${GEMM_BUDGET_MS} ms per shape.`;
    document.body.dataset.benchmark = 'done';
  } catch (err) {
    status.textContent = `Benchmark failed: ${err.message}`;
    status.className = 'error';
    document.body.dataset.benchmark = 'failed';
  } finally {
    $('run-benchmark').disabled = false;
  }
}

// ---------------------------------------------------------------------------
// TRAINING MEMORY PROFILE: to be wired to the training API.
// readTrainingConfig() turns the controls into a network description; once
// wasmgrad exports the model, optimizers, training step and memory profiler,
// runTrainingProfile(rt, config) builds the network, trains it for
// config.steps steps, and draws the memory picture and throughput into
// #memory-chart. Until then the section says so and shows no numbers.
// ---------------------------------------------------------------------------

const OPTIMIZER_NAMES = { sgd: 'SGD', momentum: 'SGD with momentum', adam: 'Adam' };

function positiveInteger(name, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got ${JSON.stringify(text)}`);
  return value;
}

/** The network the visitor chose, or an Error that names the bad field. */
function readTrainingConfig() {
  const parts = $('layers').value.split(/[\s,]+/).filter(Boolean);
  if (parts.length < 2) throw new Error(`layer widths need at least an input and an output width, got ${JSON.stringify($('layers').value)}`);
  return {
    layers: parts.map((p, i) => positiveInteger(`layer width ${i + 1}`, p)),
    batch: positiveInteger('batch', $('batch').value),
    optimizer: $('optimizer').value,
    steps: positiveInteger('steps', $('steps').value),
  };
}

function showTrainingStatus() {
  const status = $('training-status');
  try {
    const c = readTrainingConfig();
    status.className = 'unavailable';
    status.textContent =
      `${c.layers.join(' → ')}, batch ${c.batch}, ${OPTIMIZER_NAMES[c.optimizer]}, ${c.steps} steps: ` +
      'not available in this build yet. Training and the memory profiler are not exported by this version of wasmgrad.';
  } catch (err) {
    status.className = 'error';
    status.textContent = err.message;
  }
}

async function main() {
  const build = requestedBuild();
  $('build').value = build;
  $('build').addEventListener('change', () => {
    location.search = `?build=${encodeURIComponent($('build').value)}`;
  });
  $('training-form').addEventListener('input', showTrainingStatus);
  $('training-form').addEventListener('submit', (e) => e.preventDefault());
  showTrainingStatus();

  const rt = await init({ build });
  $('runtime').textContent = `${rt.describe()}${build === 'auto' ? ', picked automatically' : ', as requested'}`;
  document.body.dataset.build = rt.build;
  $('throughput-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void runThroughput(rt);
  });
  await runThroughput(rt);
}

main().catch((err) => {
  $('runtime').textContent = `failed to start: ${err.message}`;
  $('runtime').className = 'error';
  document.body.dataset.benchmark = 'failed';
});
