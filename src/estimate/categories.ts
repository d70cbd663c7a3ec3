/**
 * The memory categories every wasmgrad report speaks in. The core's allocator
 * tags each allocation with one of these; the estimators predict the same ones.
 */
export const CATEGORIES = ['weights', 'gradients', 'optimizer', 'activations', 'workspace', 'inputs'] as const;
export type Category = (typeof CATEGORIES)[number];
export type CategoryBytes = Record<Category, number>;

export function zeroCategoryBytes(): CategoryBytes {
  return { weights: 0, gradients: 0, optimizer: 0, activations: 0, workspace: 0, inputs: 0 };
}

export function sumCategoryBytes(b: CategoryBytes): number {
  return CATEGORIES.reduce((s, c) => s + b[c], 0);
}
