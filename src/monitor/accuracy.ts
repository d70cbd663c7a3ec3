// Performance metrics from natural labels: accuracy and log loss over the
// predictions whose labels came back, label coverage, and the feedback loop
// length (time from a prediction to its label).

import { DurationSketch, type LatencyPercentiles } from './latency.js';

/** Probabilities are clipped to this before the log in log loss, as scikit-learn does. */
export const LOG_LOSS_EPSILON = 1e-15;

/** A prediction's contribution to log loss: -ln p(label), p clipped to [eps, 1 - eps]. */
export function logLossTerm(probabilities: ArrayLike<number>, label: number): number {
  const p = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, probabilities[label]!));
  return -Math.log(p);
}

export interface AccuracySummary {
  /** Labels matched to this window's predictions. */
  labelled: number;
  /** labelled / predictions that could be labelled (errors excluded); null with no predictions. */
  coverage: number | null;
  /** Share of labelled predictions that were right; null with no labels. */
  accuracy: number | null;
  /** Mean log loss over labelled predictions that gave probabilities; null when none did. */
  logLoss: number | null;
  /** Feedback loop length in milliseconds: label time minus prediction time. */
  feedbackMs: LatencyPercentiles | null;
}

export class AccuracyStats {
  private labelled = 0;
  private correct = 0;
  private logLossSum = 0;
  private logLossCount = 0;
  private readonly feedback = new DurationSketch();

  /** One matched label; `logLoss` null when the prediction was a class without probabilities. */
  add(correct: boolean, logLoss: number | null, feedbackMs: number): void {
    this.labelled++;
    if (correct) this.correct++;
    if (logLoss !== null) {
      this.logLossSum += logLoss;
      this.logLossCount++;
    }
    this.feedback.add(Math.max(0, feedbackMs));
  }

  summary(labellable: number): AccuracySummary {
    return {
      labelled: this.labelled,
      coverage: labellable === 0 ? null : this.labelled / labellable,
      accuracy: this.labelled === 0 ? null : this.correct / this.labelled,
      logLoss: this.logLossCount === 0 ? null : this.logLossSum / this.logLossCount,
      feedbackMs: this.feedback.summary(),
    };
  }
}
