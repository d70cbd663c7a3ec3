// Per-feature histograms of a window's inputs, counted in the core: rows are
// staged in WASM memory and binned a batch at a time (784-pixel images are
// a hot loop). State is features x bins counters plus one staging batch.

import { ArgumentError, describeValue } from '../errors.js';
import type { Runtime } from '../runtime.js';

export interface FeatureBinning {
  /** Features per input vector. */
  count: number;
  /** Equal-width bins per feature over `range`; values outside go to the end bins. */
  bins: number;
  /** [low, high) that the bins split. */
  range: readonly [number, number];
}

/** Rows binned per core call: large enough to amortise the call, small enough to keep staging small. */
const STAGED_ROWS = 32;

export class FeatureHistograms {
  private readonly staging: number;
  private readonly counts: number;
  private staged = 0;
  private closed = false;

  constructor(private readonly rt: Runtime, readonly binning: FeatureBinning) {
    const { count, bins } = binning;
    this.counts = rt.arena.alloc(count * bins * 4, 'workspace', 'monitor feature histograms');
    new Uint32Array(rt.memory.buffer, this.counts, count * bins).fill(0);
    try {
      this.staging = rt.arena.alloc(STAGED_ROWS * count * 4, 'inputs', 'monitor staged features');
    } catch (e) {
      rt.arena.free(this.counts);
      throw e;
    }
  }

  /** Adds one input vector; throws ArgumentError (naming `where`) and counts nothing if it is the wrong length or not finite. */
  add(features: ArrayLike<number>, where: string): void {
    const { count } = this.binning;
    if (features.length !== count) throw new ArgumentError(`${where} must have ${count} values, got ${features.length}`);
    const row = new Float32Array(this.rt.memory.buffer, this.staging + this.staged * count * 4, count);
    row.set(features);
    const bad = this.rt.core.firstNonFinite(row.byteOffset, count);
    if (bad >= 0) throw new ArgumentError(`${where}[${bad}] must be a finite float32, got ${describeValue(features[bad])}`);
    if (++this.staged === STAGED_ROWS) this.flush();
  }

  /** The counts, feature-major (counts[f * bins + b]), as a copy. */
  snapshot(): Uint32Array {
    this.flush();
    const { count, bins } = this.binning;
    return new Uint32Array(this.rt.memory.buffer, this.counts, count * bins).slice();
  }

  /** Returns the WASM memory; the histograms cannot be used after. */
  free(): void {
    if (this.closed) return;
    this.closed = true;
    this.rt.arena.free(this.staging);
    this.rt.arena.free(this.counts);
  }

  private flush(): void {
    if (this.staged === 0) return;
    const { count, bins, range } = this.binning;
    this.rt.core.histogram(this.staging, this.staged, count, range[0], bins / (range[1] - range[0]), bins, this.counts);
    this.staged = 0;
  }
}
