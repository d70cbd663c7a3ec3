// The production monitor: a stream of predictions and (late, out of order,
// duplicate or missing) labels in, tumbling-window metrics, SLO compliance and
// alerts out, in bounded memory whatever the length of the stream:
// - open windows: those whose end plus the label grace is not yet past the
//   latest time seen, each O(classes + features x bins + latency buckets);
// - predictions awaiting a label: at most `maxPending`; beyond it the oldest
//   is evicted and counts as never labelled;
// - ids already labelled (to tell a duplicate label): the last `maxPending`;
// - closed window summaries: the last `keepWindows`; alerts: the last MAX_ALERTS.

import { ArgumentError, checkInt, checkOptions, describeValue, orDefault } from '../errors.js';
import { checkRuntime, type Runtime } from '../runtime.js';
import { logLossTerm } from './accuracy.js';
import { FeatureHistograms, type FeatureBinning } from './histograms.js';
import { parseSlo, SloTracker, type Slo, type SloAlert, type SloResult } from './slo.js';
import { mergeProfiles, WindowState, type ReferenceProfile, type WindowSummary } from './windows.js';

export interface MonitorOptions {
  /** Window length in milliseconds (times are milliseconds on any origin; windows start at multiples of it). */
  windowMs: number;
  /** Classes (or catalogue items) a prediction can name: outputs are 0 .. classes - 1. */
  classes: number;
  /** The core, needed when predictions carry features (their histograms are counted there). */
  runtime?: Runtime;
  /** Input features per prediction: how many, and the bins drift is scored over (default 20 over [0, 1)). */
  features?: { count: number; bins?: number; range?: readonly [number, number] };
  /** Drift reference: the first N closed windows (default 1), or a profile (from `reference()` or a file). */
  reference?: number | ReferenceProfile;
  /** SLOs in the syntax of src/monitor/slo.ts, or parsed ones. */
  slos?: readonly (string | Slo)[];
  /** How long after its end a window waits for labels before it closes (default one window). */
  labelGraceMs?: number;
  /** Predictions kept waiting for a label (default 100,000). */
  maxPending?: number;
  /** Closed window summaries kept for `report()` (default 10,000; `onWindow` sees them all). */
  keepWindows?: number;
  onWindow?: (window: WindowSummary) => void;
  onAlert?: (alert: SloAlert) => void;
}

export interface Prediction {
  id: string | number;
  time: number;
  /** The predicted class, or a probability per class (the prediction is the most probable; log loss is scored). */
  output?: number | ArrayLike<number>;
  latencyMs?: number;
  features?: ArrayLike<number>;
  /** The request failed: counted in the error rate, never labelled. */
  error?: boolean;
}

export interface Label {
  id: string | number;
  time: number;
  label: number;
}

export interface MonitorCounts {
  predictions: number;
  labels: number;
  /** A second prediction with an id still awaiting its label: ignored. */
  duplicatePredictions: number;
  /** A prediction for a window already closed: ignored. */
  latePredictions: number;
  /** A second label for an id: ignored. */
  duplicateLabels: number;
  /** A label for no prediction awaiting one: never seen, evicted at the cap, or its window already closed (too late). */
  unmatchedLabels: number;
  /** Predictions dropped from the pending map at its cap: never labelled. */
  evictedPending: number;
}

export interface MonitorReport {
  windowMs: number;
  classes: number;
  windows: WindowSummary[];
  slos: SloResult[];
  alerts: SloAlert[];
  counts: MonitorCounts;
}

export const DEFAULT_MAX_PENDING = 100_000;
export const DEFAULT_KEEP_WINDOWS = 10_000;
export const MAX_ALERTS = 10_000;
const OPTIONS = ['windowMs', 'classes', 'runtime', 'features', 'reference', 'slos', 'labelGraceMs', 'maxPending', 'keepWindows', 'onWindow', 'onAlert'];

interface Pending {
  window: number;
  time: number;
  predicted: number;
  probabilities: Float64Array | null;
}

export class Monitor {
  readonly windowMs: number;
  readonly classes: number;
  private readonly graceMs: number;
  private readonly maxPending: number;
  private readonly keepWindows: number;
  private readonly binning: FeatureBinning | null;
  private readonly runtime: Runtime | null;
  private readonly trackers: SloTracker[];
  private readonly open = new Map<number, WindowState>();
  private readonly pending = new Map<string | number, Pending>();
  private readonly labelledIds = new Set<string | number>();
  private readonly labelledRing: (string | number)[] = [];
  private labelledCount = 0;
  private readonly closed: WindowSummary[] = [];
  private readonly alerts: SloAlert[] = [];
  private referenceProfile: ReferenceProfile | null = null;
  private referenceWindowsLeft: number;
  private lastClosed = -Infinity;
  private watermark = -Infinity;
  /** The earliest time at which an open window is due to close (a cheap test on every event). */
  private nextCloseAt = Infinity;
  private readonly counts: MonitorCounts = {
    predictions: 0, labels: 0, duplicatePredictions: 0, latePredictions: 0, duplicateLabels: 0, unmatchedLabels: 0, evictedPending: 0,
  };

