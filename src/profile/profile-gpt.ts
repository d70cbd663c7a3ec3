// Training memory of a GPT, measured: a real GPT trained for real steps in a
// fresh WASM instance on seeded random tokens, every allocation logged by the
// core's allocator, next to the estimate folded from the same step plans.
// Inference memory likewise (profileGptGeneration): a real generation from
// seeded random prompts, its KV cache a category of its own, next to the
// generation plan folded.

import { type ArenaEvent, WASM32_MAX_BYTES, byteCount } from '../arena.js';
import { ArgumentError, OutOfMemoryError, checkInt, checkOptions, orDefault } from '../errors.js';
import { estimateGpt, estimateGptGeneration, type GptEstimate, type GptGenerationEstimate } from '../estimate/gpt.js';
import { type GPTConfig, type GPTConfigInput, gptConfig } from '../gpt/config.js';
import { GPT } from '../gpt/model.js';
import { Random } from '../nn/random.js';
import { makeOptimizer, OPTIMIZER_NAMES, type OptimizerName } from '../optim/registry.js';
import { init, type BuildName } from '../runtime.js';
import { summarizeEvents } from '../memory/events.js';
import type { MeasuredMemory } from './profile-mlp.js';

export interface GptProfileOptions {
  model: GPTConfigInput;
  batch?: number;
  /** Tokens per sequence; default the model's seq. */
  tokens?: number;
  /** Measured steps (default 2: the first allocates gradients and optimizer state). */
  steps?: number;
  optimizer?: OptimizerName;
  flashAttention?: boolean;
  recompute?: 'none' | 'blocks';
  build?: BuildName | 'auto';
  /** Threads of the measuring runtime (init's default when absent). */
  threads?: number;
  seed?: number;
}

export interface GptProfile {
  build: BuildName;
  threads: number;
  engine: string;
  config: GPTConfig;
  batch: number;
  tokens: number;
  optimizer: OptimizerName;
  flashAttention: boolean;
  recompute: 'none' | 'blocks';
  losses: number[];
  measured: MeasuredMemory;
  estimate: GptEstimate;
  events: ArenaEvent[];
  /** Index in `events` of each step's first event. */
  stepStarts: number[];
  /** GEMM multiply-accumulates the core counted in the last step, and what the plan says. */
  gemmMacs: { measured: number; estimated: number };
}

const OPTIONS: readonly (keyof GptProfileOptions)[] = ['model', 'batch', 'tokens', 'steps', 'optimizer', 'flashAttention', 'recompute', 'build', 'threads', 'seed'];

