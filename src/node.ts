// wasmgrad/node: the file helpers, which need Node's fs (the main entry stays
// browser-safe: bytes in, bytes out).

export { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors-file.js';
export { readWeights, saveWeights } from './train/weights-file.js';
export { writeFileAtomic } from './io/write-atomic.js';
export * from './index.js';
