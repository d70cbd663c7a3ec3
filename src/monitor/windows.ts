// One tumbling window of the production monitor: what it accumulates while
// open (fixed-size state: latency buckets, class counts, label stats, feature
// histograms) and the summary it becomes when it closes, with drift scored
// against the reference.

import { AccuracyStats, type AccuracySummary } from './accuracy.js';
import { sumOf } from './counts.js';
import { diversityOf, type Diversity } from './diversity.js';
import { ksTest, psi } from './drift.js';
import type { FeatureBinning, FeatureHistograms } from './histograms.js';
import { DurationSketch, type LatencyPercentiles } from './latency.js';

/** What drift is measured against: class and bin counts of a reference period. */
export interface ReferenceProfile {
  format: 'wasmgrad.monitor-reference/1';
  /** Predicted-class counts. */
  predictions: number[];
  /** Label counts. */
  labels: number[];
  /** Per-feature bin counts, feature-major (counts[f * bins + b]), or null without features. */
  features: (FeatureBinning & { counts: number[] }) | null;
}

export interface FeatureDrift {
  /** Largest PSI over the features, and which feature (0-based). */
  psiMax: number;
  psiMaxFeature: number;
  psiMean: number;
  /** Largest KS statistic over the features, and which feature. */
  ksMax: number;
  ksMaxFeature: number;
  /** Smallest KS p-value over the features (not corrected for the number of features). */
  ksPValueMin: number;
  /** Per feature, in feature order. */
  psi: number[];
  ks: number[];
  pValue: number[];
}

export interface DriftSummary {
  features: FeatureDrift | null;
  /** PSI of the predicted-class distribution against the reference's. */
  predictionPsi: number | null;
  /** PSI of the label distribution against the reference's. */
  labelPsi: number | null;
}

export interface WindowSummary {
  index: number;
  /** [start, end) in the stream's time unit (milliseconds). */
  start: number;
  end: number;
  /** Requests seen: predictions, failed ones included. */
  predictions: number;
  errors: number;
  errorRate: number | null;
  /** Requests per second of window time. */
  throughput: number;
  latencyMs: LatencyPercentiles | null;
  labels: AccuracySummary;
  /** Null while the window is part of the reference, or without a reference. */
  drift: DriftSummary | null;
  diversity: Diversity | null;
}

export class WindowState {
  requests = 0;
  errors = 0;
  readonly latency = new DurationSketch();
  readonly predicted: Float64Array;
  readonly labelled: Float64Array;
  readonly accuracy = new AccuracyStats();

  constructor(
    readonly index: number,
    readonly start: number,
    readonly end: number,
    classes: number,
    readonly histograms: FeatureHistograms | null,
  ) {
    this.predicted = new Float64Array(classes);
    this.labelled = new Float64Array(classes);
  }

  /** The window's counts as a reference profile (for the first windows of a stream); frees nothing. */
  profile(): ReferenceProfile {
    const h = this.histograms;
    return {
      format: 'wasmgrad.monitor-reference/1',
      predictions: Array.from(this.predicted),
      labels: Array.from(this.labelled),
      features: h ? { ...h.binning, range: [...h.binning.range], counts: Array.from(h.snapshot()) } : null,
    };
  }

  summarize(reference: ReferenceProfile | null): WindowSummary {
    const seconds = (this.end - this.start) / 1000;
    return {
      index: this.index,
      start: this.start,
      end: this.end,
      predictions: this.requests,
      errors: this.errors,
      errorRate: this.requests === 0 ? null : this.errors / this.requests,
      throughput: this.requests / seconds,
      latencyMs: this.latency.summary(),
      labels: this.accuracy.summary(this.requests - this.errors),
      drift: reference ? this.drift(reference) : null,
      diversity: diversityOf(this.predicted),
    };
  }

  private drift(reference: ReferenceProfile): DriftSummary {
    return {
      features: reference.features && this.histograms ? featureDrift(reference.features.counts, this.histograms.snapshot(), reference.features.bins) : null,
      predictionPsi: psi(reference.predictions, this.predicted),
      labelPsi: psi(reference.labels, this.labelled),
    };
  }
}

function featureDrift(reference: ArrayLike<number>, current: Uint32Array, bins: number): FeatureDrift | null {
  if (sumOf(current) === 0) return null;
  const count = current.length / bins;
  const out: FeatureDrift = { psiMax: -1, psiMaxFeature: 0, psiMean: 0, ksMax: -1, ksMaxFeature: 0, ksPValueMin: 1, psi: [], ks: [], pValue: [] };
  for (let f = 0; f < count; f++) {
    const ref = Array.prototype.slice.call(reference, f * bins, (f + 1) * bins) as number[];
    const cur = current.subarray(f * bins, (f + 1) * bins);
    const p = psi(ref, cur) ?? 0;
    const ks = ksTest(ref, cur) ?? { statistic: 0, pValue: 1 };
    out.psi.push(p);
    out.ks.push(ks.statistic);
    out.pValue.push(ks.pValue);
    out.psiMean += p / count;
    if (p > out.psiMax) [out.psiMax, out.psiMaxFeature] = [p, f];
    if (ks.statistic > out.ksMax) [out.ksMax, out.ksMaxFeature] = [ks.statistic, f];
    out.ksPValueMin = Math.min(out.ksPValueMin, ks.pValue);
  }
  return out;
}

/** Adds profile `b` into `a` (same classes and binning): the reference of several windows. */
export function mergeProfiles(a: ReferenceProfile, b: ReferenceProfile): ReferenceProfile {
  const add = (x: number[], y: number[]) => x.map((v, i) => v + y[i]!);
  return {
    format: a.format,
    predictions: add(a.predictions, b.predictions),
    labels: add(a.labels, b.labels),
    features: a.features && b.features ? { ...a.features, counts: add(a.features.counts, b.features.counts) } : (a.features ?? b.features),
  };
}
