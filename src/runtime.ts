// Picks, loads and instantiates a core build once, and reports what it runs on.

import { Arena } from './arena.js';
import { CATEGORIES } from './memory/categories.js';
import { type CoreExports, instantiateCore } from './core.js';
import { ArgumentError, ThreadError, checkBoolean, checkInt, checkOptions, describeValue, firstLine, orDefault } from './errors.js';
import { detectFeatures, type EngineFeatures, v8Major } from './features.js';
import { type BuildName, defaultWasmUrl, fetchWasmBytes } from './wasm-source.js';
import { defaultThreads, MAX_THREADS, whyNoThreads } from './threads/support.js';
import { isNode, WorkerPool } from './threads/pool.js';

export type { BuildName } from './wasm-source.js';

export interface InitOptions {
  /** Which build to run; 'auto' (default) picks relaxed SIMD, then SIMD, then scalar, by what the engine validates. */
  build?: BuildName | 'auto';
  /** The .wasm to use instead of the packaged one: bytes, a compiled module, or a URL. */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
  /** A new instance with its own memory instead of the shared one (profiles measure in a clean memory). */
  fresh?: boolean;
  /**
   * Threads the kernels use (1 to 64): 1 runs everything on the calling
   * thread. Default: the cores the engine reports, at most 8. Where threads
   * cannot run (no shared memory, a page that is not cross-origin isolated,
   * the scalar build, a custom binary) the runtime runs on one thread and
   * describe() says why. Results do not depend on the thread count.
   */
  threads?: number;
}

/** The register tile of packed GEMMs (assembly/kernels/gemm-2x16.ts, gemm-6x8.ts); the scalar build has none. */
export type GemmTile = '2x16' | '6x8' | undefined;

// V8 from which the relaxed builds run the 6x8 tile (gemm-6x8.ts): 13.6
// (Node 24) and 14 (Node 26) keep its 12 accumulators in registers and ran
// it 0.99-1.16x 2x16 in core; 12.4 (Node 22) and 11.3 (Node 20 with relaxed
// SIMD) spill and ran it 30% slower. 13.0-13.5 (Chromium 130-135) were not
// measured.
const WIDE_TILE_V8 = 13;

export class Runtime {
  /** Why this runtime runs on fewer threads than were asked for (undefined when it runs all of them). */
  threadsNote: string | undefined;
  /** Which register tile packed GEMMs run: the relaxed builds take 6x8 on engines that compile it well. Results are the same either way. */
  readonly gemmTile: GemmTile;

  /** @internal Use init(). */
  constructor(
    readonly core: CoreExports,
    readonly build: BuildName,
    readonly features: EngineFeatures,
    readonly arena: Arena,
    private pool: WorkerPool | undefined = undefined,
    threadsNote?: string,
  ) {
    this.threadsNote = threadsNote;
    this.gemmTile = build === 'scalar' ? undefined : core.gemmUseWideTile(+(build === 'relaxed' && (v8Major() ?? 0) >= WIDE_TILE_V8)) ? '6x8' : '2x16';
    if (pool) poolsOfRuntimes.register(this, pool, this);
  }

  /** Threads the kernels use now: the calling thread plus the workers. */
  get threads(): number {
    return this.pool?.size ?? 1;
  }

  /**
   * Ends the worker threads; the runtime goes on working on the calling
   * thread, and init() makes a new runtime for the next caller. Idempotent.
   */
  dispose(): void {
    this.endThreads(undefined);
    for (const [key, p] of cache) if (settled.get(p) === this) cache.delete(key);
  }

  /** @internal The core reported a worker's failure: end the workers and raise it as the call's error. */
  failedWorker(worker: number): never {
    const message = this.pool?.failureMessage() ?? 'no message';
    this.endThreads(`one thread since worker ${worker} failed: ${message}`);
    throw new ThreadError(`threads: worker ${worker} failed during a parallel call: ${message}. The call did not complete; this runtime now runs on one thread`);
  }

  /** @internal A worker ended unasked (Node's supervisor said so): the calls go on on one thread. */
  lostWorker(reason: string): void {
    this.endThreads(`one thread since ${reason}`);
  }

