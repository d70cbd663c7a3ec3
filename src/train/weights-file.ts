// Weights files in Node: `saveWeights` writes safetensors, or JSON for a
// `.json` name (src/train/weights.ts has both formats), streamed and
// atomically; `readWeights` reads either, by the same rule.

import { readBytes } from '../io/safetensors-file.js';
import { writeFileAtomic } from '../io/write-atomic.js';
import type { LayerSpec } from '../nn/layers.js';
import type { Sequential } from '../nn/sequential.js';
import { type WeightsFile, type WeightsFormat, parseWeights, weightsChunks, weightsFormatOf, weightsFromSafetensors, weightsOf } from './weights.js';

export * from './weights.js';

/**
 * Writes the model's weights to `path` in `format` (by default from the
 * name). The chunks go to a temporary file first, renamed over `path` once
 * complete, so a failure never leaves half a file or loses the old one.
 */
export function saveWeights(path: string, model: Sequential, format: WeightsFormat = weightsFormatOf(path)): void {
  writeFileAtomic(path, weightsChunks(weightsOf(model), format), 'weights file');
}

/** Reads and fully validates a weights file (`.json`: JSON, else safetensors); errors start with `path`. */
export function readWeights(path: string, options: { layers?: readonly LayerSpec[] } = {}): WeightsFile {
  if (weightsFormatOf(path) === 'safetensors') return weightsFromSafetensors(readBytes(path, 'weights file'), { source: path, layers: options.layers });
  return parseWeights(new TextDecoder().decode(readBytes(path, 'weights file', JSON_LIMIT)), path);
}

/** V8's longest string (2^29 - 24 characters): a larger JSON file cannot even be decoded. */
const JSON_LIMIT = { bytes: 2 ** 29 - 24, why: 'more than a JavaScript string holds; save large models as .safetensors' };
