// Picks, loads and instantiates a core build once, and reports what it runs on.

import { Arena } from './arena.js';
import { type CoreExports, instantiateCore } from './core.js';
import { ArgumentError, describeValue } from './errors.js';
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

const BUILDS: readonly BuildName[] = ['relaxed', 'simd', 'scalar'];
/** What the core's buildKind() returns: 0 scalar, 1 SIMD, 2 relaxed SIMD. */
const CORE_BUILDS: readonly BuildName[] = ['scalar', 'simd', 'relaxed'];
const cache = new Map<string, Promise<Runtime>>();

export function pickBuild(features: EngineFeatures): BuildName {
  return features.relaxedSimd ? 'relaxed' : features.simd ? 'simd' : 'scalar';
}

/**
 * Instantiates the core (once per build) and resolves to the runtime.
 * With a custom `wasm`, `build` names what that binary is (default 'simd').
 */
export function init(options: InitOptions = {}): Promise<Runtime> {
  const features = detectFeatures();
  const requested = options.build ?? 'auto';
  // Every failure is a rejection, so `init(...).catch(...)` sees them all.
  if (requested !== 'auto' && !BUILDS.includes(requested)) {
    return Promise.reject(new ArgumentError(`build must be one of auto, ${BUILDS.join(', ')}; got ${String(requested)}`));
  }
  const build: BuildName = requested === 'auto' ? (options.wasm ? 'simd' : pickBuild(features)) : requested;
  if ((build === 'simd' && !features.simd) || (build === 'relaxed' && !features.relaxedSimd)) {
    const missing = build === 'simd' ? 'SIMD' : 'relaxed SIMD';
    return Promise.reject(new ArgumentError(`build '${build}' needs WebAssembly ${missing}, which this engine does not support; use build: 'auto'`));
  }
  if (options.wasm) return instantiate(features, options.wasm);
  if (options.fresh) return compiled(build).then((m) => instantiate(features, m));
  let p = cache.get(build);
  if (!p) {
    p = compiled(build).then((m) => instantiate(features, m));
    p.catch(() => cache.delete(build));
    cache.set(build, p);
  }
  return p;
}

const modules = new Map<BuildName, Promise<WebAssembly.Module>>();

/** Each build is fetched and compiled once; instances are cheap. */
function compiled(build: BuildName): Promise<WebAssembly.Module> {
  let m = modules.get(build);
  if (!m) {
    m = fetchWasmBytes(defaultWasmUrl(build)).then((bytes) => WebAssembly.compile(bytes));
    m.catch(() => modules.delete(build));
    modules.set(build, m);
  }
  return m;
}

/** A runtime over a new instance; its build is what the binary says it was compiled as. */
async function instantiate(features: EngineFeatures, source: BufferSource | WebAssembly.Module | URL | string): Promise<Runtime> {
  let arena: Arena | undefined;
  const hooks = { onArenaEvent: (k: number, c: number, b: number) => arena?.onCoreEvent(k, c, b) };
  const bytes =
    source instanceof URL || typeof source === 'string' ? await fetchWasmBytes(source) : source;
  const core = await instantiateCore(bytes, hooks);
  const kind = typeof core.buildKind === 'function' ? CORE_BUILDS[core.buildKind()] : undefined;
  if (!kind) throw new ArgumentError('wasm: this module is not a wasmgrad core (its buildKind export is missing or unknown)');
  arena = new Arena(core);
  return new Runtime(core, kind, features, arena);
}

/** Throws ArgumentError unless `value` is a Runtime from init(). */
export function checkRuntime(value: unknown, where: string): asserts value is Runtime {
  if (!(value instanceof Runtime)) throw new ArgumentError(`${where} needs a Runtime from init(), got ${describeValue(value)}`);
}