  constructor(private readonly options: MonitorOptions) {
    const o = checkOptions('Monitor', options, OPTIONS);
    checkPositive('Monitor: windowMs', o.windowMs);
    checkInt('Monitor: classes', o.classes, 1, 1_000_000);
    this.windowMs = o.windowMs as number;
    this.classes = o.classes as number;
    this.graceMs = orDefault(o.labelGraceMs, this.windowMs) as number;
    if (!(typeof this.graceMs === 'number' && this.graceMs >= 0 && Number.isFinite(this.graceMs))) {
      throw new ArgumentError(`Monitor: labelGraceMs must be a finite number of milliseconds >= 0, got ${describeValue(o.labelGraceMs)}`);
    }
    this.maxPending = orDefault(o.maxPending, DEFAULT_MAX_PENDING) as number;
    checkInt('Monitor: maxPending', this.maxPending, 1);
    this.keepWindows = orDefault(o.keepWindows, DEFAULT_KEEP_WINDOWS) as number;
    checkInt('Monitor: keepWindows', this.keepWindows, 0);
    this.binning = o.features === undefined ? null : checkBinning(o.features);
    if (this.binning) checkRuntime(o.runtime, 'Monitor with features');
    this.runtime = (o.runtime as Runtime | undefined) ?? null;
    const slos = orDefault(o.slos, []);
    if (!Array.isArray(slos)) throw new ArgumentError(`Monitor: slos must be an array of SLO strings, got ${describeValue(slos)}`);
    this.trackers = slos.map((s: unknown) => new SloTracker(typeof s === 'string' ? parseSlo(s) : checkSlo(s)));
    const reference = orDefault(o.reference, 1);
    if (typeof reference === 'number') {
      checkInt('Monitor: reference (windows)', reference, 1);
      this.referenceWindowsLeft = reference;
    } else {
      this.referenceProfile = checkProfile(reference, this.classes, this.binning);
      this.referenceWindowsLeft = 0;
    }
  }

  /** Records one prediction (a served request). Bad input throws ArgumentError and records nothing. */
  recordPrediction(p: Prediction): void {
    if (typeof p !== 'object' || p === null) throw new ArgumentError(`recordPrediction: expected an object { id, time, output, latencyMs, features? }, got ${describeValue(p)}`);
    checkId('prediction id', p.id);
    checkTime('prediction time', p.time);
    const error = orDefault(p.error, false);
    if (typeof error !== 'boolean') throw new ArgumentError(`prediction error must be true or false, got ${describeValue(p.error)}`);
    if (p.latencyMs !== undefined && !(typeof p.latencyMs === 'number' && p.latencyMs >= 0 && Number.isFinite(p.latencyMs))) {
      throw new ArgumentError(`prediction latencyMs must be a finite number >= 0, got ${describeValue(p.latencyMs)}`);
    }
    const out = error ? null : this.readOutput(p.output);
    if (p.features !== undefined && !this.binning) throw new ArgumentError('prediction features: no feature count was configured (the features option; --features on the command line)');
    if (p.features !== undefined && !isNumberList(p.features)) throw new ArgumentError(`prediction features must be an array of numbers, got ${describeValue(p.features)}`);
    if (!error && this.pending.has(p.id)) {
      this.counts.duplicatePredictions++;
      return;
    }
    const index = Math.floor(p.time / this.windowMs);
    if (index <= this.lastClosed) {
      this.counts.latePredictions++;
      return;
    }
    let w = this.open.get(index);
    const created = !w;
    w ??= this.openWindow(index);
    if (p.features !== undefined) {
      try {
        w.histograms!.add(p.features, 'prediction features');
      } catch (e) {
        if (created) this.discard(w);
        throw e;
      }
    }
    this.counts.predictions++;
    w.requests++;
    if (p.latencyMs !== undefined) w.latency.add(p.latencyMs);
    if (error) w.errors++;
    else {
      w.predicted[out!.predicted]!++;
      this.addPending(p.id, { window: index, time: p.time, predicted: out!.predicted, probabilities: out!.probabilities });
    }
    this.advance(p.time);
  }

