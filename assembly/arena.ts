// The category-tagged allocator. Every byte a model, optimizer or training step
// uses lives in a block handed out here, so "measured" memory means measured.
//
// Layout: [static data + stack | heap blocks ... | top) grown with memory.grow.
// Each block: 16-byte header, then a 16-byte aligned payload.
//   header +0: u32 block size (header included, multiple of 16)
//   header +4: u32 size of the previous block (0 for the first), for coalescing
//   header +8: u32 bytes requested by the caller (what the counters add)
//   header +12: u32 flags: bit 0 = in use, bits 8..15 = category
// Free blocks keep a doubly linked free list in their first 8 payload bytes.
// First fit with splitting and coalescing: allocations are few and large
// (a model has tens of them), so a simple list beats anything clever.

// weights, gradients, optimizer, activations, workspace, inputs, kvCache: the
// order of CATEGORIES in src/memory/categories.ts, whose index the host passes.
const CATEGORY_COUNT: i32 = 7;

/** How many categories the counters keep: the host checks it against its own list at instantiation. */
export function arenaCategoryCount(): i32 {
  return CATEGORY_COUNT;
}

const HEADER: usize = 16;
const MIN_BLOCK: usize = 32;
const USED: u32 = 1;

// Counters are f64 so byte counts above 4 GiB (never reachable in wasm32, but
// summed peaks could be) stay exact integers.
const live = memory.data(8 * CATEGORY_COUNT, 8);
const peak = memory.data(8 * CATEGORY_COUNT, 8);
let liveTotal: f64 = 0;
let peakTotal: f64 = 0;

let heapStart: usize = 0;
let heapTop: usize = 0;
let lastBlock: usize = 0; // highest block, 0 when the heap is empty
let freeHead: usize = 0;

// Optional hook so the host can log every event with its own context (layer, phase).
@external("env", "onArenaEvent")
declare function onArenaEvent(kind: i32, category: i32, bytes: u32, ptr: usize): void;
let logging: bool = false;

@inline function blockSize(b: usize): usize { return <usize>load<u32>(b); }
@inline function prevSize(b: usize): usize { return <usize>load<u32>(b, 4); }
@inline function isUsed(b: usize): bool { return (load<u32>(b, 12) & USED) != 0; }
@inline function nextFree(b: usize): usize { return load<usize>(b, HEADER); }
@inline function prevFree(b: usize): usize { return load<usize>(b, HEADER + 4); }

function initHeap(): void {
  heapStart = (__heap_base + 15) & ~<usize>15;
  heapTop = heapStart;
}

function unlinkFree(b: usize): void {
  const n = nextFree(b), p = prevFree(b);
  if (p) store<usize>(p, n, HEADER); else freeHead = n;
  if (n) store<usize>(n, p, HEADER + 4);
}

function linkFree(b: usize): void {
  store<u32>(b, 0, 12);
  store<usize>(b, freeHead, HEADER);
  store<usize>(b, 0, HEADER + 4);
  if (freeHead) store<usize>(freeHead, b, HEADER + 4);
  freeHead = b;
}

function setPrevSizeOfNext(b: usize): void {
  if (b != lastBlock) store<u32>(b + blockSize(b), <u32>blockSize(b), 4);
}

/** Grows linear memory so that `end` is addressable; false when the engine refuses. */
function ensureMemory(end: usize): bool {
  const have = <usize>memory.size() << 16;
  if (end <= have) return true;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
}

/** Splits `b` so it is exactly `size` bytes when the rest can hold a block. */
function split(b: usize, size: usize): void {
  const rest = blockSize(b) - size;
  if (rest < MIN_BLOCK) return;
  const r = b + size;
  store<u32>(b, <u32>size);
  store<u32>(r, <u32>rest);
  store<u32>(r, <u32>size, 4);
  store<u32>(r, 0, 8);
  if (b == lastBlock) lastBlock = r;
  setPrevSizeOfNext(r);
  linkFree(r);
}

