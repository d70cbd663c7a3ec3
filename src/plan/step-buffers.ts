// The memory side of executing a step plan, shared by every executor
// (Sequential, GPT): each planned buffer allocated through the arena as the
// plan says, stamped with the op's layer and phase, freed when the plan frees
// it, and, when a step fails part-way, everything it still holds given back
// and the GEMM workspace returned to what it was before the step.

import { reserveGemmWorkspace } from '../gemm.js';
import type { Category } from '../memory/categories.js';
import type { Runtime } from '../runtime.js';
import type { BufferId } from './step-plan.js';

export class StepBuffers {
  private readonly ptr = new Map<BufferId, number>();
  /** What the step holds and gives back at its end; a buffer the model keeps (its gradients block) is not here. */
  private readonly live = new Set<number>();
  /** Buffers this step allocated for the model to keep: a failed step gives them back too. */
  private readonly kept: number[] = [];
  private readonly workspaceBefore: number;

  constructor(private readonly rt: Runtime) {
    this.workspaceBefore = rt.core.gemmScratchReserved();
  }

  /** Allocates a planned buffer; `kept` ones outlive the step (the model owns them). */
  alloc(buffer: BufferId, bytes: number, category: Category, what: string, kept = false): number {
    const p = this.rt.arena.alloc(bytes, category, what);
    this.ptr.set(buffer, p);
    if (kept) this.kept.push(p);
    else this.live.add(p);
    return p;
  }

  free(buffer: BufferId): void {
    const p = this.ptr.get(buffer)!;
    this.live.delete(p);
    this.rt.arena.free(p);
  }

  /** The address of a planned buffer. */
  at(buffer: BufferId): number {
    return this.ptr.get(buffer)!;
  }

  reserveWorkspace(bytes: number): void {
    reserveGemmWorkspace(this.rt, bytes);
  }

  /**
   * After a failed step, so that it leaves the memory it found: the buffers it
   * allocated for the model to keep are freed and the packing workspace goes
   * back to its size before the step. Returns whether a kept buffer was freed
   * (the model must then forget it).
   */
  abandon(): boolean {
    for (const p of this.kept) this.rt.arena.free(p);
    const freed = this.kept.length > 0;
    this.kept.length = 0;
    const core = this.rt.core;
    if (core.gemmScratchReserved() > this.workspaceBefore) {
      core.gemmRelease();
      if (this.workspaceBefore > 0) reserveGemmWorkspace(this.rt, this.workspaceBefore);
    }
    return freed;
  }

  /** Frees whatever the step still holds (a failed step's buffers; none after a complete one). */
  release(): void {
    for (const p of this.live) this.rt.arena.free(p);
    this.live.clear();
    this.rt.arena.setContext('model', 'setup');
  }
}
