// Folding step plans without WASM: the allocator events a run of steps makes,
// and the per-layer MACs and saved bytes of one step. The estimator is this
// fold; the executor (Sequential) runs the same plans, so the two agree event
// for event.

import type { AllocationEvent } from '../memory/events.js';
import type { GPTPlanOp } from './gpt-step-plan.js';
import type { PlanOp } from './step-plan.js';

/** What persists between steps of a run: the runtime's GEMM workspace (it only grows). */
export interface FoldState {
  workspaceBytes: number;
}

/** The allocator events of one plan, as the core's allocator would log them. */
export function planEvents(ops: readonly (PlanOp | GPTPlanOp)[], state: FoldState): AllocationEvent[] {
  const events: AllocationEvent[] = [];
  for (const op of ops) {
    const stamp = { layer: op.layer, phase: op.phase };
    if (op.op === 'alloc') events.push({ kind: 'alloc', category: op.category, bytes: op.bytes, ...stamp });
    else if (op.op === 'free') events.push({ kind: 'free', category: op.category, bytes: op.bytes, ...stamp });
    else if (op.op === 'reserve-workspace' && op.bytes > state.workspaceBytes) {
      // The core frees the smaller block and allocates the larger (assembly/kernels/gemm.ts, gemmReserve).
      if (state.workspaceBytes) events.push({ kind: 'free', category: 'workspace', bytes: state.workspaceBytes, ...stamp });
      events.push({ kind: 'alloc', category: 'workspace', bytes: op.bytes, ...stamp });
      state.workspaceBytes = op.bytes;
    } else if (op.op === 'optimizer' && op.stateBytes > 0) {
      events.push({ kind: 'alloc', category: 'optimizer', bytes: op.stateBytes, ...stamp });
    }
  }
  return events;
}

export interface PlanLayerTotals {
  macsForward: number;
  macsBackward: number;
  /** Forward MACs run again in backward (checkpointing). */
  macsRecompute: number;
  /** Bytes the layer's forward allocates as `activations` (saved for backward). */
  savedBytes: number;
}

/** Per-layer totals of one plan, by layer index (the loss and the model are left out). */
export function planLayerTotals(ops: readonly PlanOp[], layerNames: readonly string[]): PlanLayerTotals[] {
  const totals = layerNames.map(() => ({ macsForward: 0, macsBackward: 0, macsRecompute: 0, savedBytes: 0 }));
  for (const op of ops) {
    if (op.op === 'forward') totals[op.index]![op.recompute ? 'macsRecompute' : 'macsForward'] += op.macs;
    else if (op.op === 'backward') totals[op.index]!.macsBackward += op.macs;
    else if (op.op === 'alloc' && op.phase === 'forward' && op.category === 'activations') {
      const i = layerNames.indexOf(op.layer);
      if (i >= 0) totals[i]!.savedBytes += op.bytes;
    }
  }
  return totals;
}

/** GEMM multiply-accumulates of a plan: what the core's counter reads after running it. */
export function planGemmMacs(ops: readonly PlanOp[]): number {
  return ops.reduce((s, op) => s + (op.op === 'forward' || op.op === 'backward' ? op.gemmMacs : 0), 0);
}

/** The packing workspace a plan reserves. */
export function planWorkspaceBytes(ops: readonly PlanOp[]): number {
  return ops.reduce((s, op) => (op.op === 'reserve-workspace' ? Math.max(s, op.bytes) : s), 0);
}
