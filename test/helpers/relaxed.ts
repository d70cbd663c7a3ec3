import v8 from 'node:v8';

/**
 * Node 20 ships relaxed SIMD behind a V8 flag. Setting it before any module is
 * compiled lets the tests run the relaxed build too (it cannot go in NODE_OPTIONS).
 */
export function enableRelaxedSimdForTests(): void {
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
}