  private endThreads(note: string | undefined): void {
    if (!this.pool) return;
    this.core.threadsConfigure(1, 0);
    this.pool.stop();
    poolsOfRuntimes.unregister(this);
    this.pool = undefined;
    this.threadsNote = note;
  }

  get memory(): WebAssembly.Memory {
    return this.core.memory;
  }

  /** Multiply-accumulates the core executed since the last reset (exact, 64-bit). */
  macs(): bigint {
    return BigInt.asUintN(64, this.core.macCount());
  }

  resetMacs(): void {
    this.core.macReset();
  }

  /** One line saying what runs: build, threads (and why only one, when so), engine features. */
  describe(): string {
    const f = this.features;
    const threads = `${this.threads} thread${this.threads === 1 ? '' : 's'}${this.threadsNote ? ` (${this.threadsNote})` : ''}`;
    const tile = this.gemmTile ? `, GEMM tile ${this.gemmTile}` : '';
    return `wasmgrad ${this.build} build, ${threads} (engine: SIMD ${f.simd ? 'yes' : 'no'}, relaxed SIMD ${f.relaxedSimd ? 'yes' : 'no'}${tile})`;
  }
}

/**
 * Throws ArgumentError unless `value` is a Runtime, naming `where` (the
 * function or class that needs it) so a missing `await init()` reads as such.
 */
export function checkRuntime(value: unknown, where: string): asserts value is Runtime {
  if (value instanceof Runtime) return;
  const hint = value instanceof Promise ? ' (await init() first)' : '';
  throw new ArgumentError(`${where} needs a Runtime from init(), got ${describeValue(value)}${hint}`);
}

const BUILDS: readonly BuildName[] = ['relaxed', 'simd', 'scalar'];
/** What the core's buildKind() returns: 0 scalar, 1 SIMD, 2 relaxed SIMD. */
const CORE_BUILDS: readonly BuildName[] = ['scalar', 'simd', 'relaxed'];
const INIT_OPTIONS: readonly (keyof InitOptions)[] = ['build', 'wasm', 'fresh', 'threads'];
const cache = new Map<string, Promise<Runtime>>();
/** The runtime each cached promise resolved to, so dispose() can drop its entry. */
const settled = new WeakMap<Promise<Runtime>, Runtime>();
/** A runtime that is collected without dispose() still ends its workers. */
const poolsOfRuntimes = new FinalizationRegistry<WorkerPool>((pool) => pool.stop());

export function pickBuild(features: EngineFeatures): BuildName {
  return features.relaxedSimd ? 'relaxed' : features.simd ? 'simd' : 'scalar';
}

/**
 * Instantiates the core (once per build) and resolves to the runtime.
 * With a custom `wasm`, `build` names what that binary is (default 'simd').
 * Async, so every failure (bad options included) is a rejection that
 * `init(...).catch(...)` sees.
 */