export async function profileGpt(options: GptProfileOptions): Promise<GptProfile> {
  // Everything is checked before a runtime is built or anything allocated.
  const o = checkOptions('profileGpt', options, OPTIONS) as unknown as GptProfileOptions;
  const config = gptConfig(o.model);
  const batch = orDefault(o.batch, 4) as number, tokens = orDefault(o.tokens, config.seq) as number, steps = orDefault(o.steps, 2) as number;
  checkInt('batch', batch, 1);
  checkInt('tokens', tokens, 1, config.seq);
  checkInt('steps', steps, 1, 1000);
  const optimizer = orDefault(o.optimizer, 'adamw') as OptimizerName;
  if (!OPTIMIZER_NAMES.includes(optimizer)) throw new ArgumentError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(optimizer)}`, { field: 'optimizer' });
  const seed = orDefault(o.seed, 1) as number;
  checkInt('seed', seed, 0, 2 ** 32 - 2);
  const flashAttention = orDefault(o.flashAttention, false) as boolean, recompute = orDefault(o.recompute, 'none') as 'none' | 'blocks';
  const rt = await init({ build: orDefault(o.build, 'auto') as BuildName | 'auto', threads: o.threads, fresh: true });
  const estimate = estimateGpt({ model: config, batch, tokens, steps, optimizer, flashAttention, recompute, build: rt.build, threads: rt.threads });
  checkFits(estimate.summary.peakTotal);

  const opt = makeOptimizer(optimizer);
  const rng = new Random(seed + 1);
  const rows = () => Array.from({ length: batch }, () => Int32Array.from({ length: tokens }, () => rng.nextUint32() % config.vocab));
  const losses: number[] = [];
  const stepStarts: number[] = [];
  let gemmMacs = 0, events: ArenaEvent[];
  rt.arena.startLog();
  const model = new GPT(rt, config, { seed, flashAttention, recompute });
  try {
    for (let s = 0; s < steps; s++) {
      stepStarts.push(rt.arena.eventCount());
      rt.resetMacs();
      losses.push(model.trainStep(rows(), rows(), opt));
      gemmMacs = Number(rt.macs());
    }
  } finally {
    events = rt.arena.stopLog();
  }
  const fromLog = summarizeEvents(events);
  const profile: GptProfile = {
    build: rt.build, threads: rt.threads, engine: rt.describe(), config, batch, tokens, optimizer, flashAttention, recompute, losses,
    measured: {
      live: rt.arena.liveByCategory(), peak: rt.arena.peakByCategory(), peakTotal: rt.arena.peak(), atPeak: fromLog.atPeak, peakEvent: fromLog.peakEvent,
      memoryBytes: rt.arena.memoryBytes(), runtimeBytes: rt.arena.runtimeBytes(),
    },
    estimate, events, stepStarts,
    gemmMacs: { measured: gemmMacs, estimated: estimate.sublayers.reduce((s, r) => s + r.gemmMacs, 0) },
  };
  rt.dispose(); // its workers; the measurement is complete
  return profile;
}

/** Refuses, before anything is allocated, a run whose estimated peak WASM memory cannot hold. */
function checkFits(peakTotal: number): void {
  if (peakTotal >= WASM32_MAX_BYTES) {
    throw new OutOfMemoryError(`this configuration needs ${byteCount(peakTotal)} bytes at its peak; WASM memory (wasm32) holds at most ${byteCount(WASM32_MAX_BYTES)} bytes`);
  }
}

export interface GptGenerationProfileOptions {
  model: GPTConfigInput;
  /** Sequences generated together (default 1). */
  batch?: number;
  /** Prompt tokens per sequence; default the model's seq less `generate` (at least 1). */
  prompt?: number;
  /** Tokens generated per sequence. */
  generate: number;
  flashAttention?: boolean;
  build?: BuildName | 'auto';
  /** Threads of the runtime (init's `threads`). */
  threads?: number;
  seed?: number;
}

export interface GptGenerationProfile {
  build: BuildName;
  threads: number;
  engine: string;
  config: GPTConfig;
  batch: number;
  prompt: number;
  generate: number;
  flashAttention: boolean;
  /** The generated tokens of each sequence (greedy: the argmax of each step's logits). */
  tokens: number[][];
  measured: MeasuredMemory;
  estimate: GptGenerationEstimate;
  events: ArenaEvent[];
  /** GEMM multiply-accumulates the core counted over the generation, and what the plan says. */
  gemmMacs: { measured: number; estimated: number };
}

const GENERATION_OPTIONS: readonly (keyof GptGenerationProfileOptions)[] = ['model', 'batch', 'prompt', 'generate', 'flashAttention', 'build', 'threads', 'seed'];

export async function profileGptGeneration(options: GptGenerationProfileOptions): Promise<GptGenerationProfile> {
  const o = checkOptions('profileGptGeneration', options, GENERATION_OPTIONS) as unknown as GptGenerationProfileOptions;
  const config = gptConfig(o.model);
  checkInt('generate', o.generate, 1, 1_000_000);
  const generate = o.generate, batch = orDefault(o.batch, 1) as number, prompt = orDefault(o.prompt, Math.max(1, config.seq - generate)) as number;
  checkInt('batch', batch, 1);
  checkInt('prompt', prompt, 1, 1_000_000);
  const seed = orDefault(o.seed, 1) as number;
  checkInt('seed', seed, 0, 2 ** 32 - 2);
  const flashAttention = orDefault(o.flashAttention, false) as boolean;
  const rt = await init({ build: orDefault(o.build, 'auto') as BuildName | 'auto', threads: o.threads, fresh: true });
  const estimate = estimateGptGeneration({ model: config, batch, prompt, generate, build: rt.build, threads: rt.threads, flashAttention });
  checkFits(estimate.summary.peakTotal);

  const rng = new Random(seed + 1);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: prompt }, () => rng.nextUint32() % config.vocab));
  let tokens: number[][], events: ArenaEvent[];
  rt.arena.startLog();
  const model = new GPT(rt, config, { seed, flashAttention });
  try {
    rt.resetMacs();
    tokens = model.generateWith(prompts, generate, argmax);
  } finally {
    events = rt.arena.stopLog();
  }
  const gemmMacs = Number(rt.macs());
  const fromLog = summarizeEvents(events);
  return {
    build: rt.build, threads: rt.threads, engine: rt.describe(), config, batch, prompt, generate, flashAttention, tokens,
    measured: {
      live: rt.arena.liveByCategory(), peak: rt.arena.peakByCategory(), peakTotal: rt.arena.peak(), atPeak: fromLog.atPeak, peakEvent: fromLog.peakEvent,
      memoryBytes: rt.arena.memoryBytes(), runtimeBytes: rt.arena.runtimeBytes(),
    },
    estimate, events, gemmMacs: { measured: gemmMacs, estimated: estimate.gemmMacs },
  };
}

/** The index of the largest logit (the first of equals). */
function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}
