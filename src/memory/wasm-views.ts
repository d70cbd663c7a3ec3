// Arrays a caller hands to a step may be views of WASM memory (a Tensor's
// data, say). The step's own allocations can grow the memory, which detaches
// such a view (or, for a shared memory, leaves it on the old, shorter buffer).
// The bytes stay where they were, so the step reads them through a fresh view
// of the same range.

/** A function that returns `x`, or for a view of `memory`, the same bytes viewed in its current buffer. */
export function readerOf<T extends ArrayLike<number>>(memory: WebAssembly.Memory, x: T): () => T {
  if (!ArrayBuffer.isView(x) || x.buffer !== memory.buffer) return () => x;
  const { byteOffset, length } = x as unknown as Float32Array;
  const View = x.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T;
  return () => new View(memory.buffer, byteOffset, length);
}
