// wasmgrad in a real browser: headless Debian Chromium driven by playwright-core.
// The package is loaded the two ways a web page gets it (a Vite build that
// imports 'wasmgrad', and plain static files with an import map), each build
// is run on request, results are compared with Node's bit for bit, and the
// demo page is rendered and its chart checked in a screenshot.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableRelaxedSimdForTests } from './helpers/relaxed.js';
import { CHROMIUM_PATH, chromiumMissingReason, launchChromium, type Chromium } from './browser/chromium.js';
import { serveStatic, type StaticServer } from './browser/static-server.js';
import { buildBundledFixture, type BundledFixture } from './browser/vite-build.js';
// Plain-JS modules shared with the pages: the same computations, and the demo's own server.
import { computations, type ComputationResult } from './browser/fixtures/computations.js';
import { startDemoServer } from '../demo/serve.mjs';

// Node 20 validates relaxed SIMD only behind this flag; set before any module is compiled.
enableRelaxedSimdForTests();

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUILDS = ['relaxed', 'simd', 'scalar'] as const;
type Build = (typeof BUILDS)[number];
const SCREENSHOT_DIR = path.join(tmpdir(), 'wasmgrad-browser-tests');

/**
 * What is computed in Node and in each page and compared bit for bit, for each
 * build. Each name is a function in fixtures/computations.js; a new cross-platform
 * check is one function there and one line here.
 */
const CASES: { name: keyof typeof computations; params: Record<string, unknown> }[] = [
  // k > 256 and m, n off the 2x16 tile exercise the blocked and edge paths of the GEMM.
  { name: 'matmul', params: { seed: 20240611, m: 67, k: 300, n: 45 } },
  { name: 'trainingSteps', params: { seed: 7, inFeatures: 20, hidden: 33, classes: 5, batch: 16, steps: 3 } },
];

interface PageRecord {
  page: Page;
  /** Uncaught exceptions and console errors, in order. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

const missing = chromiumMissingReason();
const inCi = process.env.CI === 'true';
if (missing && !inCi) console.warn(`[browser tests skipped] ${missing}`);

if (missing && inCi) {
  describe('browser tests in CI', () => {
    it(`need Chromium at ${CHROMIUM_PATH}`, () => {
      throw new Error(`${missing}. In CI the browser tests must run, not skip.`);
    });
  });
}

describe.skipIf(missing !== null)('wasmgrad in headless Chromium', () => {
  let chromium: Chromium;
  // Each page is served twice: as a plain static host would (one thread), and cross-origin isolated (threads).
  let repoServer: StaticServer;
  let repoIsolated: StaticServer;
  let bundled: BundledFixture;
  let bundledServer: StaticServer;
  let bundledIsolated: StaticServer;
  let node: typeof import('../dist/src/index.js');

  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, 'dist', 'src', 'index.js'))) {
      throw new Error('dist/src/index.js is missing: the browser tests load the built package; run `npm run build` (npm test does)');
    }
    [chromium, repoServer, repoIsolated, bundled, node] = await Promise.all([
      launchChromium(),
      serveStatic(REPO_ROOT),
      serveStatic(REPO_ROOT, { isolated: true }),
      buildBundledFixture(),
      // The same built package the pages load.
      import('../dist/src/index.js'),
    ]);
    [bundledServer, bundledIsolated] = await Promise.all([serveStatic(bundled.outDir), serveStatic(bundled.outDir, { isolated: true })]);
  });

  afterAll(async () => {
    await chromium?.close();
    await Promise.all([repoServer, repoIsolated, bundledServer, bundledIsolated].map((server) => server?.close()));
    await bundled?.remove();
  });

  const pageUrl = {
    static: (isolated = false) => `${(isolated ? repoIsolated : repoServer).url}test/browser/fixtures/static/`,
    bundled: (isolated = false) => (isolated ? bundledIsolated : bundledServer).url,
  };

  async function openPage(url: string): Promise<PageRecord> {
    const page = await chromium.context.newPage();
    const record: PageRecord = { page, errors: [], requests: [] };
    page.on('pageerror', (err) => record.errors.push(`uncaught: ${err.message}`));
    page.on('console', (msg) => void (msg.type() === 'error' && record.errors.push(`console: ${msg.text()}`)));
    page.on('request', (req) => void record.requests.push(req.url()));
    await page.goto(url);
    return record;
  }

  /** Opens a fixture page and waits until its harness module has loaded (or says why it did not). */
  async function openHarness(kind: keyof typeof pageUrl, isolated = false): Promise<PageRecord> {
    const record = await openPage(pageUrl[kind](isolated));
    try {
      await record.page.waitForFunction(() => document.documentElement.dataset.harness === 'ready', null, { timeout: 10_000 });
    } catch {
      throw new Error(`the ${kind} fixture page never loaded wasmgrad; page errors: ${record.errors.join(' | ') || 'none'}`);
    }
    return record;
  }