  /** Records a label that came back for prediction `id`. Bad input throws ArgumentError and records nothing. */
  recordLabel(l: Label): void {
    if (typeof l !== 'object' || l === null) throw new ArgumentError(`recordLabel: expected an object { id, time, label }, got ${describeValue(l)}`);
    checkId('label id', l.id);
    checkTime('label time', l.time);
    checkClass('label', l.label, this.classes);
    this.counts.labels++;
    const p = this.pending.get(l.id);
    if (!p) {
      if (this.labelledIds.has(l.id)) this.counts.duplicateLabels++;
      else this.counts.unmatchedLabels++;
    } else {
      this.pending.delete(l.id);
      this.rememberLabelled(l.id);
      const w = this.open.get(p.window);
      if (!w) this.counts.unmatchedLabels++;
      else {
        w.labelled[l.label]!++;
        w.accuracy.add(p.predicted === l.label, p.probabilities ? logLossTerm(p.probabilities, l.label) : null, l.time - p.time);
      }
    }
    this.advance(l.time);
  }

  /** Closes every open window (the end of a stream) and returns the report. */
  flush(): MonitorReport {
    for (const index of [...this.open.keys()].sort((a, b) => a - b)) this.close(this.open.get(index)!);
    return this.report();
  }

  /** Closed windows so far (the last `keepWindows`), SLO results, alerts and counts. */
  report(): MonitorReport {
    return {
      windowMs: this.windowMs,
      classes: this.classes,
      windows: [...this.closed],
      slos: this.trackers.map((t) => t.result()),
      alerts: [...this.alerts],
      counts: { ...this.counts },
    };
  }

  /** The drift reference, once its windows have closed (save it to score later streams against). */
  reference(): ReferenceProfile | null {
    return this.referenceWindowsLeft > 0 ? null : this.referenceProfile;
  }

  /** Predictions waiting for a label now (at most maxPending). */
  get pendingCount(): number {
    return this.pending.size;
  }

  private readOutput(output: unknown): { predicted: number; probabilities: Float64Array | null } {
    if (typeof output === 'number') {
      checkClass('prediction output', output, this.classes);
      return { predicted: output, probabilities: null };
    }
    if (!isNumberList(output) || output.length !== this.classes) {
      throw new ArgumentError(`prediction output must be a class from 0 to ${this.classes - 1} or ${this.classes} probabilities, got ${describeValue(output)}`);
    }
    const probabilities = Float64Array.from(output);
    let predicted = 0;
    for (let i = 0; i < probabilities.length; i++) {
      const v = probabilities[i]!;
      if (!(v >= 0 && v <= 1)) throw new ArgumentError(`prediction output[${i}] must be a probability from 0 to 1, got ${describeValue(output[i])}`);
      if (v > probabilities[predicted]!) predicted = i;
    }
    return { predicted, probabilities };
  }

  private openWindow(index: number): WindowState {
    const h = this.binning ? new FeatureHistograms(this.runtime!, this.binning) : null;
    const w = new WindowState(index, index * this.windowMs, (index + 1) * this.windowMs, this.classes, h);
    this.open.set(index, w);
    this.nextCloseAt = Math.min(this.nextCloseAt, w.end + this.graceMs);
    return w;
  }

  private discard(w: WindowState): void {
    this.open.delete(w.index);
    w.histograms?.free();
  }

  private addPending(id: string | number, p: Pending): void {
    if (this.pending.size >= this.maxPending) {
      // Maps iterate in insertion order: the first key is the oldest prediction.
      this.pending.delete(this.pending.keys().next().value!);
      this.counts.evictedPending++;
    }
    this.pending.set(id, p);
  }

  /** The last maxPending labelled ids, oldest overwritten first (a ring: a Set's oldest entry is slow to find after many deletes). */
  private rememberLabelled(id: string | number): void {
    const slot = this.labelledCount++ % this.maxPending;
    if (this.labelledCount > this.maxPending) this.labelledIds.delete(this.labelledRing[slot]!);
    this.labelledRing[slot] = id;
    this.labelledIds.add(id);
  }

  /** Closes, in order, every open window whose end plus the label grace is at or before `time`. */
  private advance(time: number): void {
    if (time <= this.watermark) return;
    this.watermark = time;
    if (time < this.nextCloseAt) return;
    const due = [...this.open.values()].filter((w) => w.end + this.graceMs <= time).sort((a, b) => a.index - b.index);
    for (const w of due) this.close(w);
    this.nextCloseAt = Math.min(...[...this.open.values()].map((w) => w.end + this.graceMs));
  }

