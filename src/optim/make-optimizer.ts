// Moved to src/optim/registry.ts; kept for importers not yet moved.
export { makeOptimizer } from './registry.js';