  function runInPage(page: Page, name: string, params: unknown, wasmAsBytes = false): Promise<ComputationResult> {
    return page.evaluate(
      ([n, p, asBytes]) => (window as any).wasmgradHarness.run(n, p, { wasmAsBytes: asBytes }),
      [name, params, wasmAsBytes] as const,
    );
  }

  const nodeResults = new Map<string, Promise<ComputationResult>>();
  /** The computation run in this Node process, once per (case, build). */
  function runInNode(name: keyof typeof computations, params: Record<string, unknown>, build: Build): Promise<ComputationResult> {
    const key = JSON.stringify([name, params, build]);
    if (!nodeResults.has(key)) nodeResults.set(key, computations[name]!(node, { ...params, init: { build } }));
    return nodeResults.get(key)!;
  }

  function wasmRequests(record: PageRecord): string[] {
    return record.requests.filter((u) => u.endsWith('.wasm')).map((u) => path.basename(new URL(u).pathname));
  }

  it('the Vite build emits every core build and the worker script as assets and imports no Node module', async () => {
    const unhashed = (f: string) => f.replace(/-[\w-]{8}\.(wasm|js)$/, '.$1');
    const wasm = bundled.assets.filter((f) => f.endsWith('.wasm'));
    expect(wasm.map(unhashed).sort()).toEqual([
      'wasmgrad-relaxed-threads.wasm',
      'wasmgrad-relaxed.wasm',
      'wasmgrad-scalar.wasm',
      'wasmgrad-simd-threads.wasm',
      'wasmgrad-simd.wasm',
    ]);
    // The worker is its own file, bundled from src/threads/worker.js: not inlined as a data: URL.
    const js = bundled.assets.filter((f) => f.endsWith('.js'));
    expect(js.map(unhashed).sort()).toEqual(['index.js', 'worker.js']);
    const { readFile } = await import('node:fs/promises');
    for (const file of js) {
      const code = await readFile(path.join(bundled.outDir, 'assets', file), 'utf8');
      // node:fs/promises, node:os and node:worker_threads are imported dynamically, and only in Node.
      expect(code, `${file} imports a Node module statically`).not.toMatch(/(?:from|import)\s*["'`](?:node:)?(?:fs|path|url|os|worker_threads)(?:\/promises)?["'`]/);
      expect(code, `${file} inlines a script`).not.toContain('data:text/javascript');
    }
    const entry = await readFile(path.join(bundled.outDir, 'assets', js.find((f) => f.startsWith('index'))!), 'utf8');
    expect(entry, 'the entry refers to the emitted worker').toContain(js.find((f) => f.startsWith('worker'))!);
  });

  describe.each(['static', 'bundled'] as const)('%s page', (kind) => {
    it('loads wasmgrad, picks the best build Chromium validates, reports it, and fetches only that .wasm', async () => {
      const record = await openHarness(kind);
      try {
        const { features, autoBuild } = await record.page.evaluate(() => {
          const h = (window as any).wasmgradHarness;
          return { features: h.features, autoBuild: h.autoBuild };
        });
        const result = await runInPage(record.page, 'matmul', { init: {}, seed: 1, m: 4, k: 4, n: 4 });
        console.log(`[${kind} page] Chromium engine: SIMD ${features.simd}, relaxed SIMD ${features.relaxedSimd}; picked: ${result.describe}`);

        expect(features.simd).toBe(true);
        expect(result.build).toBe(autoBuild);
        expect(result.build).toBe(features.relaxedSimd ? 'relaxed' : 'simd');
        expect(result.describe).toContain(`${result.build} build`);
        // Chromium 130 and later run V8 13+, which keeps the 6x8 tile's accumulators in registers.
        const chromium = Number(/Chrom(?:e|ium)\/(\d+)/.exec(await record.page.evaluate(() => navigator.userAgent))?.[1]);
        expect(result.describe).toContain(`GEMM tile ${result.build === 'relaxed' && chromium >= 130 ? '6x8' : '2x16'})`);
        // Served without cross-origin isolation: one thread, and the reason is the missing headers.
        expect(result.describe).toContain(`${result.build} build, 1 thread (one thread: the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp))`);
        const fetched = wasmRequests(record);
        expect(fetched).toHaveLength(1);
        expect(fetched[0]).toMatch(new RegExp(`^wasmgrad-${result.build}[-.]`));
        // Everything came from the page's own origin: no CDN, no node: scheme, nothing else.
        const origin = new URL(pageUrl[kind]()).origin;
        expect(record.requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
        expect(record.errors).toEqual([]);
      } finally {
        await record.page.close();
      }
    });

    describe.each(CASES)('$name', ({ name, params }) => {
      it.each(BUILDS)('with the %s build equals the same computation in Node, bit for bit', async (build) => {
        const record = await openHarness(kind);
        try {
          const [inPage, inNode] = await Promise.all([runInPage(record.page, name, { ...params, init: { build } }), runInNode(name, params, build)]);
          expect(inPage.build, 'the build the page reports').toBe(build);
          expect(inNode.build, 'the build Node reports').toBe(build);
          expect(wasmRequests(record)).toEqual([expect.stringMatching(new RegExp(`^wasmgrad-${build}[-.]`))]);
          expect(inPage.inputDigest, 'inputs generated in the page and in Node').toBe(inNode.inputDigest);
          expect(new Set(inNode.bits).size, 'a non-constant result').toBeGreaterThan(1);
          const firstDifference = inPage.bits.findIndex((b, i) => b !== inNode.bits[i]);
          expect(firstDifference, `first differing element (page ${inPage.bits[firstDifference]?.toString(16)} vs Node ${inNode.bits[firstDifference]?.toString(16)})`).toBe(-1);
          expect(inPage.bits).toHaveLength(inNode.bits.length);
          expect(record.errors).toEqual([]);
        } finally {
          await record.page.close();
        }
      });
    });
  });

  /**
   * What threads split (assembly/threads.ts): GEMMs above the split threshold of
   * 131,072 multiply-adds (and one below it), Adam over an odd-sized block, and
   * training steps of the default network.
   */
  const THREADED = {
    seed: 31,
    gemms: [{ m: 257, n: 100, k: 65 }, { m: 512, n: 512, k: 512 }, { m: 31, n: 17, k: 9 }],
    adamSize: 100_003,
    adamSteps: 2,
    sgdSteps: 3,
    batch: 64,
  };

  describe.each(['static', 'bundled'] as const)('%s page served cross-origin isolated', (kind) => {
    it('runs threaded, bit-identical on 1, 2 and 3 threads and to Node; dispose() ends the workers', async () => {
      const record = await openHarness(kind, true);
      const { page } = record;
      let started = 0;
      page.on('worker', () => void started++);
      try {
        expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
        const results: ComputationResult[] = [];
        for (const threads of [1, 2, 3]) {
          const result = await runInPage(page, 'threadedKernels', { ...THREADED, init: { threads } });
          results.push(result);
          expect(result.threads, result.describe).toBe(threads);
          expect(result.describe).toContain(`build, ${threads} thread${threads === 1 ? '' : 's'} (engine:`);
          if (threads > 1) expect(result.parallelCalls, 'calls that split').toBeGreaterThan(0);
          // The computation disposed its runtime: every worker has ended.
          await expect.poll(() => page.workers().length, { timeout: 5_000 }).toBe(0);
        }
        expect(started, 'workers started: none for 1 thread, 1 for 2, 2 for 3').toBe(3);
        expect(wasmRequests(record)).toEqual([expect.stringMatching(new RegExp(`^wasmgrad-${results[0]!.build}[-.]`)), expect.stringMatching(new RegExp(`^wasmgrad-${results[0]!.build}-threads[-.]`))]);
        // The worker script was fetched from the page's own origin (bundled: Vite's emitted copy).
        const origin = new URL(pageUrl[kind](true)).origin;
        const workerScripts = new Set(record.requests.filter((u) => /\/worker(-[\w-]+)?\.js$/.test(new URL(u).pathname)));
        expect([...workerScripts].map((u) => new URL(u).origin)).toEqual([origin]);

        // Each output's bit patterns, by digest: a difference names the output (the gemm shape, Adam's state, a layer's weights).
        const [single, ...threaded] = results;
        expect(Object.keys(single!.outputs!)).toHaveLength(THREADED.gemms.length + 2 + 4);
        expect(new Set(single!.bits).size, 'non-constant losses').toBeGreaterThan(1);
        for (const r of threaded) {
          expect(r.inputDigest).toBe(single!.inputDigest);
          expect(r.outputs, `${r.threads} threads against 1`).toEqual(single!.outputs);
          expect(r.bits, `${r.threads} threads: the losses`).toEqual(single!.bits);
        }
        const inNode = await runInNode('threadedKernels', THREADED, single!.build as Build);
        expect(inNode.inputDigest).toBe(single!.inputDigest);
        expect(inNode.outputs, 'Node against the page').toEqual(single!.outputs);
        expect(inNode.bits).toEqual(single!.bits);
        // The page's own thread spun while workers ran, and its event loop still turns.
        expect(await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve('turned'), 0)))).toBe('turned');
        expect(record.errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });

  it.each([
    ['a URL', 'scalar', false],
    ['bytes', 'simd', true],
  ] as const)('runs a .wasm the user passes as %s (%s build)', async (_how, build, asBytes) => {
    const record = await openHarness('static');
    try {
      const wasm = `${repoServer.url}dist/build/wasmgrad-${build}.wasm`;
      const { name, params } = CASES[0]!;
      const [inPage, inNode] = await Promise.all([
        runInPage(record.page, name, { ...params, init: { build, wasm } }, asBytes),
        runInNode(name, params, build),
      ]);
      expect(inPage.build).toBe(build);
      expect(inPage.bits).toEqual(inNode.bits);
      // The user's .wasm was fetched once (by wasmgrad for a URL, by the page for bytes) and nothing else.
      expect(record.requests.filter((u) => u.endsWith('.wasm'))).toEqual([wasm]);
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
    }
  });

  /** Opens the demo page and waits until the benchmark and the profile-and-train run of the default network have finished. */
  async function openDemo(url: string): Promise<PageRecord> {
    const record = await openPage(url);
    const { page } = record;
    await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.benchmark ?? ''), null, { timeout: 30_000 });
    const status = await page.locator('#throughput-status').textContent();
    expect(await page.evaluate(() => document.body.dataset.benchmark), `demo benchmark status: ${status}; errors: ${record.errors.join(' | ')}`).toBe('done');
    await waitForTraining(record);
    return record;
  }

  async function waitForTraining({ page, errors }: PageRecord): Promise<void> {
    await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.training ?? ''), null, { timeout: 60_000 });
    const status = await page.locator('#training-status').textContent();
    expect(await page.evaluate(() => document.body.dataset.training), `demo training status: ${status}; errors: ${errors.join(' | ')}`).toBe('done');
  }

