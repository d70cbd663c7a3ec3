// A float32 tensor that lives in WASM memory. Its `data` view is rebuilt when
// memory grows (growth detaches the old ArrayBuffer), so it never goes stale.

import type { Category } from './estimate/categories.js';
import { ArgumentError, ShapeError, checkInt } from './errors.js';
import type { Runtime } from './runtime.js';

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
    checkShape(shape);
    const size = shape.reduce((a, b) => a * b, 1);
    const ptr = runtime.arena.alloc(size * 4, category, what);
    return new Tensor(runtime, ptr, [...shape], category);
  }

  /** Copies `values` into a new WASM tensor of `shape` (default: 1-D). */
  static from(runtime: Runtime, values: ArrayLike<number>, shape?: readonly number[], category: Category = 'inputs'): Tensor {
    if (typeof values?.length !== 'number') throw new ArgumentError('Tensor.from: values must be an array or typed array of numbers');
    const s = shape ?? [values.length];
    checkShape(s);
    const size = s.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new ShapeError(`Tensor.from: values has ${values.length} elements, shape [${s.join(', ')}] needs ${size}`);
    }
    const t = Tensor.empty(runtime, s, category);
    t.data.set(values);
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

  /** Returns the memory to the allocator. Freeing twice is an error, not a corruption. */
  free(): void {
    if (this.freed) throw new ArgumentError('tensor was already freed');
    this.runtime.arena.free(this.ptr);
    this.freed = true;
    this.view = null;
  }
}

function checkShape(shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new ArgumentError(`shape must be an array of sizes, e.g. [rows, cols], got ${String(shape)}`);
  shape.forEach((d, i) => checkInt(`shape[${i}]`, d));
}
