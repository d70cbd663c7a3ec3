// The words every part of wasmgrad speaks memory in: the categories the core's
// allocator tags each block with, and the phases of a training step. This is
// the ground floor: it imports nothing, and everything above may import it.

/**
 * Memory categories, in the order of the core's counters (assembly/arena.ts).
 * `kvCache`: the keys and values a generation keeps of every past token (the
 * inference estimator's field of the same name, src/estimate/inference.ts).
 */
export const CATEGORIES = ['weights', 'gradients', 'optimizer', 'activations', 'workspace', 'inputs', 'kvCache'] as const;
export type Category = (typeof CATEGORIES)[number];
export type CategoryBytes = Record<Category, number>;

export const PHASES = ['setup', 'forward', 'backward', 'optimizer'] as const;
export type Phase = (typeof PHASES)[number];

export function zeroCategoryBytes(): CategoryBytes {
  return { weights: 0, gradients: 0, optimizer: 0, activations: 0, workspace: 0, inputs: 0, kvCache: 0 };
}

export function sumCategoryBytes(b: CategoryBytes): number {
  return CATEGORIES.reduce((s, c) => s + b[c], 0);
}