  /** The memory table as numbers: measured and estimated peak per row label (commas of the exact byte counts removed). */
  async function memoryTable(page: Page): Promise<Map<string, { measured: number; estimated: number }>> {
    const rows = await page.locator('#memory-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const bytes = (text: string) => (/^[\d,]+$/.test(text) ? Number(text.replaceAll(',', '')) : NaN);
    return new Map(rows.map(([label, measured, estimated]) => [label!, { measured: bytes(measured!), estimated: bytes(estimated!) }]));
  }

  /** One column of the memory table by its header, as numbers per row label. */
  async function memoryColumn(page: Page, header: string): Promise<Map<string, number>> {
    const headers = await page.locator('#memory-table thead th').allTextContents();
    const col = headers.indexOf(header);
    expect(col, `memory table headers ${JSON.stringify(headers)}`).toBeGreaterThan(0);
    const rows = await page.locator('#memory-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    return new Map(rows.filter((r) => /^[\d,]+$/.test(r[col] ?? '')).map((r) => [r[0]!, Number(r[col]!.replaceAll(',', ''))]));
  }

  it('the demo page measures throughput, then profiles and trains the default network', async () => {
    const demo = await startDemoServer({ port: 0 });
    const record = await openDemo(demo.url);
    try {
      const { page } = record;
      // Served cross-origin isolated (demo/serve.mjs): threaded on the cores Chromium reports, at most 8, and the page says so.
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      const threads = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency));
      expect(await page.locator('#runtime').textContent()).toMatch(new RegExp(`^wasmgrad (relaxed|simd) build, ${threads} threads? \\(engine: [^)]*\\), picked automatically$`));
      expect(await page.locator('#throughput-chart svg title').textContent()).toMatch(new RegExp(`^GEMM throughput, ${threads} threads?, (relaxed|simd) build$`));
      // The profile's and the training's runtimes were disposed: only the page's runtime keeps workers.
      await expect.poll(() => page.workers().length, { timeout: 5_000 }).toBe(threads - 1);

      // One measured bar per shape for wasmgrad and for the peak, each longer than nothing.
      const bars = await page.locator('#throughput-chart svg rect.bar').evaluateAll((rects) =>
        rects.map((r) => ({ implementation: r.getAttribute('data-implementation'), width: Number(r.getAttribute('width')) })),
      );
      const rows = await page.locator('#throughput-table tbody tr').count();
      expect(rows).toBeGreaterThan(0);
      expect(bars.filter((b) => b.implementation === 'wasmgrad' && b.width > 0)).toHaveLength(rows);
      expect(bars.filter((b) => b.implementation === 'peak' && b.width > 0)).toHaveLength(rows);

      // The profile of the default network ran: measured equals estimated, to the byte, in total and per category.
      expect(await page.locator('#training-title').textContent()).toMatch(/^784 → 100 → 10, batch 64, Adam \(lr 0\.001\): 79,510 parameters/);
      const table = await memoryTable(page);
      const total = table.get('peak')!;
      expect(total.measured).toBeGreaterThan(0);
      expect(total.measured).toBe(total.estimated);
      for (const category of ['weights', 'gradients', 'optimizer', 'activations', 'workspace', 'inputs']) {
        expect(table.get(category), `${category} row`).toEqual({ measured: expect.any(Number), estimated: expect.any(Number) });
        expect(table.get(category)!.measured, category).toBe(table.get(category)!.estimated);
      }
      // 79,510 float32 parameters, their gradients, and Adam's two moments.
      expect([table.get('weights')!.measured, table.get('gradients')!.measured, table.get('optimizer')!.measured]).toEqual([318_040, 318_040, 636_080]);

      // Then it trained: a positive samples/s, the loss fell, and the training instance peaked where the profile did.
      const samplesPerSecond = Number(await page.locator('#samples-per-second').getAttribute('data-value'));
      expect(samplesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(samplesPerSecond)).toBe(true);
      expect(Number((await page.locator('#samples-per-second').textContent())!.replaceAll(',', ''))).toBeGreaterThan(0);
      const losses = (await page.locator('#loss-table tr:nth-child(2) td').allTextContents()).map(Number);
      expect(await page.locator('#loss-table tr:first-child td').allTextContents()).toEqual(['1', '11', '21', '30', '40', '50']);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.75);
      expect(await page.locator('#wasm-memory').textContent()).toMatch(/^WASM memory of the training instance: [\d,]+ B; .* the same as the profile measured\.$/);
      const trainingStatus = await page.locator('#training-status').textContent();

      await mkdir(SCREENSHOT_DIR, { recursive: true });
      const screenshotPath = path.join(SCREENSHOT_DIR, 'demo.png');
      await writeFile(screenshotPath, await page.screenshot({ fullPage: true }));
      const chartPng = await page.locator('#throughput-chart').screenshot();
      await writeFile(path.join(SCREENSHOT_DIR, 'demo-chart.png'), chartPng);
      const memoryPng = await page.locator('#memory-chart').screenshot();
      await writeFile(path.join(SCREENSHOT_DIR, 'demo-memory.png'), memoryPng);
      console.log(`[demo] screenshot: ${screenshotPath}; ${await page.locator('#throughput-status').textContent()}; ${trainingStatus}; ${samplesPerSecond.toFixed(0)} samples/s`);

      // The charts as drawn, not as markup: many colours, and the bar and band colours really on screen.
      const pixels = await countPixels(page, chartPng, { wasmgrad: [0x00, 0x72, 0xb2], peak: [0x99, 0x99, 0x99] });
      expect(pixels.distinctColours).toBeGreaterThan(20);
      expect(pixels.nonWhite / pixels.total).toBeGreaterThan(0.05);
      expect(pixels.matching.wasmgrad).toBeGreaterThan(500);
      expect(pixels.matching.peak).toBeGreaterThan(500);

      expect(await page.locator('#memory-chart svg path.band').count()).toBeGreaterThan(0);
      const memoryPixels = await countPixels(page, memoryPng, {
        weights: [0x00, 0x72, 0xb2],
        gradients: [0x56, 0xb4, 0xe9],
        optimizer: [0x00, 0x9e, 0x73],
        inputs: [0xf0, 0xe4, 0x42],
      });
      expect(memoryPixels.distinctColours).toBeGreaterThan(20);
      expect(memoryPixels.nonWhite / memoryPixels.total).toBeGreaterThan(0.15);
      for (const band of ['weights', 'gradients', 'optimizer', 'inputs']) expect(memoryPixels.matching[band], band).toBeGreaterThan(500);
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
      await demo.close();
    }
  });

  it('the demo page served without the isolation headers runs on one thread and says why', async () => {
    const demo = await startDemoServer({ port: 0, isolated: false });
    const record = await openDemo(demo.url);
    try {
      const { page } = record;
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await page.locator('#runtime').textContent()).toMatch(
        /^wasmgrad (relaxed|simd) build, 1 thread \(one thread: the page is not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)\) \(engine: [^)]*\), picked automatically$/,
      );
      expect(await page.locator('#throughput-chart svg title').textContent()).toMatch(/^GEMM throughput, 1 thread, (relaxed|simd) build$/);
      expect(page.workers()).toHaveLength(0);
      expect((await memoryTable(page)).get('peak')!.measured).toBe((await memoryTable(page)).get('peak')!.estimated);
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
      await demo.close();
    }
  });

  it('the demo page names each bad training input inline, then profiles and trains a network the visitor chose', async () => {
    const demo = await startDemoServer({ port: 0 });
    const record = await openDemo(demo.url);
    try {
      const { page } = record;
      const status = page.locator('#training-status');
      const button = page.locator('#run-training');
      const defaults = { layers: '784, 100, 10', batch: '64', steps: '50' };
      const bad: [field: keyof typeof defaults, value: string, message: string][] = [
        ['layers', '784', 'layer widths need at least an input and an output width, got "784"'],
        ['layers', '784, 0, 10', 'layer width 2 must be a whole number from 1 to 65,536, got "0"'],
        ['layers', '784, 12.5, 10', 'layer width 2 must be a whole number from 1 to 65,536, got "12.5"'],
        ['layers', '784, ten, 10', 'layer width 2 must be a whole number from 1 to 65,536, got "ten"'],
        ['layers', '784, 100000, 10', 'layer width 2 must be a whole number from 1 to 65,536, got "100000"'],
        ['batch', '0', 'batch must be a whole number from 1 to 65,536, got "0"'],
        ['batch', '', 'batch must be a whole number from 1 to 65,536, got ""'],
        ['steps', '1001', 'training steps must be a whole number from 1 to 1,000, got "1001"'],
        ['layers', '8192, 8192, 10', 'this run would cost 6.7e+11 multiply-accumulates'],
      ];
      for (const [field, value, message] of bad) {
        await page.locator(`#${field}`).fill(value);
        expect(await status.textContent(), `${field} = ${JSON.stringify(value)}`).toContain(message);
        expect(await status.getAttribute('class')).toBe('error');
        expect(await button.isDisabled(), `button with ${field} = ${JSON.stringify(value)}`).toBe(true);
        await page.locator(`#${field}`).fill(defaults[field]);
        expect(await status.getAttribute('class')).toBe('muted');
        expect(await button.isDisabled()).toBe(false);
      }
      // The default run's results are still on the page after all that.
      expect((await memoryTable(page)).get('peak')!.measured).toBeGreaterThan(0);

      // A network the controls accept but wasm32 cannot hold: the profiler refuses it, and the page says so.
      await page.locator('#layers').fill('65536, 16384');
      await page.locator('#batch').fill('1');
      await page.locator('#steps').fill('1');
      await button.click();
      await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.training ?? ''), null, { timeout: 60_000 });
      expect(await page.evaluate(() => document.body.dataset.training)).toBe('failed');
      expect(await status.textContent()).toMatch(/^Profile or training failed: this configuration needs \d{1,3}(,\d{3})+ bytes at its peak; WASM memory \(wasm32\) holds at most 4,294,967,296 bytes$/);
      expect(await status.getAttribute('class')).toBe('error');
      expect(await page.locator('#training-results').isHidden()).toBe(true);
      expect(await button.isDisabled()).toBe(false);

      await page.locator('#layers').fill('20, 16, 16, 3');
      await page.locator('#batch').fill('8');
      await page.locator('#steps').fill('12');
      await page.locator('#optimizer').selectOption('sgd-momentum');
      await button.click();
      await waitForTraining(record);
      expect(await page.locator('#training-title').textContent()).toMatch(/^20 → 16 → 16 → 3, batch 8, SGD with momentum 0\.9 \(lr 0\.01\): 659 parameters/);
      const table = await memoryTable(page);
      // 659 weights, as many gradients, one momentum buffer.
      expect([table.get('weights')!.measured, table.get('gradients')!.measured, table.get('optimizer')!.measured]).toEqual([2636, 2636, 2636]);
      expect(table.get('peak')!.measured).toBe(table.get('peak')!.estimated);
      expect(await page.locator('#loss-table tr:first-child td').allTextContents()).toEqual(['1', '3', '5', '8', '10', '12']);
      expect(Number(await page.locator('#samples-per-second').getAttribute('data-value'))).toBeGreaterThan(0);
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
      await demo.close();
    }
  });
  it('the demo page shows the one peak the reports show: table, composition and chart agree, runtime beside it', async () => {
    const demo = await startDemoServer({ port: 0 });
    const record = await openDemo(demo.url);
    try {
      const { page } = record;
      const peak = (await memoryTable(page)).get('peak')!.measured;
      const atPeak = await memoryColumn(page, 'at the peak');
      const categories = ['weights', 'gradients', 'optimizer', 'activations', 'workspace', 'inputs'];
      expect(categories.reduce((s, c) => s + atPeak.get(c)!, 0), 'the composition sums to the peak').toBe(peak);
      expect(atPeak.get('peak')).toBe(peak);
      // Here the own peaks do not coincide (activations peak in forward, the total in backward).
      const ownPeaks = await memoryTable(page);
      expect(categories.reduce((s, c) => s + ownPeaks.get(c)!.measured, 0)).toBeGreaterThan(peak);
      expect(await page.locator('#memory-caption').textContent()).toMatch(/need not coincide/);
      expect(await page.locator('#memory-table tr[data-category="runtime"] td').first().textContent()).toBe('runtime (not in the peak)');

      const label = await page.locator('#memory-chart svg .peak-label tspan').first().textContent();
      expect(Number(/peak ([\d,]+) B/.exec(label!)![1]!.replaceAll(',', '')), `chart: "${label}"`).toBe(peak);
      const legendPeak = await page.locator('#memory-chart svg .legend-peak text').nth(1).textContent();
      expect(Number(legendPeak!.replaceAll(',', ''))).toBe(peak);
      expect(await page.locator('#memory-chart svg path.band[data-band="runtime"]').count()).toBe(0);
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
      await demo.close();
    }
  });

  it('the demo page measures in one unit, GFLOP/s = 2·M·N·K / median time, in its table, chart and status', async () => {
    const demo = await startDemoServer({ port: 0 });
    const record = await openDemo(demo.url);
    try {
      const { page } = record;
      const text = (await page.locator('#throughput').textContent())!;
      expect(text).not.toMatch(/GMAC|fastest/i);
      expect(await page.locator('#throughput-table thead th').allTextContents()).toEqual(['M×N×K', 'FLOPs per call (2·M·N·K)', 'median call', 'GFLOP/s', 'of peak']);
      expect(await page.locator('#throughput-status').textContent()).toMatch(/median call time.*GFLOP\/s = 2·M·N·K \/ median time/);
      const rows = await page.locator('#throughput-table tbody tr').evaluateAll((trs) =>
        trs.map((tr) => ({ flops: Number((tr as HTMLElement).dataset.flops), ms: Number((tr as HTMLElement).dataset.ms), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') })),
      );
      const chartValues = await page.locator('#throughput-chart svg .group').evaluateAll((groups) =>
        groups.map((g) => g.querySelector('rect.bar[data-implementation="wasmgrad"] + text.value')?.textContent ?? null),
      );
      expect(rows).toHaveLength(4);
      rows.forEach((r, i) => {
        const [m, n, k] = r.cells[0]!.split(' ')[0]!.split('×').map(Number);
        expect(r.flops, r.cells[0]).toBe(2 * m! * n! * k!);
        expect(Number(r.cells[1]!.replaceAll(',', ''))).toBe(r.flops);
        expect(Number(r.cells[3]), `GFLOP/s of ${r.cells[0]}`).toBeCloseTo(r.flops / (r.ms * 1e6), r.flops / (r.ms * 1e6) >= 10 ? 0 : 1);
        expect(chartValues[i], 'the chart shows the table figure').toBe(r.cells[3]);
      });
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
      await demo.close();
    }
  });

  it('the demo page lists every invalid training field at once and marks each', async () => {
    const demo = await startDemoServer({ port: 0 });
    const record = await openDemo(demo.url);
    try {
      const { page } = record;
      await page.locator('#layers').fill('784, 0, ten, 10');
      await page.locator('#batch').fill('0');
      await page.locator('#steps').fill('1001');
      const status = page.locator('#training-status');
      expect(await status.getAttribute('class')).toBe('error');
      expect(await status.locator('li').allTextContents()).toEqual([
        'layer width 2 must be a whole number from 1 to 65,536, got "0"',
        'layer width 3 must be a whole number from 1 to 65,536, got "ten"',
        'batch must be a whole number from 1 to 65,536, got "0"',
        'training steps must be a whole number from 1 to 1,000, got "1001"',
      ]);
      const invalid = await page.locator('#training-form [aria-invalid]').evaluateAll((els) => els.map((e) => e.id));
      expect(invalid).toEqual(['layers', 'batch', 'steps']);
      expect(await page.locator('#run-training').isDisabled()).toBe(true);
      // Fixing one field leaves the others listed.
      await page.locator('#batch').fill('8');
      expect(await status.locator('li').count()).toBe(3);
      expect(await page.locator('#training-form [aria-invalid]').evaluateAll((els) => els.map((e) => e.id))).toEqual(['layers', 'steps']);
      await page.locator('#layers').fill('20, 16, 3');
      await page.locator('#steps').fill('5');
      expect(await status.getAttribute('class')).toBe('muted');
      expect(await page.locator('#training-form [aria-invalid]').count()).toBe(0);
      expect(await page.locator('#run-training').isDisabled()).toBe(false);
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
      await demo.close();
    }
  });

  it('switching the demo build keeps the edited network and measures it again with the new build, without a reload', async () => {
    const demo = await startDemoServer({ port: 0 });
    const record = await openDemo(demo.url);
    try {
      const { page } = record;
      await page.evaluate(() => ((window as any).sameDocument = true));
      await page.locator('#layers').fill('20, 16, 3');
      await page.locator('#batch').fill('8');
      await page.locator('#steps').fill('6');
      await page.locator('#optimizer').selectOption('sgd');
      await page.locator('#build').selectOption('scalar');
      await page.waitForFunction(() => /scalar build$/.test(document.getElementById('training-title')?.textContent ?? '') && document.body.dataset.training === 'done', null, { timeout: 60_000 });
      expect(await page.evaluate(() => (window as any).sameDocument), 'the page was not reloaded').toBe(true);
      expect(new URL(page.url()).searchParams.get('build')).toBe('scalar');
      expect(await page.locator('#runtime').textContent()).toMatch(/^wasmgrad scalar build, 1 thread \(one thread: the scalar build has no threaded variant\) .*as requested$/);
      expect(await page.evaluate(() => document.body.dataset.benchmark)).toBe('done');
      expect(await page.locator('#throughput-chart svg title').textContent()).toMatch(/scalar build$/);
      expect([await page.locator('#layers').inputValue(), await page.locator('#batch').inputValue(), await page.locator('#steps').inputValue(), await page.locator('#optimizer').inputValue()]).toEqual(['20, 16, 3', '8', '6', 'sgd']);
      expect(await page.locator('#training-title').textContent()).toBe('20 → 16 → 3, batch 8, SGD (lr 0.01): 387 parameters, scalar build');
      expect(await page.locator('#loss-table tr:first-child td').allTextContents()).toEqual(['1', '2', '3', '4', '5', '6']);
      expect(record.errors).toEqual([]);
    } finally {
      await record.page.close();
      await demo.close();
    }
  });
});

/** Decodes a PNG in the page (createImageBitmap) and counts colours; `targets` match within 2 per channel. */
async function countPixels(page: Page, png: Buffer, targets: Record<string, [number, number, number]>) {
  return page.evaluate(
    async ({ base64, targets }) => {
      const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const colours = new Set<number>();
      const matching: Record<string, number> = Object.fromEntries(Object.keys(targets).map((k) => [k, 0]));
      let nonWhite = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
        colours.add((r << 16) | (g << 8) | b);
        if (r < 250 || g < 250 || b < 250) nonWhite++;
        for (const [name, [tr, tg, tb]] of Object.entries(targets)) {
          if (Math.abs(r - tr) <= 2 && Math.abs(g - tg) <= 2 && Math.abs(b - tb) <= 2) matching[name]!++;
        }
      }
      return { total: data.length / 4, nonWhite, distinctColours: colours.size, matching };
    },
    { base64: png.toString('base64'), targets },
  );
}
