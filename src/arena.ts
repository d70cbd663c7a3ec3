// The TypeScript face of the core's category-tagged allocator: clear errors
// instead of null pointers, and an optional event log that stamps each core
// allocation with the layer and phase the caller is in.

import { CATEGORIES, type Category, type CategoryBytes, type Phase, zeroCategoryBytes } from './memory/categories.js';
import type { MemoryEvent } from './memory/events.js';
import { ArgumentError, OutOfMemoryError, describeValue } from './errors.js';
import type { CoreExports } from './core.js';

/** One allocator event with the layer and phase it happened in (the report's MemoryEvent). */
export type ArenaEvent = MemoryEvent;
export type { Phase };

/** A byte count as messages print it, with thousands separators (8,000,000,000); exact for BigInts too. */
export function byteCount(bytes: number | bigint): string {
  return bytes.toLocaleString('en-US');
}

/** wasm32 linear memory tops out at 65536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 4 * 1024 ** 3;

export class Arena {
  private logging = false;
  private events: ArenaEvent[] = [];
  private running: CategoryBytes = zeroCategoryBytes();
  private layer = '';
  private phase: Phase = 'setup';

  constructor(private readonly core: CoreExports) {}

  /** Allocates `bytes` tagged `category`; throws OutOfMemoryError naming the request and the limit. */
  alloc(bytes: number, category: Category, what = 'buffer'): number {
    const code = categoryCode(category);
    if (!Number.isInteger(bytes) || bytes < 0 || bytes >= WASM32_MAX_BYTES) {
      throw new OutOfMemoryError(
        `cannot allocate ${byteCount(bytes)} bytes for ${what}: a single WASM allocation must be below ${byteCount(WASM32_MAX_BYTES)} bytes (wasm32 limit)`,
      );
    }
    const ptr = this.core.arenaAlloc(bytes, code);
    if (ptr === 0) throw this.cannotGrow(bytes, category, what);
    return ptr >>> 0;
  }

  /** The error for `bytes` of `category` that memory could not grow to hold, naming the limit. */
  cannotGrow(bytes: number, category: Category, what: string): OutOfMemoryError {
    return new OutOfMemoryError(
      `cannot allocate ${byteCount(bytes)} bytes (${category}) for ${what}: WASM memory holds ${byteCount(this.memoryBytes())} bytes and could not grow (limit ${byteCount(WASM32_MAX_BYTES)} bytes)`,
    );
  }

  /**
   * Throws OutOfMemoryError, before anything is allocated, when `bytes` more
   * (`what`: the allocations a call is about to make) cannot fit in wasm32
   * memory beside the bytes live now. Exact for any size (a BigInt).
   */
  checkRoom(bytes: bigint, where: string, what: string): void {
    const live = this.live();
    const free = BigInt(WASM32_MAX_BYTES - live);
    if (bytes > free) {
      throw new OutOfMemoryError(
        `${where}: needs ${byteCount(bytes)} bytes of WASM memory (${what}) but at most ${byteCount(free)} bytes are free (wasm32 limit ${byteCount(WASM32_MAX_BYTES)} bytes, ${byteCount(live)} bytes live)`,
      );
    }
  }

  free(ptr: number): void {
    this.core.arenaFree(ptr);
  }

  /** Live bytes of one category, or of all categories. */
  live(category?: Category): number {
    return this.core.arenaLive(category === undefined ? -1 : categoryCode(category));
  }

  /** Peak bytes of one category alone, or of the sum of all categories, since the last resetPeak. */
  peak(category?: Category): number {
    return this.core.arenaPeak(category === undefined ? -1 : categoryCode(category));
  }

  liveByCategory(): CategoryBytes {
    const out = zeroCategoryBytes();
    for (const c of CATEGORIES) out[c] = this.live(c);
    return out;
  }

  peakByCategory(): CategoryBytes {
    const out = zeroCategoryBytes();
    for (const c of CATEGORIES) out[c] = this.peak(c);
    return out;
  }

  resetPeak(): void {
    this.core.arenaResetPeak();
  }

  /** What WASM memory holds in all: the categories plus `runtimeBytes()`. */
  memoryBytes(): number {
    return this.core.memory.buffer.byteLength;
  }

  /** WASM memory the categories do not account for: static data, stack, headers, free blocks. */
  runtimeBytes(): number {
    return this.memoryBytes() - this.live();
  }

  /** Sets the layer and phase that logged events are stamped with. */
  setContext(layer: string, phase: Phase): void {
    this.layer = layer;
    this.phase = phase;
  }

  /** Starts recording events (clearing earlier ones); the running sums start from the live bytes now. */
  startLog(): void {
    this.events = [];
    this.running = this.liveByCategory();
    this.logging = true;
    this.core.arenaSetLogging(1);
  }

  /** Events recorded so far since startLog (to mark where a step begins). */
  eventCount(): number {
    return this.events.length;
  }

  /** Stops recording and returns the events since startLog. */
  stopLog(): ArenaEvent[] {
    this.logging = false;
    this.core.arenaSetLogging(0);
    const events = this.events;
    this.events = [];
    return events;
  }

  /** Called by the core (env.onArenaEvent) for every allocation and free while logging. */
  onCoreEvent(kind: number, category: number, bytes: number): void {
    if (!this.logging) return;
    const cat = CATEGORIES[category]!;
    this.running[cat] += kind === 0 ? bytes : -bytes;
    this.events.push({
      kind: kind === 0 ? 'alloc' : 'free',
      category: cat,
      bytes,
      layer: this.layer,
      phase: this.phase,
      live: { ...this.running },
    });
  }
}

/**
 * The index the core tags blocks and keeps counters with. An unknown category
 * would corrupt the core's counters (or, as -1, read as the total), so it throws.
 */
function categoryCode(category: Category): number {
  const code = CATEGORIES.indexOf(category);
  if (code < 0) throw new ArgumentError(`category must be one of ${CATEGORIES.join(', ')}, got ${describeValue(category)}`);
  return code;
}
