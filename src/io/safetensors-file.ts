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

/** A file's bytes, refusing one larger than `limit` (by default what wasm32 memory holds) before reading it. */
export function readBytes(path: string, what: string, limit = { bytes: WASM32_MAX_BYTES, why: 'more than wasm32 memory holds' }): Uint8Array {
  try {
    const size = statSync(path).size;
    if (size > limit.bytes) throw new ArgumentError(`${clip(path)}: the ${what} is ${size.toLocaleString('en-US')} bytes, ${limit.why} (${limit.bytes.toLocaleString('en-US')})`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    throw new ArgumentError(`${clip(path)}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
