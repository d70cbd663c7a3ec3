// A float32 tensor that lives in WASM memory. Its `data` view is rebuilt when
// memory grows (growth detaches the old ArrayBuffer), so it never goes stale.

import { WASM32_MAX_BYTES } from './arena.js';
import type { Category } from './memory/categories.js';
import { ArgumentError, OutOfMemoryError, ShapeError, checkInt, describeValue } from './errors.js';
import { checkRuntime, type Runtime } from './runtime.js';

export class Tensor {
  readonly size: number;
  private view: Float32Array | null = null;
  private freed = false;

  /** @internal Use Tensor.empty / Tensor.from. */
  constructor(
    readonly runtime: Runtime,
    readonly ptr: number,
    readonly shape: readonly number[],
    readonly category: Category,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  /** Allocates an uninitialised tensor in WASM memory, tagged `category` (default workspace). */
  static empty(runtime: Runtime, shape: readonly number[], category: Category = 'workspace', what = 'tensor'): Tensor {
    checkRuntime(runtime, 'Tensor.empty');
    const size = checkShape('Tensor.empty', shape);
    if (typeof what !== 'string') throw new ArgumentError(`Tensor.empty: what must be a string, got ${describeValue(what)}`);
    const ptr = runtime.arena.alloc(size * 4, category, what);
    return new Tensor(runtime, ptr, [...shape], category);
  }

  /** Copies `values` into a new WASM tensor of `shape` (default: 1-D). */
  static from(runtime: Runtime, values: ArrayLike<number>, shape?: readonly number[], category: Category = 'inputs'): Tensor {
    checkRuntime(runtime, 'Tensor.from');
    const isNumbers = typeof values === 'object' && values !== null && typeof values.length === 'number' &&
      !(values instanceof BigInt64Array || values instanceof BigUint64Array);
    if (!isNumbers) {
      throw new ArgumentError(`Tensor.from: values must be an array or typed array of numbers, got ${describeValue(values)}`);
    }
    checkLiveView('Tensor.from', 'values', values);
    const s = shape === undefined ? [values.length] : shape;
    const size = checkShape('Tensor.from', s);
    if (values.length !== size) {
      throw new ShapeError(`Tensor.from: values has ${values.length} elements, shape [${s.join(', ')}] needs ${size}`);
    }
    if (!ArrayBuffer.isView(values)) {
      for (let i = 0; i < size; i++) {
        if (typeof values[i] !== 'number') throw new ArgumentError(`Tensor.from: values[${i}] must be a number, got ${describeValue(values[i])}`);
      }
    }
    // A view of this runtime's memory would be detached if allocating the tensor grows it.
    const source = ArrayBuffer.isView(values) && values.buffer === runtime.memory.buffer ? (values as Float32Array).slice() : values;
    const t = Tensor.empty(runtime, s, category);
    t.data.set(source);
    return t;
  }

  /** A Float32Array view of the tensor in WASM memory (zero-copy; valid until the next allocation). */
  get data(): Float32Array {
    if (this.freed) throw new ArgumentError('tensor was freed');
    const buffer = this.runtime.memory.buffer;
    if (!this.view || this.view.buffer !== buffer) {
      this.view = new Float32Array(buffer, this.ptr, this.size);
    }
    return this.view;
  }

  /** A copy of the values, safe to keep. */
  toArray(): Float32Array {
    return this.data.slice();
  }

  get isFreed(): boolean {
    return this.freed;
  }

  /**
   * Returns the memory to the allocator, like Sequential and optimizer dispose():
   * one name releases all three. Disposing again does nothing.
   */
  dispose(): void {
    if (!this.freed) this.free();
  }

  /** Returns the memory to the allocator. Freeing twice is an error, not a corruption. */
  free(): void {
    if (this.freed) throw new ArgumentError('tensor was already freed');
    this.runtime.arena.free(this.ptr);
    this.freed = true;
    this.view = null;
  }
}

/**
 * Checks `shape` and returns its element count, refusing (before anything is
 * allocated) a count whose bytes cannot be one wasm32 allocation. The count is
 * a BigInt product, so a shape past 2^53 elements is reported exactly.
 */
function checkShape(where: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new ArgumentError(`${where}: shape must be an array of sizes, e.g. [rows, cols], got ${describeValue(shape)}`);
  let count = 1n;
  for (let i = 0; i < shape.length; i++) {
    checkInt(`${where}: shape[${i}]`, shape[i]);
    count *= BigInt(shape[i]!);
  }
  if (count * 4n >= BigInt(WASM32_MAX_BYTES)) {
    throw new OutOfMemoryError(
      `${where}: shape [${shape.join(', ')}] has ${count} elements, ${count * 4n} bytes; a single WASM allocation must be below ${WASM32_MAX_BYTES} bytes (wasm32 limit)`,
    );
  }
  return Number(count);
}

/**
 * Throws ArgumentError if `value` is a view whose buffer is detached: growing
 * WASM memory detaches the old buffer, so a Tensor.data view captured before
 * then is stale. Anything that is not a view passes.
 */
export function checkLiveView(where: string, name: string, value: unknown): void {
  if (!ArrayBuffer.isView(value) || value.buffer.byteLength > 0) return;
  try {
    new Uint8Array(value.buffer);
  } catch {
    throw new ArgumentError(
      `${where}: ${name} is a view of a detached ArrayBuffer (a tensor's data view goes stale when WASM memory grows): read tensor.data again, or pass the Tensor itself`,
    );
  }
}
