// Moved to src/memory/categories.ts; kept for importers not yet moved.
export * from '../memory/categories.js';
