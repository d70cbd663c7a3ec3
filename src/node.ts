// wasmgrad/node: what needs Node (fs for files), plus everything of the main
// entry, which stays browser-safe.

export { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors-file.js';
export { readWeights, saveWeights } from './train/weights-file.js';
export { writeFileAtomic } from './io/write-atomic.js';
export { loadMnist, loadMnistDir, readIdxFile, type MnistDataset, type MnistSplit } from './data/mnist-files.js';
export * from './index.js';
