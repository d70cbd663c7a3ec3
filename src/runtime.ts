// Picks, loads and instantiates a core build once, and reports what it runs on.

import { Arena } from './arena.js';
import { CATEGORIES } from './memory/categories.js';
import { type CoreExports, instantiateCore } from './core.js';
import { ArgumentError, checkBoolean, checkOptions, describeValue, firstLine, orDefault } from './errors.js';
import { detectFeatures, type EngineFeatures } from './features.js';
import { type BuildName, defaultWasmUrl, fetchWasmBytes } from './wasm-source.js';

export type { BuildName } from './wasm-source.js';

export interface InitOptions {
  /** Which build to run; 'auto' (default) picks relaxed SIMD, then SIMD, then scalar, by what the engine validates. */
  build?: BuildName | 'auto';
  /** The .wasm to use instead of the packaged one: bytes, a compiled module, or a URL. */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
  /** A new instance with its own memory instead of the shared one (profiles measure in a clean memory). */
  fresh?: boolean;
}

export class Runtime {
  /** @internal Use init(). */
  constructor(
    readonly core: CoreExports,
    readonly build: BuildName,
    readonly features: EngineFeatures,
    readonly arena: Arena,
  ) {}

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

  /** One line saying what runs: build, engine features. */
  describe(): string {
    const f = this.features;
    return `wasmgrad ${this.build} build (engine: SIMD ${f.simd ? 'yes' : 'no'}, relaxed SIMD ${f.relaxedSimd ? 'yes' : 'no'})`;
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
const INIT_OPTIONS: readonly (keyof InitOptions)[] = ['build', 'wasm', 'fresh'];
const cache = new Map<string, Promise<Runtime>>();

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
  if (o.wasm !== undefined) return instantiate(features, o.wasm);
  if (o.fresh) return compiled(build).then((m) => instantiate(features, m));
  let p = cache.get(build);
  if (!p) {
    p = compiled(build).then((m) => instantiate(features, m));
    p.catch(() => cache.delete(build));
    cache.set(build, p);
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

const modules = new Map<BuildName, Promise<WebAssembly.Module>>();

/** Each build is fetched and compiled once; instances are cheap. */
function compiled(build: BuildName): Promise<WebAssembly.Module> {
  let m = modules.get(build);
  if (!m) {
    m = fetchWasmBytes(defaultWasmUrl(build)).then(compile);
    m.catch(() => modules.delete(build));
    modules.set(build, m);
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

/** A runtime over a new instance; its build is what the binary says it was compiled as. */
async function instantiate(features: EngineFeatures, source: WasmSource): Promise<Runtime> {
  let arena: Arena | undefined;
  const hooks = { onArenaEvent: (k: number, c: number, b: number) => arena?.onCoreEvent(k, c, b) };
  const module =
    source instanceof WebAssembly.Module ? source : await compile(source instanceof URL || typeof source === 'string' ? await fetchWasmBytes(source) : source);
  const core = await instantiateCore(module, hooks);
  const code = core.buildKind();
  const kind = CORE_BUILDS[code];
  if (!kind) throw new ArgumentError(`wasm: this module is not a wasmgrad core (its buildKind() returned ${describeValue(code)}, not a known build)`);
  // The core's counters are indexed by the host's category list: both must name the same categories.
  if (core.arenaCategoryCount() !== CATEGORIES.length) {
    throw new ArgumentError(`wasm: this core keeps ${core.arenaCategoryCount()} memory categories, this package names ${CATEGORIES.length}; the binary and the package are from different versions`);
  }
  arena = new Arena(core);
  return new Runtime(core, kind, features, arena);
}
