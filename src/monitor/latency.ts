// Latency (and feedback-loop length) percentiles in bounded memory: a log-bucketed histogram (the
// DDSketch idea). Bucket i holds values in (G^(i-1), G^i] ms above MIN_MS, with
// G = (1 + a) / (1 - a); a percentile reports its bucket's centre 2 G^i / (G + 1),
// within relative error a = RELATIVE_ERROR of the nearest-rank sample (the
// definition serve-check uses), clamped to the observed minimum and maximum.
// Memory is fixed: BUCKETS counters, whatever the number of requests.

/** Relative error of a reported percentile against the exact nearest-rank sample. */
export const RELATIVE_ERROR = 0.005;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
/** Latencies at or below this (1 ns) share bucket 0; its report is the observed minimum. */
const MIN_MS = 1e-6;
/** Enough buckets to reach about 3 hours; longer latencies share the last one. */
const BUCKETS = Math.ceil(Math.log(1e7 / MIN_MS) / LOG_GAMMA) + 1;

export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class DurationSketch {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  add(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GAMMA));
    this.counts[i]!++;
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** The nearest-rank p-th percentile (0 < p <= 100) within RELATIVE_ERROR; null with no samples. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    // As serve-check: rank ceil(p/100 n), rounded to 1e-9 first against float noise.
    const rank = Math.max(1, Math.ceil(Math.round((p / 100) * this.count * 1e9) / 1e9));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const centre = i === 0 ? this.min : (MIN_MS * 2 * GAMMA ** i) / (GAMMA + 1);
        return Math.min(this.max, Math.max(this.min, centre));
      }
    }
    return this.max;
  }

  summary(): LatencyPercentiles | null {
    if (this.count === 0) return null;
    return { p50: this.percentile(50)!, p90: this.percentile(90)!, p99: this.percentile(99)!, max: this.max, mean: this.sum / this.count };
  }
}
