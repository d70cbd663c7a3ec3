// The simulated world of `wasmgrad monitor --demo feedback-loop`. Users
// belong to segments; each segment has a pool of niche items of which a few
// are its favourites at any time (its true top set, known to the simulator),
// and tastes move on: every few rounds the oldest favourite goes out of
// fashion (nobody clicks it any more) and the next item of the pool comes in.
// Mainstream items are liked a little by everyone. Users click only what they
// are shown, with position bias (slot k is examined with probability
// examine^k). A recommender, a wasmgrad MLP (user features in, a score per
// item out, cross-entropy on the clicked item), is retrained each round on
// the clicks its own rankings caused, optionally with a share of slots given
// to random items (exploration).

import { ArgumentError } from '../errors.js';
import { mlp } from '../nn/layers.js';
import { Random } from '../nn/random.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../optim/adam.js';
import type { Runtime } from '../runtime.js';

export interface FeedbackWorld {
  segments: number;
  /** Niche items per segment, and how many of them are favourites at a time. */
  nichePerSegment: number;
  favourites: number;
  mainstream: number;
  /** Favourites move on by one item every this many rounds (from round 1: the first model learnt from an older log). */
  driftEvery: number;
  /** Click probability of an examined item: a favourite, one of the segment's items out of fashion, a mainstream item, another segment's item. */
  appeal: { favourite: number; stale: number; mainstream: number; other: number };
  /** User features: the segment's one-hot code plus uniform noise in [0, noise) on every feature. */
  noise: number;
  /** Slots per ranking; slot k (0-based) is examined with probability examine^k. */
  slots: number;
  examine: number;
  /** Users in the round-0 log (random rankings) and in each round after. */
  bootstrapUsers: number;
  users: number;
  rounds: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
}

export interface User {
  segment: number;
  features: Float32Array;
}

/** One user's ranking: the model's own top items, best first, and what was shown slot by slot (some slots random when exploring). */
export interface Impression {
  user: User;
  ranked: number[];
  shown: number[];
}

export interface Click {
  user: User;
  item: number;
}

export class FeedbackSimulation {
  readonly items: number;
  readonly model: Sequential;
  /** The round being served (0: the log of random rankings the first model learns from). */
  round = 0;
  private readonly optimizer: Adam;
  /** Users come from their own stream, so runs with different epsilon serve the same users. */
  private readonly people: Random;
  private readonly rng: Random;

  constructor(rt: Runtime, readonly world: FeedbackWorld, readonly epsilon: number, seed: number) {
    const moves = Math.ceil(world.rounds / world.driftEvery);
    if (world.favourites + moves > world.nichePerSegment) {
      throw new ArgumentError(`feedback world: nichePerSegment must be at least favourites + rounds / driftEvery = ${world.favourites + moves}, got ${world.nichePerSegment}`);
    }
    if (!(epsilon >= 0 && epsilon <= 1)) throw new ArgumentError(`feedback simulation: epsilon must be a share from 0 to 1, got ${epsilon}`);
    this.items = world.segments * world.nichePerSegment + world.mainstream;
    this.model = new Sequential(rt, mlp([world.segments, world.hidden, this.items], 'relu'), { seed });
    this.optimizer = new Adam({ lr: world.lr });
    this.people = new Random(seed ^ 0x05e9_3e57);
    this.rng = new Random(seed ^ 0x0fee_dbac);
  }

  /** The segment whose pool holds `item`, or null for a mainstream item (the last `mainstream` ids). */
  segmentOf(item: number): number | null {
    const n = this.world.nichePerSegment;
    return item < this.world.segments * n ? Math.floor(item / n) : null;
  }

  /** The segment's favourites this round: `favourites` consecutive items of its pool, one further on every driftEvery rounds. */
  favouritesOf(segment: number): number[] {
    const first = segment * this.world.nichePerSegment + Math.ceil(this.round / this.world.driftEvery);
    return Array.from({ length: this.world.favourites }, (_, k) => first + k);
  }

  /** Whether `item` is in the segment's true top set this round. */
  isFavourite(segment: number, item: number): boolean {
    const f = this.favouritesOf(segment);
    return item >= f[0]! && item <= f.at(-1)!;
  }