/**
 * Allocates `bytes` tagged with `category`; returns the 16-byte aligned payload
 * address, or 0 when memory cannot grow (the caller turns that into an error).
 */
export function arenaAlloc(bytes: u32, category: i32): usize {
  if (heapStart == 0) initHeap();
  const size = max<usize>(MIN_BLOCK, (<usize>bytes + HEADER + 15) & ~<usize>15);
  if (size < <usize>bytes) return 0; // overflow near 4 GiB
  let b = freeHead;
  while (b) {
    if (blockSize(b) >= size) break;
    b = nextFree(b);
  }
  if (b) {
    unlinkFree(b);
    split(b, size);
  } else if (lastBlock && !isUsed(lastBlock)) {
    // Extend the free block at the top instead of leaving it stranded.
    b = lastBlock;
    const end = b + size;
    if (end < b || !ensureMemory(end)) return 0;
    unlinkFree(b);
    store<u32>(b, <u32>size);
    heapTop = end;
  } else {
    b = heapTop;
    const end = b + size;
    if (end < b || !ensureMemory(end)) return 0;
    store<u32>(b, <u32>size);
    store<u32>(b, lastBlock ? <u32>blockSize(lastBlock) : 0, 4);
    lastBlock = b;
    heapTop = end;
  }
  store<u32>(b, bytes, 8);
  store<u32>(b, USED | (<u32>category << 8), 12);
  count(category, <f64>bytes);
  const ptr = b + HEADER;
  if (logging) onArenaEvent(0, category, bytes, ptr);
  return ptr;
}

/** Frees a payload returned by arenaAlloc; 0 is ignored. */
export function arenaFree(ptr: usize): void {
  if (ptr == 0) return;
  let b = ptr - HEADER;
  const category = <i32>((load<u32>(b, 12) >> 8) & 0xff);
  const bytes = load<u32>(b, 8);
  count(category, -<f64>bytes);
  if (logging) onArenaEvent(1, category, bytes, ptr);
  // Coalesce with the following block, then with the preceding one.
  if (b != lastBlock) {
    const n = b + blockSize(b);
    if (!isUsed(n)) {
      unlinkFree(n);
      if (n == lastBlock) lastBlock = b;
      store<u32>(b, <u32>(blockSize(b) + blockSize(n)));
    }
  }
  if (prevSize(b)) {
    const p = b - prevSize(b);
    if (!isUsed(p)) {
      unlinkFree(p);
      if (b == lastBlock) lastBlock = p;
      store<u32>(p, <u32>(blockSize(p) + blockSize(b)));
      b = p;
    }
  }
  setPrevSizeOfNext(b);
  linkFree(b);
}

function count(category: i32, delta: f64): void {
  const at = live + (<usize>category << 3);
  const now = load<f64>(at) + delta;
  store<f64>(at, now);
  const p = peak + (<usize>category << 3);
  if (now > load<f64>(p)) store<f64>(p, now);
  liveTotal += delta;
  if (liveTotal > peakTotal) peakTotal = liveTotal;
}

/** Live bytes of one category, or of all when category < 0. */
export function arenaLive(category: i32): f64 {
  return category < 0 ? liveTotal : load<f64>(live + (<usize>category << 3));
}

/** Peak bytes of one category alone, or of the sum of all when category < 0. */
export function arenaPeak(category: i32): f64 {
  return category < 0 ? peakTotal : load<f64>(peak + (<usize>category << 3));
}

/** Starts a new peak window at the current live bytes. */
export function arenaResetPeak(): void {
  for (let c = 0; c < CATEGORY_COUNT; c++) store<f64>(peak + (<usize>c << 3), load<f64>(live + (<usize>c << 3)));
  peakTotal = liveTotal;
}

/** Turns the host event hook on or off. */
export function arenaSetLogging(on: bool): void {
  logging = on;
}

/** Bytes between the heap start and the heap top (used, free and headers). */
export function arenaHeapBytes(): usize {
  return heapTop - heapStart;
}
