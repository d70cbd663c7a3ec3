// wasmgrad: WebAssembly SIMD kernels for machine learning in JavaScript.

export { init, pickBuild, Runtime, type InitOptions, type BuildName } from './runtime.js';
export { detectFeatures, type EngineFeatures } from './features.js';
export { Tensor } from './tensor.js';
export { gemm, matmul, type GemmOptions, type Matrix } from './gemm.js';
export { Arena, WASM32_MAX_BYTES, type ArenaEvent, type Phase } from './arena.js';
export { ShapeError, ArgumentError, OutOfMemoryError, NonFiniteError } from './errors.js';
export { CATEGORIES, type Category, type CategoryBytes } from './estimate/categories.js';
