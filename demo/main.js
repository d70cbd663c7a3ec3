// The wasmgrad demo page: GEMM MAC throughput against the peak probe, drawn with
// the same chart the command-line report uses, and the training-memory profile
// of a network the visitor chooses, measured against its estimate, then trained.
// Plain JavaScript modules, no bundler: the page loads in one round of requests.

import { init, gemm, Tensor, CATEGORIES, Sequential, mlp, OPTIMIZERS, profileMlp, renderMemorySvg } from 'wasmgrad';
// The chart renderer is a pure string builder shared with the Node reports; it
// is not a public export of the package, so the demo loads it by path.
import { formatGflops, renderThroughputSvg } from '../dist/src/report/throughput-svg.js';
// The words every wasmgrad report uses for the peak, so this page says what the CLI and HTML report say.
import { AT_PEAK_NOTE, OWN_PEAKS_NOTE, PEAK_DEFINITION, RUNTIME_NOTE } from '../dist/src/report/types.js';

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

/**
 * The median time per call of fn, in ms, over batches timed for about budgetMs
 * (at least 5 batches): the statistic `wasmgrad bench` reports, less flattered
 * by a lucky batch than the fastest one.
 */
function medianCall(fn, budgetMs) {
  fn(); // warm-up: compilation tiers, first-touch of memory
  let calls = 1;
  while (timeBatch(fn, calls) < MIN_BATCH_MS) calls *= 2;
  const perCall = [];
  const start = performance.now();
  while (perCall.length < 5 || performance.now() - start < budgetMs) perCall.push(timeBatch(fn, calls) / calls);
  perCall.sort((a, b) => a - b);
  const mid = perCall.length >> 1;
  return perCall.length % 2 ? perCall[mid] : (perCall[mid - 1] + perCall[mid]) / 2;
}

/** GFLOP/s of `flops` floating-point operations done in `ms` milliseconds. */
const gflopsOf = (flops, ms) => flops / (ms * 1e6);

/**
 * The arithmetic ceiling: the register-only probe's rate over 8, 10 and 12
 * independent chains of 4-lane vectors (scalar builds always run 8 scalar
 * chains), the best chain count's median. 2 FLOP per multiply-add; multiply-adds
 * per call = iters * chains * lanes.
 */
function measurePeak(rt) {
  const scalar = rt.build === 'scalar';
  const lanes = scalar ? 1 : 4;
  let best = { gflops: 0, chains: 0 };
  for (const chains of scalar ? [8] : [8, 10, 12]) {
    const ms = medianCall(() => rt.core.peakProbe(chains, PEAK_ITERS), PEAK_BUDGET_MS);
    const gflops = gflopsOf(2 * PEAK_ITERS * chains * lanes, ms);
    if (gflops > best.gflops) best = { gflops, chains };
  }
  return best;
}

function randomValues(count) {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = Math.random() * 2 - 1;
  return values;
}

/** One GEMM shape on operands that stay in WASM memory; FLOPs = 2 x the multiply-adds the core counts (2*M*N*K). */
function measureGemm(rt, { m, n, k }) {
  const tensors = [];
  try {
    const a = Tensor.from(rt, randomValues(m * k), [m, k]);
    tensors.push(a);
    const b = Tensor.from(rt, randomValues(k * n), [k, n]);
    tensors.push(b);
    const c = Tensor.empty(rt, [m, n]);
    tensors.push(c);
    rt.resetMacs();
    gemm(rt, m, n, k, a, b, c);
    const flopsPerCall = 2 * Number(rt.macs());
    const ms = medianCall(() => gemm(rt, m, n, k, a, b, c), GEMM_BUDGET_MS);
    return { flopsPerCall, ms, gflops: gflopsOf(flopsPerCall, ms) };
  } finally {
    for (const t of tensors) t.free();
  }
}

