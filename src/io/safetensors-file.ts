// safetensors files in Node: read whole (after checking the size), written
// streamed and atomically (src/io/write-atomic.ts).

import { readFileSync, statSync } from 'node:fs';
import { WASM32_MAX_BYTES } from '../arena.js';
import { ArgumentError, clip } from '../errors.js';
import { type SafetensorsContents, type SafetensorsTensor, readSafetensors, safetensorsChunks } from './safetensors.js';
import { writeFileAtomic } from './write-atomic.js';

/** Reads and checks a safetensors file; errors start with `path`. Files larger than wasm32 memory (4 GiB) are refused unread. */
export function readSafetensorsFile(path: string): SafetensorsContents {
  return readSafetensors(readBytes(path, 'safetensors file'), path);
}

/** Writes tensors (F32) and string metadata to `path`: header first, then each tensor's bytes, through a temporary file. */
export function writeSafetensorsFile(path: string, tensors: readonly SafetensorsTensor[], metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, safetensorsChunks(tensors, metadata), 'safetensors file');
}

/** A file's bytes, refusing one too large for anything wasmgrad could load before reading it. */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    const size = statSync(path).size;
    if (size > WASM32_MAX_BYTES) throw new ArgumentError(`${clip(path)}: the ${what} is ${size.toLocaleString('en-US')} bytes, more than wasm32 memory holds (${WASM32_MAX_BYTES.toLocaleString('en-US')})`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    throw new ArgumentError(`${clip(path)}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
