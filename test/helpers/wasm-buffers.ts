// Buffers in a runtime's WASM memory for tests that call ops by pointer:
// allocated through the arena (workspace), written from and read back into
// plain arrays, and all freed at the end.

import type { Runtime } from '../../src/index.js';

export class WasmBuffers {
  private readonly pointers: number[] = [];

  constructor(readonly rt: Runtime) {}

  private alloc(bytes: number): number {
    // 4 bytes at least, so an empty buffer still has a distinct, valid pointer.
    const ptr = this.rt.arena.alloc(Math.max(4, bytes), 'workspace', 'test buffer');
    this.pointers.push(ptr);
    return ptr;
  }

  /** A float32 buffer holding `values` (or n zeros). */
  f32(values: ArrayLike<number> | number): number {
    const n = typeof values === 'number' ? values : values.length;
    const ptr = this.alloc(n * 4);
    const view = new Float32Array(this.rt.memory.buffer, ptr, n);
    if (typeof values === 'number') view.fill(0);
    else view.set(values);
    return ptr;
  }

  i32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    new Int32Array(this.rt.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  /** n bytes, filled with `fill`. */
  u8(n: number, fill = 0): number {
    const ptr = this.alloc(n);
    new Uint8Array(this.rt.memory.buffer, ptr, n).fill(fill);
    return ptr;
  }

  read(ptr: number, n: number): Float32Array {
    return new Float32Array(this.rt.memory.buffer, ptr, n).slice();
  }

  readBytes(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.rt.memory.buffer, ptr, n).slice();
  }

  write(ptr: number, values: ArrayLike<number>): void {
    new Float32Array(this.rt.memory.buffer, ptr, values.length).set(values);
  }

  free(): void {
    for (const ptr of this.pointers.splice(0)) this.rt.arena.free(ptr);
  }
}