const threadCount = (n) => `${n} thread${n === 1 ? '' : 's'}`;
const shapeLabel = ({ m, n, k, note }) => `${m}×${n}×${k}${note ? ` (${note})` : ''}`;
const fixed = (x, digits) => x.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function runThroughput(rt) {
  const status = $('throughput-status');
  status.className = 'muted';
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

    // The probe runs on one thread; the ceiling of a GEMM split over the runtime's threads is that many times it.
    const ceiling = peak.gflops * rt.threads;
    // The ceiling is one measurement, drawn in every group.
    const rows = results.map((r) => ({ shape: shapeLabel(r.shape), gflops: { wasmgrad: r.gflops, peak: ceiling } }));
    const chart = $('throughput-chart');
    const width = Math.max(480, Math.min(960, chart.clientWidth || 960));
    chart.innerHTML = renderThroughputSvg(rows, { width, title: `GEMM throughput, ${threadCount(rt.threads)}, ${rt.build} build` });

    $('throughput-table').tBodies[0].replaceChildren(
      ...results.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.flops = String(r.flopsPerCall);
        tr.dataset.ms = String(r.ms);
        for (const cell of [
          shapeLabel(r.shape),
          r.flopsPerCall.toLocaleString('en'),
          r.ms >= 1 ? `${fixed(r.ms, 2)} ms` : `${fixed(r.ms * 1000, 1)} µs`,
          formatGflops(r.gflops),
          `${fixed((100 * r.gflops) / ceiling, 0)}%`,
        ]) {
          tr.append(Object.assign(document.createElement('td'), { textContent: cell }));
        }
        return tr;
      }),
    );
    $('throughput-table').hidden = false;
    status.textContent =
      `Peak probe: ${formatGflops(peak.gflops)} GFLOP/s on one thread with ${peak.chains} accumulator chains` +
      (rt.threads > 1 ? `, a ceiling of ${formatGflops(ceiling)} GFLOP/s on ${threadCount(rt.threads)}. ` : '. ') +
      `Every figure is the median call time over about ${GEMM_BUDGET_MS} ms per GEMM shape (${PEAK_BUDGET_MS} ms per probe variant); ` +
      'GFLOP/s = 2·M·N·K / median time.';
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
// Training memory profile: profileMlp measures the visitor's network in a fresh
// WASM instance (every allocation logged) next to the analytic estimate; then
// the same network trains for a few steps in another fresh instance, so its
// memory numbers belong to this network alone.
// ---------------------------------------------------------------------------

// The optimizers, their labels and default learning rates come from the
// package's registry, as on the command line; the profile uses the same ones.

const MAX_WIDTH = 65536;
const MAX_BATCH = 65536;
const MAX_STEPS = 1000;
/** Training steps profileMlp runs (its default: two full batches). */
const PROFILE_STEPS = 2;
/**
 * Multiply-accumulates one run may cost, profile and training together, so
 * the page stays responsive: a few seconds at the tens of GFLOP/s one thread gets.
 */
const MAX_RUN_MACS = 2e10;
/** Steps are timed in chunks at least this long (the page's clock ticks in 0.1 ms steps)... */
const MIN_CHUNK_MS = 20;
/** ...whose synthetic batches, made before the chunk is timed, take at most this much JS memory. */
const MAX_CHUNK_DATA_BYTES = 32 * 1024 * 1024;
/** Losses shown in the table: the first, the last, and evenly spaced ones between. */
const LOSS_COLUMNS = 6;

const bytes = (n) => n.toLocaleString('en');

/** A whole number from 1 to max, or the message saying what is wrong with `text`. */
function wholeNumber(name, text, max) {
  const s = String(text).trim();
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > max) {
    return { error: `${name} must be a whole number from 1 to ${bytes(max)}, got ${JSON.stringify(text)}` };
  }
  return { value: Number(s) };
}

/** The fields of the training form, by element id. */
const TRAINING_FIELDS = ['layers', 'batch', 'optimizer', 'steps'];

