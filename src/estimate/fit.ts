/**
 * "Will it fit?": every training setup within the choices a user allows,
 * estimated, and those whose heaviest device fits one device's memory listed
 * best first.
 *
 * Searched (each list given by the caller): micro-batch, recomputation, ZeRO
 * stage, offload and the number of devices; everything else (model, precision,
 * optimizer, tensor and pipeline parallelism, LoRA) is the base setup's.
 * Combinations the estimator refuses (ZeRO without data parallelism, devices
 * that t x p do not divide, ...) are skipped, as are setups past 2^53 bytes.
 *
 * Best first: fewer devices, then less offload (host transfers are slow), then
 * less recomputation, then a larger micro-batch, then a lower ZeRO stage (less
 * communication), then more headroom. Deterministic: the same order every run.
 */
import { ArgumentError } from '../errors.js';
import type { ZeroStage } from './model-states.js';
import { type OffloadKind, type TrainingSetup, estimateTransformerMemory, OFFLOAD_KINDS } from './training-setup.js';
import { type RecomputeKind, RECOMPUTE_KINDS, type TransformerModel } from './transformer.js';

export interface FitSearch {
  /** Bytes of one device's memory. */
  deviceMemory: number;
  microBatches: readonly number[];
  recompute: readonly RecomputeKind[];
  zeroStages: readonly ZeroStage[];
  offload: readonly OffloadKind[];
  devices: readonly number[];
}

export interface FitCandidate {
  setup: TrainingSetup;
  /** Bytes on the heaviest device. */
  total: number;
  /** deviceMemory - total: negative when it does not fit. */
  headroom: number;
  /** That device's share of host memory (offload). */
  hostTotal: number;
}

export interface FitResult {
  search: FitSearch;
  /** Setups estimated (refused combinations not counted). */
  evaluated: number;
  /** Those that fit, best first. */
  fits: FitCandidate[];
  /** The setup needing the least device memory of all evaluated, or null if none could be estimated. */
  smallest: FitCandidate | null;
}

/** Powers of two up to and including `max` (and `max` itself): 1, 2, 4, ..., max. */
export function powersOfTwoUpTo(max: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < max; n *= 2) out.push(n);
  out.push(max);
  return out;
}

const rank = <T>(list: readonly T[], x: T) => list.indexOf(x);

function better(a: FitCandidate, b: FitCandidate): number {
  return (
    a.setup.devices - b.setup.devices ||
    rank(OFFLOAD_KINDS, a.setup.offload) - rank(OFFLOAD_KINDS, b.setup.offload) ||
    rank(RECOMPUTE_KINDS, a.setup.recompute) - rank(RECOMPUTE_KINDS, b.setup.recompute) ||
    b.setup.microBatch - a.setup.microBatch ||
    a.setup.zeroStage - b.setup.zeroStage ||
    b.headroom - a.headroom
  );
}

export function searchFits(model: TransformerModel, base: TrainingSetup, search: FitSearch): FitResult {
  if (!Number.isSafeInteger(search.deviceMemory) || search.deviceMemory < 1) {
    throw new ArgumentError(`deviceMemory: expected a positive number of bytes, got ${String(search.deviceMemory)}`, { field: 'deviceMemory' });
  }
  // The fixed part of the setup must be valid (its errors are the user's); the smallest micro-batch keeps figures exact.
  estimateTransformerMemory(model, { ...base, microBatch: Math.min(...search.microBatches) });
  const candidates: FitCandidate[] = [];
  for (const devices of search.devices)
    for (const offload of search.offload)
      for (const recompute of search.recompute)
        for (const microBatch of search.microBatches)
          for (const zeroStage of search.zeroStages) {
            const setup: TrainingSetup = { ...base, devices, offload, recompute, microBatch, zeroStage };
            let est;
            try {
              est = estimateTransformerMemory(model, setup);
            } catch (e) {
              // A combination the estimator refuses, or one whose figures pass 2^53 bytes and so cannot fit any device.
              if (e instanceof ArgumentError) continue;
              throw e;
            }
            const total = est.heaviest.total;
            candidates.push({ setup, total, headroom: search.deviceMemory - total, hostTotal: est.heaviest.host.total });
          }
  const smallest = candidates.reduce<FitCandidate | null>((a, b) => (a === null || b.total < a.total ? b : a), null);
  return { search, evaluated: candidates.length, fits: candidates.filter((c) => c.headroom >= 0).sort(better), smallest };
}
