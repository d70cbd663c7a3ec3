// Engine feature detection with tiny hand-assembled modules, validated (never run).

// (func (result v128) i32.const 0 i8x16.splat)
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b,
]);

// (func (result v128) three i8x16.splat then f32x4.relaxed_madd (0xfd 0x105))
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00, 0x0a, 0x13, 0x01, 0x11, 0x00,
  0x41, 0x00, 0xfd, 0x0f, 0x41, 0x00, 0xfd, 0x0f, 0x41, 0x00, 0xfd, 0x0f,
  0xfd, 0x85, 0x02, 0x0b,
]);

export interface EngineFeatures {
  simd: boolean;
  relaxedSimd: boolean;
}

export function detectFeatures(): EngineFeatures {
  return {
    simd: WebAssembly.validate(SIMD_PROBE),
    relaxedSimd: WebAssembly.validate(RELAXED_SIMD_PROBE),
  };
}

/**
 * The major version of the V8 engine running this code (Node, Deno, and
 * Chromium-based browsers, whose V8 is the Chrome major version / 10), or
 * undefined for other engines (SpiderMonkey, JavaScriptCore).
 */
export function v8Major(host: object = globalThis): number | undefined {
  const g = host as { process?: { versions?: { v8?: string } }; Deno?: { version?: { v8?: string } }; navigator?: { userAgent?: string } };
  const version = g.process?.versions?.v8 ?? g.Deno?.version?.v8;
  if (typeof version === 'string') return Number.parseInt(version, 10) || undefined;
  // Also HeadlessChrome/, and Edge's and Opera's user agents, which name their Chromium.
  const chrome = /Chrom(?:e|ium)\/(\d+)/.exec(g.navigator?.userAgent ?? '');
  return chrome ? Math.floor(Number(chrome[1]) / 10) : undefined;
}