/**
 * The network the visitor chose, or every problem with it at once:
 * { config } or { errors: [{ field, message }] }, field being the control's id.
 */
function readTrainingConfig() {
  const errors = [];
  const check = (field, result) => (result.error === undefined ? result.value : void errors.push({ field, message: result.error }));

  const text = $('layers').value;
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const widths = parts.map((p, i) => check('layers', wholeNumber(`layer width ${i + 1}`, p, MAX_WIDTH)));
  if (parts.length < 2) errors.push({ field: 'layers', message: `layer widths need at least an input and an output width, got ${JSON.stringify(text)}` });
  const batch = check('batch', wholeNumber('batch', $('batch').value, MAX_BATCH));
  const steps = check('steps', wholeNumber('training steps', $('steps').value, MAX_STEPS));
  const optimizer = $('optimizer').value;
  if (!Object.hasOwn(OPTIMIZERS, optimizer)) {
    errors.push({ field: 'optimizer', message: `optimizer must be one of ${Object.keys(OPTIMIZERS).join(', ')}; got ${JSON.stringify(optimizer)}` });
  }
  if (errors.length > 0) return { errors };

  let parameters = 0;
  for (let i = 0; i + 1 < widths.length; i++) parameters += widths[i] * widths[i + 1] + widths[i + 1];
  // Forward costs batch x parameters MACs, backward twice that (input and weight gradients).
  const macs = 3 * batch * parameters * (steps + PROFILE_STEPS);
  if (macs > MAX_RUN_MACS) {
    const message =
      `this run would cost ${macs.toExponential(1)} multiply-accumulates (3 × batch × ${bytes(parameters)} parameters × ` +
      `${steps + PROFILE_STEPS} steps); the demo stops at ${MAX_RUN_MACS.toExponential(0)} to keep the page responsive: ` +
      'use fewer steps, a smaller batch or narrower layers';
    return { errors: [{ field: null, message }] }; // no one field is wrong: their product is
  }
  const { label, lr } = OPTIMIZERS[optimizer];
  return { config: {
    // Linear(w0, w1), ReLU, Linear(w1, w2), ...: the CLI's --layers network.
    widths, layers: mlp(widths, 'relu'), batch, steps, optimizer, lr, parameters,
    describe: `${widths.join(' → ')}, batch ${batch}, ${label} (lr ${lr})`,
  } };
}

/** mulberry32: a small seeded generator, so every run sees the same data. */
function seededRandom(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A classification task with a known answer: each class has a random prototype
 * and a sample is its class's prototype, scaled, plus uniform noise in [-1, 1].
 * Every step draws fresh samples, so a falling loss is learning, not
 * memorising a few batches. Separability grows with sqrt(width), so the scale
 * shrinks with it and wide and narrow inputs are about equally hard.
 */
function syntheticTask(inFeatures, classes, seed) {
  const random = seededRandom(seed);
  const uniform = () => random() * 2 - 1;
  const prototypes = Float32Array.from({ length: classes * inFeatures }, uniform);
  const scale = Math.min(1, 8 / Math.sqrt(inFeatures));
  return (batch) => {
    const x = new Float32Array(batch * inFeatures);
    const labels = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const c = Math.floor(random() * classes);
      labels[i] = c;
      for (let k = 0; k < inFeatures; k++) x[i * inFeatures + k] = scale * prototypes[c * inFeatures + k] + uniform();
    }
    return { x, labels };
  };
}