  private close(w: WindowState): void {
    this.open.delete(w.index);
    this.lastClosed = Math.max(this.lastClosed, w.index);
    // Predictions of closed windows will not be scored: they stop waiting (oldest first).
    for (const [id, p] of this.pending) {
      if (p.window > this.lastClosed) break;
      this.pending.delete(id);
    }
    let summary: WindowSummary;
    if (this.referenceWindowsLeft > 0) {
      const profile = w.profile();
      this.referenceProfile = this.referenceProfile ? mergeProfiles(this.referenceProfile, profile) : profile;
      this.referenceWindowsLeft--;
      summary = w.summarize(null);
    } else {
      summary = w.summarize(this.referenceProfile);
    }
    w.histograms?.free();
    for (const t of this.trackers) {
      const alert = t.observe(summary);
      if (alert) {
        if (this.alerts.length >= MAX_ALERTS) this.alerts.shift();
        this.alerts.push(alert);
        this.options.onAlert?.(alert);
      }
    }
    if (this.keepWindows > 0) {
      if (this.closed.length >= this.keepWindows) this.closed.shift();
      this.closed.push(summary);
    }
    this.options.onWindow?.(summary);
  }
}

function checkPositive(name: string, value: unknown): void {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) throw new ArgumentError(`${name} must be a finite number > 0, got ${describeValue(value)}`);
}

function checkId(name: string, id: unknown): void {
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) throw new ArgumentError(`${name} must be a string or a finite number, got ${describeValue(id)}`);
}

function checkTime(name: string, time: unknown): void {
  if (!(typeof time === 'number' && Number.isFinite(time))) throw new ArgumentError(`${name} must be a finite number of milliseconds, got ${describeValue(time)}`);
}

function checkClass(name: string, value: unknown, classes: number): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= classes) {
    throw new ArgumentError(`${name} must be a class from 0 to ${classes - 1}, got ${describeValue(value)}`);
  }
}

function isNumberList(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) ? v.every((x) => typeof x === 'number') : ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

function checkBinning(f: unknown): FeatureBinning {
  const o = checkOptions('Monitor: features', f, ['count', 'bins', 'range']);
  checkInt('Monitor: features.count', o.count, 1, 1_000_000);
  const bins = orDefault(o.bins, 20) as number;
  checkInt('Monitor: features.bins', bins, 2, 10_000);
  const range = orDefault(o.range, [0, 1]) as unknown;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === 'number' && Number.isFinite(Math.fround(v))) || !(range[0] < range[1])) {
    throw new ArgumentError(`Monitor: features.range must be [low, high] with finite low < high, got ${describeValue(range)}`);
  }
  return { count: o.count as number, bins, range: [range[0], range[1]] };
}

function checkSlo(s: unknown): Slo {
  if (typeof s !== 'object' || s === null || typeof (s as Slo).text !== 'string') throw new ArgumentError(`Monitor: each SLO must be a string or a parsed SLO, got ${describeValue(s)}`);
  return parseSlo((s as Slo).text);
}

/** Checks a reference profile against the monitor's classes and binning. */
export function checkProfile(value: unknown, classes: number, binning: FeatureBinning | null): ReferenceProfile {
  const where = 'reference profile';
  if (typeof value !== 'object' || value === null || (value as ReferenceProfile).format !== 'wasmgrad.monitor-reference/1') {
    throw new ArgumentError(`${where}: expected format "wasmgrad.monitor-reference/1", got ${describeValue((value as ReferenceProfile | null)?.format ?? value)}`);
  }
  const p = value as ReferenceProfile;
  for (const key of ['predictions', 'labels'] as const) {
    if (!isCounts(p[key], classes)) throw new ArgumentError(`${where}: ${key} must be ${classes} counts (one per class), got ${describeValue(p[key])}`);
  }
  if (binning) {
    const f = p.features;
    if (!f || f.count !== binning.count || f.bins !== binning.bins || f.range?.[0] !== binning.range[0] || f.range?.[1] !== binning.range[1]) {
      throw new ArgumentError(`${where}: features must have the monitor's binning (count ${binning.count}, bins ${binning.bins}, range [${binning.range.join(', ')}])`);
    }
    if (!isCounts(f.counts, f.count * f.bins)) throw new ArgumentError(`${where}: features.counts must be ${f.count * f.bins} counts (features x bins)`);
  }
  return p;
}

function isCounts(v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every((c) => Number.isFinite(c) && c >= 0);
}
