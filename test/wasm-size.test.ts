// The release builds stay small, so dead code cannot creep into what users download.

import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const LIMIT = 64 * 1024;

describe('built .wasm sizes', () => {
  it.each(['simd', 'relaxed', 'scalar'])('wasmgrad-%s.wasm is under 64 KiB', (build) => {
    const bytes = statSync(new URL(`../build/wasmgrad-${build}.wasm`, import.meta.url)).size;
    expect(bytes).toBeGreaterThan(1024);
    expect(bytes).toBeLessThan(LIMIT);
  });
});
