// What a call into the core costs three ways, on the SIMD build: the raw
// WebAssembly exports, @assemblyscript/loader's exports, and the core as
// init() hands it to wasmgrad (instantiated by the loader, called through the
// instance's exports). An empty call and two small kernels, timed interleaved
// (the order turns each round) so a busy machine slows all alike; best and
// median of the rounds, ns per call.
//
//   npm run build && node dist/bench/call-overhead.js [rounds]

import { instantiate } from '@assemblyscript/loader';
import { init } from '../src/runtime.js';
import { fetchWasmBytes, defaultWasmUrl } from '../src/wasm-source.js';

const rounds = Number(process.argv[2] ?? 15);
const module = await WebAssembly.compile(await fetchWasmBytes(defaultWasmUrl('simd')));
const imports = () => ({ env: { abort() {}, onArenaEvent() {} } });
const raw = (await WebAssembly.instantiate(module, imports())).exports as Record<string, any>;
const loaded = await instantiate<Record<string, any>>(module, imports());
const loader = loaded.exports as Record<string, any>;
// The same compiled module for all three, so all run the same tiered-up code.
const wasmgrad = (await init({ build: 'simd', wasm: module })).core as unknown as Record<string, any>;

/** The pointers each kernel call reads and writes, in that instance's memory (category 0). */
function buffers(core: Record<string, any>) {
  const floats = (n: number) => core.arenaAlloc(4 * n, 0) as number;
  return { y: floats(64 * 10), bias: floats(10), a: floats(256), b: floats(256), c: floats(256) };
}

const CASES: Record<string, string> = {
  'buildKind()': 'core.buildKind()',
  'arenaLive(0)': 'core.arenaLive(0)',
  'addBias 64x10': 'core.addBias(p.y, p.bias, 64, 10)',
  'gemm 16x16x16': 'core.gemm(0, 0, 16, 16, 16, 1, p.a, 16, p.b, 16, 0, p.c, 16)',
};

type Loop = (core: Record<string, any>, p: ReturnType<typeof buffers>, n: number) => void;
// One loop function per case and variant, so each call site sees one target
// only, as in a program that uses one set of exports. The variant's name is in
// the source: V8 caches `new Function` by its text, and a shared loop would
// turn polymorphic and slow every variant after the first.
const loopOf = (call: string, variant: string) =>
  new Function('core', 'p', 'n', `/* ${variant} */ for (let i = 0; i < n; i++) ${call};`) as Loop;

function nsPerCall(loop: Loop, core: Record<string, any>, p: ReturnType<typeof buffers>, n: number): number {
  const t0 = performance.now();
  loop(core, p, n);
  return ((performance.now() - t0) * 1e6) / n;
}

const variants = [
  { name: 'raw', core: raw, p: buffers(raw) },
  { name: 'loader', core: loader, p: buffers(loader) },
  { name: 'wasmgrad', core: wasmgrad, p: buffers(wasmgrad) },
];
const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;

const own = loaded.instance.exports;
console.log(`loader's gemm is its instance's gemm: ${loader.gemm === own.gemm}; a wrapper whose .original is: ${loader.gemm.original === own.gemm}`);
console.log(`${rounds} interleaved rounds, ns per call (best / median)`);
for (const [label, call] of Object.entries(CASES)) {
  const loops = variants.map((v) => loopOf(call, v.name));
  // Warm up (Liftoff to TurboFan for the wasm, the loop for JS), then size a batch to about 10 ms.
  variants.forEach((v, i) => loops[i]!(v.core, v.p, 200_000));
  const n = Math.max(1000, Math.round(1e7 / nsPerCall(loops[0]!, raw, variants[0]!.p, 100_000)));
  const times: number[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < variants.length; j++) {
      const i = (r + j) % variants.length;
      times[i]!.push(nsPerCall(loops[i]!, variants[i]!.core, variants[i]!.p, n));
    }
  }
  const cells = variants.map((v, i) => `${v.name} ${best(times[i]!).toFixed(1)} / ${median(times[i]!).toFixed(1)}`);
  console.log(`${label.padEnd(14)} ${cells.join('   ')}`);
}