export async function init(options?: InitOptions): Promise<Runtime> {
  const o = checkOptions('init', options, INIT_OPTIONS) as InitOptions;
  const features = detectFeatures();
  const requested = orDefault(o.build, 'auto');
  if (requested !== 'auto' && !BUILDS.includes(requested as BuildName)) {
    throw new ArgumentError(`init: build must be one of auto, ${BUILDS.join(', ')}; got ${describeValue(requested)}`);
  }
  if (o.fresh !== undefined) checkBoolean('init: fresh', o.fresh);
  if (o.threads !== undefined) checkInt('init: threads', o.threads, 1, MAX_THREADS);
  if (o.wasm !== undefined && !isWasmSource(o.wasm)) {
    throw new ArgumentError(
      `init: wasm must be the bytes, a WebAssembly.Module, a URL or a URL string of a wasmgrad core, got ${describeValue(o.wasm)}`,
    );
  }
  const build: BuildName = requested === 'auto' ? (o.wasm !== undefined ? 'simd' : pickBuild(features)) : (requested as BuildName);
  if ((build === 'simd' && !features.simd) || (build === 'relaxed' && !features.relaxedSimd)) {
    const missing = build === 'simd' ? 'SIMD' : 'relaxed SIMD';
    throw new ArgumentError(`build '${build}' needs WebAssembly ${missing}, which this engine does not support; use build: 'auto'`);
  }
  const asked = o.threads ?? (await defaultThreads());
  const why = asked > 1 ? whyNoThreads(build, o.wasm !== undefined) : undefined;
  const threads = why ? 1 : asked;
  const threadsNote = why && `one thread: ${why}`;
  if (o.wasm !== undefined) return instantiate(features, o.wasm, 1, threadsNote);
  const make = () => compiled(build, threads > 1).then((m) => instantiate(features, m, threads, threadsNote));
  if (o.fresh) return make();
  const key = `${build}/${threads}`;
  let p = cache.get(key);
  if (!p) {
    p = make();
    const cached = p;
    cached.then((rt) => settled.set(cached, rt), () => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

type WasmSource = NonNullable<InitOptions['wasm']>;

function isWasmSource(value: unknown): value is WasmSource {
  return (
    typeof value === 'string' || value instanceof URL || value instanceof WebAssembly.Module ||
    value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
    (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)
  );
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Each build (and its threaded variant) is fetched and compiled once; instances are cheap. */
function compiled(build: BuildName, threaded: boolean): Promise<WebAssembly.Module> {
  const key = `${build}${threaded ? '-threads' : ''}`;
  let m = modules.get(key);
  if (!m) {
    m = fetchWasmBytes(defaultWasmUrl(build, threaded)).then(compile);
    m.catch(() => modules.delete(key));
    modules.set(key, m);
  }
  return m;
}

/** Compiles bytes, naming them as not a module instead of a raw CompileError. */
async function compile(bytes: BufferSource): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    throw new ArgumentError(`wasm: the ${bytes.byteLength} bytes given are not a WebAssembly module (${firstLine(e)})`);
  }
}

/**
 * A runtime over a new instance; its build is what the binary says it was
 * compiled as. With threads > 1 (a threaded binary) the instance imports a
 * new shared memory and the workers start on it before the runtime exists.
 */
async function instantiate(features: EngineFeatures, source: WasmSource, threads: number, threadsNote?: string): Promise<Runtime> {
  let arena: Arena | undefined;
  let runtime: Runtime | undefined;
  // Weak: the pool outlives a runtime collected without dispose() (poolsOfRuntimes) and must not keep it.
  let runtimeOfPool: WeakRef<Runtime> | undefined;
  const hooks = {
    onArenaEvent: (k: number, c: number, b: number) => arena?.onCoreEvent(k, c, b),
    onThreadFailure: (worker: number) => runtime!.failedWorker(worker),
  };
  const module =
    source instanceof WebAssembly.Module ? source : await compile(source instanceof URL || typeof source === 'string' ? await fetchWasmBytes(source) : source);
  const memory = threads > 1 ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) : undefined;
  const core = await instantiateCore(module, hooks, memory);
  const code = core.buildKind();
  const kind = CORE_BUILDS[code];
  if (!kind) throw new ArgumentError(`wasm: this module is not a wasmgrad core (its buildKind() returned ${describeValue(code)}, not a known build)`);
  // The core's counters are indexed by the host's category list: both must name the same categories.
  if (core.arenaCategoryCount() !== CATEGORIES.length) {
    throw new ArgumentError(`wasm: this core keeps ${core.arenaCategoryCount()} memory categories, this package names ${CATEGORIES.length}; the binary and the package are from different versions`);
  }
  arena = new Arena(core);
  let pool: WorkerPool | undefined;
  if (memory) {
    try {
      pool = await WorkerPool.start(module, memory, core.threadControl(), threads, (reason) => runtimeOfPool?.deref()?.lostWorker(reason));
      core.threadsConfigure(threads, isNode() ? 1 : 0);
    } catch (e) {
      threadsNote = `one thread: ${firstLine(e)}`;
    }
  }
  runtime = new Runtime(core, kind, features, arena, pool, threadsNote);
  runtimeOfPool = new WeakRef(runtime);
  return runtime;
}