  /** The item a user of `segment` truly wanted instead of `item`: `item` itself if it is a favourite, else the segment's first favourite. */
  wanted(segment: number, item: number): number {
    return this.isFavourite(segment, item) ? item : this.favouritesOf(segment)[0]!;
  }

  /** The true click probability of an examined item. */
  appeal(segment: number, item: number): number {
    const a = this.world.appeal;
    const owner = this.segmentOf(item);
    if (owner === null) return a.mainstream;
    if (owner !== segment) return a.other;
    return this.isFavourite(segment, item) ? a.favourite : a.stale;
  }

  drawUsers(count: number): User[] {
    const w = this.world;
    return Array.from({ length: count }, () => {
      const segment = Math.min(w.segments - 1, Math.floor(this.people.uniform(0, w.segments)));
      const features = new Float32Array(w.segments);
      for (let f = 0; f < w.segments; f++) features[f] = (f === segment ? 1 : 0) + this.people.uniform(0, w.noise);
      return { segment, features };
    });
  }

  /** Round 0: uniformly random rankings, the unbiased log the first model learns from. */
  randomImpressions(users: User[]): Impression[] {
    return users.map((user) => {
      const shown = this.randomItems(this.world.slots, []);
      return { user, ranked: shown, shown };
    });
  }

  /** The model's top slots for each user; each slot shows a random item instead with probability epsilon. */
  recommend(users: User[]): Impression[] {
    const w = this.world;
    const x = new Float32Array(users.length * w.segments);
    users.forEach((u, r) => x.set(u.features, r * w.segments));
    const scores = this.model.predict(x);
    return users.map((user, r) => {
      const ranked = topIndices(scores.subarray(r * this.items, (r + 1) * this.items), w.slots);
      const shown = ranked.slice();
      for (let k = 0; k < shown.length; k++) {
        if (this.rng.uniform(0, 1) < this.epsilon) shown[k] = this.randomItems(1, shown)[0]!;
      }
      return { user, ranked, shown };
    });
  }

  /** Clicks on what was shown: slot k is examined with probability examine^k, then clicked with the item's true appeal. */
  clicks(impressions: Impression[]): Click[] {
    const out: Click[] = [];
    for (const { user, shown } of impressions) {
      shown.forEach((item, k) => {
        if (this.rng.uniform(0, 1) < this.world.examine ** k && this.rng.uniform(0, 1) < this.appeal(user.segment, item)) out.push({ user, item });
      });
    }
    return out;
  }

  /** Trains the model further (warm start) on one round's clicks: cross-entropy of the clicked item given the user. */
  retrain(clicks: Click[]): void {
    const w = this.world;
    const order = clicks.map((_, i) => i);
    for (let epoch = 0; epoch < w.epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = this.randomInt(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let first = 0; first < order.length; first += w.batchSize) {
        const batch = order.slice(first, first + w.batchSize);
        const x = new Float32Array(batch.length * w.segments);
        const labels = new Int32Array(batch.length);
        batch.forEach((c, r) => {
          x.set(clicks[c]!.user.features, r * w.segments);
          labels[r] = clicks[c]!.item;
        });
        this.model.trainStep(x, labels, this.optimizer);
      }
    }
  }

  dispose(): void {
    this.model.dispose();
  }

  private randomInt(n: number): number {
    return Math.min(n - 1, Math.floor(this.rng.uniform(0, n)));
  }

  /** `count` distinct random items, none of them in `exclude`. */
  private randomItems(count: number, exclude: readonly number[]): number[] {
    const out: number[] = [];
    while (out.length < count) {
      const item = this.randomInt(this.items);
      if (!exclude.includes(item) && !out.includes(item)) out.push(item);
    }
    return out;
  }
}

/** Indices of the `k` largest values, largest first (ties to the lower index). */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    let at = top.length;
    while (at > 0 && values[top[at - 1]!]! < values[i]!) at--;
    if (at < k) {
      top.splice(at, 0, i);
      if (top.length > k) top.pop();
    }
  }
  return top;
}
