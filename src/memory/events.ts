// Allocator events and their fold: what the core's allocator logs while a step
// runs, and what the estimator folds out of a step plan, in one shape.

import { type Category, type CategoryBytes, type Phase, zeroCategoryBytes } from './categories.js';

/** One allocation or free, stamped with the layer (or component) and phase that asked. */
export interface AllocationEvent {
  kind: 'alloc' | 'free';
  category: Category;
  bytes: number;
  /** The layer or component that asked, e.g. "linear1", "relu1", "loss", "model", "adam". */
  layer: string;
  phase: Phase;
}

/** An event as the allocator logged it: with the live bytes per category after it. */
export interface MemoryEvent extends AllocationEvent {
  live: CategoryBytes;
}

export interface MemorySummary {
  /** Live bytes per category after the last event. */
  live: CategoryBytes;
  /** Highest live bytes of each category on its own (these maxima need not coincide in time). */
  peak: CategoryBytes;
  /** Highest live bytes of all categories together, and what they were made of then. */
  peakTotal: number;
  atPeak: CategoryBytes;
  /** Index of the event at which the total first reached its peak (-1 with no events). */
  peakEvent: number;
}

/** Folds an event list into live bytes, peaks and the composition at the peak. */
export function summarizeEvents(events: readonly Pick<AllocationEvent, 'kind' | 'category' | 'bytes'>[]): MemorySummary {
  const live = zeroCategoryBytes(), peak = zeroCategoryBytes();
  let peakTotal = 0, atPeak = zeroCategoryBytes(), peakEvent = -1, total = 0;
  events.forEach((e, i) => {
    const d = e.kind === 'alloc' ? e.bytes : -e.bytes;
    live[e.category] += d;
    total += d;
    if (live[e.category] > peak[e.category]) peak[e.category] = live[e.category];
    if (total > peakTotal) {
      peakTotal = total;
      atPeak = { ...live };
      peakEvent = i;
    }
  });
  return { live, peak, peakTotal, atPeak, peakEvent };
}
