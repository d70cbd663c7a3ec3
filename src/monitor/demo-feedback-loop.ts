// `wasmgrad monitor --demo feedback-loop`: the recommender of
// src/monitor/feedback-loop-sim.ts run twice from the same first model, once
// retrained only on the clicks its own rankings caused and once with 30% of
// the slots shown to random items (exploration). Each round is a monitor
// window; every slot of the model's own top 4 for a user is a prediction (so
// the Monitor's diversity is the diversity of what the model recommends), and
// its label, arriving half a window later, is the item the user truly wanted
// (FeedbackSimulation.wanted). The Monitor's accuracy is then the share of recommendations in
// the user's true top set (precision at 4 against the truth).

import type { Runtime } from '../runtime.js';
import { FeedbackSimulation, type FeedbackWorld } from './feedback-loop-sim.js';
import { Monitor, type MonitorReport } from './monitor.js';

export const FEEDBACK_LOOP_DEMO = {
  world: {
    segments: 4, nichePerSegment: 9, favourites: 3, mainstream: 4, driftEvery: 2,
    appeal: { favourite: 0.7, stale: 0, mainstream: 0.3, other: 0.02 },
    noise: 0.5, slots: 4, examine: 0.5,
    bootstrapUsers: 5000, users: 4000, rounds: 12,
    hidden: 16, epochs: 5, batchSize: 32, lr: 0.01,
  } satisfies FeedbackWorld,
  /** The share of slots given to random items in the exploring arm. */
  epsilon: 0.3,
  windowMs: 1000,
  labelDelayMs: 500,
  slos: ['accuracy >= 0.25', 'diversity.coverage >= 0.25', 'diversity.gini < 0.85'],
};

export interface FeedbackArm {
  name: string;
  epsilon: number;
  report: MonitorReport;
  /** Clicks the arm's rankings collected, per round. */
  clicks: number[];
}

export interface FeedbackLoopDemo {
  world: FeedbackWorld;
  slos: readonly string[];
  items: number;
  arms: FeedbackArm[];
}

export function runFeedbackLoopDemo(rt: Runtime, seed = 1): FeedbackLoopDemo {
  const d = FEEDBACK_LOOP_DEMO;
  const arms = [
    runArm(rt, 'no exploration', 0, seed),
    runArm(rt, `${d.epsilon * 100}% exploration`, d.epsilon, seed),
  ];
  return { world: d.world, slos: d.slos, items: d.world.segments * d.world.nichePerSegment + d.world.mainstream, arms };
}

/** One arm: the first model from the round-0 log, then rounds of recommend, monitor, click, retrain. Both arms draw the same users. */
function runArm(rt: Runtime, name: string, epsilon: number, seed: number): FeedbackArm {
  const d = FEEDBACK_LOOP_DEMO;
  const w = d.world;
  const sim = new FeedbackSimulation(rt, w, epsilon, seed);
  try {
    sim.retrain(sim.clicks(sim.randomImpressions(sim.drawUsers(w.bootstrapUsers))));
    const monitor = new Monitor({ windowMs: d.windowMs, classes: sim.items, reference: 1, slos: d.slos, labelGraceMs: d.windowMs });
    const clicks: number[] = [];
    let id = 0;
    const perRound = w.users * w.slots;
    for (let round = 1; round <= w.rounds; round++) {
      sim.round = round;
      const impressions = sim.recommend(sim.drawUsers(w.users));
      const labels: { id: number; time: number; label: number }[] = [];
      for (const { user, ranked } of impressions) {
        for (const item of ranked) {
          // Predictions spread evenly over the round's window.
          const time = (round - 1) * d.windowMs + ((id % perRound) * d.windowMs) / perRound;
          monitor.recordPrediction({ id, time, output: item });
          labels.push({ id, time: time + d.labelDelayMs, label: sim.wanted(user.segment, item) });
          id++;
        }
      }
      for (const l of labels) monitor.recordLabel(l);
      const roundClicks = sim.clicks(impressions);
      clicks.push(roundClicks.length);
      sim.retrain(roundClicks);
    }
    return { name, epsilon, report: monitor.flush(), clicks };
  } finally {
    sim.dispose();
  }
}