function row(cells, className) {
  const tr = document.createElement('tr');
  if (className) tr.className = className;
  for (const cell of cells) {
    const td = document.createElement('td');
    if (typeof cell === 'object') Object.assign(td, cell);
    else td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

const agreement = (measured, estimated) =>
  measured === estimated ? { textContent: 'exact', className: 'same' } : { textContent: 'differs', className: 'differs' };

/** A note as a sentence: capitalised, with a full stop. */
const sentence = (text) => `${text[0].toUpperCase()}${text.slice(1)}.`;

/**
 * Measured vs estimated bytes per category, exact: each category's own peak,
 * then what it held at the peak (which sums to the peak row), then what stays
 * live. The peak is the one every wasmgrad report shows; the runtime is beside it.
 */
function showMemoryTable(profile) {
  const { measured, estimated } = profile;
  const sum = (perCategory) => CATEGORIES.reduce((s, c) => s + perCategory[c], 0);
  const withCategory = (tr, category) => {
    tr.dataset.category = category;
    return tr;
  };
  $('memory-table').tBodies[0].replaceChildren(
    ...CATEGORIES.map((c) =>
      withCategory(
        row([c, bytes(measured.peak[c]), bytes(estimated.peak[c]), agreement(measured.peak[c], estimated.peak[c]), bytes(measured.atPeak[c]), bytes(measured.live[c]), bytes(estimated.live[c])]),
        c,
      ),
    ),
    withCategory(
      row(['peak', bytes(measured.peakTotal), bytes(estimated.peakTotal), agreement(measured.peakTotal, estimated.peakTotal), bytes(sum(measured.atPeak)), bytes(sum(measured.live)), bytes(sum(estimated.live))], 'total'),
      'total',
    ),
    withCategory(row([{ textContent: 'runtime (not in the peak)', title: RUNTIME_NOTE }, bytes(measured.runtimeBytes), '–', '', '', '', '']), 'runtime'),
    row(['WASM memory', bytes(measured.memoryBytes), '–', '', '', '', '']),
  );
  $('memory-caption').textContent =
    `Bytes, over model construction and ${PROFILE_STEPS} training steps. ${sentence(PEAK_DEFINITION)} ${sentence(AT_PEAK_NOTE)} ` +
    `${sentence(OWN_PEAKS_NOTE)} Runtime: ${RUNTIME_NOTE}. Live: what stays after the last step.`;
}

/** Loss at the first step, the last, and evenly spaced steps between. */
function showLosses(losses) {
  const picks = [...new Set(Array.from({ length: LOSS_COLUMNS }, (_, i) => Math.round((i * (losses.length - 1)) / (LOSS_COLUMNS - 1))))];
  const header = (text) => Object.assign(document.createElement('th'), { textContent: text });
  const line = (title, cells) => {
    const tr = document.createElement('tr');
    tr.append(header(title), ...cells.map((c) => Object.assign(document.createElement('td'), { textContent: c })));
    return tr;
  };
  $('loss-table').tBodies[0].replaceChildren(
    line('step', picks.map((i) => String(i + 1))),
    line('loss', picks.map((i) => fixed(losses[i], 4))),
  );
}

/** Trains config's network for config.steps steps in its own WASM instance; reports losses, samples/s and memory. */
async function train(build, config, status) {
  const rt = await init({ build, fresh: true });
  const model = new Sequential(rt, config.layers, { seed: 0 });
  const optimizer = OPTIMIZERS[config.optimizer].make(config.lr);
  try {
    const nextBatch = syntheticTask(config.widths[0], config.widths[config.widths.length - 1], 1);
    const batchBytes = config.batch * (config.widths[0] + 1) * 4;
    const losses = [];
    let trainMs = 0;
    let chunk = 1;
    while (losses.length < config.steps) {
      const data = Array.from({ length: Math.min(chunk, config.steps - losses.length) }, () => nextBatch(config.batch));
      const t0 = performance.now();
      for (const { x, labels } of data) losses.push(model.trainStep(x, labels, optimizer));
      const ms = performance.now() - t0;
      trainMs += ms;
      if (ms < MIN_CHUNK_MS && 2 * chunk * batchBytes <= MAX_CHUNK_DATA_BYTES) chunk *= 2;
      status.textContent =
        `Training ${config.describe}: step ${losses.length} of ${config.steps}, loss ${fixed(losses[losses.length - 1], 4)}, ` +
        `WASM memory ${bytes(rt.memory.buffer.byteLength)} B`;
      await nextFrame();
    }
    return {
      losses,
      trainMs,
      samplesPerSecond: trainMs > 0 ? (config.steps * config.batch) / (trainMs / 1000) : null,
      wasmBytes: rt.memory.buffer.byteLength,
      liveBytes: rt.arena.live(),
      liveCategories: Object.entries(rt.arena.liveByCategory()).filter(([, b]) => b > 0).map(([c]) => c),
      peakBytes: rt.arena.peak(),
    };
  } finally {
    optimizer.dispose();
    model.dispose();
    rt.dispose(); // its workers: this instance is done
  }
}

async function runTrainingProfile(build) {
  const status = $('training-status');
  const { config, errors } = readTrainingConfig();
  if (errors) {
    showFieldErrors(errors);
    document.body.dataset.training = 'failed';
    return;
  }
  document.body.dataset.training = 'running';
  // Results on screen always belong to the network named above them: none while this one runs.
  $('training-results').hidden = true;
  status.className = 'muted';
  try {
    status.textContent = `Profiling ${config.describe}…`;
    await nextFrame();
    const profile = await profileMlp({ layers: config.layers, batch: config.batch, optimizer: config.optimizer, lr: config.lr, build, seed: 0 });

    $('training-title').textContent = `${config.describe}: ${bytes(profile.parameters)} parameters, ${profile.build} build`;
    showMemoryTable(profile);
    const chart = $('memory-chart');
    const width = Math.max(480, Math.min(960, chart.clientWidth || 960));
    chart.innerHTML = renderMemorySvg(
      { events: profile.events, runtimeBytes: profile.measured.runtimeBytes },
      { width, title: `Live memory by training category: model construction, then ${PROFILE_STEPS} training steps` },
    );
    for (const id of ['training-throughput', 'wasm-memory']) $(id).textContent = '';
    $('loss-table').tBodies[0].replaceChildren();
    $('training-results').hidden = false;

    const run = await train(build, config, status);
    showLosses(run.losses);
    const throughput = $('training-throughput');
    throughput.replaceChildren();
    if (run.samplesPerSecond === null) {
      throughput.textContent = `${config.steps} steps of batch ${config.batch} took less than this page's clock resolution.`;
    } else {
      const sps = Object.assign(document.createElement('strong'), { id: 'samples-per-second', textContent: bytes(Math.round(run.samplesPerSecond)) });
      sps.dataset.value = String(run.samplesPerSecond);
      throughput.append(
        sps,
        ` samples/s: ${config.steps} steps of batch ${config.batch} in ${fixed(run.trainMs, 1)} ms of training ` +
          `(forward, backward and update; making the synthetic batches is not timed).`,
      );
    }
    const first = run.losses[0], last = run.losses[run.losses.length - 1];
    const peakNote = run.peakBytes === profile.measured.peakTotal ? 'the same as the profile measured' : `the profile measured ${bytes(profile.measured.peakTotal)} B`;
    $('wasm-memory').textContent =
      `WASM memory of the training instance: ${bytes(run.wasmBytes)} B; the allocator holds ${bytes(run.liveBytes)} B live ` +
      `(${run.liveCategories.join(', ')}) and peaked at ${bytes(run.peakBytes)} B while training, ${peakNote}.`;
    status.textContent =
      `Done: loss ${fixed(first, 4)} → ${fixed(last, 4)} over ${config.steps} steps on fresh synthetic batches ` +
      `(noisy class prototypes, ${config.widths[config.widths.length - 1]} classes).`;
    document.body.dataset.training = 'done';
  } catch (err) {
    showTrainingError(`Profile or training failed: ${err.message}`);
  }
}

function showTrainingError(message) {
  const status = $('training-status');
  status.className = 'error';
  status.textContent = message;
  document.body.dataset.training = 'failed';
}

/**
 * Every problem with the form at once: each bad control marked invalid, and
 * the status lists the messages (one message is a sentence, several a list).
 */
function showFieldErrors(errors) {
  for (const id of TRAINING_FIELDS) $(id).toggleAttribute('aria-invalid', errors.some((e) => e.field === id));
  const status = $('training-status');
  status.className = 'error';
  if (errors.length === 1) {
    status.textContent = errors[0].message;
    return;
  }
  const list = document.createElement('ul');
  list.append(...errors.map((e) => Object.assign(document.createElement('li'), { textContent: e.message })));
  status.replaceChildren(`${errors.length} problems to fix:`, list);
}

/** Checks the controls as the visitor types: every error, or what a run will do. */
function previewTrainingConfig() {
  const { config, errors } = readTrainingConfig();
  if (errors) {
    showFieldErrors(errors);
    return false;
  }
  for (const id of TRAINING_FIELDS) $(id).removeAttribute('aria-invalid');
  const status = $('training-status');
  status.className = 'muted';
  status.textContent = `Ready: ${config.describe}, ${config.steps} training steps.`;
  return true;
}

/**
 * One measurement at a time: the benchmark and training share the page's
 * thread, and each would slow the other's timings.
 */
let busy = false;

function configIsValid() {
  return readTrainingConfig().errors === undefined;
}

async function exclusively(task) {
  if (busy) return;
  busy = true;
  $('run-benchmark').disabled = $('run-training').disabled = $('build').disabled = true;
  try {
    await task();
  } finally {
    busy = false;
    $('run-benchmark').disabled = $('build').disabled = false;
    $('run-training').disabled = !configIsValid();
  }
}

/** The runtime the benchmark measures and whose build the profile and training use. */
let rt;

async function useBuild(build) {
  rt = await init({ build });
  $('runtime').textContent = `${rt.describe()}${build === 'auto' ? ', picked automatically' : ', as requested'}`;
  $('runtime').className = '';
  document.body.dataset.build = rt.build;
}

/**
 * Switches the build in place, without reloading: the network as edited stays
 * in the form, and both measurements run again with the new build. The URL
 * records the choice, so a reload or a shared link opens with it.
 */
async function switchBuild() {
  const build = $('build').value;
  try {
    await useBuild(build);
  } catch (err) {
    $('build').value = requestedBuild(); // the build still in use
    $('throughput-status').className = 'error';
    $('throughput-status').textContent = `Cannot switch to the ${build} build: ${err.message}`;
    return;
  }
  history.replaceState(null, '', `?build=${encodeURIComponent(build)}`);
  await runThroughput(rt);
  if (configIsValid()) await runTrainingProfile(rt.build);
}

async function main() {
  const build = requestedBuild();
  $('build').value = build;
  $('build').addEventListener('change', () => void exclusively(switchBuild));
  $('training-form').addEventListener('input', () => {
    const valid = previewTrainingConfig();
    $('run-training').disabled = busy || !valid;
  });
  $('training-form').addEventListener('submit', (e) => e.preventDefault());

  await useBuild(build);
  $('throughput-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void exclusively(() => runThroughput(rt));
  });
  $('training-form').addEventListener('submit', () => void exclusively(() => runTrainingProfile(rt.build)));
  // The default network runs once on load, after the benchmark, so the page opens complete.
  await exclusively(() => runThroughput(rt));
  await exclusively(() => runTrainingProfile(rt.build));
}

main().catch((err) => {
  $('runtime').textContent = `failed to start: ${err.message}`;
  $('runtime').className = 'error';
  document.body.dataset.benchmark = document.body.dataset.training = 'failed';
  $('training-status').className = 'error';
  $('training-status').textContent = 'Training needs the runtime, which failed to start (see above).';
});
